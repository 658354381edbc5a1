"""The rectification list (一支部一清单): items from every shortfall and veto, and their life
until closed (销号) and re-checked (回头看)."""

from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import (
    QuerySet,
)
from django.utils import timezone

from branches.models import User
from rubrics import scoring

from ...access import (
    can_verify,
    is_secretary_of,
)
from ...models import (
    WITH_BRANCH,
    BranchResult,
    Campaign,
    Inspection,
    InspectionStatus,
    ItemFact,
    NoticeKind,
    RectificationEvent,
    RectificationEvidence,
    RectificationItem,
    RectificationKind,
    RectificationStatus,
    ScoreSheet,
    Stage,
    VetoFinding,
)
from ...notices.tasks import announce
from .. import facts
from ..errors import AssessmentError, acting
from ..uploads import store_upload
from .figures import BATCH, Stored, signed_reviews

RECTIFICATION_DAYS = 60


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
            VetoFinding.objects.filter(sheet__in=signed_reviews(campaign))
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
    and only the results' own columns are read: no plan depends on item statistics.)
    ``_shortfall_sql`` states the same two conditions on its joined result row."""
    return BranchResult.objects.filter(campaign=campaign, computed_at=now)


def _shortfall_condition() -> str:
    """A fact that lost points or left a ▲ item unmet, in the very words of the partial
    index "fact_shortfall" (its columns unqualified: only the facts have them), so that
    both databases read the shortfalls from it instead of every fact's row: SQLite uses
    a partial index only for a query that states its condition."""
    index = next(i for i in ItemFact._meta.indexes if i.name == "fact_shortfall")
    return index._get_condition_sql(ItemFact, connection.schema_editor())


def _shortfall_sql(campaign: Campaign, now) -> tuple[str, str, list]:
    """(the columns, the SELECT, its parameters) of the rectification items of the
    unlisted results (those already listed are skipped by the insert): every item whose
    stored fact lost points on any signed review sheet of the branch in the campaign, or left
    a ▲ item unmet (a missed period may leave the points full), so a shortfall found at
    全面考评 stays listed when a later stage's sheet became the result.
    One line per (result, code, kind); its text is the reviewer's 扣分说明 where a sheet has
    one (the latest stage's first), else the engine's line. Nothing is recomputed."""
    fact, result, sheet, stage = (
        ItemFact._meta.db_table,
        BranchResult._meta.db_table,
        ScoreSheet._meta.db_table,
        Stage._meta.db_table,
    )
    # Unordered: the subquery's model ordering would join the organizations to sort ids.
    signed, signed_params = signed_reviews(campaign).order_by().values("pk").query.sql_with_params()
    columns = (
        "result_id, campaign_id, source, organization_id, code, kind, problem, measure,"
        " responsible, deadline, status, follow_up, created_at"
    )
    # The pick sorts narrow rows (keys and the fact's id); the text of each line's one
    # fact is read afterwards, for the lines kept only.
    rows = (
        f" FROM {fact} f JOIN {sheet} s ON s.id = f.sheet_id"
        f" JOIN {stage} st ON st.id = s.stage_id JOIN {result} r"
        f" ON r.campaign_id = s.campaign_id AND r.organization_id = s.organization_id"
        # ``_unlisted`` as columns of the joined row, not "r.id IN (…)": SQLite would probe
        # the result index once per sheet and listed id (quadratic in the branches).
        f" WHERE r.campaign_id = %s AND r.computed_at = %s AND s.id IN ({signed})"
        f" AND {_shortfall_condition()}"
    )
    keys = "f.id AS fid, r.id AS rid, r.campaign_id AS cid, r.organization_id AS oid"
    if connection.vendor == "postgresql":
        found = (
            f"SELECT {keys}, ROW_NUMBER() OVER (PARTITION BY r.id, f.code, f.kind ORDER BY"
            f" CASE WHEN f.note <> '' THEN 0 ELSE 1 END, st.position DESC, s.id DESC) AS n"
            f"{rows}"
        )
        kept = " WHERE t.n = 1"
    else:
        # The same fact, by a group per line: SQLite takes a bare column beside one max()
        # from the row holding the maximum (documented), here of a key packing the
        # window's order — a 扣分说明 first, then the latest stage, then the latest sheet
        # (a position kept below 2^22 and an id below 2^40 leave the parts apart in 63
        # bits). SQLite's window sorted and then stored every shortfall: a third more time.
        position = "CASE WHEN st.position < 4194304 THEN st.position ELSE 4194303 END"
        found = (
            f"SELECT {keys}, max(((f.note <> '') << 62) + ({position} << 40) + s.id)"
            f"{rows} GROUP BY r.id, f.code, f.kind"
        )
        kept = ""
    noted = "CASE WHEN f.note <> '' THEN f.note ELSE f.reason END"
    # A line already listed is left out by the insert (ON CONFLICT DO NOTHING on
    # "rectification_once"), not by a NOT EXISTS here: on a first run the items' statistics
    # are stale, and PostgreSQL planned that anti-join as a scan of every item per line.
    select = (
        f"SELECT t.rid, t.cid, %s, t.oid, f.code, f.kind, {noted}, '', '', %s, %s, '', %s"
        f" FROM ({found}) t JOIN {fact} f ON f.id = t.fid{kept}"
    )
    deadline = timezone.localdate() + timedelta(days=RECTIFICATION_DAYS)
    source = RectificationItem._meta.get_field("source").get_default()
    params = [
        source,
        deadline,
        RectificationStatus.OPEN,
        timezone.now(),
        campaign.pk,
        connection.ops.adapt_datetimefield_value(now),
        *signed_params,
    ]
    return columns, select, params


def list_rectifications(
    campaign: Campaign, rules: scoring.Rules, results: list[Stored], by: User, now
) -> int:
    """Every deduction, unmet ▲ item and standing veto found at any review stage opens an
    item once (one INSERT … SELECT over the stored facts of the results not listed yet); a
    veto item whose veto was overturned is withdrawn. A weighted composite (亮牌) has no
    item-level shortfalls: its instruments' scores are its inputs."""
    unlisted = _unlisted(campaign, now)
    # Nothing changed: no fact read, no write. Something changed: one INSERT … SELECT (its
    # SELECT is the costly part, so it is not run a second time to see whether it is empty).
    if rules.method != scoring.COMPOSITE and unlisted.exists():
        # A subquery, not a list of ids: tens of thousands of parameters would pass
        # SQLite's limit.
        facts.backfill(
            signed_reviews(campaign).filter(organization_id__in=unlisted.values("organization_id"))
        )
        columns, select, params = _shortfall_sql(campaign, now)
        with connection.cursor() as cursor:
            table = RectificationItem._meta.db_table
            cursor.execute(
                f"INSERT INTO {table} ({columns}) {select} ON CONFLICT DO NOTHING", params
            )
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
