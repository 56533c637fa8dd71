"""Leaky buckets of query cost: spent, refused when short, filled again over time."""

from infra.cost_buckets import CostBuckets


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
