"""Consolidation, consequences across periods, re-rating and the rectification list."""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import (
    Case,
    F,
    IntegerField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from branches.models import User
from branches.toolkit.fields import model_field
from branches.toolkit.periods import next_period, previous_period
from rubrics import scoring
from rubrics.selectors import rules_for, version_tree

from ..access import (
    can_manage_campaign,
    can_manage_org_campaigns,
    can_verify,
    is_secretary_of,
)
from ..mechanisms.selectors import HAND, campaign_inputs
from ..models import (
    WITH_BRANCH,
    BranchResult,
    Campaign,
    CampaignStatus,
    Consequence,
    ConsequenceStatus,
    Inspection,
    InspectionStatus,
    ItemFact,
    NoticeKind,
    RectificationEvent,
    RectificationEvidence,
    RectificationItem,
    RectificationKind,
    RectificationStatus,
    Rerating,
    ScoreSheet,
    Stage,
    StageKind,
    VetoFinding,
    VetoOverturn,
)
from ..notices.tasks import announce
from ..selectors import campaign_objects
from . import facts
from .consequences import sync_effects
from .errors import AssessmentError, acting
from .sheets import check_signed
from .uploads import store_upload

# "The latest authoritative stage wins": spot-check over cross-review over full review.
# A self-assessment is never final.
AUTHORITY = {
    StageKind.SPOT: 4,
    StageKind.CROSS: 3,
    StageKind.FULL: 2,
    StageKind.ONSITE: 2,
    StageKind.ACCEPTANCE: 2,
    StageKind.SUPERVISION: 1,
    StageKind.INSTRUMENT: 1,
}
RECTIFICATION_DAYS = 60
BATCH = 5000  # rows per bulk statement (well under SQLite's and PostgreSQL's limits)


class JsonText:
    """JSON columns read as their text and decoded once per distinct text: ten thousand
    results mostly hold the same few lists ("[]"), and decoding each row's copy cost a
    fifth of a re-run. The decoded values are shared: read them, never change them."""

    def __init__(self, *names: str):
        self.names = names
        self.decoded: dict[str, object] = {}

    def annotations(self) -> dict[str, Cast]:
        return {f"{name}__text": Cast(name, TextField()) for name in self.names}

    def fields(self) -> list[str]:
        return [f"{name}__text" for name in self.names]

    def loads(self, text: str | None):
        if text is None:
            return None
        if (value := self.decoded.get(text)) is None:
            value = self.decoded[text] = json.loads(text)
        return value


def _authority() -> Case:
    return Case(
        *[When(stage__kind=k, then=Value(v)) for k, v in AUTHORITY.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


def _signed_reviews(campaign: Campaign):
    return ScoreSheet.objects.signed_reviews(campaign)


@dataclass(frozen=True)
class Final:
    organization_id: int
    total: Decimal
    max_total: Decimal
    grade: str
    passed: bool | None
    stage_id: int | None
    sheet_id: int | None
    note: str
    unmet: list
    inflated: bool
    digest: str = ""  # the source sheet's sign-off digest ("" for a weighted composite)
    inputs: dict | None = None  # a weighted composite's inputs and their sources


def _latest_authoritative(campaign: Campaign) -> list[Final]:
    """One row per branch: its highest-authority signed sheet (a window function, no
    per-branch query)."""
    unmet = JsonText("unmet_key_items")
    ranked = (
        _signed_reviews(campaign)
        .annotate(authority=_authority(), **unmet.annotations())
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("organization_id")],
                order_by=[
                    F("authority").desc(),
                    F("stage__position").desc(),
                    F("signed_at").desc(),
                    F("id").desc(),
                ],
            )
        )
        .filter(rank=1, authority__gt=0)
        .values_list(
            "id",
            "organization_id",
            "total",
            "max_total",
            "grade",
            "passed",
            "stage_id",
            "stage__name",
            *unmet.fields(),
            "inflated_self",
            "digest",
        )
    )
    # Tuples, not dicts: ten thousand rows.
    return [
        Final(
            org, total, most, grade, passed, stage, pk, f"最终结果取自{name}", unmet.loads(u), up, d
        )
        for pk, org, total, most, grade, passed, stage, name, u, up, d in ranked
    ]


def _composite(campaign: Campaign, rules: scoring.Rules) -> list[Final]:
    """亮牌: each instrument's input, weighted. The inputs are read by the one rule of
    ``mechanisms.selectors.campaign_inputs`` (a mechanism's value for the quarter where one
    stands, the signed sheets' average otherwise) and kept with the result, with where each
    came from."""
    inputs = [i for i in rules.items() if i.kind == scoring.INPUT]
    codes = [i.code for i in inputs]
    out = []
    for org_id, values in campaign_inputs(campaign, codes).items():
        if any(code not in values for code in codes):
            continue  # not every instrument has its score yet
        result = scoring.score(rules, scoring.Entry({c: values[c].score for c in codes}))
        out.append(
            Final(
                org_id,
                result.total,
                result.max,
                result.grade or "",
                result.passed,
                None,
                None,
                "最终结果为加权综合：" + result.reasons[0] + _input_sources(inputs, values),
                [],
                False,
                inputs={code: values[code].stored() for code in codes},
            )
        )
    return out


def _input_sources(inputs: list, values: dict) -> str:
    """Where the inputs came from, when not simply one signed sheet each."""
    notes = []
    for i in inputs:
        value = values[i.code]
        if value.source != HAND:
            notes.append(f"{i.text}取自{value.source} {scoring.fmt(value.score)}")
        elif value.count > 1:
            score = scoring.fmt(value.score)
            notes.append(f"{i.text}取 {value.count} 份已签发评分的平均分 {score}")
    return "（" + "；".join(notes) + "）" if notes else ""


def standing_vetoes(campaign: Campaign) -> tuple[dict[int, list[str]], dict[int, list[dict]]]:
    """Vetoes found at any review stage stand unless a later stage overturned them."""
    found = VetoFinding.objects.filter(sheet__in=_signed_reviews(campaign)).values_list(
        "sheet__organization_id", "code", "sheet__stage__position"
    )
    overturns = {
        (o.organization_id, o.code): o
        for o in VetoOverturn.objects.filter(campaign=campaign).select_related("stage")
    }
    standing: dict[int, list[str]] = {}
    overturned: dict[int, list[dict]] = {}
    for org_id, code, position in found:
        o = overturns.get((org_id, code))
        if o is not None and o.stage.position > position:
            overturned.setdefault(org_id, []).append(
                {"code": code, "stage": o.stage.name, "reason": o.reason}
            )
        elif code not in standing.setdefault(org_id, []):
            standing[org_id].append(code)
    return standing, overturned


RESULT_FIELDS = [
    "source_stage",
    "source_sheet",
    "source_digest",
    "source_note",
    "total",
    "max_total",
    "grade",
    "passed",
    "vetoes",
    "overturned",
    "unmet_key_items",
    "inflated_self",
    "inputs",
    "year",
    "quarter",
    "rubric_code",
]


def _finals(campaign: Campaign, rules: scoring.Rules) -> list[Final]:
    # The rubric's method decides: a composite rubric consolidates by its weights.
    finals = (
        _composite(campaign, rules)
        if rules.method == scoring.COMPOSITE
        else _latest_authoritative(campaign)
    )
    if not finals:
        raise AssessmentError("还没有已签发的考评表，无法汇总。")
    return finals


def _graded(
    f: Final, rules: scoring.Rules, vetoes: list[str], overturned: list[dict]
) -> tuple[str, bool | None, str]:
    """(grade, passed, note): the source sheet's, unless a standing veto fails the branch
    or a later stage overturned the veto the source sheet's grade counted."""
    grade, passed, note = f.grade, f.passed, f.note
    failing = rules.bands[-1] if rules.bands else None
    if vetoes and failing is not None:
        grade, passed = failing.label, failing.passed
        note += "；否决项" + "、".join(vetoes) + f"成立，定为“{failing.label}”"
    elif overturned and (band := scoring.grade_for(rules, f.total, f.unmet)):
        grade, passed = band.label, band.passed
        codes = "、".join(o["code"] for o in overturned)
        note += f"；否决项{codes}已被推翻，按得分定为“{band.label}”"
    return grade, passed, note


def _result_values(campaign: Campaign, rubric_code: str, f: Final, graded, vetoes, overturned):
    grade, passed, note = graded
    return dict(
        source_stage_id=f.stage_id,
        source_sheet_id=f.sheet_id,
        source_digest=f.digest,
        source_note=note[:200],
        total=f.total,
        max_total=f.max_total,
        grade=grade,
        passed=passed,
        vetoes=vetoes,
        overturned=overturned,
        unmet_key_items=f.unmet,
        inflated_self=f.inflated,
        inputs=f.inputs or {},
        year=campaign.year,
        quarter=campaign.quarter,
        rubric_code=rubric_code,
    )


def _store_results(
    campaign: Campaign, rubric_code: str, rules: scoring.Rules, finals: list[Final], now
) -> list["Stored"] | None:
    """Create or update each branch's result in bulk (only rows whose values changed: a
    re-run with nothing changed writes nothing). A changed result is stamped ``now``.
    Returns the stored results when it wrote none (None: they are to be read again)."""
    standing, overturned = standing_vetoes(campaign)
    # Plain rows, not model instances: a model is built only for a result that changed.
    lists = JsonText("vetoes", "overturned", "unmet_key_items", "inputs")
    columns = [
        model_field(BranchResult, name).attname for name in RESULT_FIELDS if name not in lists.names
    ]
    existing = {}
    for row in (
        BranchResult.objects.filter(campaign=campaign)
        .order_by()  # no join to sort by the tree: the order does not matter here
        .annotate(**lists.annotations())
        .values("pk", "campaign_id", "organization_id", "original_grade", *columns, *lists.fields())
    ):
        for name in lists.names:
            row[name] = lists.loads(row.pop(f"{name}__text"))
        existing[row["organization_id"]] = row
    new, changed = [], []
    for f in finals:
        vetoes = standing.get(f.organization_id, [])
        undone = overturned.get(f.organization_id, [])
        graded = _graded(f, rules, vetoes, undone)
        values = _result_values(campaign, rubric_code, f, graded, vetoes, undone)
        if (row := existing.get(f.organization_id)) is not None:
            if row["original_grade"]:  # re-rated by a recorded decision: keep the decision
                values.pop("grade"), values.pop("passed")
            if any(row[key] != value for key, value in values.items()):
                changed.append(BranchResult(**{**row, **values, "computed_at": now}))
        else:
            values.update(
                campaign_id=campaign.pk, organization_id=f.organization_id, computed_at=now
            )
            new.append(values)
    if not new and not changed:  # what was read is what is stored: no second read
        return [Stored(r["pk"], org, r["grade"], r["vetoes"]) for org, r in existing.items()]
    insert_rows(BranchResult, new)
    BranchResult.objects.bulk_update(changed, [*RESULT_FIELDS, "computed_at"], batch_size=BATCH)
    return None


def _stored(campaign: Campaign) -> list["Stored"]:
    vetoes = JsonText("vetoes")
    return [
        Stored(pk, organization_id, grade, vetoes.loads(text))
        for pk, organization_id, grade, text in BranchResult.objects.filter(campaign=campaign)
        .order_by()
        .annotate(**vetoes.annotations())
        .values_list("pk", "organization_id", "grade", *vetoes.fields())
    ]


PLAIN = (
    models.AutoField,
    models.BooleanField,
    models.CharField,
    models.DecimalField,
    models.ForeignKey,
    models.IntegerField,
    models.TextField,
)


def insert_rows(model, given: list[dict]) -> None:
    """Insert many new rows, each given as {attname: value}: on PostgreSQL one COPY,
    elsewhere one prepared statement run over all of them (what ``bulk_create`` does,
    without compiling one statement per batch, and without a model instance per row:
    building ten thousand cost a second). A field left out takes its default, a time field
    set on save the current time; values are prepared for the database as the ORM would.
    No signals, like ``bulk_create``."""
    if not given:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    defaults = {
        f.attname: now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in fields
    }
    # (attname, the field when its value needs preparing, that value prepared once when
    # it is the field's empty list: most JSON lists here are empty)
    columns_of = []
    for f in fields:
        prepared = not isinstance(f, PLAIN) or isinstance(f, models.JSONField)
        empty = f.get_db_prep_save([], connection) if isinstance(f, models.JSONField) else None
        columns_of.append((f.attname, f if prepared else None, empty))
    rows = []
    for values in given:
        row = []
        for attname, field, empty in columns_of:
            value = values[attname] if attname in values else defaults[attname]
            if field is not None:
                value = (
                    empty
                    if empty is not None and value == []
                    else field.get_db_prep_save(value, connection)
                )
            row.append(value)
        rows.append(row)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the rows stream in one command (executemany waits on each row).
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)


def _feeding(campaign: Campaign, rules: scoring.Rules) -> QuerySet[ScoreSheet]:
    """The signed sheets the results are drawn from: each result's source sheet and every
    sheet with a veto finding (a composite averages every instrument's signed sheets)."""
    signed = _signed_reviews(campaign)
    if rules.method == scoring.COMPOSITE:
        return signed
    sources = BranchResult.objects.filter(campaign=campaign).values("source_sheet_id")
    return signed.filter(Q(pk__in=sources) | Q(pk__in=VetoFinding.objects.values("sheet_id")))


@dataclass(frozen=True)
class Stored:
    """A stored result, as far as consequences and rectifications need it."""

    pk: int
    organization_id: int
    grade: str
    vetoes: list


@transaction.atomic
def consolidate(campaign: Campaign, *, by: User) -> dict:
    """Compute every branch's final result, its consequences and its rectification list.

    Set-based: one window query picks each branch's authoritative sheet, results are
    written in bulk (only those that changed), the sheets they come from are checked
    against their sign-off digests, and the rectification list is one INSERT … SELECT over
    the stored per-item facts. Re-running with nothing changed writes nothing."""
    campaign = (
        Campaign.objects.select_for_update()
        .select_related("scope", "rubric_version__rubric")
        .get(pk=campaign.pk)
    )
    if not can_manage_campaign(by, campaign):
        raise AssessmentError("只有党群部可以汇总考评结果。")
    if campaign.is_closed:
        # A closed period never changes; a recorded re-rating is the only way after it.
        raise AssessmentError("考评活动已结束，结果已经固定，不能重新汇总。")
    version = version_tree(campaign.rubric_version_id)
    rules = rules_for(version)
    finals = _finals(campaign, rules)
    now = timezone.now()
    with acting(by):
        stored = _store_results(campaign, version.rubric.code, rules, finals, now)
        # The whole consolidation rolls back if a sheet it draws from was altered.
        check_signed(_feeding(campaign, rules))
        changed = stored is None
        results = _stored(campaign) if stored is None else stored
        consequences = _consequences(campaign, version, results, by=by)
        if changed:  # the next period's "two running" rules read these grades
            later = _following(campaign.results.values("organization_id"), campaign)
            for following in later.exclude(status=CampaignStatus.CLOSED):
                _consequences(following, following.rubric_version, _stored(following), by=by)
        items = _rectifications(campaign, rules, results, by, now)
    missing = (
        campaign_objects(campaign)
        .exclude(pk__in=BranchResult.objects.filter(campaign=campaign).values("organization_id"))
        .count()
    )
    return {
        "results": len(results),
        "missing": missing,
        "consequences": consequences,
        "rectifications": items,
    }


# -- consequences -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    code: str
    text: str
    basis: str
    effect: str = ""  # the status it records (EffectKind), "" for text only
    points: Decimal | None = None  # a bonus's points


@dataclass(frozen=True)
class ConsequenceRules:
    """A rubric version's use of results as its source document states it: data carried by
    the version (``RubricVersion.consequence_rules``), never chosen by the rubric's code."""

    basis: str = ""
    # (code, grade, previous period's grade or None for any, text, effect, points), in the
    # document's order
    rules: tuple[tuple[str, str, str | None, str, str, Decimal | None], ...] = ()
    # (from, to) re-ratings the document allows; None: any recorded decision may re-rate
    reratings: tuple[tuple[str, str], ...] | None = None


def consequence_rules(data: dict) -> ConsequenceRules:
    """The one reader of a version's consequence rules (fixtures/rubrics/*.json layout:
    {"basis", "rules": [{"code", "grade", "previous"?, "text", "effect"?, "points"?}],
    "reratings"?: [{"from", "to"}]})."""
    reratings = data.get("reratings")
    return ConsequenceRules(
        basis=data.get("basis", ""),
        rules=tuple(
            (
                r["code"],
                r["grade"],
                r.get("previous"),
                r["text"],
                r.get("effect", ""),
                Decimal(str(r["points"])) if r.get("points") not in (None, "") else None,
            )
            for r in data.get("rules", [])
        ),
        reratings=tuple((r["from"], r["to"]) for r in reratings) if reratings else None,
    )


def consequences_for(
    rubric_code: str,
    grade: str,
    previous: str | None,
    *,
    rules: ConsequenceRules | None = None,
) -> list[Rule]:
    """The consequences a grade (and the previous period's grade) sets off under ``rules``,
    the campaign's version's; without them, those of the shipped rubric ``rubric_code``."""
    if rules is None:
        from rubrics.services import shipped_document

        doc = shipped_document(rubric_code) or {}
        rules = consequence_rules(doc.get("consequence_rules", {}))
    return [
        Rule(code, text, rules.basis, effect, points)
        for code, when, before, text, effect, points in rules.rules
        if when == grade and (before is None or before == previous)
    ]


def _consequences(campaign: Campaign, version, results: list[Stored], *, by: User) -> int:
    rubric_code = version.rubric.code
    rules = consequence_rules(version.consequence_rules)
    year, quarter = previous_period(campaign.year, campaign.quarter)
    previous = dict(
        BranchResult.objects.filter(
            rubric_code=rubric_code,
            year=year,
            quarter=quarter,
            organization_id__in=BranchResult.objects.filter(campaign=campaign).values(
                "organization_id"
            ),
        )
        .exclude(campaign=campaign)
        # Two campaigns of one period: the latest one's grade, as the 亮牌 board reads it
        # (mechanisms.selectors.quarter_campaigns); dict() keeps the last of each branch.
        .order_by("campaign__created_at", "campaign_id")
        .values_list("organization_id", "grade")
    )
    # (result, rule) pairs first: a model is built only for a consequence not stored yet.
    # Few (grade, previous grade) pairs among many results: each pair's rules found once.
    applying: dict[tuple[str, str | None], list[Rule]] = {}
    wanted: dict[tuple[int, str], Rule] = {}
    for result in results:
        grades = (result.grade, previous.get(result.organization_id))
        if (found := applying.get(grades)) is None:
            found = applying[grades] = consequences_for(rubric_code, *grades, rules=rules)
        for rule in found:
            wanted[result.pk, rule.code] = rule
    keep = set(wanted)
    have = {
        (result_id, rule): (pk, status)
        for pk, result_id, rule, status in Consequence.objects.filter(result__campaign=campaign)
        .order_by()
        .values_list("pk", "result_id", "rule", "status")
    }
    # Rules that no longer apply (a re-consolidation changed the grade) go, unless done.
    stale = [
        pk
        for key, (pk, status) in have.items()
        if key not in keep and status == ConsequenceStatus.PENDING
    ]
    if stale:
        Consequence.objects.filter(pk__in=stale).delete()
    insert_rows(
        Consequence,
        [
            dict(result_id=result_id, rule=rule.code, text=rule.text, basis=rule.basis)
            for (result_id, code), rule in wanted.items()
            if (result_id, code) not in have
        ],
    )
    # The rules that state a status act on the organization (category, interview, record).
    sync_effects(campaign, {k: r for k, r in wanted.items() if r.effect}, by=by)
    return len(keep) + sum(
        1
        for key, (_, status) in have.items()
        if key not in keep and status != ConsequenceStatus.PENDING
    )


@transaction.atomic
def record_consequence(consequence: Consequence, *, by: User, action: str) -> Consequence:
    consequence = (
        Consequence.objects.select_for_update()
        .select_related("result__organization")
        .get(pk=consequence.pk)
    )
    if not can_manage_org_campaigns(by, consequence.result.organization):
        raise AssessmentError("只有党群部可以登记落实情况。")
    if not action.strip():
        raise AssessmentError("请写明落实情况。")
    with acting(by):
        consequence.status, consequence.action = ConsequenceStatus.DONE, action.strip()[:2000]
        consequence.done_by, consequence.done_at = by, timezone.now()
        consequence.save()
    return consequence


@transaction.atomic
def rerate(result: BranchResult, *, by: User, to_grade: str, reason: str) -> BranchResult:
    """Re-rate after rectification (e.g. 争先牌 → 达标牌) only through a recorded decision."""
    result = (
        BranchResult.objects.select_for_update()
        .select_related("organization", "campaign__rubric_version")
        .get(pk=result.pk)
    )
    if not can_manage_org_campaigns(by, result.organization):
        raise AssessmentError("只有党群部可以改评。")
    if not reason.strip():
        raise AssessmentError("改评必须写明决定理由。")
    bands = [b for b in result.campaign.rubric_version.bands.all() if not b.scale]
    target = next((b for b in bands if b.label == to_grade), None)
    if target is None or to_grade == result.grade:
        raise AssessmentError("请选择一个不同的等次。")
    # The document may allow only some (西北能化: 争先牌 → 达标牌 after rectification).
    allowed = consequence_rules(result.campaign.rubric_version.consequence_rules).reratings
    if allowed is not None and (result.grade, to_grade) not in allowed:
        raise AssessmentError(
            "按本考评标准，只有" + "、".join(f"“{a}”整改后改评为“{b}”" for a, b in allowed) + "。"
        )
    with acting(by):
        Rerating.objects.create(
            result=result,
            from_grade=result.grade,
            to_grade=to_grade,
            reason=reason.strip()[:2000],
            by=by,
        )
        result.original_grade = result.original_grade or result.grade
        result.grade, result.passed = to_grade, target.passed
        result.save(update_fields=["original_grade", "grade", "passed", "computed_at"])
    _reapply_consequences(result, by=by)
    return result


def _reapply_consequences(result: BranchResult, *, by: User) -> None:
    """A result's grade changed outside consolidation (a re-rating): its campaign's
    consequences follow, and so do those of the next period's results of the same branch
    and rubric (whose "two periods running" rules read this grade)."""
    campaign = Campaign.objects.select_related("rubric_version__rubric").get(pk=result.campaign_id)
    for each in [campaign, *_following([result.organization_id], campaign)]:
        _consequences(each, each.rubric_version, _stored(each), by=by)


def _following(organizations, campaign: Campaign) -> QuerySet[Campaign]:
    """The other campaigns holding the next period's results of ``organizations`` under
    the campaign's rubric."""
    year, quarter = next_period(campaign.year, campaign.quarter)
    later = BranchResult.objects.filter(
        organization_id__in=organizations,
        rubric_code=campaign.rubric_version.rubric.code,
        year=year,
        quarter=quarter,
    ).values("campaign_id")
    return (
        Campaign.objects.filter(pk__in=later)
        .exclude(pk=campaign.pk)
        .select_related("rubric_version__rubric")
    )


@transaction.atomic
def overturn_veto(
    *, by: User, campaign: Campaign, organization, code: str, stage, reason: str
) -> VetoOverturn:
    if not can_manage_org_campaigns(by, organization):
        raise AssessmentError("只有党群部可以登记否决项推翻决定。")
    if not reason.strip():
        raise AssessmentError("推翻否决项必须写明理由。")
    found = VetoFinding.objects.filter(
        sheet__in=_signed_reviews(campaign), sheet__organization=organization, code=code
    )
    if not found.exists():
        raise AssessmentError(f"{organization.name}没有已签发的否决项 {code}。")
    if not found.overturnable_stages(campaign).filter(pk=stage.pk).exists():
        raise AssessmentError("只有在认定否决项之后的阶段才能推翻。")
    with acting(by):
        overturn = VetoOverturn.objects.create(
            campaign=campaign,
            organization=organization,
            code=code,
            stage=stage,
            reason=reason.strip(),
            by=by,
        )
    if BranchResult.objects.filter(campaign=campaign).exists():
        # Results already published: the grade, its consequences and the veto's
        # rectification item follow the decision at once.
        consolidate(campaign, by=by)
    return overturn


# -- rectification ------------------------------------------------------------------------


def _veto_items(
    campaign: Campaign, rules: scoring.Rules, results: list[Stored], deadline: date
) -> list[RectificationItem]:
    """An item for every standing veto, worded by the facts the reviewer recorded (the
    latest stage's), else by the veto's text."""
    veto_text = {i.code: i.text for i in rules.items() if i.kind == scoring.VETO}
    facts: dict[tuple[int, str], str] = {}
    if any(result.vetoes for result in results):
        for org_id, code, text in (
            VetoFinding.objects.filter(sheet__in=_signed_reviews(campaign))
            .order_by("-sheet__stage__position", "-sheet_id")
            .values_list("sheet__organization_id", "code", "facts")
        ):
            facts.setdefault((org_id, code), text)
    return [
        RectificationItem(
            result_id=result.pk,
            campaign=campaign,
            organization_id=result.organization_id,
            code=code,
            kind=RectificationKind.VETO,
            problem=f"否决项 {code}："
            + (facts.get((result.organization_id, code)) or veto_text.get(code, "")),
            deadline=deadline,
        )
        for result in results
        for code in result.vetoes
    ]


def _unlisted(campaign: Campaign, now) -> QuerySet[BranchResult]:
    """The results whose shortfalls may not all be listed yet: those this run wrote, new or
    changed (stamped ``now``). A result changes when its source sheet does, and also when
    that sheet was reopened and signed again with other content: the result holds the
    sheet's sign-off digest. Every other result's items were written with it, in its run's
    transaction, so a re-run with nothing changed reads no fact. (No clock is compared,
    and only the results' own columns are read: no plan depends on item statistics.)"""
    return BranchResult.objects.filter(campaign=campaign, computed_at=now)


def _shortfall_sql(campaign: Campaign, now) -> tuple[str, str, list]:
    """(the columns, the SELECT, its parameters) of the rectification items still missing
    for the unlisted results: every item whose stored fact lost points on any signed review
    sheet of the branch in the campaign, or left a ▲ item unmet (a missed period may leave the
    points full), so a
    shortfall found at 全面考评 stays listed when a later stage's sheet became the result.
    One line per (result, code, kind); its text is the reviewer's 扣分说明 where a sheet has
    one (the latest stage's first), else the engine's line. Nothing is recomputed."""
    item, fact, result, sheet, stage = (
        RectificationItem._meta.db_table,
        ItemFact._meta.db_table,
        BranchResult._meta.db_table,
        ScoreSheet._meta.db_table,
        Stage._meta.db_table,
    )
    unlisted, unlisted_params = _unlisted(campaign, now).values("pk").query.sql_with_params()
    signed, signed_params = _signed_reviews(campaign).values("pk").query.sql_with_params()
    columns = (
        "result_id, campaign_id, source, organization_id, code, kind, problem, measure,"
        " responsible, deadline, status, follow_up, created_at"
    )
    noted = "CASE WHEN f.note <> '' THEN f.note ELSE f.reason END"
    found = (
        f"SELECT r.id AS rid, r.campaign_id AS cid, r.organization_id AS oid, f.code AS code,"
        f" f.kind AS kind, {noted} AS problem, ROW_NUMBER() OVER (PARTITION BY r.id, f.code,"
        f" f.kind ORDER BY CASE WHEN f.note <> '' THEN 0 ELSE 1 END, st.position DESC,"
        f" s.id DESC) AS n FROM {fact} f JOIN {sheet} s ON s.id = f.sheet_id"
        f" JOIN {stage} st ON st.id = s.stage_id JOIN {result} r"
        f" ON r.campaign_id = s.campaign_id AND r.organization_id = s.organization_id"
        f" WHERE r.id IN ({unlisted}) AND s.id IN ({signed})"
        f" AND (f.lost > 0 OR f.unmet = %s)"
    )
    select = (
        f"SELECT t.rid, t.cid, %s, t.oid, t.code, t.kind, t.problem, '', '', %s, %s, '', %s"
        f" FROM ({found}) t WHERE t.n = 1 AND NOT EXISTS (SELECT 1 FROM {item} x"
        f" WHERE x.result_id = t.rid AND x.code = t.code AND x.kind = t.kind)"
    )
    deadline = timezone.localdate() + timedelta(days=RECTIFICATION_DAYS)
    source = RectificationItem._meta.get_field("source").get_default()
    params = [
        source,
        deadline,
        RectificationStatus.OPEN,
        timezone.now(),
        *unlisted_params,
        *signed_params,
        True,
    ]
    return columns, select, params


def _rectifications(
    campaign: Campaign, rules: scoring.Rules, results: list[Stored], by: User, now
) -> int:
    """Every deduction, unmet ▲ item and standing veto found at any review stage opens an
    item once (one INSERT … SELECT over the stored facts of the results not listed yet); a
    veto item whose veto was overturned is withdrawn. A weighted composite (亮牌) has no
    item-level shortfalls: its instruments' scores are its inputs."""
    unlisted = list(_unlisted(campaign, now).values_list("organization_id", flat=True))
    if unlisted and rules.method != scoring.COMPOSITE:  # nothing changed: no fact read
        facts.backfill(_signed_reviews(campaign).filter(organization_id__in=unlisted))
        columns, select, params = _shortfall_sql(campaign, now)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM ({select}) missing LIMIT 1", params)
            if cursor.fetchone() is not None:  # nothing new: no write
                table = RectificationItem._meta.db_table
                cursor.execute(f"INSERT INTO {table} ({columns}) {select}", params)
    deadline = timezone.localdate() + timedelta(days=RECTIFICATION_DAYS)
    vetoes = _veto_items(campaign, rules, results, deadline)
    _withdraw_overturned(campaign, results, by)
    have = set(
        RectificationItem.objects.filter(campaign=campaign, kind=RectificationKind.VETO)
        .order_by()
        .values_list("result_id", "code", "kind")
    )
    new = [i for i in vetoes if (i.result_id, i.code, i.kind) not in have]
    RectificationItem.objects.bulk_create(new, ignore_conflicts=True, batch_size=BATCH)
    return RectificationItem.objects.filter(campaign=campaign).count()


def _withdraw_overturned(campaign: Campaign, results: list[Stored], by: User) -> None:
    """A veto item whose veto no longer stands (overturned by a later stage) is withdrawn,
    with an event row saying why, and no longer counts anywhere; one whose veto stands
    again is reopened."""
    standing = {(r.pk, code) for r in results for code in r.vetoes}
    for item in (
        RectificationItem.objects.filter(campaign=campaign, kind=RectificationKind.VETO)
        .exclude(status=RectificationStatus.CLOSED)
        .order_by()
    ):
        stands = (item.result_id, item.code) in standing
        if stands == (item.status != RectificationStatus.WITHDRAWN):
            continue
        new = RectificationStatus.OPEN if stands else RectificationStatus.WITHDRAWN
        RectificationEvent.objects.create(
            item=item,
            actor=by,
            from_status=item.status,
            to_status=new,
            note="否决项重新成立，整改事项恢复" if stands else "否决项已被推翻，整改事项撤销",
        )
        RectificationItem.objects.filter(pk=item.pk).update(status=new)


def _transition(
    item: RectificationItem, by: User, old: tuple[str, ...], new: str, note: str = "", **fields
) -> RectificationItem:
    """Move an item from one of ``old`` to ``new`` under a row lock, with its event row
    (the same name as the sheets' ``_transition``: one name for one thing)."""
    locked = RectificationItem.objects.select_for_update().get(pk=item.pk)
    if locked.status not in old:
        raise AssessmentError(
            f"当前状态为“{RectificationStatus(locked.status).label}”，不能执行此操作。"
        )
    previous = locked.status
    with acting(by):
        locked.status = new
        for key, value in fields.items():
            setattr(locked, key, value)
        locked.save()
        RectificationEvent.objects.create(
            item=locked, actor=by, from_status=previous, to_status=new, note=note[:2000]
        )
    return locked


MEASURE_MAX, RESPONSIBLE_MAX = 2000, 50  # what MeasureForm and the bulk sheet accept


def measure_problem(measure: str, responsible: str) -> str:
    """Why a measure and its responsible person cannot be stored ("" when they can)."""
    if len(measure) > MEASURE_MAX:
        return f"整改措施超过 {MEASURE_MAX} 字。"
    if len(responsible) > RESPONSIBLE_MAX:
        return f"责任人超过 {RESPONSIBLE_MAX} 字。"
    if not measure and responsible:
        return "填写了责任人，但整改措施为空。"
    return ""


def store_measures(
    changes: list[tuple[RectificationItem, str, str]], *, by: User
) -> list[RectificationItem]:
    """Write (item, measure, responsible) triples, each item locked first: only the branch's
    secretary, only while an item is open or returned. The caller holds the transaction.
    Returns the rows as written."""
    for org_id in {item.organization_id for item, _, _ in changes}:
        if not is_secretary_of(by, org_id):
            raise AssessmentError("整改措施由本支部书记填写。")
    locked = RectificationItem.objects.select_for_update().in_bulk([i.pk for i, _, _ in changes])
    with acting(by):
        for item, measure, responsible in changes:
            row = locked[item.pk]
            if row.status not in WITH_BRANCH:
                raise AssessmentError(f"指标 {row.code} 已提交或已销号，不能修改。")
            if problem := measure_problem(measure, responsible):
                raise AssessmentError(f"指标 {row.code}：{problem}")
            row.measure, row.responsible = measure, responsible
            row.save(update_fields=["measure", "responsible"])
    return [locked[item.pk] for item, _, _ in changes]


@transaction.atomic
def write_measure(
    item: RectificationItem, *, by: User, measure: str, responsible: str
) -> RectificationItem:
    [written] = store_measures([(item, measure.strip(), responsible.strip())], by=by)
    return written


@transaction.atomic
def add_rectification_evidence(
    item: RectificationItem, *, by: User, name: str, content: bytes
) -> RectificationEvidence:
    if not is_secretary_of(by, item.organization):
        raise AssessmentError("整改材料由本支部书记上传。")
    if item.status not in WITH_BRANCH:
        raise AssessmentError("该事项已提交或已销号，不能再上传材料。")
    return store_upload(RectificationEvidence(item=item), by=by, name=name, content=content)


@transaction.atomic
def submit_rectification(item: RectificationItem, *, by: User) -> RectificationItem:
    if not is_secretary_of(by, item.organization):
        raise AssessmentError("整改情况由本支部书记提交。")
    if not RectificationItem.objects.filter(pk=item.pk).exclude(measure="").exists():
        raise AssessmentError("请先填写整改措施。")
    item = _transition(
        item,
        by,
        WITH_BRANCH,
        RectificationStatus.SUBMITTED,
    )
    announce(NoticeKind.VERIFY)  # those who verify it are told
    return item


@transaction.atomic
def close_rectification(item: RectificationItem, *, by: User, note: str = "") -> RectificationItem:
    """销号: a reviewer who checked the evidence closes the item."""
    if not can_verify(by, item):
        raise AssessmentError("只有考评员、党群部或发现问题的互查人员、帮扶人核实后才能销号。")
    closed = _transition(
        item,
        by,
        (RectificationStatus.SUBMITTED,),
        RectificationStatus.CLOSED,
        note,
        closed_by=by,
        closed_at=timezone.now(),
    )
    if closed.inspection_id is not None:
        _close_inspection_follow_up(closed.inspection_id)
    return closed


def _close_inspection_follow_up(inspection_id: int) -> None:
    """An inspection's 回头看 is done when every problem it marked is closed (or withdrawn)."""
    left = RectificationItem.objects.filter(inspection_id=inspection_id).unsettled()
    if not left.exists():
        Inspection.objects.filter(pk=inspection_id, status=InspectionStatus.SUBMITTED).update(
            status=InspectionStatus.FOLLOWED_UP, followed_up_at=timezone.now()
        )


@transaction.atomic
def return_rectification(item: RectificationItem, *, by: User, reason: str) -> RectificationItem:
    if not reason.strip():
        raise AssessmentError("退回必须写明原因。")
    if not can_verify(by, item):
        raise AssessmentError("只有考评员、党群部或发现问题的互查人员、帮扶人可以退回整改。")
    return _transition(
        item, by, (RectificationStatus.SUBMITTED,), RectificationStatus.RETURNED, reason.strip()
    )


@transaction.atomic
def record_follow_up(
    item: RectificationItem, *, by: User, note: str, on: date
) -> RectificationItem:
    """回头看: a later visit confirms the fix holds."""
    if not can_verify(by, item):
        raise AssessmentError("只有考评员、党群部或发现问题的互查人员、帮扶人可以登记回头看。")
    if not note.strip():
        raise AssessmentError("请写明回头看的情况。")
    locked = RectificationItem.objects.select_for_update().get(pk=item.pk)
    if locked.status != RectificationStatus.CLOSED:
        raise AssessmentError("销号后才能登记回头看。")
    with acting(by):
        locked.follow_up, locked.follow_up_on = note.strip()[:2000], on
        locked.save(update_fields=["follow_up", "follow_up_on"])
    return locked
