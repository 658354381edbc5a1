"""The Central Organization Department's 7 measures (000, attachment 2) as each enterprise
党委 was evaluated during cross-review: read from the campaign's signed sheets on its
committee checklist (``Campaign.committee_version``), the one source of the results
page, the results ledger (Excel) and the 总体评估报告."""

from dataclasses import dataclass
from decimal import Decimal

from rubrics import scoring
from rubrics.selectors import rules_for, version_tree

from .models import Campaign, ScoreSheet, SheetStatus
from .services.sheets import tamper_warning, tampered


@dataclass(frozen=True)
class Unmet:
    code: str
    text: str
    level: str
    note: str


@dataclass(frozen=True)
class CommitteeResult:
    """One reviewer's signed 7-measures checklist of one enterprise 党委."""

    sheet: ScoreSheet
    total: Decimal
    max_total: Decimal
    levels: tuple[tuple[str, int], ...]  # (level, number of measures), in the rubric's order
    unmet: tuple[Unmet, ...]  # the measures below 达标, with the reviewer's note

    @property
    def rate(self) -> Decimal | None:
        """Compliance rate (要点达标率) in percent, two places."""
        if not self.max_total:
            return None
        return (self.total * 100 / self.max_total).quantize(Decimal("0.01"))

    @property
    def levels_text(self) -> str:
        return "、".join(f"{label} {n}" for label, n in self.levels)

    @property
    def unmet_text(self) -> str:
        return "；".join(
            f"{u.code} {u.text}（{u.level}{'：' + u.note if u.note else ''}）" for u in self.unmet
        )


@dataclass(frozen=True)
class CommitteeMeasures:
    results: list[CommitteeResult]
    unsigned: int  # checklist sheets drawn but not yet signed
    # Signed checklists that fail their seal: left out of the results, each one's warning.
    tampered: tuple[str, ...] = ()

    @property
    def shown(self) -> bool:
        return bool(self.results or self.unsigned or self.tampered)


def committee_measures(campaign: Campaign) -> CommitteeMeasures:
    """Every signed 7-measures checklist of the campaign (organization order) that passes
    its sign-off seal, and how many are still to be signed; one that fails its seal is
    left out and named. Four queries whatever the count."""
    if campaign.committee_version_id is None:
        return CommitteeMeasures([], 0)
    sheets = ScoreSheet.objects.filter(
        campaign=campaign, rubric_version_id=campaign.committee_version_id
    )
    signed = list(
        sheets.filter(status=SheetStatus.SIGNED)
        .select_related("organization", "assessor", "stage")
        .prefetch_related("entries", "vetoes")
        .order_by("organization__tree_key", "stage__position", "pk")
    )
    unsigned = sheets.exclude(status=SheetStatus.SIGNED).count()
    if not signed:
        return CommitteeMeasures([], unsigned)
    failing = [sheet for sheet in signed if tampered(sheet)]
    rules = rules_for(version_tree(campaign.committee_version_id))
    return CommitteeMeasures(
        [_result(sheet, rules) for sheet in signed if sheet not in failing],
        unsigned,
        tuple(tamper_warning(sheet) for sheet in failing),
    )


def _result(sheet: ScoreSheet, rules: scoring.Rules) -> CommitteeResult:
    entries = {e.code: e for e in sheet.entries.all()}
    counts = {label: 0 for label, _ in rules.levels}
    unmet = []
    for item in rules.items():
        entry = entries.get(item.code)
        if entry is None or entry.value is None:
            continue
        label = scoring.level_label(item, rules.levels, entry.value)
        if label is None:
            continue
        counts[label] += 1
        if entry.value < item.points:
            unmet.append(Unmet(item.code, item.text, label, entry.note))
    return CommitteeResult(
        sheet=sheet,
        total=sheet.total or Decimal(0),
        max_total=sheet.max_total or Decimal(0),
        levels=tuple(counts.items()),
        unmet=tuple(unmet),
    )
