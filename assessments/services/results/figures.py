"""The figures consolidation works from and stores: each object's latest authoritative
sheet (spot-check over cross-review over full review), its grade and vetoes, written in
bulk."""

import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, models
from django.db.models import (
    Case,
    F,
    IntegerField,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from branches.toolkit.fields import model_field
from rubrics import scoring

from ...mechanisms.selectors import HAND, campaign_inputs
from ...models import (
    BranchResult,
    Campaign,
    ScoreSheet,
    StageKind,
    VetoFinding,
    VetoOverturn,
)
from ..errors import AssessmentError

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


def signed_reviews(campaign: Campaign):
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
        signed_reviews(campaign)
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
    found = VetoFinding.objects.filter(sheet__in=signed_reviews(campaign)).values_list(
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


def final_figures(campaign: Campaign, rules: scoring.Rules) -> list[Final]:
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


def store_results(
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


def stored_results(campaign: Campaign) -> list["Stored"]:
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


class _Preparer:
    """Values prepared for the database as the ORM would, each distinct one once: rows
    mostly share them (the run's time; JSON lists, mostly empty, which ``JsonText`` decodes
    once per distinct text: keyed here by the object, which the caller keeps alive)."""

    def __init__(self) -> None:
        self.copying = connection.vendor == "postgresql"
        self.done: dict[tuple[str, object], object] = {}

    def __call__(self, field, value):
        if isinstance(field, models.JSONField):
            key = (field.attname, repr(value) if value == [] or value == {} else id(value))
        else:
            key = (field.attname, value)
        try:
            return self.done[key]
        except KeyError:
            prepared = self.done[key] = self._prepare(field, value)
            return prepared
        except TypeError:  # unhashable
            return self._prepare(field, value)

    def _prepare(self, field, value):
        prepared = field.get_db_prep_save(value, connection)
        if self.copying and isinstance(field, models.JSONField) and prepared is not None:
            # COPY takes the JSON's text: the adapter would serialize it again for each
            # row (forty thousand times for ten thousand results' four lists).
            prepared = prepared.dumps(prepared.obj)
        return prepared


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
    prepare = _Preparer()
    # (attname, the field when its value needs preparing)
    columns_of = [
        (f.attname, f if not isinstance(f, PLAIN) or isinstance(f, models.JSONField) else None)
        for f in fields
    ]
    rows = []
    for values in given:
        row = []
        for attname, field in columns_of:
            value = values[attname] if attname in values else defaults[attname]
            row.append(value if field is None else prepare(field, value))
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


@dataclass(frozen=True)
class Stored:
    """A stored result, as far as consequences and rectifications need it."""

    pk: int
    organization_id: int
    grade: str
    vetoes: list
