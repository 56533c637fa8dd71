"""Leaky buckets of query cost: spent, refused when short, filled again over time."""

import httpx
import pytest

from infra import cost_buckets
from infra.cost_buckets import CostBuckets, shared_tally


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_spend_refuse_wait_and_give_back() -> None:
    clock = Clock()
    buckets = CostBuckets(capacity=100, restore_rate=10, clock=clock)
    assert buckets.take("a", 70) == 30
    assert buckets.take("a", 40) is None  # nothing is spent on a refusal
    assert buckets.available("a") == 30
    assert buckets.seconds_until("a", 40) == 1.0
    clock.now += 1
    assert buckets.take("a", 40) == 0
    buckets.give_back("a", 25)
    assert buckets.available("a") == 25
    clock.now += 60
    assert buckets.available("a") == 100  # never more than the capacity
    assert buckets.available("b") == 100


def test_nothing_to_wait_for_when_the_points_are_there() -> None:
    buckets = CostBuckets(capacity=100, restore_rate=10, clock=Clock())
    assert buckets.seconds_until("a", 100) == 0.0
    buckets.spend("a", 120)  # owes 20: 12 s until 100 are back
    assert buckets.available("a") == -20
    assert buckets.seconds_until("a", 100) == 12.0


def test_the_longest_idle_caller_is_forgotten_past_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cost_buckets, "MAX_CALLERS", 2)
    buckets = CostBuckets(capacity=100, restore_rate=10, clock=Clock())
    for caller in ("a", "b"):
        buckets.spend(caller, 50)
    buckets.spend("a", 10)  # "b" is now the longest idle
    buckets.spend("c", 50)
    assert list(buckets.levels) == ["a", "c"]
    assert (buckets.available("a"), buckets.available("b")) == (40, 100)


@pytest.mark.parametrize("points", [0, -5])
def test_nothing_or_less_neither_spends_nor_refunds(points: float) -> None:
    """A free query takes nothing; a cost or a refund below 0 is 0 (it adds to no bucket)."""
    buckets = CostBuckets(capacity=100, restore_rate=10, clock=Clock())
    assert buckets.take("a", 60) == 40
    assert buckets.take("a", points) == 40
    buckets.spend("a", points)
    assert buckets.available("a") == 40
    buckets.give_back("a", points)
    assert buckets.available("a") == 40


async def test_a_bucket_drained_in_one_process_is_empty_in_the_other(
    client: httpx.AsyncClient,
) -> None:
    del client  # binds the documents to the test database
    clock = Clock()
    here = CostBuckets(capacity=60, restore_rate=1, clock=clock, tally=shared_tally("cost"))
    there = CostBuckets(capacity=60, restore_rate=1, clock=clock, tally=shared_tally("cost"))
    assert here.take("a", 50) == 10
    here.give_back("a", 5)  # refunds are shared too: 45 spent
    await here.sync()
    assert there.take("a", 1) == 59  # not synced yet: within the interval
    await there.sync()
    assert there.available("a") == 14  # 60 - 45 here - 1 there
    assert there.take("a", 15) is None
    assert here.take("a", 1) == 14  # a process learns a caller's total when it serves him
    await here.sync()
    assert here.available("a") == 13
    assert there.available("b") == 60  # another caller's bucket is untouched
