"""A recorded random draw in words, and whether running it again gives the same sample."""

from decimal import Decimal

from branches.models import Organization
from rubrics import scoring

from .. import sampling


def draw_details(record) -> dict:
    """A recorded draw as people read it: enterprises, groups and branches by name, the
    inputs in words (the stored JSON stays as it is, for the redraw)."""
    from branches.models import CrossReviewGroup

    inputs = record.inputs
    population = inputs.get("population", {})
    ids = {int(e) for e in population} | {int(e) for e in record.selected}
    ids |= {i for chosen in record.selected.values() for i in chosen}
    ids |= {i for members in population.values() for i in members}
    names = dict(Organization.objects.filter(pk__in=ids).values_list("pk", "name"))
    group_ids = set(inputs.get("groups") or []) | {
        g for pair in inputs.get("plan") or [] for g in pair
    }
    groups = dict(CrossReviewGroup.objects.filter(pk__in=group_ids).values_list("pk", "name"))
    rows = [
        (
            names.get(int(e), e),
            len(population.get(e, [])),
            [names.get(i, str(i)) for i in chosen],
        )
        for e, chosen in record.selected.items()
    ]
    ratio = inputs.get("ratio")
    settings = []
    if ratio:
        settings.append(("抽样比例", f"{scoring.fmt(Decimal(ratio) * 100)}%（每个企业至少 1 个）"))
    if inputs.get("count"):
        settings.append(("每个企业抽取", f"{inputs['count']} 个"))
    if "avoid_reciprocal" in inputs:
        settings.append(("避免两组互相考评", "是" if inputs["avoid_reciprocal"] else "否"))
    if inputs.get("groups"):
        settings.append(
            ("参加互评的组", "、".join(groups.get(g, str(g)) for g in inputs["groups"]))
        )
    return {
        "rows": rows,
        "plan": [
            (groups.get(a, str(a)), groups.get(b, str(b))) for a, b in inputs.get("plan") or []
        ],
        "settings": settings,
        "population": [
            (names.get(int(e), e), [names.get(i, str(i)) for i in members])
            for e, members in population.items()
        ],
    }


def draw_page(record) -> dict:
    """A recorded draw with its details and whether running it again gives the same."""
    repeated = sampling.redraw(record.seed, record.inputs)
    return {"matches": repeated == record.selected, **draw_details(record)}
