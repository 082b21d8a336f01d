"""Secrets never leak: one run of the real services with a known, distinctive value for every
secret setting, driven through accepted and refused webhooks, IdP API read-backs, a retry and
dead letters, then operated with the CLI. Every log line (at DEBUG), exported span, /metrics
page, parked message, HTTP answer and CLI output is searched for each value and its obvious
encodings (base64, URL-quoting, the key inside ``whsec_`` and ``Basic``, AMQP's PLAIN).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import hashlib
import hmac
import json
import subprocess
import uuid
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.shared import Settings
from services.shared.topology import Topology
from tests.support import broker, okta
from tests.support.asgi_server import serving
from tests.support.emulator import Aws, EmulatorServer
from tests.support.fake_graph import TENANT, FakeGraph, notification
from tests.support.fake_okta import FakeOkta
from tests.support.generic import changes_body, signed_headers, user_change
from tests.support.otlp import Collector
from tests.support.pipeline import dlq_depths, gateway_and_normalizer, service_env, writer_running
from tests.support.processes import free_port, run_cli, running
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator, pytest.mark.postgres,
              pytest.mark.timeout(300)]  # fmt: skip
Places = dict[str, bytes]
"""Where something was seen (a log, a span, a CLI run...) -> all that was seen there."""


def _distinct(kind: str) -> str:
    """Letters and digits only, so the value reads the same in a URL, a header or JSON."""
    return f"{kind}{uuid.uuid4().hex}"


def _b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


AMQP_USER, WEBHOOK_KEY = f"idp-sync-secrets-{uuid.uuid4().hex[:8]}", _distinct("whkey").encode()
SECRETS = {
    "IDP_SYNC_AMQP_URL": _distinct("amqppw"),  # the password in it
    "IDP_SYNC_STATE_URL": _distinct("pgpw"),  # the password in it (trust auth ignores it)
    "IDP_SYNC_OKTA_AUTH_SECRET": "Basic " + _b64(f"okta-hook:{_distinct('oktahook')}"),
    "IDP_SYNC_WEBHOOK_SECRET": "whsec_" + _b64(WEBHOOK_KEY),
    **{f"IDP_SYNC_{name.upper()}": _distinct(name.replace("_", "")) for name in (
        "okta_api_token", "entra_client_state", "entra_client_secret", "keycloak_secret",
        "keycloak_client_secret", "authentik_secret", "authentik_token",
        "google_channel_token", "scim_token")},
    "OTEL_EXPORTER_OTLP_HEADERS": _distinct("otlpcollector"),  # a collector's credentials
}  # fmt: skip
AMQP_URL = f"amqp://{AMQP_USER}:{SECRETS['IDP_SYNC_AMQP_URL']}@127.0.0.1:5672/"
SCHEMA = f"idp_sync_secrets_{uuid.uuid4().hex[:8]}"
PG_URL = f"postgresql://postgres:{SECRETS['IDP_SYNC_STATE_URL']}@127.0.0.1:5432/test"


def needles() -> dict[str, bytes]:
    """Each secret as the services hold it, and the forms it takes on the wire."""
    found: dict[str, bytes] = {}
    for name, value in SECRETS.items():
        forms = {"": value, " (base64)": _b64(value), " (URL-quoted)": quote(value, safe="")}
        if value.startswith(("Basic ", "whsec_")):
            inner = value.split(" ", 1)[-1].removeprefix("whsec_")
            forms |= {" (its base64 part)": inner, " (decoded)": base64.b64decode(inner).decode()}
        found |= {f"{name}{form}": text.encode() for form, text in forms.items()}
    found["IDP_SYNC_WEBHOOK_SECRET (key in hex)"] = WEBHOOK_KEY.hex().encode()
    plain = _b64(f"\0{AMQP_USER}\0{SECRETS['IDP_SYNC_AMQP_URL']}")
    found["IDP_SYNC_AMQP_URL (AMQP PLAIN response)"] = plain.encode()
    return found


def search(places: Places, wanted: dict[str, bytes]) -> list[str]:
    """Where each secret was found, with what surrounds it; empty when nowhere."""
    hits = []
    for place, seen in places.items():
        for name, needle in wanted.items():
            if (at := seen.find(needle)) >= 0:
                around = seen[max(0, at - 80) : at + len(needle) + 40].decode(errors="replace")
                hits.append(f"{name} in {place}: ...{around}...")
    return hits


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)  # noqa: S603, S607


async def _postgres(sql: str) -> None:
    connection = await asyncpg.connect(PG_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.contextmanager
def _user_and_schema() -> Iterator[None]:
    """A broker user and a PostgreSQL schema of this run, whose passwords are secrets."""
    broker.amqp_url(), broker.postgres_dsn()  # each fails (never skips) when absent
    _rabbitmqctl("add_user", AMQP_USER, SECRETS["IDP_SYNC_AMQP_URL"])
    try:
        _rabbitmqctl("set_permissions", "-p", "/", AMQP_USER, ".*", ".*", ".*")
        asyncio.run(_postgres(f"CREATE SCHEMA {SCHEMA}"))
        yield
    finally:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            asyncio.run(_postgres(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        _rabbitmqctl("delete_user", AMQP_USER)


@contextlib.contextmanager
def _collecting(bodies: list[bytes]) -> Iterator[Collector]:
    """tests.support.otlp's collector, keeping each export whole too: it decodes span
    attributes only, and a secret could as well sit in an event, a status or the resource."""
    collector = Collector()

    async def traces(request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        bodies.append(body)
        collector.receive(body)
        return Response(b"", media_type="application/x-protobuf")

    with serving(Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])) as url:
        collector.endpoint = url
        yield collector


def _span_places(bodies: list[bytes]) -> Places:
    places: defaultdict[str, bytes] = defaultdict(bytes)
    for body in bodies:
        places["OTLP exports, whole"] += body + b"\n"
        for resource in ExportTraceServiceRequest.FromString(body).resource_spans:
            service = next(a.value.string_value for a in resource.resource.attributes
                           if a.key == "service.name")  # fmt: skip
            places[f"OTLP resource of {service}"] += resource.resource.SerializeToString()
            for scope in resource.scope_spans:
                for span in scope.spans:
                    places[f"OTLP span {service}/{span.name}"] += span.SerializeToString() + b"\n"
    return dict(places)


def _refusing_idp() -> Starlette:
    """Keycloak's token endpoint and authentik's API, refusing our credentials."""

    async def refuse(request: Request) -> Response:
        return JSONResponse({"error": "unauthorized_client"}, 401)

    return Starlette(routes=[Route("/{path:path}", refuse, methods=["GET", "POST"])])


def _generic(change: dict[str, Any], key: str = SECRETS["IDP_SYNC_WEBHOOK_SECRET"]) -> Any:
    body = changes_body("hr-system", change)
    return {"content": body, "headers": signed_headers(key, body, msg_id=uuid.uuid4().hex)}


def _webhooks() -> list[tuple[str, str, int, dict[str, Any]]]:
    """(what, route, expected status, request) for every IdP, with right and wrong secrets."""
    okta_update = okta.batch(okta.event("user.account.update_profile", [okta.user_target(
        "00usec", "okta-sec@acme.com")], published="2026-11-02T10:00:00.000Z"))  # fmt: skip
    keycloak = json.dumps({"uid": uuid.uuid4().hex, "realmName": "acme", "time": 1762078531000,
                           "resourceType": "USER", "operationType": "UPDATE",
                           "resourcePath": "users/k-sec"}).encode()  # fmt: skip
    signed = hmac.new(SECRETS["IDP_SYNC_KEYCLOAK_SECRET"].encode(), keycloak, hashlib.sha256)
    authentik = {"event_uuid": uuid.uuid4().hex, "action": "model_updated",
                 "created": "2026-11-02T10:00:00Z", "model": {"app": "authentik_core",
                 "model_name": "user", "pk": 77, "name": "x"}}  # fmt: skip

    def header(name: str, value: str, **request: Any) -> dict[str, Any]:
        # The resource state makes Google's message a channel's hello (answered, nothing
        # queued: Google's reads are not configured here); the other routes ignore it.
        return {**request, "headers": {name: value, "content-type": "application/json",
                                       "x-goog-resource-state": "sync"}}  # fmt: skip

    def entra(state: str) -> dict[str, Any]:
        return {"json": {"value": [notification("Users/e-sec", state)]}}

    return [
        ("generic, signed", "generic", 200, _generic(user_change("s-1", "u-sec1", 1))),
        ("generic, wrong key", "generic", 401,
         _generic(user_change("s-x", "u-x", 1), "whsec_" + _b64(b"not the key at all"))),
        ("okta, right secret", "okta", 200,
         header("authorization", SECRETS["IDP_SYNC_OKTA_AUTH_SECRET"], json=okta_update)),
        ("okta, wrong secret", "okta", 401,
         header("authorization", "Basic d3Jvbmc6c2VjcmV0", json=okta_update)),
        ("entra, right clientState", "entra", 200, entra(SECRETS["IDP_SYNC_ENTRA_CLIENT_STATE"])),
        ("entra, wrong clientState", "entra", 401, entra("not-the-client-state")),
        ("keycloak, signed", "keycloak", 200,
         header("x-keycloak-signature", signed.hexdigest(), content=keycloak)),
        ("keycloak, wrong signature", "keycloak", 401,
         header("x-keycloak-signature", "00" * 32, content=keycloak)),
        ("authentik, right bearer", "authentik", 200, header(
            "authorization", f"Bearer {SECRETS['IDP_SYNC_AUTHENTIK_SECRET']}", json=authentik)),
        ("authentik, wrong bearer", "authentik", 401,
         header("authorization", "Bearer not-the-secret", json=authentik)),
        ("google sync, right token", "google", 200, header(
            "x-goog-channel-token", SECRETS["IDP_SYNC_GOOGLE_CHANNEL_TOKEN"], content=b"")),
        ("google, wrong token", "google", 401,
         header("x-goog-channel-token", "not-the-token", content=b"")),
    ]  # fmt: skip


def _env(collector: Collector, okta_url: str, graph_url: str, refusing_url: str) -> dict[str, str]:
    """Every secret setting, in every process; the IdP APIs are fakes (a refusing one for
    Keycloak and authentik, so their credentials are sent and their refusals handled)."""
    return {
        **SECRETS, "IDP_SYNC_AMQP_URL": AMQP_URL,
        "IDP_SYNC_STATE_URL": f"{PG_URL}?schema={SCHEMA}",
        "IDP_SYNC_EMULATOR_TOKEN": SECRETS["IDP_SYNC_SCIM_TOKEN"],  # the token AWS expects
        "OTEL_EXPORTER_OTLP_HEADERS": f"authorization={SECRETS['OTEL_EXPORTER_OTLP_HEADERS']}",
        "IDP_SYNC_OKTA_API_URL": okta_url, "IDP_SYNC_ENTRA_TENANT_ID": TENANT,
        "IDP_SYNC_ENTRA_CLIENT_ID": "app-1", "IDP_SYNC_ENTRA_GRAPH_URL": f"{graph_url}/v1.0",
        "IDP_SYNC_ENTRA_LOGIN_URL": graph_url, "IDP_SYNC_KEYCLOAK_URL": refusing_url,
        "IDP_SYNC_KEYCLOAK_CLIENT_ID": "idp-sync", "IDP_SYNC_AUTHENTIK_URL": refusing_url,
        "IDP_SYNC_NORMALIZER_METRICS_PORT": str(free_port()),
        "IDP_SYNC_WRITER_METRICS_PORT": str(free_port()),
        "IDP_SYNC_SCIM_REQUESTS_PER_SECOND": "500", "IDP_SYNC_MAX_ATTEMPTS": "12",
        "IDP_SYNC_LOG_LEVEL": "DEBUG",  # the most any process ever logs
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # export within 0.1 s, not 5 s
    }  # fmt: skip


def _names(aws: Aws) -> set[str]:
    return {u["userName"] for u in aws.state()["users"]}


def _parked_in(topology: Topology, source: str) -> int:
    return asyncio.run(broker.queued(AMQP_URL, f"{topology.raw_queue(source).name}.dlq"))


def _drive(gateway: str, aws: Aws, collector: Collector, topology: Topology) -> Places:
    """Every IdP's webhooks, right and wrong; then a retry and a dead letter at AWS."""
    answers: Places = {}
    with httpx.Client(base_url=gateway, timeout=10) as http:

        def post(what: str, route: str, status: int, request: dict[str, Any]) -> None:
            answer = http.post(f"/webhooks/{route}", **request)
            assert answer.status_code == status, (what, answer.text)
            answers[f"gateway's answer to {what}"] = repr(answer.headers).encode() + answer.content

        for webhook in _webhooks():
            post(*webhook)
        wanted = {"u-sec1@hr.example", "okta-sec@acme.com", "entra-sec@corp.example"}
        wait_until(lambda: wanted <= _names(aws), within=30, what="generic, Okta, Entra applied")
        aws.faults(error_rate=1.0, operations=["CreateUser"])
        post("a change AWS fails", "generic", 200, _generic(user_change("s-2", "u-sec2", 1)))
        wait_until(lambda: aws.count("CreateUser", 500), within=30, what="AWS failing a create")
        aws.faults(error_rate=0.0, refuse_body_containing="Refused-title")
        refused = user_change("s-3", "u-sec3", 1, title="Refused-title")
        post("a change AWS refuses", "generic", 200, _generic(refused))
    wait_until(lambda: "u-sec2@hr.example" in _names(aws), within=30, what="the retry applied")
    wait_until(lambda: sum(dlq_depths(AMQP_URL, topology)) == 1, within=30,
               what="AWS's refusal dead-lettered")  # fmt: skip
    wait_until(lambda: _parked_in(topology, "keycloak") and _parked_in(topology, "authentik"),
               within=30, what="the refused read-backs dead-lettered")  # fmt: skip
    everyone = {"idp-sync-gateway", "idp-sync-normalizer", "idp-sync-writer"}
    wait_until(lambda: everyone <= {s.service for s in collector.spans}, within=30,
               what="spans of all three services")  # fmt: skip
    wrong = httpx.get(f"{aws.server.scim_url}/Users", headers={"Authorization": "Bearer nope"})
    answers["the emulator's answer to a wrong token"] = wrong.content
    return answers


def _cli_runs(topology: Topology, env: dict[str, str], emulator: str, gateway: str) -> Places:
    """What an operator runs, and commands with a bad setting; stdout and stderr of each."""
    no_jaeger = f"http://127.0.0.1:{free_port()}"
    base = {**env, **service_env(AMQP_URL, topology), "IDP_SYNC_JAEGER_URL": no_jaeger}
    listed = run_cli("dlq", "list", "--json", env=base)
    ids = [json.loads(line)["id"] for line in listed.stdout.splitlines()]
    assert len(ids) == 3, listed
    helped = [(), ("gateway",), ("normalizer",), ("writer",), ("run",), ("dlq",), ("held",),
              ("emulator",), ("entra", "subscribe"), ("google", "watch"), ("status",)]  # fmt: skip
    runs: list[tuple[tuple[str, ...], dict[str, str]]] = [
        (("status",), {}), (("status", "--json"), {}), (("dlq", "list"), {}),
        *((("dlq", "show", i), {}) for i in ids), (("dlq", "replay", "--dry-run"), {}),
        (("held", "list"), {}), (("trace", "u-sec1@hr.example"), {}),
        (("emulator", "dump", "--url", emulator), {}), (("entra", "renew", "--within", "30"), {}),
        (("entra", "subscribe", "--notification-url", f"{gateway}/webhooks/entra"), {}),
        *(((*command, "--help"), {}) for command in helped),
        (("status",), {"IDP_SYNC_SHARDS": "many"}),
        (("writer",), {"IDP_SYNC_MAX_ATTEMPTS": "eight"}),
        (("gateway",), {"IDP_SYNC_GATEWAY_PORT": "eighty"}),
        (("dlq", "list"), {"IDP_SYNC_AMQP_URL": AMQP_URL.replace(":5672/", ":1/")}),
        (("held", "list"), {"IDP_SYNC_AMQP_URL": AMQP_URL.replace(":5672/", ":port/")}),
        (("status",), {"IDP_SYNC_AMQP_URL": AMQP_URL.replace(AMQP_USER, "nobody")}),
    ]  # fmt: skip

    def run(args: tuple[str, ...], bad: dict[str, str]) -> tuple[str, bytes]:
        done = run_cli(*args, env={**base, **bad})
        place = f"`idp-sync {' '.join(args)}`" + (f" with a bad {', '.join(bad)}" if bad else "")
        return place, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}".encode()

    with ThreadPoolExecutor(max_workers=3) as pool:  # each run starts a Python: ~2 s
        return dict(pool.map(lambda r: run(*r), runs))


async def _parked(topology: Topology) -> Places:
    """Every message waiting in a DLQ, the held queue or a retry queue: its properties,
    headers and body."""
    places: Places = {}
    for queue in topology.all_queues():
        parks = queue.name.endswith((".dlq", ".held")) or ".retry-" in queue.name
        if parks and (count := await broker.queued(AMQP_URL, queue.name)):
            taken = await broker.take(AMQP_URL, queue.name, count)
            places[f"parked in {queue.name}"] = b"\n".join(
                repr(m.info()).encode() + b"\n" + m.body for m in taken)  # fmt: skip
    return places


def _metrics(gateway: str, env: dict[str, str]) -> Places:
    ports = {n: env[f"IDP_SYNC_{n.upper()}_METRICS_PORT"] for n in ("normalizer", "writer")}
    urls = {"gateway": gateway, **{n: f"http://127.0.0.1:{p}" for n, p in ports.items()}}
    return {f"/metrics of {n}": httpx.get(f"{url}/metrics", timeout=5).content
            for n, url in urls.items()}  # fmt: skip


@pytest.fixture(scope="module")
def exposed(tmp_path_factory: pytest.TempPathFactory) -> Places:
    """One whole run; everything it showed anywhere, by place."""
    logs = tmp_path_factory.mktemp("secrets")
    topology = Topology(namespace=broker.test_namespace(), shards=2)
    okta_api = FakeOkta(SECRETS["IDP_SYNC_OKTA_API_TOKEN"])
    okta_api.add_user("00usec", "okta-sec@acme.com", "Okta", "Secret")
    graph = FakeGraph(client_id="app-1", secret=SECRETS["IDP_SYNC_ENTRA_CLIENT_SECRET"])
    graph.add_user("e-sec", "entra-sec@corp.example", "Entra Secret")
    bodies: list[bytes] = []
    places: Places = {}
    with contextlib.ExitStack() as stack:
        stack.enter_context(_user_and_schema())
        collector = stack.enter_context(_collecting(bodies))
        apps = (okta_api.app(), graph.app(), _refusing_idp())
        env = _env(collector, *(stack.enter_context(serving(app)) for app in apps))
        stack.callback(lambda: asyncio.run(broker.delete_topology(broker.amqp_url(), topology)))
        port, tenant = free_port(), "kSecrets0001-0000-0000-0000-000000000000"
        root = f"http://127.0.0.1:{port}"
        stack.enter_context(running(["emulator", "--port", str(port), "--tenant", tenant],
                                    ready_url=f"{root}/_emulator/health", env=env,
                                    log=logs / "emulator.log"))  # fmt: skip
        aws = Aws(EmulatorServer(root, tenant, SECRETS["IDP_SYNC_SCIM_TOKEN"]))
        stack.callback(aws.close)
        env["IDP_SYNC_SCIM_URL"] = aws.server.scim_url
        pipeline = stack.enter_context(gateway_and_normalizer(AMQP_URL, topology, logs, env, env))
        stack.enter_context(writer_running(AMQP_URL, topology, logs / "writer.log", env))
        places |= _drive(pipeline.gateway_url, aws, collector, topology)
        places |= _metrics(pipeline.gateway_url, env)
        places |= _cli_runs(topology, env, root, pipeline.gateway_url)
        places |= asyncio.run(_parked(topology))
    # The services have stopped: their logs are whole and their last spans flushed.
    places |= {f"log of {path.stem}": path.read_bytes() for path in logs.glob("*.log")}
    return places | _span_places(bodies)


def test_no_secret_shows_anywhere(exposed: Places) -> None:
    hits = search(exposed, needles())
    assert not hits, f"{len(hits)} secrets leaked:\n" + "\n".join(hits)


def test_the_search_saw_every_place_and_finds_a_planted_secret(exposed: Places) -> None:
    kinds = [f"log of {p}" for p in ("gateway", "normalizer", "writer", "emulator")] + [
        f"/metrics of {p}" for p in ("gateway", "normalizer", "writer")] + [
        f"OTLP span idp-sync-{p}" for p in ("gateway", "normalizer", "writer")] + [
        "OTLP resource", "gateway's answer to okta, wrong", "`idp-sync dlq show",
        "`idp-sync trace", "`idp-sync status` with a bad"]  # fmt: skip
    for kind in kinds:
        assert any(place.startswith(kind) for place in exposed), f"nothing seen from {kind}"
    parked = b"".join(seen for place, seen in exposed.items() if place.startswith("parked in"))
    for reason in (b"Refused-title", b"IDP_SYNC_KEYCLOAK_CLIENT_SECRET", b"authentik refused"):
        assert reason in parked, "each dead letter must have been searched"
    assert b"dead-lettered" in exposed["log of writer"]
    subscribed = [seen for place, seen in exposed.items() if "entra subscribe --not" in place]
    assert subscribed[0].startswith(b"exit 0"), "the client secret must have been used"
    for name, needle in needles().items():
        planted = {"a writer log, planted": exposed["log of writer"] + b" " + needle + b" "}
        assert search(planted, {name: needle}), f"the search would miss {name}"


def test_every_secret_setting_has_a_known_value() -> None:
    """A secret setting added later must be given a value here too."""

    def is_secret(kind: object) -> bool:
        return kind is SecretStr or SecretStr in getattr(kind, "__args__", ())

    secret = {name for name, field in Settings.model_fields.items() if is_secret(field.annotation)}
    given = {n.removeprefix("IDP_SYNC_").lower() for n in SECRETS if n.startswith("IDP_SYNC_")}
    assert secret == given | {"emulator_token"}  # the emulator's is the writer's SCIM token


def test_a_misspelt_state_url_does_not_print_its_password() -> None:
    done = run_cli("status", env={"IDP_SYNC_STATE_URL": PG_URL.replace("postgresql:", "pg:")})
    assert done.returncode == 2, done.stderr
    assert "IDP_SYNC_STATE_URL must be" in done.stderr
    assert SECRETS["IDP_SYNC_STATE_URL"] not in done.stdout + done.stderr
