"""Offline score sheets: download a sheet as .xlsx, fill it, upload it.

The upload goes through the shared upload → dry-run preview → confirm flow (the kind
``offline_sheet`` of the import registry): the preview lists each line the file would
change (the page's value → the file's), nothing is stored before the person confirms. The
file is validated exactly like the form (the same engine checks every value), stored
all-or-nothing, and carries the revision it was downloaded at: if the sheet changed since,
the upload is refused as a conflict rather than overwriting newer work.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.urls import reverse

from branches.access import Perm
from branches.models import User
from branches.toolkit import audit, import_registry
from branches.toolkit.spreadsheets import SpreadsheetError, read_pairs, read_xlsx, write_xlsx
from rubrics import scoring
from rubrics.sheets import cell_number, score_sheet_rows

from . import selectors
from .access import can_score
from .models import ScoreSheet
from .services.errors import AssessmentError, Conflict
from .services.sheets import SaveResult, differences, save_entries

KIND = "offline_sheet"
LABEL = "离线评分表"

HEADERS = [
    "编码",
    "指标内容",
    "分值",
    "评分步长",
    "▲",
    "类型",
    "得分 / 评定",
    "扣分说明 / 事实依据",
]
INFO = "考评表信息"


def filled_rows(sheet: ScoreSheet) -> list[list]:
    """The sheet's lines as the offline file and the printed sheet show them: the rubric's
    columns, then each line's score or level and its note as stored now."""
    rules = selectors.sheet_rules(sheet)
    values = {e.code: e for e in sheet.entries.all()}
    vetoes = {v.code: v.facts for v in sheet.vetoes.all()}
    rows = []
    for row in score_sheet_rows(sheet.rubric_version, rules):
        code = row[0]
        value: str | int | Decimal = ""
        note = ""
        if code in vetoes:
            value, note = "是", vetoes[code]
        elif row[5] == "反向（否决）指标":
            value = "否"
        elif code in values:
            entry = values[code]
            if entry.value is not None:
                value = scoring.stored_level(rules, code, entry.value) or cell_number(entry.value)
            note = entry.note
        rows.append([*row[:6], value, note])
    return rows


def download(sheet: ScoreSheet) -> tuple[str, bytes]:
    rows = filled_rows(sheet)
    info = [
        ["考评表编号", str(sheet.pk)],
        ["修订号", str(sheet.revision)],
        ["被考评组织", sheet.organization.name],
        ["阶段", sheet.stage.name],
        ["标准编码", sheet.rubric_version.rubric.code],
        ["版本", str(sheet.rubric_version.number)],
        [
            "填写说明",
            "只修改“得分 / 评定”和“扣分说明 / 事实依据”两列；反向指标存在填“是”并写明事实依据。"
            "上传时全部校验通过才保存；若网页上已有他人修改，上传会被拒绝。",
        ],
    ]
    content = write_xlsx(
        [("评分表", HEADERS, rows), (INFO, ["项目", "内容"], info)],
        widths={"指标内容": 70, "扣分说明 / 事实依据": 40, "得分 / 评定": 12},
    )
    return f"{sheet.organization.name}-{sheet.stage.name}-评分表.xlsx", content


def _revision_of(sheet: ScoreSheet, content: bytes) -> int:
    """The revision the file was downloaded at, once the file proves to be this sheet's."""
    info = read_pairs(content, INFO)
    if info is None:
        raise AssessmentError("文件中没有“考评表信息”工作表，请使用从本表下载的评分表。")
    if info.get("考评表编号") != str(sheet.pk):
        raise AssessmentError("该文件不是本考评表的评分表（考评表编号不符）。")
    try:
        return int(info.get("修订号", ""))
    except ValueError:
        raise AssessmentError("评分表中的修订号已损坏，请重新下载。") from None


def _cell_text(raw) -> str:
    """A score cell as typed text (a number Excel stored as a float reads as entered)."""
    if raw is None:
        return ""
    if isinstance(raw, int | float) and (number := scoring.to_decimal(raw)) is not None:
        return scoring.fmt(number)
    return str(raw).strip()


@dataclass
class _Posted:
    """What the file says, in the form's terms, with each code's row number."""

    values: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)
    vetoes: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    lines: dict = field(default_factory=dict)


def _read_rows(content: bytes, rules: scoring.Rules, scorable: set[str]) -> _Posted:
    data = read_xlsx(content, required=HEADERS[:1] + HEADERS[6:])
    col = {h: i for i, h in enumerate(data.headers)}
    veto_codes = {i.code for i in rules.items() if i.kind == scoring.VETO}
    posted = _Posted()
    for number, row in data.rows:
        code = str(row[col["编码"]] or "").strip()
        posted.lines[code] = number
        raw = _cell_text(row[col["得分 / 评定"]])
        note = str(row[col["扣分说明 / 事实依据"]] or "").strip()
        if code in veto_codes:
            if raw in ("是", "√", "存在"):
                if not note:
                    posted.errors.append(f"第 {number} 行 {code}：认定否决项须写明事实依据")
                posted.vetoes[code] = note
            continue
        if code in scorable:
            posted.values[code], posted.notes[code] = raw, note
    return posted


def _save(sheet: ScoreSheet, by, revision: int, posted: _Posted) -> SaveResult:
    def save(at: int) -> SaveResult:
        with audit.acting(by, "upload"):  # the audit row says the values came from a file
            return save_entries(
                sheet,
                by=by,
                revision=at,
                values=posted.values,
                notes=posted.notes,
                vetoes=posted.vetoes,
            )

    try:
        return save(revision)
    except Conflict:
        differing = differences(
            sheet, values=posted.values, notes=posted.notes, vetoes=posted.vetoes
        )
        if differing:
            raise Conflict(_conflict_message(differing, posted.lines)) from None
    # Downloaded before a later change, but the file says exactly what the sheet holds now.
    sheet.refresh_from_db(fields=["revision"])
    return save(sheet.revision)


def _posted(sheet: ScoreSheet, content: bytes) -> tuple[int, _Posted]:
    """The revision the file was downloaded at and what it says, its problems listed (a
    code missing from the file is cleared, as in the form)."""
    revision = _revision_of(sheet, content)
    rules = selectors.sheet_rules(sheet)
    scorable = {i.code for i in rules.items() if i.kind != scoring.VETO and not i.parts} | {
        p.code for i in rules.items() for p in i.parts
    }
    posted = _read_rows(content, rules, scorable)
    entry = scoring.Entry({c: v for c, v in posted.values.items() if v}, frozenset())
    try:
        scoring.validate(rules, entry, complete=False)
    except scoring.ScoringError as exc:
        posted.errors += exc.messages
    for code in scorable - set(posted.values):
        posted.values[code] = ""
    return revision, posted


def upload(sheet: ScoreSheet, *, by, content: bytes) -> SaveResult:
    """Store every value of the file or none. Raises AssessmentError / Conflict."""
    revision, posted = _posted(sheet, content)
    if posted.errors:
        raise AssessmentError("上传失败，未保存任何数据：" + "；".join(posted.errors))
    return _save(sheet, by, revision, posted)


# -- the import registry's kind: preview, then store ------------------------------------------


def run(job, *, by: User, dry_run: bool) -> dict:
    """The file's lines beside the sheet: each line it changes (网页 → 文件), or why it is
    refused; stored only when confirmed and without a single problem."""
    sheet = ScoreSheet.objects.select_related("organization", "stage").get(pk=job.target_id)
    if not can_score(by, sheet):
        refused = [import_registry.row(None, "error", str(sheet), ["只有本表的打分人可以修改。"])]
        return import_registry.summarize(refused, 0)
    try:
        revision, posted = _posted(sheet, bytes(job.content))
    except (AssessmentError, SpreadsheetError) as exc:
        return import_registry.summarize([import_registry.row(None, "error", "", [str(exc)])], 0)
    if posted.errors:
        rows = [import_registry.row(None, "error", "", [e]) for e in posted.errors]
        return import_registry.summarize(rows, len(posted.lines))
    changed = {
        d.code: d
        for d in differences(sheet, values=posted.values, notes=posted.notes, vetoes=posted.vetoes)
    }
    if changed and revision != sheet.revision:
        # Downloaded before a later change and saying otherwise: what the confirm would
        # refuse as a conflict is refused now, with the same words.
        stale = _conflict_message(list(changed.values()), posted.lines)
        return import_registry.summarize([import_registry.row(None, "error", "", [stale])], 0)
    rows = []
    for code, number in sorted(posted.lines.items(), key=lambda pair: pair[1]):
        if not code:
            continue
        if d := changed.get(code):
            what = f"{code}：{d.stored or '空'} → {d.mine or '空'}"
            if d.note_differs:
                what += f"（说明：{d.mine_note or '空'}）"
            rows.append(import_registry.row(number, "update", what, []))
        else:
            rows.append(import_registry.row(number, "skip", code, []))
    report = import_registry.summarize(rows, len(posted.lines))
    if report["ok"] and not dry_run:
        try:
            _save(sheet, by, revision, posted)
        except AssessmentError as exc:  # a conflict: the sheet changed since
            conflict = [import_registry.row(None, "error", "", [str(exc)])]
            return import_registry.summarize(conflict, len(posted.lines))
    return report


def done(job) -> str:
    return reverse("sheet_detail", args=[job.target_id])


def register() -> None:
    import_registry.register(
        KIND, LABEL, run, required=tuple(HEADERS[:1] + HEADERS[6:]), perm=Perm.VIEW_ORG, done=done
    )


def _conflict_message(differences: list, lines: dict[str, int]) -> str:
    shown = []
    for d in differences:
        where = f"第 {lines[d.code]} 行 {d.code}" if d.code in lines else d.code
        parts = []
        if d.value_differs:
            parts.append(f"文件中为“{d.mine or '空'}”，网页上现为“{d.stored or '空'}”")
        if d.note_differs:
            parts.append(
                f"说明文件中为“{d.mine_note or '空'}”，网页上现为“{d.stored_note or '空'}”"
            )
        shown.append(f"{where}：{'；'.join(parts)}")
    return (
        "上传未保存：下载此评分表之后，网页上的内容已有修改。"
        f"文件中与网页现存内容不同的共 {len(differences)} 行——"
        + "；".join(shown)
        + "。请重新下载最新的评分表，在其中核对并填入上述各行后再上传。"
    )
