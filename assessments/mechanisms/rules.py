"""The 亮牌 rubric's rules, read once per request: its scales (帮扶成效 80/60, 党员履职
85/60), its weights and bands (40/30/30, 90/70) and its consequence rules. Nothing here
restates them: they are the published version's data (fixtures/rubrics/xibei-2025.json)."""

from dataclasses import dataclass
from decimal import Decimal

from rubrics import scoring
from rubrics.models import RubricVersion, VersionStatus
from rubrics.selectors import rules_for, version_tree

from ..services.errors import AssessmentError

PLAQUE_RUBRIC = "xibei-2025"
INSPECTION_RUBRIC = "xibei-inspection-2025"


def published(code: str) -> RubricVersion:
    version = (
        RubricVersion.objects.filter(rubric__code=code, status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .first()
    )
    if version is None:
        raise AssessmentError(f"没有已发布的考评标准“{code}”，请先加载或发布。")
    return version


def plaque_version() -> RubricVersion:
    return published(PLAQUE_RUBRIC)


def plaque_rules() -> scoring.Rules:
    return rules_for(version_tree(plaque_version().pk))


def rate(scale: str, score: Decimal, rules: scoring.Rules | None = None) -> scoring.Band:
    """The band of a 0–100 score on one of the 亮牌 rubric's scales ("pairing",
    "member_post"); raises AssessmentError in Chinese for a bad value."""
    rules = rules or plaque_rules()
    bands = rules.scales.get(scale)
    if not bands:
        raise AssessmentError(f"亮牌考评标准中没有“{scale}”评分档次。")
    try:
        label = scoring.rate_scale(bands, score)
    except scoring.ScoringError as exc:
        raise AssessmentError(str(exc)) from None
    return next(b for b in bands if b.label == label)


def is_lowest(scale: str, band: scoring.Band, rules: scoring.Rules) -> bool:
    return rules.scales[scale][-1] == band


@dataclass(frozen=True)
class MechanismRule:
    """One number of the mechanisms' use of results, with the words it is stated in."""

    text: str
    number: Decimal | None = None  # how many (quarters, points) the rule counts
    assumed: bool = False  # the document is silent: the product's reading, said on the page
    extra: str = ""  # a second statement of the same rule (验收合格: 优先申报)


@dataclass(frozen=True)
class MechanismSettings:
    """The 亮牌 rubric's ``consequence_rules["mechanisms"]``: a rule missing from the
    version is None and is not applied (the pages say so)."""

    basis: str = ""
    helper_not_excellent: MechanismRule | None = None  # consecutive failing quarters
    acceptance: MechanismRule | None = None  # the secretary's bonus points
    duty_points: MechanismRule | None = None  # 积分 per 履职 score point
    plaque_extension: MechanismRule | None = None  # quarters a 争先 period is extended by
    extension_grade: str = ""


def _rule(data: dict | None, key: str) -> MechanismRule | None:
    if not data:
        return None
    value = data.get(key)
    return MechanismRule(
        text=data.get("text", ""),
        number=Decimal(str(value)) if value not in (None, "") else None,
        assumed=bool(data.get("assumed")),
        extra=data.get("priority_text", ""),
    )


def mechanism_settings(version: RubricVersion | None = None) -> MechanismSettings:
    """The one reader of the mechanisms' numbers (fixtures/rubrics/xibei-2025.json)."""
    data = (version or plaque_version()).consequence_rules.get("mechanisms") or {}
    extension = data.get("plaque_extension") or {}
    return MechanismSettings(
        basis=data.get("basis", ""),
        helper_not_excellent=_rule(data.get("helper_not_excellent"), "consecutive"),
        acceptance=_rule(data.get("acceptance"), "points"),
        duty_points=_rule(data.get("duty_points"), "per_score_point"),
        plaque_extension=_rule(extension, "quarters"),
        extension_grade=extension.get("grade", ""),
    )
