"""Score sheets: autosave with conflict detection, transitions, digests, evidence."""

import hashlib
import hmac
import json
from collections.abc import Collection, Iterator
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from itertools import groupby
from operator import itemgetter

from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from branches.models import Organization, User
from branches.toolkit import audit, seals
from rubrics import scoring

from ..access import can_manage_sheet, can_return, can_score
from ..gates import submission_blocker
from ..models import (
    EDITABLE,
    BranchResult,
    Evidence,
    NoticeKind,
    ScoreDeparture,
    ScoreSheet,
    SheetEntry,
    SheetEvent,
    SheetStatus,
    Stage,
    StageKind,
    VetoFinding,
)
from ..notices.tasks import announce
from ..selectors import entry_for, forget_held, held_at, read_held, sheet_rules
from . import entry_audit
from .errors import AssessmentError, Conflict, acting
from .facts import store_facts
from .uploads import store_upload

# -- score sheets --------------------------------------------------------------------------


@dataclass
class SaveResult:
    revision: int
    errors: dict[str, str]
    result: scoring.Result


def _check_assessor(sheet: ScoreSheet, by: User) -> None:
    if not can_score(by, sheet):
        raise AssessmentError("只有本表的打分人可以修改。")


def _clean_values(
    rules: scoring.Rules, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Decimal | None]:
    """Each typed value as points (None: emptied); an invalid one goes to ``errors``."""
    clean: dict[str, Decimal | None] = {}
    for code, raw in values.items():
        raw = (raw or "").strip()
        if not raw:
            clean[code] = None
            continue
        try:
            scoring.validate(rules, scoring.Entry({code: raw}), complete=False)
        except scoring.ScoringError as exc:
            errors[code] = exc.messages[0]
            continue
        clean[code] = scoring.to_points(rules, code, raw)
    return clean


def _clean_vetoes(
    vetoes: dict[str, str], veto_codes: set[str], errors: dict[str, str]
) -> dict[str, str]:
    """Posted veto findings with their facts; a non-veto code or missing facts is an error."""
    vetoes = {code: (facts or "").strip() for code, facts in vetoes.items()}
    for code, facts in vetoes.items():
        if code not in veto_codes:
            errors[code] = f"{code}：不是反向（否决）指标"
        elif not facts:
            errors[code] = f"{code}：认定否决项须写明事实依据"
    return vetoes


def _claim_revision(sheet: ScoreSheet, revision: int, note: str | None) -> None:
    """Move the sheet to the next revision only if it is still at ``revision`` and editable
    (a conditional update: a newer save elsewhere is a Conflict, never overwritten)."""
    now = timezone.now()
    updated = ScoreSheet.objects.filter(pk=sheet.pk, revision=revision, status__in=EDITABLE).update(
        revision=F("revision") + 1,
        updated_at=now,
        **({"note": note} if note is not None else {}),
    )
    if not updated:
        current = ScoreSheet.objects.filter(pk=sheet.pk).values_list("status", flat=True).first()
        if current not in EDITABLE:
            raise AssessmentError("该考评表已提交或已签发，不能再修改。")
        raise Conflict("该考评表已在别处（另一窗口或他人）修改，您本次的输入尚未保存。")
    # The object now says what the row says (no read back).
    sheet.revision, sheet.updated_at = revision + 1, now
    if note is not None:
        sheet.note = note


def _write_entries(
    sheet: ScoreSheet,
    held: dict[str, tuple[Decimal | None, str]],
    stored: dict[str, tuple[Decimal | None, str] | None],
) -> None:
    """Write only what differs from what the sheet held: one bulk upsert, one delete."""
    changed = {code: entry for code, entry in stored.items() if held.get(code) != entry}
    upserts = [
        SheetEntry(sheet_id=sheet.pk, code=code, value=entry[0], note=entry[1])
        for code, entry in changed.items()
        if entry is not None
    ]
    if upserts:
        SheetEntry.objects.bulk_create(
            upserts,
            update_conflicts=True,
            unique_fields=["sheet", "code"],
            update_fields=["value", "note"],
        )
    removed = [code for code, entry in changed.items() if entry is None]
    if removed:
        # No signals or cascades on entries: one DELETE (audited in bulk by the caller).
        SheetEntry.objects.filter(sheet_id=sheet.pk, code__in=removed).delete()


def _write_findings(sheet: ScoreSheet, held: dict[str, str], findings: dict[str, str]) -> None:
    """The veto findings now held (code → facts): upsert the new or changed, drop the rest."""
    changed = [
        VetoFinding(sheet_id=sheet.pk, code=code, facts=facts)
        for code, facts in findings.items()
        if held.get(code) != facts
    ]
    if changed:
        VetoFinding.objects.bulk_create(
            changed, update_conflicts=True, unique_fields=["sheet", "code"], update_fields=["facts"]
        )
    withdrawn = [code for code in held if code not in findings]
    if withdrawn:
        VetoFinding.objects.filter(sheet_id=sheet.pk, code__in=withdrawn).delete()


@transaction.atomic
def save_entries(
    sheet: ScoreSheet,
    *,
    by: User,
    revision: int,
    values: dict[str, str],
    notes: dict[str, str] | None = None,
    vetoes: dict[str, str] | None = None,
    veto_codes: Collection[str] | None = None,
    note: str | None = None,
) -> SaveResult:
    """Autosave: store every valid value, report the invalid ones by code, never
    overwrite a newer revision (Conflict). Only the lines given are written: ``values``
    and ``notes`` by code; ``vetoes`` (code → facts) are the findings, the whole set
    when ``veto_codes`` is None (unlisted ones are withdrawn), else the findings among
    ``veto_codes`` only (a listed code without facts is withdrawn; others are kept).

    Statements: one conditional update of the revision, one bulk upsert (and a delete
    for emptied lines), one audit row. What the sheet held comes with the sheet when the
    caller read it at this revision (``selectors.sheet_for_saving``), else is read once;
    the running total is worked out from it and the cached rules, never read back."""
    # One function on purpose: the statements above happen in this order inside one
    # request, and what each step computes feeds the next (the audit row and the total).
    _check_assessor(sheet, by)
    rules = sheet_rules(sheet)
    all_veto_codes = {i.code for i in rules.items() if i.kind == scoring.VETO}
    errors: dict[str, str] = {}
    clean = _clean_values(rules, values, errors)
    vetoes_given = vetoes is not None
    vetoes = _clean_vetoes(vetoes or {}, all_veto_codes, errors)
    held = held_at(sheet, revision)
    _claim_revision(sheet, revision, note)
    if held is None:
        held = read_held(sheet)
    notes = notes or {}
    # What each code will hold: (value, note), or None when the entry is removed.
    stored = {
        code: None if value is None and not notes.get(code) else (value, notes.get(code, "")[:500])
        for code, value in clean.items()
    }
    findings = dict(held.vetoes)
    if vetoes_given:
        posted = {
            code: facts[:2000] for code, facts in vetoes.items() if code in all_veto_codes and facts
        }
        if veto_codes is None:
            findings = posted
        else:
            for code in set(veto_codes) & all_veto_codes:
                findings.pop(code, None)
                if code in posted:
                    findings[code] = posted[code]
    with acting(by):
        _write_entries(sheet, held.entries, stored)
        if vetoes_given:
            _write_findings(sheet, held.vetoes, findings)
        entry_audit.record(
            sheet,
            {"entries": held.entries, "vetoes": held.vetoes, "note": held.note},
            entries=stored,
            vetoes=findings if vetoes_given else None,
            note=note,
        )
    forget_held(sheet)
    now_held = dict(held.entries)
    for code, entry in stored.items():
        if entry is None:
            now_held.pop(code, None)
        else:
            now_held[code] = entry
    scores = {code: value for code, (value, _) in now_held.items() if value is not None}
    result = scoring.score(
        rules, scoring.Entry(scores=scores, vetoes=frozenset(findings)), complete=False
    )
    return SaveResult(sheet.revision, errors, result)


def matches_stored(sheet: ScoreSheet, values: dict[str, str], vetoes: dict[str, str]) -> bool:
    """True if the posted values are exactly what is stored (saving them changes nothing),
    e.g. when the form is submitted while its own autosave is in flight."""
    rules = sheet_rules(sheet)
    stored = {e.code: e.value for e in sheet.entries.all()}
    for code, raw in values.items():
        raw = (raw or "").strip()
        value = scoring.to_points(rules, code, raw) if raw else None
        if stored.get(code) != value:
            return False
    stored_vetoes = {v.code: v.facts for v in sheet.vetoes.all()}
    return stored_vetoes == {c: (f or "").strip() for c, f in vetoes.items()}


@dataclass(frozen=True)
class Difference:
    """One line where what a person typed differs from what the sheet holds now."""

    code: str
    mine: str
    stored: str
    mine_note: str = ""
    stored_note: str = ""

    @property
    def value_differs(self) -> bool:
        return self.mine != self.stored

    @property
    def note_differs(self) -> bool:
        return self.mine_note != self.stored_note


def differences(
    sheet: ScoreSheet,
    *,
    values: dict[str, str],
    notes: dict[str, str] | None = None,
    vetoes: dict[str, str] | None = None,
) -> list[Difference]:
    """The lines whose posted value or note differs from what is stored now (read fresh),
    in rubric order: what a save conflict would otherwise overwrite or lose."""
    rules = sheet_rules(sheet)
    entries = {e.code: e for e in SheetEntry.objects.filter(sheet_id=sheet.pk)}
    stored_vetoes = dict(VetoFinding.objects.filter(sheet_id=sheet.pk).values_list("code", "facts"))
    notes = notes or {}
    out = []
    for item in rules.items():
        if item.kind == scoring.VETO:
            if vetoes is None:
                continue
            mine_facts = vetoes.get(item.code)
            stored_facts = stored_vetoes.get(item.code)
            line = Difference(
                item.code,
                "是" if mine_facts is not None else "否",
                "是" if stored_facts is not None else "否",
                (mine_facts or "").strip(),
                stored_facts or "",
            )
            if line.value_differs or line.note_differs:
                out.append(line)
            continue
        for code in [p.code for p in item.parts] or [item.code]:
            if code not in values:
                continue
            raw = (values[code] or "").strip()
            entry = entries.get(code)
            stored = entry.value if entry else None
            mine = scoring.to_points(rules, code, raw) if raw else None
            stored_note = entry.note if entry else ""
            mine_note = (notes.get(code) or "").strip() if code in notes else stored_note
            value_differs = mine != stored or (raw != "" and mine is None)  # unreadable input
            if value_differs or mine_note != stored_note:
                shown = scoring.shown_value(rules, code, mine) if mine is not None else raw
                out.append(
                    Difference(
                        code,
                        shown,
                        scoring.shown_value(rules, code, stored),
                        mine_note,
                        stored_note,
                    )
                )
    return out


def _event(
    sheet: ScoreSheet, by: User, old: str, new: str, reason: str = "", digest: str = ""
) -> None:
    SheetEvent.objects.create(
        sheet=sheet, actor=by, from_status=old, to_status=new, reason=reason, digest=digest
    )


def _transition(sheet: ScoreSheet, *, old: tuple[str, ...], new: str, **fields) -> str:
    """Conditional update: only one of two racing requests changes the status."""
    current = (
        ScoreSheet.objects.select_for_update()
        .filter(pk=sheet.pk)
        .values_list("status", flat=True)
        .first()
    )
    if current is None:
        raise AssessmentError("该考评表已不存在，请刷新后查看。")
    if current not in old:
        raise AssessmentError(
            f"当前状态为“{SheetStatus(current).label}”，不能执行此操作（可能已被他人处理）。"
        )
    updated = ScoreSheet.objects.filter(pk=sheet.pk, status=current).update(
        status=new, updated_at=timezone.now(), revision=F("revision") + 1, **fields
    )
    if not updated:
        raise AssessmentError("该考评表刚刚被他人处理，请刷新后查看。")
    return current


def _lock(sheet: ScoreSheet) -> ScoreSheet:
    """The sheet's row, locked for this transaction and read afresh (entries included), so
    what is computed next is what is stored: an autosave in flight either commits first
    or is refused after us, never half-seen."""
    return (
        ScoreSheet.objects.select_for_update(of=("self",))
        .select_related("stage", "campaign", "organization", "assessor")
        .get(pk=sheet.pk)
    )


@transaction.atomic
def submit_sheet(sheet: ScoreSheet, *, by: User) -> ScoreSheet:
    _check_assessor(sheet, by)
    locked = _lock(sheet)
    if locked.status not in EDITABLE:
        raise AssessmentError(
            f"当前状态为“{SheetStatus(locked.status).label}”，不能执行此操作（可能已被他人处理）。"
        )
    if blocker := submission_blocker(locked):
        raise AssessmentError("暂不能提交：" + blocker)
    rules = sheet_rules(locked)
    try:
        result = scoring.score(rules, entry_for(locked, rules))
    except scoring.ScoringError as exc:
        raise AssessmentError("不能提交：" + "；".join(exc.messages)) from None
    require_departure_reasons(locked, rules)  # items scored from meeting records
    now = timezone.now()
    fields = {
        "total": result.total,
        "max_total": result.max,
        "grade": result.grade or "",
        "passed": result.passed,
        "reasons": list(result.reasons),
        "unmet_key_items": list(result.unmet_key_items),
        "submitted_at": now,
        "late": timezone.localdate(now) > locked.stage.deadline,
        "inflated_self": _inflated(locked, result.total),
    }
    old = _transition(locked, old=EDITABLE, new=SheetStatus.SUBMITTED, **fields)
    _event(locked, by, old, SheetStatus.SUBMITTED)
    store_facts(locked, rules, result)
    locked.refresh_from_db()
    return locked


def _inflated(sheet: ScoreSheet, total: Decimal) -> bool:
    """自评虚高: the branch's own score exceeds this review's by more than the threshold."""
    if sheet.stage.kind == StageKind.SELF:
        return False
    own = (
        ScoreSheet.objects.filter(
            campaign=sheet.campaign,
            organization=sheet.organization,
            rubric_version_id=sheet.rubric_version_id,  # never a 7-measures checklist's
            stage__kind=StageKind.SELF,
            total__isnull=False,
            status__in=[SheetStatus.SUBMITTED, SheetStatus.SIGNED],
        )
        .values_list("total", flat=True)
        .first()
    )
    return own is not None and own - total > sheet.campaign.discrepancy_threshold


@transaction.atomic
def return_sheet(sheet: ScoreSheet, *, by: User, reason: str) -> ScoreSheet:
    reason = reason.strip()
    if not reason:
        raise AssessmentError("退回必须写明原因。")
    if not can_return(sheet, by):
        raise AssessmentError("您不能退回该考评表。")
    old = _transition(sheet, old=(SheetStatus.SUBMITTED,), new=SheetStatus.RETURNED)
    _event(sheet, by, old, SheetStatus.RETURNED, reason=reason[:2000])
    sheet.refresh_from_db()
    announce(NoticeKind.RETURNED)  # the assessor is told, inside the product and by email
    return sheet


def _content_hash(
    *,
    pk: int,
    organization_code: str,
    stage_id: int,
    rubric_version_id: int,
    assessor_username: str,
    entries: list,
    vetoes: list,
    total,
    grade: str,
    note: str,
) -> str:
    payload = {
        "sheet": pk,
        "organization": organization_code,
        "stage": stage_id,
        "rubric_version": rubric_version_id,
        "assessor": assessor_username,
        "entries": sorted(entries),
        "vetoes": sorted(vetoes),
        "total": str(total),
        "grade": grade,
        "note": note,
    }
    return hashlib.sha256(
        json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()


def sheet_digest(sheet: ScoreSheet) -> str:
    """The sign-off seal: HMAC-SHA256 (``seals.seal``, keyed outside the database) of the
    SHA-256 of what is signed: the organization, stage, version, every score and note, the
    veto findings, the total and the grade."""
    return seals.seal(sheet_content_hash(sheet))


def sheet_content_hash(sheet: ScoreSheet) -> str:
    """The SHA-256 of the sheet's canonical content, unkeyed (what the seal covers)."""
    return _content_hash(
        pk=sheet.pk,
        organization_code=sheet.organization.code,
        stage_id=sheet.stage_id,
        rubric_version_id=sheet.rubric_version_id,
        assessor_username=sheet.assessor.username,
        entries=[[e.code, str(e.value), e.note] for e in sheet.entries.all()],
        vetoes=[[v.code, v.facts] for v in sheet.vetoes.all()],
        total=sheet.total,
        grade=sheet.grade,
        note=sheet.note,
    )


def _vetoes_by_sheet(ids) -> dict[int, list]:
    vetoes: dict[int, list] = {}
    for sheet_id, code, facts in VetoFinding.objects.filter(sheet__in=ids).values_list(
        "sheet_id", "code", "facts"
    ):
        vetoes.setdefault(sheet_id, []).append([code, facts])
    return vetoes


def _entries_by_sheet(ids) -> Iterator[tuple[int, list[list]]]:
    """(sheet pk, [[code, value, note], ...]) in pk order, streamed in chunks: one plain
    cursor, each stored value turned into its text once (the digest reads millions)."""
    query = (
        SheetEntry.objects.filter(sheet__in=ids)
        .order_by("sheet_id")
        .values_list("sheet_id", "code", "value", "note")
    )
    sql, params = query.query.sql_with_params()
    field = SheetEntry._meta.get_field("value")
    col = field.get_col(SheetEntry._meta.db_table)
    converters = [*connection.ops.get_db_converters(col), *field.get_db_converters(connection)]
    texts: dict = {}

    def text(value) -> str:
        if (found := texts.get(value)) is None:
            converted = value
            for convert in converters:
                converted = convert(converted, col, connection)
            found = texts[value] = str(converted)
        return found

    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)

        def rows():
            while chunk := cursor.fetchmany(5000):
                yield from chunk

        for sheet_id, group in groupby(rows(), key=itemgetter(0)):
            yield sheet_id, [[code, text(value), note] for _, code, value, note in group]


def stored_digests(sheets: QuerySet[ScoreSheet]):
    """(sheet pk, label, recorded seal, seal of what is stored now) for many sheets."""
    for pk, label, recorded, content_hash in stored_content_hashes(sheets):
        yield pk, label, recorded, seals.seal(content_hash)


def stored_content_hashes(sheets: QuerySet[ScoreSheet]):
    """(sheet pk, label, recorded seal, SHA-256 of what is stored now) for many sheets,
    streamed: two ordered queries merged, no model per entry (a campaign can hold millions
    of entries)."""
    heads = sheets.order_by("pk").values_list(
        "pk",
        "organization__code",
        "organization__name",
        "stage__name",
        "stage_id",
        "rubric_version_id",
        "assessor__username",
        "total",
        "grade",
        "note",
        "digest",
    )
    ids = sheets.values("pk")
    vetoes = _vetoes_by_sheet(ids)
    entries = _entries_by_sheet(ids)
    pending = next(entries, None)
    for row in heads.iterator(chunk_size=2000):
        pk, code, org_name, stage_name, stage_id, version_id, username = row[:7]
        total, grade, note, digest = row[7:]
        while pending is not None and pending[0] < pk:
            pending = next(entries, None)
        mine = pending[1] if pending is not None and pending[0] == pk else []
        yield (
            pk,
            f"{org_name} · {stage_name}",
            digest,
            _content_hash(
                pk=pk,
                organization_code=code,
                stage_id=stage_id,
                rubric_version_id=version_id,
                assessor_username=username,
                entries=mine,
                vetoes=vetoes.get(pk, []),
                total=total,
                grade=grade,
                note=note,
            ),
        )


def tampered(sheet: ScoreSheet) -> bool:
    """True if a signed sheet no longer matches the seal recorded when it was signed: its
    content changed, or the seal was recomputed without the key (or the key changed)."""
    return sheet.status == SheetStatus.SIGNED and not seals.intact(
        sheet.digest, sheet_content_hash(sheet)
    )


def tamper_warning(sheet: ScoreSheet) -> str:
    return _tamper_warning(str(sheet), sheet.pk)


def _tamper_warning(label: str, pk: int) -> str:
    return (
        f"警告：考评表“{label}”（编号 {pk}）的内容与签发时记录的摘要不一致，"
        "可能在签发后被改动。请勿采信，并联系党群部核查。"
    )


def seal_warnings(sheet_ids: Collection[int]) -> list[str]:
    """The warning of each signed sheet among ``sheet_ids`` that fails its seal (a page of
    results names the sheets its rows were drawn from; PostgreSQL hashes them in SQL)."""
    ids = {pk for pk in sheet_ids if pk is not None}
    if not ids:
        return []
    signed = ScoreSheet.objects.filter(pk__in=ids, status=SheetStatus.SIGNED)
    return [
        _tamper_warning(label, pk)
        for pk, label, recorded, actual in server_digests(signed)
        if not hmac.compare_digest(recorded or "", actual)
    ]


def _json(expr: str) -> str:
    """SQL for ``json.dumps(expr, ensure_ascii=False)`` of a text expression: PostgreSQL's
    ``to_json`` and SQLite's ``json_quote`` escape exactly the characters Python's encoder
    does (quote, backslash and the controls, ``\\n``-style where JSON has a short form, else
    ``\\u00xx``)."""
    if connection.vendor == "postgresql":
        return f"to_json({expr})::text"
    return f"json_quote({expr})"


def _number(expr: str, places: int) -> str:
    """SQL for the text ``str()`` gives of a stored decimal as Django reads it (``None``
    for NULL): PostgreSQL's numeric keeps its scale; SQLite stores an integer or a float,
    which Django quantizes to the field's places. (A number's text holds no character JSON
    escapes: it is quoted as it is. SQLite text in a numeric column, which Django cannot
    read, is marked so that it never matches.)"""
    if connection.vendor == "postgresql":
        return f"coalesce({expr}::text, 'None')"
    zeros = "." + "0" * places if places else ""
    return (
        f"CASE typeof({expr}) WHEN 'integer' THEN {expr} || '{zeros}'"
        # "%%": the statement passes through the driver's parameter formatting.
        f" WHEN 'real' THEN printf('%%.{places}f', {expr}) WHEN 'null' THEN 'None'"
        f" ELSE 'text:' || {expr} END"
    )


def _ordered_list(item: str, table: str, alias: str, *, by_index: bool = False) -> str:
    """SQL for the ", "-joined ``item`` of each row of ``table`` belonging to the sheet
    ``s``, in code-point order of their codes (``sorted`` in ``_content_hash``; a sheet's
    codes are unique). SQLite before 3.44 has no ordered ``group_concat``: it concatenates
    the rows in the order it reads them — those of an ordered subquery, or ``by_index``
    those of the one index leading with the sheet, on (sheet, code), BINARY: code-point
    order (a subquery cost a fifth of the seal check at 610,000 entries). Neither order is
    promised: a list joined in another order only makes the hash differ, and
    ``server_digests`` then asks the Python reference."""
    if connection.vendor == "postgresql":
        return (
            f"SELECT string_agg({item}, ', ' ORDER BY {alias}.code COLLATE \"C\")"
            f" FROM {table} {alias} WHERE {alias}.sheet_id = s.id"
        )
    rows = f"{table} {alias} WHERE {alias}.sheet_id = s.id"
    if not by_index:
        rows = f"(SELECT * FROM {rows} ORDER BY {alias}.code) {alias}"
    return f"SELECT group_concat({item}, ', ') FROM {rows}"


def _digest_sql(ids_sql: str) -> str:
    """Each sheet's id, label parts, recorded seal and the canonical JSON ``_content_hash``
    builds (keys sorted, ", " and ": " separators, entries and vetoes sorted by code in
    code-point order), made by the database; PostgreSQL also hashes it (SHA-256, hex), so
    only the hash leaves the server."""
    sheet, entry, veto = (m._meta.db_table for m in (ScoreSheet, SheetEntry, VetoFinding))
    org, stage, user = (m._meta.db_table for m in (Organization, Stage, User))
    value = _number("e.value", SheetEntry._meta.get_field("value").decimal_places)
    total = _number("s.total", ScoreSheet._meta.get_field("total").decimal_places)
    # Most notes are empty: '""' without a call. (Millions of entries: each call counts.)
    note = f"CASE WHEN e.note = '' THEN '\"\"' ELSE {_json('e.note')} END"
    entries = _ordered_list(
        f"'[' || {_json('e.code')} || ', \"' || {value} || '\", ' || {note} || ']'",
        entry,
        "e",
        by_index=True,
    )
    vetoes = _ordered_list(
        f"'[' || {_json('v.code')} || ', ' || {_json('v.facts')} || ']'", veto, "v"
    )
    payload = (
        f"'{{\"assessor\": ' || {_json('u.username')} || "
        f"', \"entries\": [' || coalesce(({entries}), '') || "
        f"'], \"grade\": ' || {_json('s.grade')} || "
        f"', \"note\": ' || {_json('s.note')} || "
        f"', \"organization\": ' || {_json('o.code')} || "
        f"', \"rubric_version\": ' || s.rubric_version_id || "
        f"', \"sheet\": ' || s.id || "
        f"', \"stage\": ' || s.stage_id || "
        f'\', "total": "\' || {total} || '
        f"'\", \"vetoes\": [' || coalesce(({vetoes}), '') || ']}}'"
    )
    if connection.vendor == "postgresql":
        payload = f"encode(sha256(convert_to({payload}, 'UTF8')), 'hex')"
    return (
        f"SELECT s.id, o.name, st.name, s.digest, {payload} "
        f"FROM {sheet} s JOIN {org} o ON o.id = s.organization_id "
        f"JOIN {stage} st ON st.id = s.stage_id JOIN {user} u ON u.id = s.assessor_id "
        f"WHERE s.id IN ({ids_sql})"
    )


def server_digests(sheets: QuerySet[ScoreSheet]):
    """Like ``stored_digests``, the content computed by the database (no entry leaves it;
    the seal is made here, the key never goes to the database). On PostgreSQL the server
    hashes it; on SQLite it returns the canonical JSON, hashed here, and a sheet whose seal
    does not match is computed again by the Python reference, which alone decides that a
    sheet fails. ``_content_hash`` stays the reference: a test proves both give the same
    seal."""
    if connection.vendor != "sqlite":
        for pk, label, recorded, content_hash in server_content_hashes(sheets):
            yield pk, label, recorded, seals.seal(content_hash)
        return
    rows = [
        (pk, label, recorded, seals.seal(content_hash))
        for pk, label, recorded, content_hash in database_content_hashes(sheets)
    ]
    doubtful = [
        pk for pk, _, recorded, actual in rows if not hmac.compare_digest(recorded or "", actual)
    ]
    if not doubtful:
        yield from rows
        return
    # A few tampered sheets are the expected case; a replaced key fails every sheet.
    again = sheets if len(doubtful) > 500 else ScoreSheet.objects.filter(pk__in=doubtful)
    reference = {row[0]: row for row in stored_digests(again)}
    for row in rows:
        yield reference.get(row[0], row)


def server_content_hashes(sheets: QuerySet[ScoreSheet]):
    """(sheet pk, label, recorded seal, content SHA-256), the hash computed by PostgreSQL
    where it can; elsewhere ``stored_content_hashes``."""
    if connection.vendor != "postgresql":
        yield from stored_content_hashes(sheets)
        return
    yield from database_content_hashes(sheets)


def database_content_hashes(sheets: QuerySet[ScoreSheet]):
    """(sheet pk, label, recorded seal, content SHA-256) in pk order, the content made by
    ``_digest_sql`` (hashed here on SQLite, which has no SHA-256)."""
    ids_sql, params = sheets.order_by().values("pk").query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # JIT-compiling this one statement costs more than running it (1.4 s of 2.3 s
            # for 3,000 sheets): off for the statement, then back as it was.
            cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
            (jit, _) = cursor.fetchone()
        cursor.execute(_digest_sql(ids_sql) + " ORDER BY s.id", params)
        rows = cursor.fetchall()
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('jit', %s, true)", [jit])
    for pk, org_name, stage_name, recorded, computed in rows:
        if connection.vendor != "postgresql":
            computed = hashlib.sha256(computed.encode()).hexdigest()
        yield pk, f"{org_name} · {stage_name}", recorded, computed


def check_signed(sheets: QuerySet[ScoreSheet]) -> None:
    """Refuse (AssessmentError naming each sheet) if any signed sheet fails its seal."""
    bad = [
        f"“{label}”（编号 {pk}）"
        for pk, label, recorded, actual in server_digests(sheets)
        if not hmac.compare_digest(recorded or "", actual)
    ]
    if bad:
        shown = "、".join(bad[:20]) + (f" 等 {len(bad)} 份" if len(bad) > 20 else "")
        raise AssessmentError(
            f"以下已签发考评表的内容与签发摘要不一致，可能被改动，不能使用：{shown}。"
            "请联系党群部核查后重新打开、重新签发。"
        )


@dataclass(frozen=True)
class Resealed:
    resealed: int
    failing: list[str]  # labels of signed sheets that fail under the old key too


@transaction.atomic
def reseal_signed_sheets(*, old_key: str) -> Resealed:
    """After the seal key was replaced: every signed sheet whose seal is intact under
    ``old_key`` is sealed again with the current key (with its sign event and the results
    holding a copy); one that fails under the old key too keeps failing. Each resealed
    sheet is audited (old and new seal)."""
    signed = ScoreSheet.objects.filter(status=SheetStatus.SIGNED)
    new_seals, failing = {}, []
    for pk, label, recorded, content_hash in server_content_hashes(signed):
        if seals.intact(recorded, content_hash, key=old_key):
            new_seals[pk] = (recorded, seals.seal(content_hash))
        elif not seals.intact(recorded, content_hash):
            failing.append(f"“{label}”（编号 {pk}）")
    ids = sorted(pk for pk, (old, new) in new_seals.items() if old != new)
    for start in range(0, len(ids), 500):
        chunk = list(
            ScoreSheet.objects.select_related("organization", "stage")
            .select_for_update(of=("self",))
            .filter(pk__in=ids[start : start + 500])
        )
        saved = []
        for sheet in chunk:
            old, new = new_seals[sheet.pk]
            if sheet.digest != old:
                continue  # changed since it was read: left as it is
            before = copy(sheet)
            sheet.digest = new
            saved.append((sheet, before))
            SheetEvent.objects.filter(sheet=sheet, digest=old).update(digest=new)
            BranchResult.objects.filter(source_sheet=sheet, source_digest=old).update(
                source_digest=new
            )
        ScoreSheet.objects.bulk_update([sheet for sheet, _ in saved], ["digest"])
        audit.record_bulk(saved)
    return Resealed(len(ids), failing)


@transaction.atomic
def sign_sheet(sheet: ScoreSheet, *, by: User) -> ScoreSheet:
    """审核签发: the department signs a submitted sheet; it becomes read-only history."""
    if not can_manage_sheet(by, sheet):
        raise AssessmentError("只有党群部可以签发。")
    locked = _lock(sheet)
    result = None
    if locked.status == SheetStatus.SUBMITTED:
        rules = sheet_rules(locked)
        try:
            result = scoring.score(rules, entry_for(locked, rules))
        except scoring.ScoringError:
            result = None
        total = result.total if result is not None else None
        # The stored total has 3 decimal places; anything beyond rounding is a mismatch.
        if total is None or locked.total is None or abs(total - locked.total) > Decimal("0.0005"):
            raise AssessmentError(
                f"“{locked}”的合计分与各项得分不一致，不能签发，请退回打分人重新提交。"
            )
    digest = sheet_digest(locked)
    old = _transition(
        locked,
        old=(SheetStatus.SUBMITTED,),
        new=SheetStatus.SIGNED,
        signed_at=timezone.now(),
        signed_by=by,
        digest=digest,
    )
    _event(locked, by, old, SheetStatus.SIGNED, digest=digest)
    if result is not None:
        store_facts(locked, rules, result)  # what is signed is what the facts state
    locked.refresh_from_db()
    return locked


@transaction.atomic
def reopen_sheet(sheet: ScoreSheet, *, by: User, reason: str) -> ScoreSheet:
    reason = reason.strip()
    if not reason:
        raise AssessmentError("重新打开已签发的考评表必须写明原因。")
    if not can_manage_sheet(by, sheet):
        raise AssessmentError("只有党群部可以重新打开已签发的考评表。")
    old = _transition(
        sheet,
        old=(SheetStatus.SIGNED,),
        new=SheetStatus.RETURNED,
        signed_at=None,
        signed_by=None,
        digest="",
    )
    _event(sheet, by, old, SheetStatus.RETURNED, reason=reason[:2000])
    sheet.refresh_from_db()
    announce(NoticeKind.RETURNED)  # the assessor is told, inside the product and by email
    return sheet


# -- departing from a suggested score --------------------------------------------------------


@transaction.atomic
def record_departure(
    sheet: ScoreSheet, *, by: User, code: str, suggested: Decimal, reason: str
) -> ScoreDeparture:
    """The assessor's written reason for a score other than the records suggest."""
    _check_assessor(sheet, by)
    if sheet.status not in EDITABLE:
        raise AssessmentError("该考评表已提交或已签发，不能再修改理由。")
    if not reason.strip():
        raise AssessmentError("偏离建议得分必须写明理由。")
    with acting(by):
        departure, _ = ScoreDeparture.objects.update_or_create(
            sheet=sheet,
            code=code[:20],
            defaults={"suggested": suggested, "reason": reason.strip()[:2000], "by": by},
        )
    return departure


def require_departure_reasons(sheet: ScoreSheet, rules) -> None:
    """A sheet is not submitted while an item scored from records departs from the
    suggested score without a written reason."""
    from ..meetings.selectors import sheet_suggestions

    links = sheet.rubric_version.record_requirements
    missing = [s.code for s in sheet_suggestions(sheet, rules, links) if s.needs_reason]
    if missing:
        raise AssessmentError(
            f"不能提交：指标 {'、'.join(missing)} 的得分与会议记录的建议得分不同，请写明理由。"
        )


# -- evidence ------------------------------------------------------------------------------


@transaction.atomic
def add_evidence(sheet: ScoreSheet, *, by: User, code: str, name: str, content: bytes) -> Evidence:
    _check_assessor(sheet, by)
    if sheet.status not in EDITABLE:
        raise AssessmentError("该考评表已提交或已签发，不能再上传材料。")
    return store_upload(Evidence(sheet=sheet, code=code[:20]), by=by, name=name, content=content)


@transaction.atomic
def delete_evidence(evidence: Evidence, *, by: User) -> None:
    _check_assessor(evidence.sheet, by)
    if evidence.sheet.status not in EDITABLE:
        raise AssessmentError("该考评表已提交或已签发，不能删除材料。")
    storage, name = evidence.file.storage, evidence.file.name
    evidence.delete()
    # The file goes only once the row's removal is committed: a rollback keeps both.
    if name:
        transaction.on_commit(partial(storage.delete, name))


def submit_entries(
    sheet: ScoreSheet,
    *,
    by: User,
    revision: int | None,
    values: dict[str, str],
    notes: dict[str, str],
    vetoes: dict[str, str],
    note: str,
) -> ScoreSheet:
    """Submit from the sheet page: save what the page holds, then submit. The conflict
    policy: a save that lost to the page's own autosave in flight is fine when what was
    posted is exactly what is stored; otherwise the Conflict goes to the caller, which
    shows the differences. Without a revision (no form on the page) nothing is saved."""
    if revision is not None:
        try:
            save_entries(
                sheet,
                by=by,
                revision=revision,
                values=values,
                notes=notes,
                vetoes=vetoes,
                note=note,
            )
        except Conflict:
            if not matches_stored(sheet, values, vetoes):
                raise
    return submit_sheet(sheet, by=by)
