"""Score sheets: autosave with conflict detection, transitions, digests, evidence."""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from branches.access import Perm, has_perm
from branches.models import User
from rubrics import scoring
from rubrics.selectors import rules_for, slot_texts, version_tree, with_slot_texts

from ..models import (
    EDITABLE,
    Evidence,
    ScoreSheet,
    SheetEntry,
    SheetEvent,
    SheetStatus,
    StageKind,
    VetoFinding,
)
from .errors import AssessmentError, Conflict, acting

# -- score sheets --------------------------------------------------------------------------


def sheet_version(sheet: ScoreSheet):
    """The sheet's rubric version with its sections, indicators, parts and bands, loaded
    once per sheet object (the rules and the page's guidance texts share it)."""
    if getattr(sheet, "_version_tree", None) is None:
        sheet._version_tree = version_tree(sheet.rubric_version_id)
    return sheet._version_tree


def sheet_rules(sheet: ScoreSheet) -> scoring.Rules:
    """The rules a sheet is scored by (an instrument stage scores only its own input)."""
    rules = rules_for(sheet_version(sheet))
    if any(i.kind == scoring.CUSTOM for i in rules.items()):
        # Each enterprise's own 个性指标 texts, on every page, offline sheet and PDF.
        if getattr(sheet, "_slot_texts", None) is None:
            enterprise_id = sheet.organization.enterprise_id
            sheet._slot_texts = slot_texts(sheet.rubric_version_id, enterprise_id)
        rules = with_slot_texts(rules, sheet._slot_texts)
    instrument = sheet.stage.instrument
    if instrument and sheet.rubric_version_id == sheet.campaign.rubric_version_id:
        sections = tuple(
            scoring.Section(
                s.code,
                s.title,
                tuple(
                    scoring.Item(**{**i.__dict__, "weight": Decimal(1)})
                    for i in s.items
                    if i.code == instrument
                ),
                s.points,
            )
            for s in rules.sections
        )
        # One instrument alone gets no 亮牌: the grade comes from the weighted composite.
        rules = scoring.Rules(**{**rules.__dict__, "sections": sections, "bands": ()})
    return rules


def _to_points(rules: scoring.Rules, code: str, raw: str) -> Decimal:
    """A checked value as stored: numbers as they are; checklist levels as their points."""
    item = next((i for i in rules.items() if i.code == code), None)
    if rules.method == scoring.CHECKLIST and item is not None:
        for label, fraction in rules.levels:
            if raw == label:
                return item.points * fraction
    return scoring.to_decimal(raw)


def entry_for(sheet: ScoreSheet, rules: scoring.Rules) -> scoring.Entry:
    values = {e.code: e.value for e in sheet.entries.all() if e.value is not None}
    return scoring.Entry(scores=values, vetoes=frozenset(v.code for v in sheet.vetoes.all()))


@dataclass
class SaveResult:
    revision: int
    errors: dict[str, str]
    result: scoring.Result


def _check_assessor(sheet: ScoreSheet, by: User) -> None:
    if sheet.assessor_id != by.pk:
        raise AssessmentError("只有本表的打分人可以修改。")


@transaction.atomic
def save_entries(
    sheet: ScoreSheet,
    *,
    by: User,
    revision: int,
    values: dict[str, str],
    notes: dict[str, str] | None = None,
    vetoes: dict[str, str] | None = None,
    note: str | None = None,
) -> SaveResult:
    """Autosave: store every valid value, report the invalid ones by code, never
    overwrite a newer revision (Conflict)."""
    _check_assessor(sheet, by)
    rules = sheet_rules(sheet)
    veto_codes = {i.code for i in rules.items() if i.kind == scoring.VETO}
    errors: dict[str, str] = {}
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
        clean[code] = _to_points(rules, code, raw)
    vetoes_given = vetoes is not None
    vetoes = {code: (facts or "").strip() for code, facts in (vetoes or {}).items()}
    for code, facts in vetoes.items():
        if code not in veto_codes:
            errors[code] = f"{code}：不是反向（否决）指标"
        elif not facts:
            errors[code] = f"{code}：认定否决项须写明事实依据"
    updated = ScoreSheet.objects.filter(pk=sheet.pk, revision=revision, status__in=EDITABLE).update(
        revision=F("revision") + 1,
        updated_at=timezone.now(),
        **({"note": note} if note is not None else {}),
    )
    if not updated:
        current = ScoreSheet.objects.filter(pk=sheet.pk).values_list("status", flat=True).first()
        if current not in EDITABLE:
            raise AssessmentError("该考评表已提交或已签发，不能再修改。")
        raise Conflict(
            "该考评表已在别处（另一窗口或他人）修改，您本次的输入尚未保存。"
            "请复制保留您的输入后刷新页面。"
        )
    notes = notes or {}
    with acting(by):
        for code, value in clean.items():
            if value is None and not notes.get(code):
                SheetEntry.objects.filter(sheet=sheet, code=code).delete()
            else:
                SheetEntry.objects.update_or_create(
                    sheet=sheet,
                    code=code,
                    defaults={"value": value, "note": notes.get(code, "")[:500]},
                )
        if vetoes_given:
            # The posted findings are the whole set: unchecked ones are withdrawn.
            VetoFinding.objects.filter(sheet=sheet).exclude(code__in=list(vetoes)).delete()
            for code, facts in vetoes.items():
                if code in veto_codes and facts:
                    VetoFinding.objects.update_or_create(
                        sheet=sheet, code=code, defaults={"facts": facts[:2000]}
                    )
    sheet.refresh_from_db()
    return SaveResult(
        sheet.revision, errors, scoring.score(rules, entry_for(sheet, rules), complete=False)
    )


def matches_stored(sheet: ScoreSheet, values: dict[str, str], vetoes: dict[str, str]) -> bool:
    """True if the posted values are exactly what is stored (saving them changes nothing),
    e.g. when the form is submitted while its own autosave is in flight."""
    rules = sheet_rules(sheet)
    stored = {e.code: e.value for e in sheet.entries.all()}
    for code, raw in values.items():
        raw = (raw or "").strip()
        value = _to_points(rules, code, raw) if raw else None
        if stored.get(code) != value:
            return False
    stored_vetoes = {v.code: v.facts for v in sheet.vetoes.all()}
    return stored_vetoes == {c: (f or "").strip() for c, f in vetoes.items()}


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


@transaction.atomic
def submit_sheet(sheet: ScoreSheet, *, by: User) -> ScoreSheet:
    _check_assessor(sheet, by)
    rules = sheet_rules(sheet)
    try:
        result = scoring.score(rules, entry_for(sheet, rules))
    except scoring.ScoringError as exc:
        raise AssessmentError("不能提交：" + "；".join(exc.messages)) from None
    now = timezone.now()
    fields = {
        "total": result.total,
        "max_total": result.max,
        "grade": result.grade or "",
        "passed": result.passed,
        "reasons": list(result.reasons),
        "unmet_key_items": list(result.unmet_key_items),
        "submitted_at": now,
        "late": timezone.localdate(now) > sheet.stage.deadline,
        "inflated_self": _inflated(sheet, result.total),
    }
    old = _transition(sheet, old=EDITABLE, new=SheetStatus.SUBMITTED, **fields)
    _event(sheet, by, old, SheetStatus.SUBMITTED)
    sheet.refresh_from_db()
    return sheet


def _inflated(sheet: ScoreSheet, total: Decimal) -> bool:
    """自评虚高: the branch's own score exceeds this review's by more than the threshold."""
    if sheet.stage.kind == StageKind.SELF:
        return False
    own = (
        ScoreSheet.objects.filter(
            campaign=sheet.campaign,
            organization=sheet.organization,
            stage__kind=StageKind.SELF,
            total__isnull=False,
            status__in=[SheetStatus.SUBMITTED, SheetStatus.SIGNED],
        )
        .values_list("total", flat=True)
        .first()
    )
    return own is not None and own - total > sheet.campaign.discrepancy_threshold


def can_return(sheet: ScoreSheet, user: User) -> bool:
    """The department, or a reviewer who scores the same organization in this campaign."""
    if has_perm(user, Perm.MANAGE_CAMPAIGNS, sheet.organization):
        return True
    return (
        ScoreSheet.objects.filter(
            campaign=sheet.campaign, organization=sheet.organization, assessor=user
        )
        .exclude(pk=sheet.pk)
        .exists()
    )


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
    return sheet


def sheet_digest(sheet: ScoreSheet) -> str:
    """SHA-256 of what is signed: the organization, stage, version, every score and note,
    the veto findings, the total and the grade."""
    payload = {
        "sheet": sheet.pk,
        "organization": sheet.organization.code,
        "stage": sheet.stage_id,
        "rubric_version": sheet.rubric_version_id,
        "assessor": sheet.assessor.username,
        "entries": sorted([e.code, str(e.value), e.note] for e in sheet.entries.all()),
        "vetoes": sorted([v.code, v.facts] for v in sheet.vetoes.all()),
        "total": str(sheet.total),
        "grade": sheet.grade,
        "note": sheet.note,
    }
    return hashlib.sha256(
        json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()


@transaction.atomic
def sign_sheet(sheet: ScoreSheet, *, by: User) -> ScoreSheet:
    """审核签发: the department signs a submitted sheet; it becomes read-only history."""
    if not has_perm(by, Perm.MANAGE_CAMPAIGNS, sheet.organization):
        raise AssessmentError("只有党群部可以签发。")
    locked = (
        ScoreSheet.objects.select_for_update()
        .select_related("organization", "assessor")
        .get(pk=sheet.pk)
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
    locked.refresh_from_db()
    return locked


@transaction.atomic
def reopen_sheet(sheet: ScoreSheet, *, by: User, reason: str) -> ScoreSheet:
    reason = reason.strip()
    if not reason:
        raise AssessmentError("重新打开已签发的考评表必须写明原因。")
    if not has_perm(by, Perm.MANAGE_CAMPAIGNS, sheet.organization):
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
    return sheet


# -- evidence ------------------------------------------------------------------------------

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
OFFICE = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}


def sniff(content: bytes) -> str | None:
    """The content type judged from the bytes themselves (never from the name)."""
    for content_type, magics in EVIDENCE_TYPES.items():
        if content.startswith(magics):
            return content_type
    if content.startswith(b"PK\x03\x04"):
        import io
        import zipfile

        try:
            names = zipfile.ZipFile(io.BytesIO(content)).namelist()
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            for prefix, (content_type, _) in OFFICE.items():
                if any(n.startswith(prefix) for n in names):
                    return content_type
    return None


def store_upload(upload, *, by: User, name: str, content: bytes):
    """Check an upload by size and content, then store it under a random name.
    ``upload`` is an unsaved UploadedFile subclass with its owner set."""
    from django.core.files.base import ContentFile

    if len(content) > EVIDENCE_MAX_BYTES:
        raise AssessmentError(f"文件过大（{len(content) / 1024 / 1024:.1f} MB），上限为 10 MB。")
    content_type = sniff(content)
    if content_type is None:
        raise AssessmentError(
            "只接受 PDF、JPG、PNG 图片和 Word / Excel / PowerPoint（.docx/.xlsx/.pptx）文件。"
        )
    upload.original_name, upload.content_type = name[-200:], content_type
    upload.size, upload.sha256 = len(content), hashlib.sha256(content).hexdigest()
    upload.uploaded_by = by
    upload.file.save("upload", ContentFile(content), save=False)
    with acting(by):
        upload.save()
    return upload


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
    evidence.file.delete(save=False)
    evidence.delete()
