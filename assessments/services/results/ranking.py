"""The campaign's ranking, stored on each result: its rank (equal grade and score share a
rank: 1, 1, 3 …) and its position in the ranked list. Written whenever a result's grade
or score changes (consolidation, a recorded re-rating), read by ``results_ledger`` and so
by every page, export, report and API that prints a rank: a page of the ranking is then an
indexed read, not a window over every result of the campaign."""

from django.db import connection
from django.db.models import Case, F, IntegerField, Value, When, Window
from django.db.models.functions import Rank, RowNumber

from ...models import BranchResult, Campaign


def rank_results(campaign: Campaign) -> None:
    """Rank by grade tier first (a capped 99.5 基本合格 ranks below a 95.5 合格), then by
    score; results of equal rank are listed by organization code. One ``UPDATE … FROM``
    over a window query; only results whose rank or position changed are written."""
    bands = [b.label for b in campaign.rubric_version.bands.all() if not b.scale]
    tier = Case(
        *[When(grade=label, then=Value(n)) for n, label in enumerate(bands)],
        default=Value(len(bands)),
        output_field=IntegerField(),
    )
    order = [tier.asc(), F("total").desc()]
    ranked = (
        BranchResult.objects.filter(campaign=campaign)
        .order_by()
        .annotate(
            new_rank=Window(Rank(), order_by=order),
            new_position=Window(
                RowNumber(), order_by=[*order, F("organization__code").asc(), F("pk").asc()]
            ),
        )
        .values("id", "new_rank", "new_position")
    )
    select, params = ranked.query.sql_with_params()
    table = connection.ops.quote_name(BranchResult._meta.db_table)
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE {table} SET "rank" = w.new_rank, "position" = w.new_position '
            f"FROM ({select}) AS w WHERE {table}.id = w.id "
            f'AND ({table}."rank" {differs} w.new_rank '
            f'OR {table}."position" {differs} w.new_position)',
            params,
        )
