"""One shard queue's consumer state in the writer: a turn at a time, a batch of
membership events, and what is delivered but not finished."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aio_pika.exceptions import ChannelInvalidStateError
from faststream.rabbit.annotations import RabbitMessage

from ._applier import MembershipEvent

WAITING_SINCE = "x-idp-sync-waiting-since"
"""Epoch seconds a membership began to wait for its user or group to reach AWS."""


@dataclass
class Shard:
    """One shard's consumer: handlers run one at a time, membership events of one group
    that are already delivered and waiting are applied together."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0
    """Delivered messages of this shard waiting for the lock."""
    members: list[tuple[RabbitMessage, MembershipEvent]] = field(default_factory=list)
    """Membership events of one group, unacked, to be applied in one go."""
    unfinished: dict[int, float] = field(default_factory=dict)
    """When each delivered, unfinished message was received by the gateway (epoch s)."""

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold the shard's lock; counted as waiting until it is held or the wait ends.

        The count is undone however the wait ends, cancellation included: a count left
        behind would make every later membership event wait for a handler that is gone.
        """
        self.waiting += 1
        try:
            await self.lock.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self.lock.release()

    def pending(self, message: RabbitMessage) -> bool:
        return any(waiting is message for waiting, _ in self.members)

    def orphaned(self) -> bool:
        """A batch is pending with no handler waiting or running to apply it."""
        return bool(self.members) and self.waiting == 0 and not self.lock.locked()


def held(message: RabbitMessage) -> bool:
    """Whether ``message`` is still ours to ack: the channel it came on is open."""
    try:
        return not message.raw_message.channel.is_closed
    except ChannelInvalidStateError:
        return False


def waited_for(message: RabbitMessage) -> float:
    """Seconds ``message`` has waited for a dependency (0 when it never did)."""
    since = message.headers.get(WAITING_SINCE)
    try:
        return max(0.0, time.time() - float(str(since))) if since is not None else 0.0
    except ValueError:
        return 0.0


async def give_back(message: RabbitMessage) -> None:
    """Return ``message`` to its queue now, for another try (nothing if its channel is gone:
    the broker has it back already)."""
    with contextlib.suppress(Exception):
        await message.nack(requeue=True)
