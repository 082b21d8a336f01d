"""One trace per provisioning, from the webhook to each AWS call, exported by OTLP from
the real services to a collector in the test; retries, dead letters and replays included."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator

import httpx
import pytest

from services.shared.topology import Topology
from tests.support import broker
from tests.support.emulator import Aws, EmulatorServer
from tests.support.generic import changes_body, signed_headers, user_change
from tests.support.otlp import Collector, Span, collecting
from tests.support.pipeline import (
    Pipeline,
    cli,
    gateway_and_normalizer,
    writer_env,
    writer_running,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]
SERVER, CLIENT, CONSUMER = 2, 3, 5  # OTLP span kinds


@pytest.fixture(scope="module")
def traced(
    amqp_url: str, emulator_server: EmulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Pipeline, Collector]]:
    logs = tmp_path_factory.mktemp("traced")
    topology = Topology(namespace=broker.test_namespace(), shards=2)
    env = writer_env(emulator_server.scim_url, emulator_server.token, logs / "state.db")
    with collecting() as collector, pytest.MonkeyPatch.context() as patch:
        patch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint)
        patch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")  # export within 0.1 s, not 5 s
        try:
            with (
                gateway_and_normalizer(amqp_url, topology, logs) as pipeline,
                writer_running(amqp_url, topology, logs / "writer.log", env),
            ):
                yield pipeline, collector
        finally:
            asyncio.run(broker.delete_topology(amqp_url, topology))


def _send_traced(pipeline: Pipeline, *changes: dict[str, object]) -> str:
    """Send a webhook as a traced client would; returns the trace id it carries."""
    trace_id = secrets.token_hex(16)
    body = changes_body("hr-system", *changes)
    headers = {**signed_headers(pipeline.webhook_secret, body, msg_id=secrets.token_hex(8)),
               "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}  # fmt: skip
    response = httpx.post(f"{pipeline.gateway_url}/webhooks/generic", content=body,
                          headers=headers, timeout=10)  # fmt: skip
    assert response.status_code == 200, response.text
    return trace_id


def _writer_spans(spans: list[Span], outcome: str) -> list[Span]:
    return [s for s in spans if s.service == "idp-sync-writer"
            and s.attributes.get("idp_sync.outcome") == outcome]  # fmt: skip


def test_one_trace_goes_from_the_webhook_to_each_aws_call(
    traced: tuple[Pipeline, Collector], aws: Aws
) -> None:
    pipeline, collector = traced
    trace_id = _send_traced(pipeline, user_change("tr-1", "u-tr", 1, title="Engineer"))
    everyone = {"idp-sync-gateway", "idp-sync-normalizer", "idp-sync-writer"}

    def whole() -> bool:
        """Three processes export on their own schedules, each span when it ends."""
        spans = collector.trace(trace_id)
        return (everyone <= {s.service for s in spans}
                and any(s.kind == SERVER and s.service == "idp-sync-gateway" for s in spans)
                and {s.service for s in spans if s.kind == CONSUMER} >= everyone - {
                    "idp-sync-gateway"}
                and any(s.kind == CLIENT for s in spans)
                and bool(_writer_spans(spans, "applied")))  # fmt: skip

    wait_until(whole, within=30, what="the whole trace: request, both consumers, SCIM calls")
    spans = collector.trace(trace_id)
    (applied,) = _writer_spans(spans, "applied")
    assert applied.attributes["user.name"] == "u-tr@hr.example"
    assert applied.attributes["user.id"] == "u-tr"
    assert applied.attributes["idp_sync.source"] == "generic"
    assert applied.attributes["idp_sync.event.type"] == "user.upserted"
    assert len(applied.attributes["idp_sync.idempotency_key"]) == 64
    user = next(u for u in aws.state()["users"] if u["userName"] == "u-tr@hr.example")
    assert applied.attributes["idp_sync.aws.id"] == user["id"]
    calls = [s for s in spans if s.kind == CLIENT and s.service == "idp-sync-writer"]
    statuses = {s.attributes.get("http.response.status_code", s.attributes.get("http.status_code"))
                for s in calls}  # fmt: skip
    assert {200, 201} <= statuses  # the lookup, then the create
    assert pipeline.logs is not None
    logged = [json.loads(line) for line in (pipeline.logs / "writer.log").read_text().splitlines()]
    (line,) = [x for x in logged if x["message"] == "user.upserted user:u-tr: applied"]
    assert line["trace_id"] == trace_id, "the log line must lead to its trace"
    assert line["span_id"] == applied.span_id
    secret_values = (pipeline.webhook_secret, aws.server.token)
    for span in collector.spans:
        assert not any(v in str(span.attributes) for v in secret_values), span


def test_a_retried_event_stays_in_its_trace(traced: tuple[Pipeline, Collector], aws: Aws) -> None:
    pipeline, collector = traced
    aws.faults(error_rate=1.0, operations=["CreateUser"])
    trace_id = _send_traced(pipeline, user_change("tr-2", "u-tr2", 1))
    wait_until(lambda: _writer_spans(collector.trace(trace_id), "retried"), within=30,
               what="a retry in the trace")  # fmt: skip
    aws.faults(error_rate=0.0)
    wait_until(lambda: _writer_spans(collector.trace(trace_id), "applied"), within=30,
               what="the retried event applied in the same trace")  # fmt: skip


def test_a_dead_letter_shows_its_trace_and_its_replay_links_to_it(
    traced: tuple[Pipeline, Collector], aws: Aws, amqp_url: str
) -> None:
    pipeline, collector = traced
    aws.faults(refuse_body_containing="Refused-title")
    trace_id = _send_traced(pipeline, user_change("tr-3", "u-tr3", 1, title="Refused-title"))
    wait_until(lambda: _writer_spans(collector.trace(trace_id), "dead-lettered"), within=30,
               what="the dead letter in the trace")  # fmt: skip
    shown = cli(pipeline, amqp_url, "dlq", "show", _dead_letter_id(pipeline, amqp_url))
    assert f"trace id: {trace_id}" in shown.stdout
    aws.faults(refuse_body_containing=None)
    replayed = cli(pipeline, amqp_url, "dlq", "replay", "--subject", "u-tr3", "--yes",
                   OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint)  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr

    def replay_span() -> Span | None:
        return next((s for s in collector.spans if trace_id in s.links), None)

    replay = wait_until(replay_span, within=30, what="a replay span linking to the original")
    assert replay.trace_id != trace_id
    wait_until(lambda: _writer_spans(collector.trace(replay.trace_id), "applied"), within=30,
               what="the replayed event applied in the replay's trace")  # fmt: skip


def _dead_letter_id(pipeline: Pipeline, amqp_url: str) -> str:
    listed = cli(pipeline, amqp_url, "dlq", "list", "--json", "--subject", "u-tr3")
    return str(listed.stdout.split('"id": "')[1].split('"')[0])
