"""Every write to rubrics: load, publish, copy to a new version, retire, slot texts."""

import json
from dataclasses import dataclass
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
    IndicatorPart,
    Method,
    Rubric,
    RubricVersion,
    Section,
    VersionStatus,
)
from .scoring import fmt
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


# The kinds of item each method scores (a veto item fits every method that has grades).
KINDS_BY_METHOD: dict[str, tuple[IndicatorKind, ...]] = {
    Method.POINTS: (IndicatorKind.SCORED, IndicatorKind.CUSTOM, IndicatorKind.VETO),
    Method.CHECKLIST: (IndicatorKind.CHECKLIST, IndicatorKind.VETO),
    Method.COMPOSITE: (IndicatorKind.COMPOSITE_INPUT,),
}
# Bounds of what a person may type for an item: a score is a small positive number.
MAX_ITEM_POINTS = Decimal(100)


@dataclass(frozen=True)
class BandSpec:
    """One grade band as typed (top first): its label, inclusive lower bound, pass or not."""

    label: str
    minimum: Decimal | None
    passed: bool


@dataclass(frozen=True)
class ItemSpec:
    """One item as typed: what ``item_problems`` checks and ``save_item`` stores."""

    code: str
    text: str
    points: Decimal
    step: Decimal
    kind: str
    key: bool = False
    weight: Decimal | None = None
    guidance: str = ""
    parts: tuple[dict, ...] = ()
    period_activity: str = ""


def band_problems(bands: list[BandSpec], *, method: str, max_total: Decimal | None) -> list[str]:
    """What is wrong with a version's grade bands. Each band holds the scores from its lower
    bound up to the next band's: the bottom band, without a lower bound, takes the rest, so
    bands with falling lower bounds cover the whole range without gaps."""
    if not bands:
        return ["没有设置等次。"] if method in (Method.POINTS, Method.COMPOSITE) else []
    problems = _band_order_problems(bands)
    for band in bands:
        if band.minimum is not None and band.minimum <= 0:
            problems.append(f"“{band.label}”的下限应大于 0。")
        if band.minimum is not None and max_total is not None and band.minimum > max_total:
            problems.append(
                f"“{band.label}”的下限 {fmt(band.minimum)} 超过满分 {fmt(max_total)}，"
                "没有分数能达到。"
            )
    if not any(b.passed for b in bands):
        problems.append("至少应有一档视为达标。")
    return problems


def _band_order_problems(bands: list[BandSpec]) -> list[str]:
    """Names present and distinct; lower bounds falling from the top, the bottom one open."""
    problems: list[str] = []
    labels = [b.label for b in bands]
    if any(not label for label in labels):
        problems.append("每一档等次都要有名称。")
    if len(set(labels)) != len(labels):
        problems.append("等次名称不能重复。")
    if bands[-1].minimum is not None:
        problems.append(f"最低一档“{bands[-1].label}”不应设下限（低于上一档的分数都归入这一档）。")
    for band in bands[:-1]:
        if band.minimum is None:
            problems.append(f"“{band.label}”不是最低一档，应填写下限。")
    minima = [b.minimum for b in bands if b.minimum is not None]
    if minima != sorted(set(minima), reverse=True):
        problems.append("等次应从高到低排列，下限依次降低。")
    return problems


def _veto_item_problems(item: ItemSpec, code: str) -> list[str]:
    """A veto item scores nothing, is no ▲ item and has no parts."""
    problems = []
    if item.points:
        problems.append(f"指标 {code}：否决指标不计分，分值应为 0。")
    if item.key:
        problems.append(f"指标 {code}：否决指标不能同时是▲重点项。")
    if item.parts:
        problems.append(f"指标 {code}：否决指标没有分项。")
    return problems


def level_problems(level_points: dict) -> list[str]:
    """What is wrong with a checklist's levels (达标 1 / 基本达标 0.5 / 未达标 0)."""
    if not level_points:
        return ["没有设置逐项评定的分值。"]
    problems = []
    if len(level_points) < 2:
        problems.append("逐项评定至少要有两个档次。")
    fractions = [Decimal(str(v)) for v in level_points.values()]
    if any(f < 0 or f > 1 for f in fractions):
        problems.append("逐项评定的分值是占该项分值的比例，应在 0 至 1 之间。")
    if fractions and max(fractions) != 1:
        problems.append("最高一档应为该项全部分值（比例 1）。")
    if len(set(fractions)) != len(fractions):
        problems.append("逐项评定的各档分值不能相同。")
    return problems


def item_problems(item: ItemSpec, *, method: str) -> list[str]:
    """What is wrong with one item, for the rubric's method."""
    code = item.code or "（无编码）"
    problems: list[str] = []
    kinds = KINDS_BY_METHOD.get(method, ())
    if item.kind not in kinds:
        allowed = "、".join(str(IndicatorKind(k).label) for k in kinds)
        problems.append(f"指标 {code}：{Method(method).label}的指标类型应为{allowed}。")
    if item.kind == IndicatorKind.VETO:
        return problems + _veto_item_problems(item, code)
    if not 0 < item.points <= MAX_ITEM_POINTS:
        problems.append(f"指标 {code}：分值应大于 0、不超过 {fmt(MAX_ITEM_POINTS)}。")
    if item.step <= 0 or (item.points > 0 and item.step > item.points):
        problems.append(f"指标 {code}：评分步长应大于 0、不超过该项分值。")
    elif not item.parts and item.points % item.step:
        problems.append(f"指标 {code}：分值应为评分步长的整数倍。")
    if item.key and method != Method.POINTS:
        problems.append(f"指标 {code}：▲重点项只用于计分制。")
    if item.kind == IndicatorKind.COMPOSITE_INPUT and not (
        item.weight is not None and 0 < item.weight <= 1
    ):
        problems.append(f"指标 {code}：加权综合的分项须有 0 至 1 之间的权重（如 0.4）。")
    if item.parts and sum((p["points"] for p in item.parts), Decimal(0)) < item.points:
        problems.append(f"指标 {code} 的分项合计小于该项分值。")
    if len({p["code"] for p in item.parts}) != len(item.parts):
        problems.append(f"指标 {code}：分项编码不能重复。")
    return problems


def version_rule_problems(version: RubricVersion, bands: list[BandSpec], items: list) -> list[str]:
    """What ▲ and veto items need from the version's grade rules."""
    problems = []
    if version.key_items_cap_top and len(bands) < 2:
        problems.append("▲项未达标时等次降一档：至少要有两档等次。")
    vetoes = [i.code for i in items if i.kind == IndicatorKind.VETO]
    if vetoes and (not bands or bands[-1].passed):
        problems.append(
            f"有否决指标（{'、'.join(vetoes[:5])}）：存在否决情形直接定为最低一档，"
            "须设置等次且最低一档不视为达标。"
        )
    return problems


def _item_spec(ind: Indicator) -> ItemSpec:
    return ItemSpec(
        code=ind.code,
        text=ind.text,
        points=ind.points,
        step=ind.step,
        kind=ind.kind,
        key=ind.is_key,
        weight=ind.weight,
        parts=tuple({"code": p.code, "points": p.points} for p in ind.parts.all()),
    )


def check_publishable(version: RubricVersion) -> list[str]:
    """What stops a draft from being published, in Chinese."""
    problems: list[str] = []
    indicators = list(version.indicators.prefetch_related("parts").select_related("section"))
    if not indicators:
        problems.append("没有任何指标。")
    bands = [BandSpec(b.label, b.minimum, b.passed) for b in version.bands.all() if not b.scale]
    max_total = sum((i.points for i in indicators if i.kind != IndicatorKind.VETO), Decimal(0))
    if version.method == Method.COMPOSITE:
        max_total = Decimal(100)
    problems += band_problems(bands, method=version.method, max_total=max_total or None)
    for ind in indicators:
        problems += item_problems(_item_spec(ind), method=version.method)
    problems += version_rule_problems(version, bands, indicators)
    for section in version.sections.all():
        if section.points is None:
            continue
        # A composite's section counts each instrument by its weight (100 × 40% + …).
        total = sum(
            (
                i.points * (i.weight or 0) if version.method == Method.COMPOSITE else i.points
                for i in indicators
                if i.section_id == section.pk
            ),
            Decimal(0),
        )
        if total != section.points:
            problems.append(
                f"第 {section.code} 部分“{section.title}”分值为 {section.points.normalize()}，"
                f"但所含指标合计 {total.normalize()}。"
            )
    if version.method == Method.COMPOSITE:
        weights = sum((i.weight or Decimal(0) for i in indicators), Decimal(0))
        if weights != 1:
            problems.append(f"各分项权重合计应为 100%，现为 {weights * 100:.1f}%。")
    if version.method == Method.CHECKLIST:
        problems += level_problems(version.level_points)
    problems += record_requirement_problems(version, indicators)
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


# -- a rubric written through the pages ---------------------------------------------------


def _locked_draft(version: RubricVersion) -> RubricVersion:
    version = RubricVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise RubricError("只能修改草稿版本；已发布的版本不能修改，请复制为新版本后再改。")
    return version


@transaction.atomic
def create_rubric(
    *,
    by: User,
    code: str,
    name: str,
    issuer: str,
    source_document: str,
    assesses: list[str],
    period: str,
    description: str,
    method: str,
    level_points: dict,
    key_items_cap_top: bool,
) -> RubricVersion:
    """A new rubric of the organization's own, with an empty draft as its first version:
    built by the same reader as the shipped rubrics, so it has their structure."""
    if Rubric.objects.filter(code=code).exists():
        raise RubricError(f"编码“{code}”已被其他考评标准使用，请换一个。")
    if method == Method.CHECKLIST and (problems := level_problems(level_points)):
        raise RubricError("".join(problems))
    document = {
        "code": code,
        "version": 1,
        "method": method,
        "key_items_cap_top": key_items_cap_top and method == Method.POINTS,
        "level_points": level_points if method == Method.CHECKLIST else {},
        "sections": [],
        "grades": [],
    }
    with _actor(by):
        rubric = Rubric.objects.create(
            code=code,
            name=name,
            issuer=issuer,
            source_document=source_document,
            assesses=assesses,
            period=period,
            description=description,
        )
        return create_version_from_document(
            document, rubric=rubric, number=1, status=VersionStatus.DRAFT
        )


@transaction.atomic
def save_section(
    version: RubricVersion,
    *,
    by: User,
    section: Section | None = None,
    code: str,
    title: str,
    points: Decimal | None,
    slogan: str = "",
) -> Section:
    """Add a section to a draft, or change one of its sections."""
    version = _locked_draft(version)
    others = version.sections.filter(code=code)
    if section is not None:
        others = others.exclude(pk=section.pk)
    if others.exists():
        raise RubricError(f"已有编码为“{code}”的部分。")
    with _actor(by):
        if section is None:
            section = Section(version=version, position=version.sections.count())
        section.code, section.title, section.points, section.slogan = code, title, points, slogan
        section.save()
    return section


@transaction.atomic
def delete_section(section: Section, *, by: User) -> None:
    _locked_draft(section.version)
    if section.indicators.exists():
        raise RubricError(f"第 {section.code} 部分还有指标，请先删除或移走这些指标。")
    with _actor(by):
        section.delete()


@transaction.atomic
def save_item(
    version: RubricVersion,
    *,
    by: User,
    section: Section,
    item: ItemSpec,
    indicator: Indicator | None = None,
) -> Indicator:
    """Add an item (with its parts) to a draft, or change one of its items."""
    version = _locked_draft(version)
    if section.version_id != version.pk:
        raise RubricError("所选部分不属于该版本。")
    if problems := item_problems(item, method=version.method):
        raise RubricError("".join(problems))
    taken = version.indicators.filter(code=item.code)
    if indicator is not None:
        taken = taken.exclude(pk=indicator.pk)
    if taken.exists():
        raise RubricError(f"已有编码为“{item.code}”的指标。")
    with _actor(by):
        if indicator is None:
            indicator = Indicator(version=version, position=section.indicators.count())
        elif indicator.section_id != section.pk:
            indicator.position = section.indicators.count()
        indicator.section = section
        indicator.code, indicator.text = item.code, item.text
        indicator.points, indicator.step = item.points, item.step
        indicator.kind, indicator.is_key, indicator.weight = item.kind, item.key, item.weight
        indicator.guidance, indicator.period_activity = item.guidance, item.period_activity
        indicator.is_template = False  # written by the organization itself
        indicator.save()
        indicator.parts.all().delete()
        for position, part in enumerate(item.parts):
            IndicatorPart.objects.create(
                indicator=indicator,
                code=part["code"],
                text=part["text"],
                points=part["points"],
                step=part["step"],
                period=part.get("period", ""),
                position=position,
            )
    return indicator


@transaction.atomic
def delete_item(indicator: Indicator, *, by: User) -> None:
    _locked_draft(indicator.version)
    with _actor(by):
        indicator.delete()


@transaction.atomic
def set_grade_rules(
    version: RubricVersion,
    *,
    by: User,
    bands: list[BandSpec],
    key_items_cap_top: bool,
    level_points: dict,
    consequences: list[dict],
    basis: str,
) -> RubricVersion:
    """Replace a draft's grade bands (its auxiliary scales stay), its ▲ rule, its checklist
    levels and the rules for using its results."""
    version = _locked_draft(version)
    max_total = Decimal(100) if version.method == Method.COMPOSITE else None
    problems = band_problems(bands, method=version.method, max_total=max_total)
    if version.method == Method.CHECKLIST:
        problems += level_problems(level_points)
    labels = {b.label for b in bands}
    for rule in consequences:
        for field in ("grade", "previous"):
            if rule.get(field) and rule[field] not in labels:
                problems.append(f"结果运用规则“{rule['text'][:20]}”的等次“{rule[field]}”不存在。")
    if problems:
        raise RubricError("".join(problems))
    existing = {r.get("code"): r for r in (version.consequence_rules or {}).get("rules", [])}
    rules = []
    for n, rule in enumerate(consequences, start=1):
        kept = existing.get(rule.get("code")) or {}
        entry = {"code": rule.get("code") or f"rule-{n}", "grade": rule["grade"]}
        if rule.get("previous"):
            entry["previous"] = rule["previous"]
        entry["text"] = rule["text"]
        entry |= {k: kept[k] for k in ("effect", "points") if k in kept}
        rules.append(entry)
    document = {k: v for k, v in (version.consequence_rules or {}).items() if k == "reratings"}
    if rules or basis:
        document = {"basis": basis, "rules": rules} | document
    with _actor(by):
        version.bands.filter(scale="").delete()
        for position, band in enumerate(bands):
            GradeBand.objects.create(
                version=version,
                label=band.label,
                minimum=band.minimum,
                passed=band.passed,
                position=position,
            )
        version.key_items_cap_top = key_items_cap_top and version.method == Method.POINTS
        version.level_points = level_points if version.method == Method.CHECKLIST else {}
        version.consequence_rules = document
        version.bands_assumed = False  # typed by the organization itself
        version.save()
    return version
