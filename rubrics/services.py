"""Every write to rubrics: load, publish, copy to a new version, retire, slot texts."""

import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from branches.meeting_kinds import KINDS, Period
from branches.models import Organization, OrgKind, User
from branches.toolkit import audit

from .models import (
    CustomSlotText,
    GradeBand,
    Indicator,
    IndicatorKind,
    Method,
    Rubric,
    RubricVersion,
    VersionStatus,
)
from .serialization import create_version_from_document

FIXTURE_DIR = Path(settings.BASE_DIR) / "fixtures" / "rubrics"


class RubricError(Exception):
    """A refused change; the message is shown to the user as is (Chinese)."""


def _actor(by: User | None):
    return audit.acting(by, audit.current().source)


@transaction.atomic
def load_document(doc: dict, *, by: User | None = None) -> tuple[RubricVersion, bool]:
    """Load a shipped rubric idempotently. Returns (version, created)."""
    with _actor(by):
        rubric, _ = Rubric.objects.update_or_create(
            code=doc["code"],
            defaults={
                "name": doc["name"],
                "issuer": doc["issuer"],
                "source_document": doc["source_document"],
                "source_file": doc.get("source_file", ""),
                "assesses": doc["assesses"],
                "period": doc.get("period", ""),
                "description": doc.get("description", ""),
            },
        )
        existing = rubric.versions.filter(number=doc["version"]).first()
        if existing is not None:
            return existing, False
        version = create_version_from_document(
            doc, rubric=rubric, number=doc["version"], status=VersionStatus.DRAFT
        )
        if doc.get("status", "published") == VersionStatus.PUBLISHED:
            _publish(version, by=by)
        return version, True


def shipped_document(code: str) -> dict | None:
    """The shipped fixture of the rubric ``code`` (None if no rubric with that code ships)."""
    for path in sorted(FIXTURE_DIR.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc["code"] == code:
            return doc
    return None


def load_shipped_rubrics(*, by: User | None = None) -> list[tuple[RubricVersion, bool]]:
    results = []
    for path in sorted(FIXTURE_DIR.glob("*.json")):
        results.append(load_document(json.loads(path.read_text(encoding="utf-8")), by=by))
    return results


def check_publishable(version: RubricVersion) -> list[str]:
    """What stops a draft from being published, in Chinese."""
    problems: list[str] = []
    indicators = list(version.indicators.prefetch_related("parts").select_related("section"))
    if not indicators:
        problems.append("没有任何指标。")
    if version.method in (Method.POINTS, Method.COMPOSITE):
        problems += band_problems([b for b in version.bands.all() if not b.scale])
    problems += points_problems(version, indicators)
    if version.method == Method.COMPOSITE:
        weights = sum((i.weight or Decimal(0) for i in indicators), Decimal(0))
        if weights != 1:
            problems.append(f"各分项权重合计应为 100%，现为 {weights * 100:.1f}%。")
    if version.method == Method.CHECKLIST and not version.level_points:
        problems.append("没有设置逐项评定的分值。")
    problems += record_requirement_problems(version, indicators)
    return problems


def band_problems(bands: list[GradeBand]) -> list[str]:
    """The grade bands (a scale's aside) run from the best down, the lowest open below."""
    if not bands:
        return ["没有设置等次。"]
    problems = []
    if bands[-1].minimum is not None:
        problems.append(f"最低一档“{bands[-1].label}”不应设下限。")
    minima = [b.minimum for b in bands if b.minimum is not None]
    if minima != sorted(minima, reverse=True):
        problems.append("等次应从高到低排列，下限依次降低。")
    return problems


def points_problems(version: RubricVersion, indicators: list[Indicator]) -> list[str]:
    """Each section's points are its indicators' total; an item's parts reach its points."""
    problems = []
    for section in version.sections.all():
        if section.points is None:
            continue
        total = sum((i.points for i in indicators if i.section_id == section.pk), Decimal(0))
        if total != section.points:
            problems.append(
                f"第 {section.code} 部分“{section.title}”分值为 {section.points.normalize()}，"
                f"但所含指标合计 {total.normalize()}。"
            )
    for ind in indicators:
        parts = list(ind.parts.all())
        if parts and sum((p.points for p in parts), Decimal(0)) < ind.points:
            problems.append(f"指标 {ind.code} 的分项合计小于该项分值。")
    return problems


def record_requirement_problems(version: RubricVersion, indicators: list) -> list[str]:
    """Links from items to meeting records must name an item (or part) and a known kind."""
    codes = {i.code for i in indicators} | {p.code for i in indicators for p in i.parts.all()}
    problems = []
    for link in version.record_requirements or []:
        if not isinstance(link, dict):
            problems.append("组织生活记录计分规则格式不正确。")
            continue
        if link.get("code") not in codes:
            problems.append(f"组织生活记录计分：没有编码为“{link.get('code')}”的指标。")
        if link.get("meeting") not in KINDS:
            problems.append(f"组织生活记录计分：没有“{link.get('meeting')}”这种会议。")
        if link.get("period") not in (None, *Period) or not (
            link.get("times") is None or (isinstance(link.get("times"), int) and link["times"] > 0)
        ):
            problems.append(f"组织生活记录计分：指标 {link.get('code')} 的频次不正确。")
    return problems


def _publish(version: RubricVersion, *, by: User | None) -> None:
    RubricVersion.objects.filter(pk=version.pk).update(
        status=VersionStatus.PUBLISHED,
        published_at=timezone.now(),
        published_by=by,
    )
    version.refresh_from_db()


@transaction.atomic
def publish_version(
    version: RubricVersion, *, by: User, confirm_assumption: bool = False
) -> RubricVersion:
    version = RubricVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise RubricError("只有草稿可以发布。")
    if problems := check_publishable(version):
        raise RubricError("不能发布：" + "".join(problems))
    if version.bands_assumed and not confirm_assumption:
        raise RubricError("依据文件未规定等次分数线，请确认系统默认的分数线后再发布。")
    if version.indicators.filter(is_template=True).exists() and not confirm_assumption:
        raise RubricError("版本中还有模板指标，请确认已按本单位实际修改后再发布。")
    with _actor(by):
        version.status, version.published_at, version.published_by = (
            VersionStatus.PUBLISHED,
            timezone.now(),
            by,
        )
        version.bands_assumed = False  # confirmed by the publisher
        version.save(update_fields=["status", "published_at", "published_by", "bands_assumed"])
    return version


@transaction.atomic
def retire_version(version: RubricVersion, *, by: User) -> RubricVersion:
    version = RubricVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.PUBLISHED:
        raise RubricError("只有已发布的版本可以停用。")
    with _actor(by):
        version.status = VersionStatus.RETIRED
        version.save(update_fields=["status"])
    return version


@transaction.atomic
def new_version(version: RubricVersion, *, by: User) -> RubricVersion:
    """A new draft that starts as a copy of ``version``."""
    from .serialization import export_full_document

    rubric = Rubric.objects.select_for_update().get(pk=version.rubric_id)
    if rubric.versions.filter(status=VersionStatus.DRAFT).exists():
        raise RubricError("该标准已有一个草稿版本，请先发布或删除草稿。")
    number = (rubric.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    with _actor(by):
        draft = create_version_from_document(
            export_full_document(version), rubric=rubric, number=number, status=VersionStatus.DRAFT
        )
        RubricVersion.objects.filter(pk=draft.pk).update(copied_from=version)
    draft.refresh_from_db()
    return draft


@transaction.atomic
def delete_draft(version: RubricVersion, *, by: User) -> None:
    version = RubricVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise RubricError("只能删除草稿版本。")
    with _actor(by):
        version.delete()


@transaction.atomic
def set_slot_text(
    *, by: User, indicator: Indicator, enterprise: Organization, text: str
) -> CustomSlotText | None:
    """An enterprise writes (or clears) its own text for a custom slot."""
    from branches.access import Perm, has_perm

    if indicator.kind != IndicatorKind.CUSTOM:
        raise RubricError(f"{indicator.code} 不是个性指标。")
    if enterprise.kind != OrgKind.COMMITTEE:
        raise RubricError("个性指标由企业党委填写。")
    if not has_perm(by, Perm.MANAGE_ORG, enterprise):
        raise RubricError("该企业不在您的管理范围内。")
    text = text.strip()
    with _actor(by):
        if not text:
            CustomSlotText.objects.filter(indicator=indicator, enterprise=enterprise).delete()
            return None
        slot, _ = CustomSlotText.objects.update_or_create(
            indicator=indicator,
            enterprise=enterprise,
            defaults={"text": text[:1000], "updated_by": by},
        )
    return slot


def empty_slots(version: RubricVersion, enterprise: Organization) -> list[Indicator]:
    """Custom slots the enterprise has not written yet (a campaign cannot open with any)."""
    filled = CustomSlotText.objects.filter(
        indicator__version=version, enterprise=enterprise
    ).values_list("indicator_id", flat=True)
    return list(version.indicators.filter(kind=IndicatorKind.CUSTOM).exclude(pk__in=list(filled)))
