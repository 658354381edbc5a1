"""The scoring engine: plain frozen data in, a result with Chinese reasons out.

No ORM and no floats: every number is a Decimal, so 95×40% + 85×30% + 88×30% is exactly
89.9 and lands in 达标, not in 示范. Three methods cover the five source documents:

- ``points``: items (and their parts) carry points; grade bands with inclusive lower
  bounds; veto items force the failing tier; an unmet ▲ key item keeps the grade out of
  the top tier (Fuling 2017, Xining 2021).
- ``checklist``: each item is judged at a level (达标 / 基本达标 / 未达标) worth configurable
  points; reported as total and compliance rate overall and per section (Hegang, the
  Central Organization Department's 7 measures).
- ``composite``: weighted instruments, each scored 0–100 (Northwest Energy 亮牌).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property

POINTS, CHECKLIST, COMPOSITE = "points", "checklist", "composite"

SCORED, VETO, CHECK, INPUT, CUSTOM = "scored", "veto", "checklist", "composite_input", "custom"

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class ScoringError(ValueError):
    """The entry does not fit the rubric; ``messages`` name each code and problem."""

    def __init__(self, messages: list[str]):
        super().__init__("；".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Part:
    code: str
    text: str
    points: Decimal
    step: Decimal
    # The period this part stands for ("第三季度") when the item is required in every
    # period: the item is met only when every such part reaches its points, however the
    # item's total is capped (涪陵 7.4: "至少每季度开展1次…（每次0.5分）").
    period: str = ""


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    points: Decimal
    step: Decimal = Decimal("0.5")
    key: bool = False
    kind: str = SCORED
    parts: tuple[Part, ...] = ()
    weight: Decimal | None = None  # composite inputs only (0.4 for 40%)
    # What each period must have (宣传展示), named in the verdict of a missed period.
    period_activity: str = ""

    @property
    def scored(self) -> bool:
        return self.kind != VETO

    def missed_periods(self, values: Mapping[str, Decimal]) -> tuple[str, ...]:
        """The periods whose part is below its points (parts without a period count
        only towards the total)."""
        return tuple(
            p.period for p in self.parts if p.period and values.get(p.code, ZERO) < p.points
        )


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    items: tuple[Item, ...]
    points: Decimal | None = None


@dataclass(frozen=True)
class Band:
    label: str
    minimum: Decimal | None  # inclusive; None for the bottom band
    passed: bool


@dataclass(frozen=True)
class Rules:
    code: str
    version: int
    method: str
    sections: tuple[Section, ...]
    bands: tuple[Band, ...] = ()  # top first
    key_items_cap_top: bool = False
    levels: tuple[tuple[str, Decimal], ...] = ()  # checklist: (label, fraction of points)
    scales: Mapping[str, tuple[Band, ...]] = field(default_factory=dict)

    def items(self) -> list[Item]:
        return list(self._items)

    # A Rules value never changes: its lookups are built once, on first use (a published
    # version's rules are cached in memory, so once per process).
    @cached_property
    def _items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    @cached_property
    def by_code(self) -> dict[str, Item]:
        """Item code → item (parts are not items)."""
        return {item.code: item for item in self._items}

    @cached_property
    def expected(self) -> dict[str, tuple[Item, Part | None]]:
        """Every code that takes a value (items without parts, and parts), with its item."""
        expected: dict[str, tuple[Item, Part | None]] = {}
        for item in self._items:
            if item.kind == VETO:
                continue
            if item.parts:
                for part in item.parts:
                    expected[part.code] = (item, part)
            else:
                expected[item.code] = (item, None)
        return expected

    @cached_property
    def veto_codes(self) -> frozenset[str]:
        return frozenset(item.code for item in self._items if item.kind == VETO)

    @property
    def max_total(self) -> Decimal:
        if self.method == COMPOSITE:
            return HUNDRED
        return sum((i.points for i in self.items() if i.scored), ZERO)


@dataclass(frozen=True)
class Entry:
    """What an assessor entered: item or part code → number (or checklist level label),
    and the codes of the veto items found present."""

    # As entered: ``validate`` refuses what is not a number (or a level's label).
    scores: Mapping[str, object]
    vetoes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SectionResult:
    code: str
    title: str
    total: Decimal
    max: Decimal

    @property
    def rate(self) -> Decimal | None:
        return None if not self.max else (self.total / self.max * HUNDRED).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ItemResult:
    code: str
    score: Decimal
    max: Decimal
    shortfall: Decimal
    key: bool
    missed_periods: tuple[str, ...] = ()

    @property
    def met(self) -> bool:
        """Full points, and every period the item requires in every period."""
        return self.shortfall <= 0 and not self.missed_periods


@dataclass(frozen=True)
class Result:
    total: Decimal
    max: Decimal
    grade: str | None
    passed: bool | None
    vetoes: tuple[str, ...]
    unmet_key_items: tuple[str, ...]
    sections: tuple[SectionResult, ...]
    items: tuple[ItemResult, ...]
    reasons: tuple[str, ...]

    @property
    def rate(self) -> Decimal | None:
        return None if not self.max else (self.total / self.max * HUNDRED).quantize(Decimal("0.01"))


def fmt(value: Decimal) -> str:
    """A score as a person writes it: 89.9, 80, 0.5 (never 80.00 or 8E+1)."""
    text = format(value.normalize(), "f")
    return text


# Scores are small numbers with few decimals: anything outside these bounds is not a score
# (and never reaches Decimal arithmetic, which overflows on 1E+999999999, or an error
# message, which would echo hundreds of digits).
MAX_INPUT_CHARS = 40
MAX_EXPONENT = 8  # below 1E+9 (no arithmetic here: abs() itself overflows on 1E+999999999)
MIN_EXPONENT = -6


def to_decimal(value) -> Decimal | None:
    """A finite, bounded number, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        if abs(value) >= 10 ** (MAX_EXPONENT + 1):
            return None
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # 89.9 stays 89.9, not 89.900000000000005684…
    elif isinstance(value, str):
        if len(value) > MAX_INPUT_CHARS:
            return None
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    if not number.is_finite():
        return None
    if number and not MIN_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        return None
    return number


def shown(raw, limit: int = 20) -> str:
    """A value typed by a user, cut short for an error message."""
    text = str(raw)
    return text if len(text) <= limit else text[:limit] + "…"


def band_for(bands: tuple[Band, ...], value: Decimal) -> Band | None:
    """The first band (top first) whose inclusive lower bound the value reaches."""
    for band in bands:
        if band.minimum is None or value >= band.minimum:
            return band
    return None


def grade_for(rules: Rules, total: Decimal, unmet_key_items=()) -> Band | None:
    """The grade a total earns without any veto: its band, kept out of the top tier by an
    unmet ▲ item (used when a later stage overturns a veto found earlier)."""
    if not rules.bands:
        return None
    band = band_for(rules.bands, total)
    if unmet_key_items and rules.key_items_cap_top and band is rules.bands[0]:
        band = rules.bands[1] if len(rules.bands) > 1 else band
    return band


def item_for(rules: Rules, code: str) -> Item | None:
    """The item with this code (None for a part's code or an unknown one)."""
    return rules.by_code.get(code)


def level_points(item: Item, levels: tuple[tuple[str, Decimal], ...], label: str) -> Decimal | None:
    """The points a checklist level is worth on an item (None if no level has that label):
    the one place where a level becomes points."""
    for name, fraction in levels:
        if label == name:
            return item.points * fraction
    return None


def level_label(item: Item, levels: tuple[tuple[str, Decimal], ...], points) -> str | None:
    """The checklist level an item's points stand for (None if they stand for none): the
    one place where points become a level."""
    for name, fraction in levels:
        if item.points * fraction == points:
            return name
    return None


def stored_level(rules: Rules, code: str, value) -> str | None:
    """A checklist item's stored points as its level's label (None for anything else)."""
    item = item_for(rules, code) if rules.method == CHECKLIST else None
    return level_label(item, rules.levels, value) if item else None


def shown_value(rules: Rules, code: str, value: Decimal | None) -> str:
    """A stored value as a sheet shows it: a number, or a checklist level's label."""
    if value is None:
        return ""
    label = stored_level(rules, code, value)
    return label if label is not None else fmt(value)


def to_points(rules: Rules, code: str, raw: str) -> Decimal | None:
    """An entered value as stored: numbers as they are; checklist levels as their points."""
    item = item_for(rules, code) if rules.method == CHECKLIST else None
    points = level_points(item, rules.levels, raw) if item else None
    return points if points is not None else to_decimal(raw)


def _level_value(rules: Rules, item: Item, raw) -> Decimal | None:
    """A checklist entry: a level label, or the points of a level."""
    if isinstance(raw, str) and to_decimal(raw) is None:
        return level_points(item, rules.levels, raw.strip())
    number = to_decimal(raw)
    return number if level_label(item, rules.levels, number) is not None else None


def _checklist_value(rules: Rules, code: str, item: Item, raw) -> tuple[Decimal | None, str]:
    value = _level_value(rules, item, raw)
    if value is None:
        labels = "、".join(
            f"{label}（{fmt(item.points * fraction)}分）" for label, fraction in rules.levels
        )
        return None, f"{code}：“{shown(raw)}”不是有效的评定，应为 {labels}"
    return value, ""


def _number_value(code: str, item: Item, part: Part | None, raw) -> tuple[Decimal | None, str]:
    value = to_decimal(raw)
    points, step = (part.points, part.step) if part else (item.points, item.step)
    if item.kind == INPUT:
        points = HUNDRED
    if value is None:
        return None, f"{code}：“{shown(raw)}”不是数字"
    if value < 0 or value > points:
        return None, f"{code}：{fmt(value)} 超出范围，应在 0 至 {fmt(points)} 之间"
    if step and value % step != 0:
        return None, f"{code}：{fmt(value)} 不符合评分步长 {fmt(step)}"
    return value, ""


def _entered_value(rules: Rules, expected: dict, code: str, raw) -> tuple[Decimal | None, str]:
    """One entered value checked: (the value, "") or (None, why it is refused)."""
    item = item_for(rules, code)
    if item is not None and item.parts:
        return None, (
            f"{code}：该项按分项打分，请填写分项 " + "、".join(p.code for p in item.parts)
        )
    if item is not None and item.kind == VETO:
        return None, f"{code}：反向指标不打分，请在否决项中勾选"
    if code not in expected:
        return None, f"{code}：没有这个指标编码"
    item, part = expected[code]
    if rules.method == CHECKLIST:
        return _checklist_value(rules, code, item, raw)
    return _number_value(code, item, part, raw)


def validate(rules: Rules, entry: Entry, *, complete: bool = True) -> dict[str, Decimal]:
    """Check every entered value; return the values by code. Raises ScoringError."""
    errors: list[str] = []
    values: dict[str, Decimal] = {}
    expected = rules.expected
    for code, raw in entry.scores.items():
        value, error = _entered_value(rules, expected, code, raw)
        if error:
            errors.append(error)
        elif value is not None:  # always, without an error
            values[code] = value
    for code in sorted(entry.vetoes - rules.veto_codes):
        errors.append(f"{code}：不是反向（否决）指标")
    if complete:
        missing = [code for code in expected if code not in entry.scores]
        if missing:
            errors.append("以下指标尚未打分：" + "、".join(missing))
    if errors:
        raise ScoringError(errors)
    return values


def _item_score(item: Item, values: dict[str, Decimal]) -> Decimal:
    if item.parts:
        got = sum((values.get(p.code, ZERO) for p in item.parts), ZERO)
        return min(got, item.points)  # the item scores its parts, capped at its points
    return values.get(item.code, ZERO)


def _tally(
    rules: Rules, values: dict[str, Decimal]
) -> tuple[Decimal, list[SectionResult], list[ItemResult]]:
    """The total, each section's total and each item's score (weighted if composite)."""
    item_results: list[ItemResult] = []
    section_results: list[SectionResult] = []
    total = ZERO
    for section in rules.sections:
        section_total, section_max = ZERO, ZERO
        for item in section.items:
            if item.kind == VETO:
                continue
            got = _item_score(item, values)
            if rules.method == COMPOSITE:
                weight = item.weight or ZERO
                section_total += got * weight
                section_max += HUNDRED * weight
                item_max = HUNDRED
            else:
                section_total += got
                section_max += item.points
                item_max = item.points
            item_results.append(
                ItemResult(
                    item.code,
                    got,
                    item_max,
                    item_max - got,
                    item.key,
                    item.missed_periods(values),
                )
            )
        total += section_total
        section_results.append(
            SectionResult(section.code, section.title, section_total, section_max)
        )
    return total, section_results, item_results


def _total_reason(rules: Rules, values: dict[str, Decimal], total: Decimal) -> str:
    if rules.method == COMPOSITE:
        parts = " + ".join(
            f"{fmt(values.get(i.code, ZERO))}×{fmt((i.weight or ZERO) * HUNDRED)}%"
            for i in rules.items()
            if i.kind == INPUT
        )
        return f"综合得分 = {parts} = {fmt(total)}"
    return f"得分 {fmt(total)} / {fmt(rules.max_total)}"


def _grade(
    rules: Rules,
    total: Decimal,
    present_vetoes: tuple[str, ...],
    unmet_keys: tuple[str, ...],
    reasons: list[str],
) -> Band | None:
    """The grade by band, then a veto's bottom band or an unmet ▲ item's cap, each with
    its reason."""
    grade: Band | None = band_for(rules.bands, total) if rules.bands else None
    if grade is not None:
        reasons.append(f"按分档（{_describe(rules.bands)}）为“{grade.label}”")
    if present_vetoes and rules.bands:
        bottom = rules.bands[-1]
        for code in present_vetoes:
            text = next(i.text for i in rules.items() if i.code == code)
            reasons.append(f"存在反向指标 {code}（{text}）：直接确定为“{bottom.label}”")
        return bottom
    if unmet_keys and rules.key_items_cap_top and grade is rules.bands[0] and len(rules.bands) > 1:
        capped = rules.bands[1]
        codes = "、".join(unmet_keys)
        reasons.append(f"▲项 {codes} 未达标：等次不能为“{grade.label}”，定为“{capped.label}”")
        return capped
    if unmet_keys and rules.key_items_cap_top:
        reasons.append(f"▲项 {'、'.join(unmet_keys)} 未达标")
    return grade


def score(rules: Rules, entry: Entry, *, complete: bool = True) -> Result:
    """Score an entry. With complete=False, unscored items count as 0 (a draft's running
    total) and no error is raised for them."""
    values = validate(rules, entry, complete=complete)
    total, section_results, item_results = _tally(rules, values)
    maximum = rules.max_total
    present_vetoes = tuple(i.code for i in rules.items() if i.code in entry.vetoes)
    unmet_keys = tuple(r.code for r in item_results if r.key and not r.met)
    reasons = [_total_reason(rules, values, total)]
    reasons += [
        period_reason(rules.by_code[r.code], r.missed_periods)
        for r in item_results
        if r.key and r.missed_periods
    ]
    grade = _grade(rules, total, present_vetoes, unmet_keys, reasons)
    if rules.method == CHECKLIST:
        rate = (total / maximum * HUNDRED).quantize(Decimal("0.01")) if maximum else ZERO
        reasons.append(f"达标率 {fmt(rate)}%")
    return Result(
        total=total,
        max=maximum,
        grade=grade.label if grade else None,
        passed=grade.passed if grade else None,
        vetoes=present_vetoes,
        unmet_key_items=unmet_keys,
        sections=tuple(section_results),
        items=tuple(item_results),
        reasons=tuple(reasons),
    )


def join_periods(periods: tuple[str, ...]) -> str:
    """Periods as a person lists them: 第三、第四季度 (a shared unit is said once)."""
    for unit in ("季度", "月", "年"):
        if len(periods) > 1 and all(p.endswith(unit) for p in periods):
            return "、".join(p[: -len(unit)] for p in periods) + unit
    return "、".join(periods)


def period_reason(item: Item, missed: tuple[str, ...]) -> str:
    """Why an item required in every period is not met: "▲项 7.4：第三、第四季度无宣传展示，
    未达标"."""
    mark = "▲项 " if item.key else "指标 "
    lacking = f"无{item.period_activity}" if item.period_activity else "未达到要求"
    return f"{mark}{item.code}：{join_periods(missed)}{lacking}，未达标"


def _describe(bands: tuple[Band, ...]) -> str:
    return "，".join(
        f"{band.label}≥{fmt(band.minimum)}" if band.minimum is not None else f"其余为{band.label}"
        for band in bands
    )


def rate_scale(bands: tuple[Band, ...], value) -> str:
    """A single 0–100 score on an auxiliary scale (帮扶成效, 党员履职)."""
    number = to_decimal(value)
    if number is None or number < 0 or number > HUNDRED:
        raise ScoringError([f"“{shown(value)}”应为 0 至 100 之间的数字"])
    band = band_for(bands, number)
    return band.label if band else ""


def ordered_levels(level_points: Mapping) -> tuple[tuple[str, Decimal], ...]:
    """Checklist levels best first (JSON objects keep no order in PostgreSQL's jsonb)."""
    pairs = [(label, Decimal(str(value))) for label, value in level_points.items()]
    return tuple(sorted(pairs, key=lambda pair: (-pair[1], pair[0])))


def rules_from_document(doc: Mapping) -> Rules:
    """Rules from a rubric document in the fixture layout (fixtures/rubrics/*.json)."""

    def dec(value) -> Decimal:
        return Decimal(str(value))

    def optional_dec(value) -> Decimal | None:
        return None if value is None else dec(value)

    sections = tuple(
        Section(
            code=s["code"],
            title=s["title"],
            points=optional_dec(s.get("points")),
            items=tuple(
                Item(
                    code=i["code"],
                    text=i["text"],
                    points=dec(i["points"]),
                    step=dec(i.get("step", "0.5")),
                    key=i.get("key", False),
                    kind=i.get("kind") or (VETO if i.get("veto") else SCORED),
                    parts=tuple(
                        Part(
                            p["code"],
                            p["text"],
                            dec(p["points"]),
                            dec(p.get("step", "0.5")),
                            p.get("period", ""),
                        )
                        for p in i.get("parts", [])
                    ),
                    weight=optional_dec(i.get("weight")),
                    period_activity=i.get("period_activity", ""),
                )
                for i in s["items"]
            ),
        )
        for s in doc["sections"]
    )

    def bands(specs) -> tuple[Band, ...]:
        return tuple(
            Band(b["label"], optional_dec(b.get("min")), b.get("passed", True)) for b in specs
        )

    return Rules(
        code=doc["code"],
        version=doc["version"],
        method=doc["method"],
        sections=sections,
        bands=bands(doc.get("grades", [])),
        key_items_cap_top=doc.get("key_items_cap_top", False),
        levels=ordered_levels(doc.get("level_points", {})),
        scales={k: bands(v["bands"]) for k, v in doc.get("scales", {}).items()},
    )


# -- scores suggested by the branch's meeting records ------------------------------------


@dataclass(frozen=True)
class RecordTally:
    """One requirement an item measures, counted over the assessment period."""

    requirement: str  # "支委会 每月1次"
    met: int  # periods in which the required meetings were held
    counted: int  # periods that count (over, or already met)


@dataclass(frozen=True)
class Suggestion:
    value: Decimal  # points (a checklist level is stored as its points)
    level: str  # the checklist level, "" for points items
    reasons: tuple[str, ...]


SUGGESTION_STEP = Decimal("0.01")  # a suggested score's precision when the item has no step


def suggest_from_records(
    points: Decimal, step: Decimal, tallies: tuple[RecordTally, ...], levels=()
) -> Suggestion | None:
    """The score the records support: each period's share of the points is earned when its
    meetings were held (3 points for 支委会 over 12 months: a missed month loses 0.25), rounded
    down to the item's step (to SUGGESTION_STEP where the item has none); a checklist item
    gets the best level whose fraction the share of periods met reaches. None when no
    period counts yet."""
    counted = sum(t.counted for t in tallies)
    if not counted:
        return None
    met = sum(t.met for t in tallies)
    share = Decimal(met) / Decimal(counted)
    reasons = tuple(f"{t.requirement}：应 {t.counted} 期，达到 {t.met} 期" for t in tallies)
    if levels:
        for label, fraction in levels:  # best first
            if share >= fraction:
                return Suggestion(points * fraction, label, reasons)
        label, fraction = levels[-1]
        return Suggestion(points * fraction, label, reasons)
    exact = points * share
    step = step or SUGGESTION_STEP
    value = (exact / step).to_integral_value(rounding="ROUND_FLOOR") * step
    if value != exact:
        shown = exact.quantize(Decimal("0.0001"))
        share_text = f"{'为' if shown == exact else '约为'} {fmt(shown)} 分"
        reasons += (f"按比例{share_text}，按步长 {fmt(step)} 向下取 {fmt(value)} 分",)
    return Suggestion(value, "", reasons)


# -- what each method reports over a campaign's objects ------------------------------------


@dataclass(frozen=True)
class Measure:
    """A rate a campaign reports, labeled by what it counts: ``count`` of ``of`` (objects
    for a banded rubric, points for a checklist), in percent (None when ``of`` is 0)."""

    label: str
    count: Decimal | int
    of: Decimal | int
    rate: float | None
    grades: tuple[str, ...] = ()  # a banded rubric's: the grades it counts


def percent(count, of, places: int = 1) -> float | None:
    """``count`` of ``of`` in percent, rounded as every rate shows (None when ``of`` is 0)."""
    return round(float(count) * 100 / float(of), places) if of else None


def band_measures(bands: tuple[Band, ...], grades: Mapping[str, int], objects: int) -> list:
    """A banded rubric's pass rates over ``objects`` (``grades``: results per grade): one
    per run of passing bands from the top, each named by the grades it counts — 达标率
    (西宁), 合格率 and 合格+基本合格率 (涪陵), 示范牌率 and 示范牌+达标牌率 (亮牌). The last
    one is the rubric's headline rate (every grade it treats as passed)."""
    passing = [b.label for b in bands if b.passed]
    measures = []
    for k in range(1, len(passing) + 1):
        count = sum(grades.get(label, 0) for label in passing[:k])
        counted = tuple(passing[:k])
        label = "+".join(counted) + "率"
        measures.append(Measure(label, count, objects, percent(count, objects), counted))
    return measures


def checklist_measure(points: Decimal, max_points: Decimal) -> Measure:
    """A checklist's compliance rate (要点达标率): the share of the points of every
    execution point judged, over the results there are."""
    return Measure("要点达标率", points, max_points, percent(points, max_points, 2))


def level_counts(rules: Rules, judged: Mapping[tuple[str, Decimal], int]) -> list:
    """(level, execution points judged at it), best level first, from ``judged``: count
    of stored item scores by (item code, points) — each read as its level by
    ``level_label``."""
    counts = dict.fromkeys((label for label, _ in rules.levels), 0)
    for (code, points), n in judged.items():
        item = rules.by_code.get(code)
        label = level_label(item, rules.levels, points) if item else None
        if label is not None:
            counts[label] += n
    return list(counts.items())
