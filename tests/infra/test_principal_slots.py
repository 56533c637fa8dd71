"""Slots per principal: at most the limit each, given back one by one, others unaffected."""

from infra.principal_slots import PrincipalSlots, ProcessSlots


async def test_a_principal_holds_at_most_the_limit() -> None:
    slots: PrincipalSlots = ProcessSlots(limit=2)
    assert [await slots.take("key:a") for _ in range(3)] == [True, True, False]
    assert await slots.take("user:b")  # another principal has his own
    await slots.give_back("key:a")
    assert await slots.take("key:a")
    assert not await slots.take("key:a")


async def test_a_principal_holding_none_is_forgotten() -> None:
    slots = ProcessSlots(limit=1)
    await slots.take("key:a")
    await slots.give_back("key:a")
    assert slots.held == {}
