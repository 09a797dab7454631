"""`gather_all` and `gather_pair`: asyncio.gather that never leaves a sibling running."""

from __future__ import annotations

import asyncio

import pytest

from release.upstream.common import gather_all, gather_pair


class BoomError(Exception):
    pass


def test_results_come_back_in_order() -> None:
    async def value(n: int, wait: float) -> int:
        await asyncio.sleep(wait)
        return n

    async def main() -> tuple[list[int], tuple[int, str]]:
        return (await gather_all(value(1, 0.02), value(2, 0.0), value(3, 0.01)),
                await gather_pair(value(4, 0.01), asyncio.sleep(0, result="x")))

    assert asyncio.run(main()) == ([1, 2, 3], (4, "x"))


@pytest.mark.parametrize("pair", [False, True], ids=["all", "pair"])
def test_a_failure_cancels_and_awaits_the_others_before_it_is_raised(pair: bool) -> None:
    unwound: list[str] = []

    async def slow() -> int:
        try:
            await asyncio.sleep(10)
        finally:
            unwound.append("slow")  # ran to its end before the failure reached the caller
        return 0

    async def fails() -> int:
        await asyncio.sleep(0.01)
        raise BoomError("the signature is gone")

    async def main() -> list[asyncio.Task[object]]:
        together = gather_pair(slow(), fails()) if pair else gather_all(slow(), fails(), slow())
        with pytest.raises(BoomError, match="the signature is gone"):
            await together
        assert unwound == (["slow"] if pair else ["slow", "slow"])
        return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    assert asyncio.run(main()) == []


def test_cancelling_the_caller_cancels_every_one() -> None:

    async def main() -> list[asyncio.Task[object]]:
        running = asyncio.Event()

        async def wait() -> None:
            running.set()
            await asyncio.sleep(10)

        caller = asyncio.create_task(gather_all(wait(), wait()))
        await running.wait()
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        await asyncio.sleep(0)
        return [t for t in asyncio.all_tasks()
                if t is not asyncio.current_task() and not t.done()]

    assert asyncio.run(main()) == []
