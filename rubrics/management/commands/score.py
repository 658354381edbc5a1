"""Score a filled offline sheet (.xlsx) or a JSON entry against a rubric.

    python manage.py score fuling-2017 sheet.json
    {"scores": {"1.1": 1, "4.1.a": 4, ...}, "vetoes": ["V3"]}

A value out of range or off its step, an unknown code or a missing item: exit status 2,
a Chinese message naming the code on stderr, nothing on stdout.
"""

import json
from pathlib import Path

from rubrics import scoring
from rubrics.management.commands._common import (
    Refused,
    RubricCommand,
    add_version_option,
    load_version,
    write_json,
)
from rubrics.scoring import fmt
from rubrics.selectors import rules_for


def _number(value):
    text = fmt(value)
    return int(text) if "." not in text else float(text)


def result_document(result: scoring.Result) -> dict:
    return {
        "total": _number(result.total),
        "max": _number(result.max),
        "grade": result.grade,
        "passed": result.passed,
        "vetoes": list(result.vetoes),
        "unmet_key_items": list(result.unmet_key_items),
        "sections": [
            {"code": s.code, "total": _number(s.total), "max": _number(s.max)}
            for s in result.sections
        ],
        "reasons": list(result.reasons),
    }


class Command(RubricCommand):
    help = "Score a filled offline .xlsx sheet or a .json entry; print the result as JSON."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("file")
        add_version_option(parser)

    def handle(self, code, file, number=None, **options):
        version = load_version(code, number)
        rules = rules_for(version)
        path = Path(file)
        if not path.is_file():
            raise Refused(f"找不到文件：{file}")
        if path.suffix.lower() == ".xlsx":
            from rubrics.sheets import SheetError, read_score_sheet

            try:
                entry = read_score_sheet(path.read_bytes(), version=version, rules=rules)
            except SheetError as exc:
                raise Refused(str(exc)) from None
        else:
            entry = self._json_entry(path)
        try:
            result = scoring.score(rules, entry)
        except scoring.ScoringError as exc:
            raise Refused("；".join(exc.messages)) from None
        write_json(self.stdout, result_document(result))

    @staticmethod
    def _json_entry(path: Path) -> scoring.Entry:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise Refused(f"JSON 格式错误：{exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("scores", {}), dict):
            raise Refused('JSON 应为 {"scores": {"指标编码": 分数}, "vetoes": ["否决项编码"]}')
        vetoes = data.get("vetoes", [])
        if not isinstance(vetoes, list) or not all(isinstance(v, str) for v in vetoes):
            raise Refused("vetoes 应为否决项编码的列表")
        scores = {}
        for code, value in data.get("scores", {}).items():
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise Refused(f"{code}：“{value}”不是数字")
            scores[str(code)] = value
        return scoring.Entry(scores=scores, vetoes=frozenset(vetoes))
