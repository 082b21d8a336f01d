"""Parking a retirement the deletion guard stopped, for a person to approve or reject."""

from __future__ import annotations

import datetime as dt
import logging

from faststream.rabbit import RabbitBroker
from faststream.rabbit.annotations import RabbitMessage

import schemas
from services.shared.dead_letters import HELD_AT, ORIGINAL_ROUTING_KEY
from services.shared.topology import Topology

from ._deletion_guard import DeletionGuard, Retirement

log = logging.getLogger("idp_sync.writer")


async def hold(
    broker: RabbitBroker, topology: Topology, guard: DeletionGuard, event: Retirement,
    message: RabbitMessage,
) -> None:  # fmt: skip
    """Publish ``message`` to ``{ns}.held`` (confirmed) with when and where it came from."""
    log.error("deletion guard: holding %s %s: more than %d deactivations and deletions "
              "within %g s. Review with `idp-sync held list`.", schemas.event_type(type(event)),
              event.subject.shard_key, guard.limit, guard.window)  # fmt: skip
    await broker.publish(
        message.body, routing_key=topology.held_queue.name, persist=True,
        mandatory=True, message_id=message.message_id, content_type=message.content_type,
        headers={**message.headers, HELD_AT: dt.datetime.now(dt.UTC).isoformat(),
                 ORIGINAL_ROUTING_KEY: message.raw_message.routing_key or ""},
    )  # fmt: skip
