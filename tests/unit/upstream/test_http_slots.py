"""The per-host slots: waiters that are part-way through a chain go first; cancellation is safe."""

from __future__ import annotations

import asyncio

from release.upstream.http import _PrioritySlots


def test_lower_priority_value_is_served_first_then_fifo() -> None:
    async def scenario() -> list[str]:
        slots = _PrioritySlots(1)
        order: list[str] = []
        release = asyncio.Event()

        async def user(name: str, priority: int) -> None:
            async with slots.hold(priority):
                order.append(name)
                if name == "first":
                    await release.wait()

        first = asyncio.create_task(user("first", 0))
        await asyncio.sleep(0)
        waiting = [asyncio.create_task(user(n, p)) for n, p in
                   [("new-a", 0), ("new-b", 0), ("page-2", -1), ("page-3", -2)]]
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(first, *waiting)
        return order

    assert asyncio.run(scenario()) == ["first", "page-3", "page-2", "new-a", "new-b"]


def test_a_cancelled_waiter_does_not_leak_a_slot() -> None:
    async def scenario() -> int:
        slots = _PrioritySlots(1)
        holder_can_leave = asyncio.Event()

        async def holder() -> None:
            async with slots.hold(0):
                await holder_can_leave.wait()

        async def waiter() -> None:
            async with slots.hold(0):
                pass

        held = asyncio.create_task(holder())
        await asyncio.sleep(0)
        doomed = asyncio.create_task(waiter())
        await asyncio.sleep(0)
        doomed.cancel()
        holder_can_leave.set()
        await held
        await asyncio.gather(doomed, return_exceptions=True)
        # the slot is free again: three sequential users get through without waiting forever
        for _ in range(3):
            await asyncio.wait_for(waiter(), timeout=5)
        return slots._free

    assert asyncio.run(scenario()) == 1
