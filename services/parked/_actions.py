"""What can be done with a parked message: send it back where it failed, or drop it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from services.shared import dead_letters as dl

from ._lot import Settle
from ._message import ParkedMessage

_PROPAGATOR = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("idp_sync.parked")
_FAILURE_HEADERS = (dl.ERROR_CLASS, dl.ERROR_DETAIL, dl.ATTEMPTS, dl.HELD_AT)


def _headers_for_return(message: ParkedMessage, **extra: Any) -> dict[str, Any]:
    """The message's own headers and its history; fresh attempts; when it came back."""
    headers = {k: v for k, v in message.headers.items() if k not in _FAILURE_HEADERS}
    return {**headers, dl.REPLAYED_AT: dt.datetime.now(dt.UTC).isoformat(), **extra}


async def _publish(
    channel: AbstractChannel, message: ParkedMessage, exchange: str, routing_key: str,
    headers: dict[str, Any],
) -> None:  # fmt: skip
    target = (
        channel.default_exchange if not exchange
        else await channel.get_exchange(exchange, ensure=False)
    )  # fmt: skip
    await target.publish(
        aio_pika.Message(message.body, headers=headers, message_id=message.id,
                         content_type="application/json",
                         delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
        routing_key=routing_key, mandatory=True,
    )  # fmt: skip


async def replay(channel: AbstractChannel, message: ParkedMessage) -> None:
    """Back to the exchange and routing key it failed from, same body and message id, so
    its idempotency key is kept: applied once, skipped if stale. When tracing is on, the
    replay is a trace of its own that links to the original one."""
    exchange = str(message.headers.get(dl.ORIGINAL_EXCHANGE, ""))
    routing_key = str(message.headers.get(dl.ORIGINAL_ROUTING_KEY, ""))
    if not routing_key:
        raise ValueError(f"message {message.id} does not say where it failed")
    headers = _headers_for_return(message)
    original = trace.get_current_span(_PROPAGATOR.extract(headers)).get_span_context()
    links = [trace.Link(original)] if original.is_valid else []
    with _tracer.start_as_current_span(
        f"{exchange or 'default'} replay", context=Context(), kind=trace.SpanKind.PRODUCER,
        links=links, attributes={"messaging.message.id": message.id},
    ) as span:  # fmt: skip
        if span.is_recording():  # else keep the original context: better than none
            for key in ("traceparent", "tracestate"):
                headers.pop(key, None)
            _PROPAGATOR.inject(headers)
        await _publish(channel, message, exchange, routing_key, headers)


def approve_to(events_exchange: str) -> Settle:
    """A held deletion, approved: back to its shard, let through by the deletion guard."""

    async def approve(channel: AbstractChannel, message: ParkedMessage) -> None:
        routing_key = str(message.headers.get(dl.ORIGINAL_ROUTING_KEY, ""))
        headers = _headers_for_return(message, **{dl.APPROVED: True})
        await _publish(channel, message, events_exchange, routing_key, headers)

    return approve


async def drop(_: AbstractChannel, __: ParkedMessage) -> None:
    """Nothing to confirm: the message is removed, and that is all."""
