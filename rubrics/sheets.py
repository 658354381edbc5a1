"""Rubric versions as .xlsx (a row per item) and offline score sheets.

Version layout (one row per item; parts in one cell, one per line as
``编码｜内容｜分值｜步长``) round-trips: export → import into a draft → export is identical.
Two more worksheets carry the rest of a whole rubric: 等次 (a band a row, top first) and
标准设置 (计分方式, 逐项评定的档次, the ▲ rule); a file without them leaves those as they are.
"""

import io
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import openpyxl
from django.db import transaction

from branches.toolkit.spreadsheets import SpreadsheetError, read_pairs, read_xlsx, write_xlsx

from . import scoring
from .models import (
    GradeBand,
    Indicator,
    IndicatorKind,
    IndicatorPart,
    Method,
    RubricVersion,
    Section,
    VersionStatus,
)
from .scoring import fmt


class SheetError(SpreadsheetError):
    """The file is refused; the message names the row and the reason."""


VERSION_HEADERS = [
    "部分编码",
    "部分名称",
    "部分分值",
    "提升效果",
    "指标编码",
    "指标内容",
    "分值",
    "评分步长",
    "▲",
    "否决",
    "类型",
    "权重",
    "执行标准/佐证要求",
    "分项",
    "每期须开展",
]
KIND_LABELS = {value: str(label) for value, label in IndicatorKind.choices}
KIND_BY_LABEL = {label: value for value, label in KIND_LABELS.items()}
PART_SEPARATOR = "｜"


def _num(value: Decimal | None) -> str:
    return "" if value is None else fmt(value)


def version_rows(version: RubricVersion) -> list[list]:
    rows = []
    for section in version.sections.all():
        for ind in section.indicators.all():
            parts = "\n".join(
                PART_SEPARATOR.join(
                    [p.code, p.text, _num(p.points), _num(p.step)]
                    + ([p.period] if p.period else [])
                )
                for p in ind.parts.all()
            )
            rows.append(
                [
                    section.code,
                    section.title,
                    _num(section.points),
                    section.slogan,
                    ind.code,
                    ind.text,
                    _num(ind.points),
                    _num(ind.step),
                    "▲" if ind.is_key else "",
                    "是" if ind.is_veto else "",
                    KIND_LABELS[ind.kind],
                    _num(ind.weight),
                    ind.guidance,
                    parts,
                    ind.period_activity,
                ]
            )
    return rows


BANDS_SHEET = "等次"
BAND_HEADERS = ["等次", "下限（含）", "视为达标"]
SETTINGS_SHEET = "标准设置"
METHOD_KEY, LEVELS_KEY, KEY_CAP_KEY = "计分方式", "逐项评定的档次", "▲项未达标不得评为最高档"
METHOD_BY_LABEL = {str(label): value for value, label in Method.choices} | {
    "计分制": Method.POINTS,
    "逐项评定": Method.CHECKLIST,
    "加权综合": Method.COMPOSITE,
}
YES = ("是", "√", "1", "true", "True")


def band_rows(version: RubricVersion) -> list[list]:
    return [
        [b.label, _num(b.minimum), "是" if b.passed else "否"]
        for b in version.bands.all()
        if not b.scale
    ]


def settings_rows(version: RubricVersion) -> list[list]:
    levels = "；".join(f"{label}={fmt(value)}" for label, value in version.levels)
    return [
        [METHOD_KEY, str(Method(version.method).label)],
        [LEVELS_KEY, levels],
        [KEY_CAP_KEY, "是" if version.key_items_cap_top else "否"],
    ]


def export_version(version: RubricVersion) -> bytes:
    return write_xlsx(
        [
            (f"{version.rubric.code}-v{version.number}", VERSION_HEADERS, version_rows(version)),
            (BANDS_SHEET, BAND_HEADERS, band_rows(version)),
            (SETTINGS_SHEET, ["项目", "内容"], settings_rows(version)),
        ],
        widths={
            "部分名称": 24,
            "指标内容": 60,
            "执行标准/佐证要求": 60,
            "分项": 40,
            "提升效果": 30,
        },
    )


def _dec(value, label: str, errors: list[str], *, blank_ok: bool = False) -> Decimal | None:
    if value is None or str(value).strip() == "":
        if blank_ok:
            return None
        errors.append(f"“{label}”不能为空")
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append(f"“{label}”应为数字，而不是“{value}”")
        return None
    if number < 0:
        errors.append(f"“{label}”不能为负数")
    return number


def _cells(col: dict[str, int], values: list) -> Callable[[str], str]:
    """A row's cells by header, as trimmed text ("" when blank or absent)."""

    def get(header: str) -> str:
        value = values[col[header]] if header in col else None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else str(value).strip()

    return get


def parse_parts(cell: str, errors: list[str]) -> list[dict]:
    """The 分项 cell: one part a line, 编码｜内容｜分值｜步长｜期间 (步长 and 期间 optional;
    a part with a 期间 must be met in that period)."""
    parts = []
    for line in [ln for ln in cell.split("\n") if ln.strip()]:
        bits = [b.strip() for b in re.split(r"[｜|]", line)]
        if len(bits) not in (3, 4, 5) or not bits[0] or not bits[1]:
            errors.append(f"分项“{line}”格式应为 编码｜内容｜分值｜步长｜期间")
            continue
        p_points = _dec(bits[2], f"分项 {bits[0]} 分值", errors)
        p_step = _dec(
            bits[3] if len(bits) >= 4 and bits[3] else "0.5", f"分项 {bits[0]} 步长", errors
        )
        period = bits[4] if len(bits) == 5 else ""
        if len(period) > 20:
            errors.append(f"分项 {bits[0]} 的期间不能超过 20 个字")
        parts.append(
            {
                "code": bits[0],
                "text": bits[1],
                "points": p_points,
                "step": p_step,
                "period": period,
            }
        )
    return parts


def _row_kind(get: Callable[[str], str], errors: list[str]) -> str | None:
    kind_label = get("类型") or KIND_LABELS[IndicatorKind.SCORED]
    kind = KIND_BY_LABEL.get(kind_label)
    if kind is None:
        errors.append(f"未知的类型“{kind_label}”，应为：{'、'.join(KIND_BY_LABEL)}")
    veto = get("否决") in ("是", "√", "1", "true")
    if veto and kind not in (None, IndicatorKind.VETO):
        errors.append("否决指标的类型应为“反向（否决）指标”")
    return kind


def _parse_item(get: Callable[[str], str], codes: dict[str, int], errors: list[str]) -> dict:
    """One row's indicator; what is wrong with it goes to ``errors``."""
    code, text = get("指标编码"), get("指标内容")
    for label in ("部分编码", "部分名称", "指标编码", "指标内容"):
        if not get(label):
            errors.append(f"“{label}”不能为空")
    if code in codes:
        errors.append(f"指标编码“{code}”与第 {codes[code]} 行重复")
    kind = _row_kind(get, errors)
    points = _dec(get("分值") or "0", "分值", errors)
    step = _dec(get("评分步长") or "0.5", "评分步长", errors)
    if step is not None and step <= 0:
        errors.append("“评分步长”应大于 0")
    if kind == IndicatorKind.VETO and points:
        errors.append("否决指标不计分，分值应为 0")
    weight = _dec(get("权重"), "权重", errors, blank_ok=True)
    return {
        "code": code,
        "text": text,
        "points": points,
        "step": step,
        "key": get("▲") in ("▲", "是", "√", "1"),
        "kind": kind,
        "weight": weight,
        "guidance": get("执行标准/佐证要求"),
        "parts": parse_parts(get("分项"), errors),
        "period_activity": _period_activity(get("每期须开展"), errors),
    }


def _period_activity(value: str, errors: list[str]) -> str:
    if len(value) > 40:
        errors.append("“每期须开展”不能超过 40 个字")
    return value


def _section(get: Callable[[str], str]) -> dict:
    return {
        "code": get("部分编码"),
        "title": get("部分名称"),
        "points": _dec(get("部分分值"), "部分分值", [], blank_ok=True),
        "slogan": get("提升效果"),
        "items": [],
    }


def parse_version_sheet(content: bytes) -> tuple[list[dict], list[dict]]:
    """Sections with their items, and row reports [{row, errors}] (dry run, no writes)."""
    sheet = read_xlsx(content, required=VERSION_HEADERS[:8])
    col = {h: i for i, h in enumerate(sheet.headers)}
    sections: dict[str, dict] = {}
    codes: dict[str, int] = {}
    report: list[dict] = []
    for number, values in sheet.rows:
        get = _cells(col, values)
        errors: list[str] = []
        item = _parse_item(get, codes, errors)
        report.append(
            {"row": number, "label": f"{item['code']} {item['text'][:20]}", "errors": errors}
        )
        if errors:
            continue
        codes[item["code"]] = number
        sections.setdefault(get("部分编码"), _section(get))["items"].append(item)
    return list(sections.values()), report


def _sheet_rows(content: bytes, name: str) -> list[tuple[int, tuple]] | None:
    """The numbered data rows of a named worksheet (None if the file has none). The file
    has passed ``read_xlsx``'s checks before this reads it."""
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        if name not in book.sheetnames:
            return None
        rows = book[name].iter_rows(min_row=2, values_only=True)
        return [
            (n, tuple(r)) for n, r in enumerate(rows, start=2) if any(v is not None for v in r)
        ][:50]
    finally:
        book.close()


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def parse_levels_cell(cell: str, errors: list[str]) -> dict[str, str]:
    """逐项评定的档次 as 达标=1；基本达标=0.5；未达标=0."""
    levels: dict[str, str] = {}
    for bit in [b.strip() for b in re.split(r"[；;\n]", cell) if b.strip()]:
        label, sep, value = bit.replace("＝", "=").partition("=")
        number = _dec(value, f"档次 {label.strip()}", errors) if sep else None
        if not sep or not label.strip():
            errors.append(f"档次“{bit[:20]}”应写成 名称=比例，如 基本达标=0.5")
        elif number is not None:
            levels[label.strip()] = fmt(number)
    return levels


def parse_grade_sheets(content: bytes) -> tuple[dict | None, list[dict]]:
    """The 等次 and 标准设置 worksheets: {method?, level_points?, key_items_cap_top?,
    bands?} (None when the file has neither) and a report row for each line read."""
    report: list[dict] = []
    grades: dict = {}
    pairs = read_pairs(content, SETTINGS_SHEET)
    if pairs is not None:
        errors: list[str] = []
        method_label = pairs.get(METHOD_KEY, "").strip()
        if method_label:
            if method_label not in METHOD_BY_LABEL:
                errors.append(
                    f"未知的计分方式“{method_label[:20]}”，应为：计分制、逐项评定、加权综合"
                )
            grades["method"] = METHOD_BY_LABEL.get(method_label)
        if pairs.get(LEVELS_KEY, "").strip():
            grades["level_points"] = parse_levels_cell(pairs[LEVELS_KEY], errors)
        if KEY_CAP_KEY in pairs:
            grades["key_items_cap_top"] = pairs[KEY_CAP_KEY].strip() in YES
        report.append({"row": None, "label": f"{SETTINGS_SHEET}：{method_label}", "errors": errors})
    rows = _sheet_rows(content, BANDS_SHEET)
    if rows is not None:
        grades["bands"] = []
        for number, values in rows:
            values = (*values, None, None, None)
            errors = []
            label = _text(values[0])
            minimum = _dec(values[1], "下限（含）", errors, blank_ok=True)
            if not label:
                errors.append("“等次”不能为空")
            grades["bands"].append(
                {"label": label, "minimum": minimum, "passed": _text(values[2]) in YES}
            )
            shown = f"≥ {_text(values[1])}" if minimum is not None else "其余"
            report.append(
                {"row": number, "label": f"{BANDS_SHEET}：{label} {shown}", "errors": errors}
            )
    return (grades if pairs is not None or rows is not None else None), report


def _replace_grades(version: RubricVersion, grades: dict) -> None:
    """Write what the 等次 and 标准设置 worksheets set (and only that)."""
    if grades.get("method"):
        version.method = grades["method"]
    if "level_points" in grades or version.method != Method.CHECKLIST:
        version.level_points = (
            grades.get("level_points", {}) if version.method == Method.CHECKLIST else {}
        )
    if "key_items_cap_top" in grades:
        version.key_items_cap_top = grades["key_items_cap_top"]
    version.save()
    if "bands" in grades:
        version.bands.filter(scale="").delete()
        for position, band in enumerate(grades["bands"]):
            GradeBand.objects.create(
                version=version,
                label=band["label"],
                minimum=band["minimum"],
                passed=band["passed"],
                position=position,
            )


@transaction.atomic
def replace_draft_content(
    version: RubricVersion, sections: list[dict], grades: dict | None = None
) -> None:
    """Replace a draft's sections, items and parts with the imported ones (and its grade
    bands and settings when the file has them)."""
    version = RubricVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise SheetError("只能导入到草稿版本；已发布的版本不能修改。")
    if grades:
        _replace_grades(version, grades)
    for old in version.sections.all():
        old.delete()
    for s_pos, s in enumerate(sections):
        section = Section.objects.create(
            version=version,
            code=s["code"],
            title=s["title"],
            points=s["points"],
            slogan=s["slogan"],
            position=s_pos,
        )
        for i_pos, i in enumerate(s["items"]):
            ind = Indicator.objects.create(
                version=version,
                section=section,
                code=i["code"],
                text=i["text"],
                points=i["points"],
                step=i["step"],
                is_key=i["key"],
                kind=i["kind"],
                weight=i["weight"],
                guidance=i["guidance"],
                period_activity=i.get("period_activity", ""),
                position=i_pos,
            )
            for p_pos, p in enumerate(i["parts"]):
                IndicatorPart.objects.create(
                    indicator=ind,
                    code=p["code"],
                    text=p["text"],
                    points=p["points"],
                    step=p["step"],
                    period=p.get("period", ""),
                    position=p_pos,
                )


# -- offline score sheets ----------------------------------------------------------------

SCORE_HEADERS = ["编码", "指标内容", "分值", "评分步长", "▲", "类型", "得分 / 评定", "说明"]
INFO_SHEET = "填写说明"


def cell_number(number: Decimal) -> int | Decimal:
    """A number as an Excel number cell (5, 0.5), never as text."""
    return int(number) if number == number.to_integral_value() else number.normalize()


def score_sheet_rows(version: RubricVersion, rules: scoring.Rules) -> list[list]:
    rows: list[list] = []
    for item in rules.items():
        kind_label = KIND_LABELS[item.kind]
        if item.kind == scoring.VETO:
            rows.append([item.code, item.text, "", "", "", kind_label, "否", "存在该情形填“是”"])
        elif item.parts:
            rows.append(
                [
                    item.code,
                    item.text,
                    cell_number(item.points),
                    "",
                    "▲" if item.key else "",
                    kind_label,
                    "",
                    "按下列分项打分",
                ]
            )
            for part in item.parts:
                rows.append(
                    [
                        part.code,
                        f"　　{part.text}",
                        cell_number(part.points),
                        cell_number(part.step),
                        "",
                        "分项",
                        "",
                        "",
                    ]
                )
        elif rules.method == scoring.CHECKLIST:
            levels = " / ".join(label for label, _ in rules.levels)
            rows.append(
                [
                    item.code,
                    item.text,
                    cell_number(item.points),
                    "",
                    "",
                    kind_label,
                    "",
                    f"填写：{levels}",
                ]
            )
        else:
            top = 100 if item.kind == scoring.INPUT else cell_number(item.points)
            rows.append(
                [
                    item.code,
                    item.text,
                    top,
                    cell_number(item.step),
                    "▲" if item.key else "",
                    kind_label,
                    "",
                    "",
                ]
            )
    return rows


def blank_score_sheet(version: RubricVersion, rules: scoring.Rules) -> bytes:
    info = [
        ["考评标准", version.rubric.name],
        ["标准编码", version.rubric.code],
        ["版本", str(version.number)],
        [
            "填写方法",
            "在“得分 / 评定”列填写：计分指标填分数（不超过分值、符合步长）；"
            "逐项评定填 达标 / 基本达标 / 未达标；反向指标存在该情形填“是”。",
        ],
    ]
    return write_xlsx(
        [
            ("评分表", SCORE_HEADERS, score_sheet_rows(version, rules)),
            (INFO_SHEET, ["项目", "内容"], info),
        ],
        widths={"指标内容": 70, "说明": 24, "得分 / 评定": 12},
    )


def read_score_sheet(
    content: bytes, *, version: RubricVersion, rules: scoring.Rules
) -> scoring.Entry:
    """A filled offline sheet as an Entry. Raises SheetError (wrong rubric, bad layout)."""
    info = read_pairs(content, INFO_SHEET)
    if info is not None and (
        info.get("标准编码") != version.rubric.code or info.get("版本") != str(version.number)
    ):
        raise SheetError(
            f"该评分表属于“{info.get('标准编码', '')[:50]}”第 {info.get('版本', '')[:10]} 版，"
            f"与“{version.rubric.code}”第 {version.number} 版不符。"
        )
    sheet = read_xlsx(content, required=["编码", "得分 / 评定"])
    col = {h: i for i, h in enumerate(sheet.headers)}
    vetoes = {i.code for i in rules.items() if i.kind == scoring.VETO}
    with_parts = {i.code for i in rules.items() if i.parts}
    scores: dict[str, object] = {}
    found_vetoes: set[str] = set()
    for _number, values in sheet.rows:
        code = values[col["编码"]]
        code = "" if code is None else str(code).strip()
        value = values[col["得分 / 评定"]]
        if not code or code in with_parts:
            continue
        if code in vetoes:
            if str(value or "").strip() in ("是", "√", "存在"):
                found_vetoes.add(code)
            continue
        if value is None or str(value).strip() == "":
            continue  # reported as missing by the engine, by code
        scores[code] = str(value).strip() if isinstance(value, str) else value
    return scoring.Entry(scores=scores, vetoes=frozenset(found_vetoes))


# -- the template for writing a whole rubric in Excel -------------------------------------

TEMPLATE_ROWS = [
    [
        "一",
        "组织建设",
        "10",
        "",
        "1.1",
        "按期换届，班子配备齐全",
        "4",
        "0.5",
        "▲",
        "",
        "",
        "",
        "查阅换届选举材料",
        "",
        "",
    ],
    [
        "一",
        "组织建设",
        "10",
        "",
        "1.2",
        "“三会一课”按期召开",
        "6",
        "0.5",
        "",
        "",
        "",
        "",
        "",
        "1.2.a｜支委会每月1次｜3｜0.5\n1.2.b｜党课每季度1次｜3｜0.5",
        "",
    ],
    [
        "二",
        "反向指标",
        "",
        "",
        "V1",
        "书记不称职、工作停滞",
        "0",
        "0.5",
        "",
        "是",
        "反向（否决）指标",
        "",
        "",
        "",
        "",
    ],
]
# The example's full marks are 10: its bands are set on that scale.
TEMPLATE_BANDS = [["合格", "8", "是"], ["基本合格", "6", "是"], ["不合格", "", "否"]]
TEMPLATE_NOTES = [
    ["指标", "第一个工作表一行一个指标；同一部分的各行填写相同的部分编码和名称。"],
    ["分项", "一行一个：编码｜内容｜分值｜步长（步长可省略）。"],
    ["▲", "重点项填“▲”；▲项未达到满分时，等次不能为最高档（计分制）。"],
    ["否决", "反向（否决）指标在“否决”列填“是”、类型填“反向（否决）指标”、分值填 0。"],
    ["类型", "、".join(KIND_LABELS.values()) + "；留空为计分指标。逐项评定的标准填“逐项评定”。"],
    ["等次", "“等次”工作表从高到低一行一档：下限（含）依次降低，最低一档下限留空。"],
    [
        "标准设置",
        "计分方式：计分制、逐项评定或加权综合；逐项评定的档次如 达标=1；基本达标=0.5；未达标=0。",
    ],
]


def import_template() -> bytes:
    """A workbook with every worksheet of a whole rubric and an example in each."""
    return write_xlsx(
        [
            ("指标", VERSION_HEADERS, TEMPLATE_ROWS),
            (BANDS_SHEET, BAND_HEADERS, TEMPLATE_BANDS),
            (
                SETTINGS_SHEET,
                ["项目", "内容"],
                [[METHOD_KEY, "计分制"], [LEVELS_KEY, ""], [KEY_CAP_KEY, "是"]],
            ),
            ("填写说明", ["项目", "说明"], TEMPLATE_NOTES),
        ],
        widths={"部分名称": 24, "指标内容": 40, "分项": 40, "说明": 80},
    )
