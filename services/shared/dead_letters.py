"""Dead letters that say why: the message, untouched, plus what an SRE needs to act.

A plain ``reject`` would send the message to the DLQ without the reason. Instead the
consumer publishes it to ``{ns}.dead-letter`` (routing key: the queue it failed in, so it
lands in ``<queue>.dlq``) with these headers, waits for the confirm, then acks the original.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from faststream.rabbit import RabbitBroker, RabbitQueue
from faststream.rabbit.message import RabbitMessage

from .topology import Topology

ERROR_CLASS = "x-idp-sync-error-class"
ERROR_DETAIL = "x-idp-sync-error-detail"
ATTEMPTS = "x-idp-sync-attempts"
FIRST_FAILED_AT = "x-idp-sync-first-failed-at"
LAST_FAILED_AT = "x-idp-sync-last-failed-at"
ORIGINAL_EXCHANGE = "x-idp-sync-original-exchange"
ORIGINAL_ROUTING_KEY = "x-idp-sync-original-routing-key"
ORIGINAL_QUEUE = "x-idp-sync-original-queue"
HISTORY = "x-idp-sync-history"
"""Every failed attempt, oldest first: ``<time> attempt <n> <ErrorClass>: <detail>``."""
REPLAYED_AT = "x-idp-sync-replayed-at"
HELD_AT = "x-idp-sync-held-at"
APPROVED = "x-idp-sync-approved"
"""Set on a held deletion a person approved: the deletion guard lets it through."""
MAX_HISTORY = 20


def with_failure(headers: dict[str, Any], error: BaseException, attempts: int) -> list[str]:
    """``headers``' history with this failure added (the latest ``MAX_HISTORY`` kept)."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    entry = f"{now} attempt {attempts} {type(error).__name__}: {str(error)[:300]}"
    earlier = [str(e) for e in headers.get(HISTORY, []) or []]
    return [*earlier, entry][-MAX_HISTORY:]


def failure_headers(
    message: RabbitMessage, queue: RabbitQueue, error: BaseException, attempts: int
) -> dict[str, Any]:
    """The message's own headers plus the failure's, keeping the first failure's time."""
    raw = message.raw_message
    now = dt.datetime.now(dt.UTC).isoformat()
    headers: dict[str, Any] = dict(message.headers)
    headers.update({
        ERROR_CLASS: type(error).__name__,
        ERROR_DETAIL: str(error)[:2000],
        ATTEMPTS: attempts,
        FIRST_FAILED_AT: headers.get(FIRST_FAILED_AT, now),
        LAST_FAILED_AT: now,
        ORIGINAL_EXCHANGE: headers.get(ORIGINAL_EXCHANGE, raw.exchange or ""),
        ORIGINAL_ROUTING_KEY: headers.get(ORIGINAL_ROUTING_KEY, raw.routing_key or ""),
        ORIGINAL_QUEUE: queue.name,
        HISTORY: with_failure(headers, error, attempts),
    })  # fmt: skip
    return headers


async def dead_letter(
    broker: RabbitBroker, topology: Topology, message: RabbitMessage, queue: RabbitQueue,
    error: BaseException, *, attempts: int = 1,
) -> None:  # fmt: skip
    """Park ``message`` in ``<queue>.dlq`` with the reason; the caller acks it afterwards."""
    await broker.publish(
        message.body,
        exchange=topology.dead_letter_exchange,
        routing_key=queue.name,
        mandatory=True,
        persist=True,
        message_id=message.message_id,
        content_type=message.content_type,
        headers=failure_headers(message, queue, error, attempts),
    )
