"""Random draws that anyone can repeat, and fair assignment. Pure: no ORM.

A draw is fully determined by its seed and inputs (the population per enterprise in a
fixed order, and the ratio or count), so redrawing from the recorded values gives the
same sample.
"""

import math
import random
from collections.abc import Callable, Hashable, Mapping, Sequence
from decimal import Decimal


class SamplingError(ValueError):
    pass


def sample_size(population: int, *, ratio: Decimal | None = None, count: int | None = None) -> int:
    """Per enterprise: ⌈population × ratio⌉ (at least 1), or min(count, population)."""
    if population == 0:
        return 0
    if ratio is not None:
        return max(1, min(population, math.ceil(Decimal(population) * Decimal(ratio))))
    if count is not None:
        return min(count, population)
    return population


def draw(
    population: Mapping[str, Sequence[int]],
    *,
    seed: str,
    ratio: Decimal | None = None,
    count: int | None = None,
) -> dict[str, list[int]]:
    """Sample each enterprise's organizations independently; result ids sorted."""
    result: dict[str, list[int]] = {}
    for enterprise in sorted(population):
        members = sorted(population[enterprise])
        size = sample_size(len(members), ratio=ratio, count=count)
        rng = random.Random(f"{seed}:{enterprise}")
        result[enterprise] = sorted(rng.sample(members, size))
    return result


def redraw(seed: str, inputs: dict) -> dict[str, list[int]]:
    """Repeat a recorded draw from its seed and the inputs stored with it (the population
    per enterprise and the ratio or count)."""
    ratio = Decimal(inputs["ratio"]) if inputs.get("ratio") else None
    return draw(
        {k: v for k, v in inputs["population"].items()},
        seed=seed,
        ratio=ratio,
        count=inputs.get("count"),
    )


def group_plan(
    groups: Sequence[int], *, seed: str, avoid_reciprocal: bool = True
) -> list[tuple[int, int]]:
    """(reviewer group, reviewed group) pairs: every group reviewed once, never by itself.

    The groups are shuffled by the seed and each reviews the next in a ring, so with three
    or more groups no two groups review each other.
    """
    ordered = sorted(groups)
    if len(ordered) < 2:
        raise SamplingError("交叉互评至少需要两个互评组。")
    if avoid_reciprocal and len(ordered) == 2:
        raise SamplingError("只有两个互评组时无法避免两组互相考评，请取消“避免两组互相考评”。")
    random.Random(f"{seed}:groups").shuffle(ordered)
    return [(ordered[i], ordered[(i + 1) % len(ordered)]) for i in range(len(ordered))]


def spread[T: Hashable, A: Hashable](
    items: Sequence[T],
    assessors: Sequence[A],
    *,
    conflict: Callable[[A, T], bool],
    load: dict[A, int] | None = None,
) -> dict[T, A]:
    """Give each item to the least-loaded assessor without a conflict (even spread)."""
    if not assessors:
        raise SamplingError("没有可分配的考评人员。")
    load = dict(load or {})
    for assessor in assessors:
        load.setdefault(assessor, 0)
    result: dict[T, A] = {}
    for item in items:
        eligible = [a for a in assessors if not conflict(a, item)]
        if not eligible:
            raise SamplingError(f"没有与“{item}”无关联的考评人员可分配。")
        chosen = min(eligible, key=lambda a: (load[a], assessors.index(a)))
        result[item] = chosen
        load[chosen] += 1
    return result
