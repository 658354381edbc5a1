"""Reads of rubric versions: one prefetch, then plain scoring data.

A published (or retired) version never changes, so its structure (the prefetched tree,
the scoring rules and the guidance texts) is read once per process and kept in memory,
keyed by the version row itself; a draft is read afresh every time.
"""

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from django.db.models import Count, Prefetch, QuerySet

from branches.access import Perm, has_perm

from . import scoring
from .models import (
    CustomSlotText,
    GradeBand,
    Indicator,
    Rubric,
    RubricVersion,
    Section,
    VersionStatus,
)


def _load_tree(version_id: int) -> RubricVersion:
    """A version with its sections, indicators, parts and bands in five queries."""
    return (
        RubricVersion.objects.select_related("rubric")
        .prefetch_related(
            Prefetch(
                "sections",
                queryset=Section.objects.order_by("position").prefetch_related(
                    Prefetch(
                        "indicators",
                        queryset=Indicator.objects.order_by("position").prefetch_related("parts"),
                    )
                ),
            ),
            Prefetch("bands", queryset=GradeBand.objects.order_by("scale", "position")),
        )
        .get(pk=version_id)
    )


@dataclass(frozen=True)
class Structure:
    """What a version's pages and scoring read: never to be changed by a caller."""

    tree: RubricVersion  # sections → indicators → parts, and bands, prefetched
    rules: scoring.Rules
    guidance: dict[str, str]  # indicator code → 执行标准 / 佐证要求


FROZEN_CACHE_SIZE = 64
_frozen: OrderedDict[tuple, Structure] = OrderedDict()
_frozen_lock = threading.Lock()


def _frozen_key(version: RubricVersion) -> tuple | None:
    """The cache key of a frozen version; None for a draft, which is never cached. The
    key names the row, not only its id: an id can come back after a rollback (between
    tests, or a failed publication), its creation and publication times do not."""
    if version.status == VersionStatus.DRAFT or version.published_at is None:
        return None
    return (version.pk, version.rubric_id, version.number, version.created_at, version.published_at)


def structure(version: RubricVersion) -> Structure:
    """The version's structure: from memory when it is frozen and was read before (no
    query), else read with ``_load_tree`` (and kept if frozen)."""
    key = _frozen_key(version)
    if key is not None:
        with _frozen_lock:
            hit = _frozen.get(key)
            if hit is not None:
                _frozen.move_to_end(key)
                return hit
    tree = _load_tree(version.pk)
    built = Structure(
        tree=tree,
        rules=rules_for(tree),
        guidance={
            i.code: i.guidance for section in tree.sections.all() for i in section.indicators.all()
        },
    )
    if key is not None and _frozen_key(tree) == key:
        with _frozen_lock:
            _frozen[key] = built
            while len(_frozen) > FROZEN_CACHE_SIZE:
                _frozen.popitem(last=False)
    return built


def forget_frozen() -> None:
    """Empty the memory of frozen versions (tests that count queries from cold)."""
    with _frozen_lock:
        _frozen.clear()


def version_tree(version_id: int) -> RubricVersion:
    """A version with its sections, indicators, parts and bands: one query for a frozen
    version read before, five otherwise. The caller gets its own copy of the version
    row (the prefetched lists are shared and must only be read)."""
    version = RubricVersion.objects.select_related("rubric").get(pk=version_id)
    if _frozen_key(version) is None:
        return _load_tree(version_id)
    tree = copy.copy(structure(version).tree)
    # Django's prefetch cache, which the stubs do not declare.
    tree._prefetched_objects_cache = dict(tree._prefetched_objects_cache)  # type: ignore[attr-defined]
    return tree


def _band(b: GradeBand) -> scoring.Band:
    return scoring.Band(label=b.label, minimum=b.minimum, passed=b.passed)


def rules_for(version: RubricVersion) -> scoring.Rules:
    """The version as plain frozen data for rubrics.scoring (prefetched by version_tree)."""
    sections = []
    for section in version.sections.all():
        items = []
        for ind in section.indicators.all():
            items.append(
                scoring.Item(
                    code=ind.code,
                    text=ind.text,
                    points=ind.points,
                    step=ind.step,
                    key=ind.is_key,
                    kind=str(ind.kind),  # IndicatorKind values are the engine's kinds
                    parts=tuple(
                        scoring.Part(p.code, p.text, p.points, p.step, p.period)
                        for p in ind.parts.all()
                    ),
                    weight=ind.weight,
                    period_activity=ind.period_activity,
                )
            )
        sections.append(scoring.Section(section.code, section.title, tuple(items), section.points))
    bands = [b for b in version.bands.all()]
    scales: dict[str, list] = {}
    for b in bands:
        if b.scale:
            scales.setdefault(b.scale, []).append(_band(b))
    return scoring.Rules(
        code=version.rubric.code,
        version=version.number,
        method=version.method,
        sections=tuple(sections),
        bands=tuple(_band(b) for b in bands if not b.scale),
        key_items_cap_top=version.key_items_cap_top,
        levels=scoring.ordered_levels(version.level_points),
        scales={k: tuple(v) for k, v in scales.items()},
    )


def slot_texts(version_id: int, enterprise_id: int | None) -> dict[str, str]:
    """An enterprise's own texts for a version's custom slots (个性指标), by code."""
    if enterprise_id is None:
        return {}
    return dict(
        CustomSlotText.objects.filter(
            indicator__section__version_id=version_id, enterprise_id=enterprise_id
        ).values_list("indicator__code", "text")
    )


def slot_texts_by_indicator(slots: list, enterprise) -> dict[int, str]:
    """An enterprise's texts for the given custom slots, by indicator id."""
    return dict(
        CustomSlotText.objects.filter(indicator__in=slots, enterprise=enterprise).values_list(
            "indicator_id", "text"
        )
    )


def slots_filled(slots: list, enterprises) -> dict[int, int]:
    """How many of the slots each enterprise has written, in one query."""
    return dict(
        CustomSlotText.objects.filter(indicator__in=slots, enterprise__in=enterprises)
        .values("enterprise_id")
        .annotate(n=Count("id"))
        .values_list("enterprise_id", "n")
    )


def with_slot_texts(rules: scoring.Rules, texts: dict[str, str]) -> scoring.Rules:
    """The rules with each custom slot's placeholder replaced by the enterprise's text."""
    if not texts:
        return rules
    sections = tuple(
        scoring.Section(
            s.code,
            s.title,
            tuple(
                replace(i, text=texts[i.code])
                if i.kind == scoring.CUSTOM and i.code in texts
                else i
                for i in s.items
            ),
            s.points,
        )
        for s in rules.sections
    )
    return replace(rules, sections=sections)


def rubric_list() -> QuerySet[Rubric]:
    return Rubric.objects.prefetch_related("versions").order_by("code")


def readable_version(user, code: str, number: int) -> RubricVersion | None:
    """A version as ``user`` may read it, with its tree: published and retired versions are
    for every logged-in user, drafts for those who manage rubrics (None otherwise)."""
    version = version_by_number(code, number)
    if version is None or (version.is_draft and not has_perm(user, Perm.MANAGE_RUBRICS)):
        return None
    return version_tree(version.pk)


def version_by_number(code: str, number: int) -> RubricVersion | None:
    return (
        RubricVersion.objects.select_related("rubric")
        .filter(rubric__code=code, number=number)
        .first()
    )


def current_version(rubric: Rubric, number: int | None = None) -> RubricVersion | None:
    """A given number, else the newest published version, else the newest draft."""
    versions = rubric.versions.all()
    if number is not None:
        return versions.filter(number=number).first()
    return (
        versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
        or versions.order_by("-number").first()
    )


def version_diff(old: RubricVersion, new: RubricVersion) -> dict:
    """Items added, removed and changed (text, points, ▲, kind, parts) from old to new."""

    def snapshot(version: RubricVersion) -> dict[str, dict]:
        out = {}
        for section in version.sections.all():
            for ind in section.indicators.all():
                out[ind.code] = {
                    "所属部分": f"{section.code} {section.title}",
                    "指标内容": ind.text,
                    "分值": scoring.fmt(ind.points),
                    "▲": "是" if ind.is_key else "否",
                    "类型": ind.get_kind_display(),
                    "权重": scoring.fmt(ind.weight) if ind.weight is not None else "",
                    "分项": "；".join(
                        f"{p.code} {p.text} {scoring.fmt(p.points)}分"
                        + (f"（{p.period}须达到）" if p.period else "")
                        for p in ind.parts.all()
                    ),
                    "每期须开展": ind.period_activity,
                    "执行标准/佐证要求": ind.guidance,
                }
        return out

    def bands(version: RubricVersion) -> list[str]:
        return [
            f"{b.scale_name or '考评等次'}：{b.label}"
            + (f" ≥ {scoring.fmt(b.minimum)}" if b.minimum is not None else "（其余）")
            for b in version.bands.all()
        ]

    a, b = snapshot(old), snapshot(new)
    changed = []
    for code in [c for c in b if c in a]:
        fields = [(f, a[code][f], b[code][f]) for f in b[code] if a[code][f] != b[code][f]]
        if fields:
            changed.append({"code": code, "fields": fields})
    return {
        "added": [{"code": c, **b[c]} for c in b if c not in a],
        "removed": [{"code": c, **a[c]} for c in a if c not in b],
        "changed": changed,
        "bands": (bands(old), bands(new)) if bands(old) != bands(new) else None,
    }
