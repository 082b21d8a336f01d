"""Tracing for every service: OpenTelemetry's SDK, exported by OTLP when the standard
``OTEL_*`` variables ask for it, and nothing but the no-op API when they do not.

Trace context crosses the broker in each message's headers through FastStream's telemetry
middleware, and each SCIM call is a span from OpenTelemetry's httpx instrumentation; this
module only decides whether spans are recorded and where they go, and names the domain
attributes that let Jaeger find one user.
"""

from __future__ import annotations

import atexit
import os

from opentelemetry import trace

import schemas

# Domain attributes, set on the spans that know them (never secrets or tokens).
SOURCE = "idp_sync.source"
TENANT = "idp_sync.tenant"
EVENT_TYPE = "idp_sync.event.type"
SUBJECT = "idp_sync.subject"
IDEMPOTENCY_KEY = "idp_sync.idempotency_key"
OUTCOME = "idp_sync.outcome"
USER_ID = "user.id"
"""The IdP's user id (OpenTelemetry's ``user.id``)."""
USER_NAME = "user.name"
"""The AWS userName (OpenTelemetry's ``user.name``): what people search Jaeger by."""
GROUP_NAME = "idp_sync.group.name"
AWS_ID = "idp_sync.aws.id"

_EXPORT_SWITCHES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def exporting() -> bool:
    """Whether the environment asks for spans to be exported."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    return any(os.environ.get(name) for name in _EXPORT_SWITCHES)


def configure_tracing(service: str, *, always: bool = False) -> None:
    """Record spans as ``service`` and export them by OTLP/HTTP when ``OTEL_*`` says where
    to; with ``always``, record them even without an exporter (the demo prints trace ids)."""
    if not (exporting() or always):
        return
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    if exporting():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    atexit.register(provider.shutdown)  # flush what is batched when the service stops


def current_ids() -> tuple[str, str]:
    """The current trace id and span id in hex, or empty strings outside any span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return "", ""
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def annotate(event: schemas.CanonicalEvent) -> None:
    """Put what identifies ``event``'s user or group on the current span."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    span.set_attributes({
        SOURCE: event.source, TENANT: event.idp_tenant,
        EVENT_TYPE: schemas.event_type(type(event)), SUBJECT: event.subject.shard_key,
        IDEMPOTENCY_KEY: event.idempotency_key,
    })  # fmt: skip
    match event:
        case schemas.UserUpserted():
            user = event.user.user_name
            span.set_attributes({USER_ID: event.subject.idp_id, USER_NAME: user})
        case schemas.UserDeactivated() | schemas.UserDeleted():
            span.set_attribute(USER_ID, event.subject.idp_id)
        case schemas.GroupUpserted():
            span.set_attribute(GROUP_NAME, event.group.display_name)
        case schemas.GroupMemberAdded() | schemas.GroupMemberRemoved():
            names = [m.user_name or m.idp_id for m in event.members[:50]]
            span.set_attributes({GROUP_NAME: event.display_name or "", USER_NAME: names})
        case _:
            pass
