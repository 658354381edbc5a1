"""A sheet: the rules it is scored by, what it holds at a revision, the other stages'
sheets and its page."""

import json
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import (
    CharField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    StringAgg,
    Subquery,
    TextField,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, JSONObject

from branches import access
from branches.access import Perm
from branches.models import Organization, User
from branches.toolkit.prepared import PreparedGet
from rubrics import scoring
from rubrics.selectors import Structure, slot_texts, with_slot_texts
from rubrics.selectors import structure as version_structure

from ..access import (
    SHEET_JOINS,
    can_view_sheet,
)
from ..models import (
    Evidence,
    Meeting,
    MeetingStatus,
    ScoreSheet,
    SheetEntry,
    SheetEvent,
    SheetStatus,
    StageKind,
    VetoFinding,
)


def other_sheets(
    sheet: ScoreSheet, *, viewer: User | None = None, formal: bool = False
) -> list[ScoreSheet]:
    """The same organization's sheets in earlier stages (and the self-assessment), shown
    side by side: only those the viewer may see; in a formal report (``formal``) only the
    self-assessment and signed reviews."""
    if getattr(sheet, "has_earlier", True) is False:  # read with the sheet: none
        return []
    others = list(
        ScoreSheet.objects.filter(
            campaign_id=sheet.campaign_id,
            organization_id=sheet.organization_id,
            rubric_version_id=sheet.rubric_version_id,
            stage__position__lte=sheet.stage.position,
        )
        .exclude(pk=sheet.pk)
        .exclude(status=SheetStatus.DRAFT)
        .select_related("stage", "assessor", "organization")
        .prefetch_related(
            "entries", "vetoes", Prefetch("evidence", queryset=Evidence.objects.order_by("pk"))
        )
        .order_by("stage__position", "pk")
    )
    if formal:
        others = [
            o for o in others if o.status == SheetStatus.SIGNED or o.stage.kind == StageKind.SELF
        ]
    if (
        others
        and viewer is not None
        and not access.has_perm(viewer, Perm.VIEW_RESULTS, sheet.organization)
    ):
        others = [o for o in others if can_view_sheet(viewer, o)]
    return others


# -- the rules a sheet is scored by, and trends --------------------------------------------


def sheet_structure(sheet: ScoreSheet) -> Structure:
    """The sheet's rubric version as tree, rules and guidance: from memory for a published
    version (the campaign's always is), read once per sheet object otherwise."""
    if getattr(sheet, "_structure", None) is None:
        sheet._structure = version_structure(sheet.rubric_version)
    return sheet._structure


def sheet_version(sheet: ScoreSheet):
    """The sheet's rubric version with its sections, indicators, parts and bands (shared
    with the rules and the page's guidance texts: read only)."""
    return sheet_structure(sheet).tree


def sheet_rules(sheet: ScoreSheet) -> scoring.Rules:
    """The rules a sheet is scored by (an instrument stage scores only its own input),
    worked out once per sheet object."""
    if getattr(sheet, "_rules", None) is None:
        sheet._rules = _sheet_rules(sheet)
    return sheet._rules


def _sheet_rules(sheet: ScoreSheet) -> scoring.Rules:
    rules = sheet_structure(sheet).rules
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
                tuple(replace(i, weight=Decimal(1)) for i in s.items if i.code == instrument),
                s.points,
            )
            for s in rules.sections
        )
        # One instrument alone gets no 亮牌: the grade comes from the weighted composite.
        rules = replace(rules, sections=sections, bands=())
    return rules


@dataclass(frozen=True)
class Held:
    """What a sheet holds: entries (code → (value, note)), veto findings (code → facts)
    and the overall note."""

    entries: dict[str, tuple[Decimal | None, str]]
    vetoes: dict[str, str]
    note: str


def _json_rows(model, **fields) -> Subquery:
    """A sheet's rows of ``model`` as one JSON array text (a correlated subquery), so the
    sheet and what it holds come back in one statement on SQLite and PostgreSQL alike."""
    row = Cast(JSONObject(**fields), TextField())
    return Subquery(
        model.objects.filter(sheet=OuterRef("pk"))
        .order_by()
        .values("sheet")
        .annotate(rows=StringAgg(row, delimiter=Value(",")))
        .values("rows")
    )


# Columns of the rows ``access.get_sheet`` joins that no sheet page or save reads: a
# person's login data, an organization's roster facts, a rubric's source texts. Left out,
# the joined row is a third narrower (fewer columns to compile, fetch and convert per
# request); a page that did read one would pay a query for it (the page's count is pinned).
_PERSON = (
    "password",
    "last_login",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "date_joined",
    "phone",
    "must_change_password",
    "password_changed_at",
)


_ORG = (*Organization.PROFILE_FIELDS, "created_at", "updated_at")


UNREAD_ON_SHEET = (
    *(f"{who}__{f}" for who in ("assessor", "signed_by") for f in _PERSON),
    *(f"{org}__{f}" for org in ("organization", "campaign__scope") for f in _ORG),
    "rubric_version__notes",
    "rubric_version__consequence_rules",
    *(f"rubric_version__rubric__{f}" for f in ("source_document", "source_file", "description")),
)


_FOR_SAVING = PreparedGet(
    lambda: _sheets_with_holdings().select_related(*SHEET_JOINS).defer(*UNREAD_ON_SHEET)
)


def sheet_for_saving() -> PreparedGet:
    """A sheet (for ``access.get_sheet``) with what it holds read in the same statement
    (for ``held_at``), compiled to SQL once."""
    return _FOR_SAVING


def _sheets_with_holdings() -> QuerySet[ScoreSheet]:
    return ScoreSheet.objects.annotate(
        held_entries=_json_rows(SheetEntry, c=F("code"), v=Cast("value", CharField()), n=F("note")),
        held_vetoes=_json_rows(VetoFinding, c=F("code"), f=F("facts")),
    )


def holdings(sheet: ScoreSheet) -> Held | None:
    """What the sheet held when it was read by ``sheet_for_saving``, else None."""
    if getattr(sheet, "_held", None) is not None:
        return sheet._held
    if not hasattr(sheet, "held_entries"):
        return None
    if getattr(sheet, "_held", None) is None:
        entries = json.loads(f"[{sheet.held_entries or ''}]")
        vetoes = json.loads(f"[{getattr(sheet, 'held_vetoes', '') or ''}]")
        sheet._held = Held(
            entries={
                e["c"]: (None if e["v"] is None else Decimal(e["v"]), e["n"]) for e in entries
            },
            vetoes={v["c"]: v["f"] for v in vetoes},
            note=sheet.note,
        )
    return sheet._held


def held_at(sheet: ScoreSheet, revision: int) -> Held | None:
    """What the sheet held when it was read (by ``sheet_for_saving``), if it was read at
    ``revision`` (a save at that revision then finds exactly this); else None."""
    return holdings(sheet) if sheet.revision == revision else None


def forget_held(sheet: ScoreSheet) -> None:
    """After a save: what was read with the sheet is no longer what it holds."""
    for name in ("held_entries", "held_vetoes", "_held"):
        sheet.__dict__.pop(name, None)
    sheet._prefetched_objects_cache = {}  # type: ignore[attr-defined]  # Django's, not in the stubs


def read_held(sheet: ScoreSheet) -> Held:
    """What the sheet holds now, read fresh (three small queries, no joins)."""
    return Held(
        entries={
            code: (value, note)
            for code, value, note in SheetEntry.objects.filter(sheet_id=sheet.pk).values_list(
                "code", "value", "note"
            )
        },
        vetoes=dict(VetoFinding.objects.filter(sheet_id=sheet.pk).values_list("code", "facts")),
        note=ScoreSheet.objects.filter(pk=sheet.pk).order_by().values_list("note", flat=True)[0],
    )


def entry_for(sheet: ScoreSheet, rules: scoring.Rules) -> scoring.Entry:
    held = holdings(sheet)
    if held is not None:
        return scoring.Entry(
            scores={c: v for c, (v, _) in held.entries.items() if v is not None},
            vetoes=frozenset(held.vetoes),
        )
    values = {e.code: e.value for e in sheet.entries.all() if e.value is not None}
    return scoring.Entry(scores=values, vetoes=frozenset(v.code for v in sheet.vetoes.all()))


def _page_sheets() -> QuerySet[ScoreSheet]:
    earlier = (
        ScoreSheet.objects.filter(
            campaign_id=OuterRef("campaign_id"),
            organization_id=OuterRef("organization_id"),
            rubric_version_id=OuterRef("rubric_version_id"),
            stage__position__lte=OuterRef("stage__position"),
        )
        .exclude(pk=OuterRef("pk"))
        .exclude(status=SheetStatus.DRAFT)
    )
    return (
        _sheets_with_holdings()
        .annotate(
            has_earlier=Exists(earlier),
            has_events=Exists(SheetEvent.objects.filter(sheet_id=OuterRef("pk"))),
            has_evidence=Exists(Evidence.objects.filter(sheet_id=OuterRef("pk"))),
            # Any meeting the branch held in the campaign's year: without one, no
            # record can suggest a score (``meetings.sheet_suggestions`` reads none).
            has_records=Exists(
                Meeting.objects.filter(
                    organization_id=OuterRef("organization_id"),
                    held_on__year=OuterRef("campaign__year"),
                ).exclude(status=MeetingStatus.PLANNED)
            ),
        )
        .select_related(*SHEET_JOINS)
        .defer(*UNREAD_ON_SHEET)
    )


_FOR_PAGE = PreparedGet(_page_sheets)


def sheet_for_page() -> PreparedGet:
    """A sheet (for ``access.get_sheet``) that knows whether any earlier sheet of its is
    there to show side by side (``other_sheets`` then skips its query when none is),
    whether it has any 流转记录 (``sheet_events``), evidence (``sheet_page``) or meeting
    records to suggest scores from, with what it holds (``holdings``); compiled once."""
    return _FOR_PAGE


def sheet_events(sheet: ScoreSheet) -> list:
    """The sheet's transitions with who made them (none read when the sheet, read by
    ``sheet_for_page``, is known to have none)."""
    if getattr(sheet, "has_events", True) is False:
        return []
    return list(sheet.events.select_related("actor"))


def sheet_page(sheet: ScoreSheet) -> ScoreSheet:
    """The sheet with everything its page shows, in a fixed number of queries: the given
    object when it came from ``access.get_sheet`` (its related rows already joined),
    with its entries, veto findings and evidence prefetched."""
    if "rubric_version" not in sheet._state.fields_cache:
        sheet = ScoreSheet.objects.select_related(*SHEET_JOINS).get(pk=sheet.pk)
    if holdings(sheet) is None:
        # Plain rows, not models: what the page and the running total read. A rubric
        # without veto items has no findings to read (saves refuse any other code).
        has_vetoes = any(i.kind == scoring.VETO for i in sheet_rules(sheet).items())
        sheet._held = Held(
            entries={
                code: (value, note)
                for code, value, note in SheetEntry.objects.filter(sheet_id=sheet.pk)
                .order_by()
                .values_list("code", "value", "note")
            },
            vetoes=dict(
                VetoFinding.objects.filter(sheet_id=sheet.pk)
                .order_by()
                .values_list("code", "facts")
            )
            if has_vetoes
            else {},
            note=sheet.note,
        )
    if getattr(sheet, "has_evidence", True) is False:  # read with the sheet: none
        cache = getattr(sheet, "_prefetched_objects_cache", {})
        # Django's prefetch cache, which the stubs do not declare.
        sheet._prefetched_objects_cache = {**cache, "evidence": Evidence.objects.none()}  # type: ignore[attr-defined]
    else:
        evidence = Prefetch("evidence", queryset=Evidence.objects.order_by("pk"))
        prefetch_related_objects([sheet], evidence)
    return sheet
