"""The gateway's doors: every webhook route, driven in process through its ASGI app.

The app is the real one (``create_app``) with a recording publisher in place of the broker,
so a case costs a fraction of a millisecond and every publish it asked for is seen.

Answers a gateway door may give:
- 200: accepted (``{"accepted": n}`` and exactly ``n`` events published, each with an id of
  1-255 bytes and a tenant of at most 255 bytes, AMQP's limits); also Okta's GET
  verification, Graph's ``validationToken`` echo and Google's ``sync`` hello, which publish
  nothing;
- 307: only when the path differs from a route by a trailing slash (Starlette redirects);
- 400 (unreadable), 401 (wrong credentials; never with the right ones), 404 (no such
  path), 405 (another method), 413 (a body over the limit, and only then);
- 503: only when the broker is down.
Nothing is published for an answer other than 200, and nothing at all is attempted for a 4xx.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from pydantic import SecretStr

from services.gateway import GatewayConfig, RawEvent, create_app
from services.shared.topology import Topology

from . import _credentials as cred
from . import _idp_bodies as bodies
from ._engine import Broken, Door, Plan
from ._recording import RecordingPublisher
from ._values import any_json, encode, evil_scalar, header_value, mutate_bytes, mutate_tree
from ._values import splice as splice_text

LIMIT = 4096
"""The fuzzed gateway's body limit: small, so 413s cost little."""
AMQP_SHORTSTR = 255
OTHER_METHODS = ("GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
OTHER_PATHS = (
    "/",
    "/webhooks",
    "/webhooks/",
    "/webhooks/unknown",
    "/WEBHOOKS/okta",
    "/webhooks/okta/x",
    "/healthz",
    "/metrics",
    "/webhooks/entra/lifecycle/x",
)


@dataclass(frozen=True)
class Source:
    name: str
    paths: tuple[str, ...]
    template: Callable[[random.Random], Any]
    credentials: Callable[[random.Random, Plan, bytes], tuple[cred.Headers, bool | None]]


SOURCES = (
    Source("okta", ("/webhooks/okta",), bodies.okta_batch, cred.okta),
    Source("generic", ("/webhooks/generic",), bodies.generic_batch, cred.generic),
    Source(
        "entra",
        ("/webhooks/entra", "/webhooks/entra/lifecycle"),
        bodies.entra_collection,
        cred.entra,
    ),
    Source("keycloak", ("/webhooks/keycloak",), bodies.keycloak_event, cred.keycloak),
    Source("authentik", ("/webhooks/authentik",), bodies.authentik_event, cred.authentik),
    Source(
        "google",
        ("/webhooks/google",),
        lambda rng: (bodies.google_activity if rng.random() < 0.5 else bodies.google_user_push)(
            rng
        ),
        cred.google,
    ),
)


def fuzz_config(topology: Topology | None = None) -> GatewayConfig:
    """Every route on, with the secrets the credentials module signs with."""
    return GatewayConfig(
        topology=topology or Topology(namespace="idp-sync-fuzz"),
        okta_auth_secret=SecretStr(cred.OKTA_SECRET),
        webhook_secret=SecretStr(cred.WEBHOOK_SECRET),
        entra_client_state=SecretStr(bodies.ENTRA_STATE),
        keycloak_secret=SecretStr(cred.KEYCLOAK_SECRET),
        authentik_secret=SecretStr(cred.AUTHENTIK_SECRET),
        google_channel_token=SecretStr(cred.GOOGLE_TOKEN),
        max_body_bytes=LIMIT,
        max_inflight=64,
    )


def body_of(rng: random.Random, plan: Plan, template: Callable[[random.Random], Any]) -> bytes:
    """The body the plan's shape asks for, built from ``template``."""
    if plan.shape == "empty":
        return b""
    if plan.shape == "bytes":
        return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    if plan.shape == "oversized":
        return b'{"pad": "' + b"x" * (LIMIT + rng.randrange(1, 600)) + b'"}'
    value = any_json(rng, 3) if plan.shape == "json" else template(rng)
    if plan.shape == "mutated":
        value = mutate_tree(rng, value, plan.mutations)
    if plan.splice:
        value = splice_text(rng, value, plan.text)
    data = encode(rng, value)
    return mutate_bytes(rng, data, plan.mutations) if plan.shape == "bytes-mutated" else data


@dataclass
class Sent:
    method: str
    path: str
    query: str
    headers: cred.Headers
    body: bytes
    valid: bool | None
    """Whether the credentials are the right ones; ``None``: judged by the body (Graph)."""

    def __str__(self) -> str:
        shown = self.body if len(self.body) <= 600 else self.body[:600] + b"..."
        return (
            f"{self.method} {self.path}{'?' + self.query if self.query else ''} "
            f"headers={self.headers!r} body={shown!r}"
        )


def request_of(rng: random.Random, plan: Plan, source: Source) -> Sent:
    path, method, query = rng.choice(source.paths), "POST", ""
    if plan.variant == "method":
        method = rng.choice(OTHER_METHODS)
    elif plan.variant == "path":
        path = rng.choice((*OTHER_PATHS, f"/webhooks/{evil_scalar(rng)}"))
    elif plan.variant == "slash":
        path += "/"
    elif plan.variant == "query":
        name = rng.choice(("validationToken", "x", str(evil_scalar(rng))))
        query = urlencode({name: header_value(rng).decode("latin-1")}, errors="surrogatepass")
    body = body_of(rng, plan, source.template)
    headers, valid = source.credentials(rng, plan, body)
    headers.append((b"content-type", rng.choice((b"application/json", header_value(rng)))))
    if rng.random() < 0.2:
        headers.append(
            (rng.choice((b"x-fuzz", b"webhook-id", b"authorization")), header_value(rng))
        )
    return Sent(method, path, query, headers, body, valid)


class GatewayProbe:
    """One gateway app with every route on; one request per case."""

    def __init__(
        self,
        source: Source,
        publisher: RecordingPublisher | None = None,
        config: GatewayConfig | None = None,
    ) -> None:
        self.source = source
        self.publisher = publisher or RecordingPublisher()
        app = create_app(config or fuzz_config(), "amqp://unused", publisher=self.publisher)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        )
        self.last_input = ""

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __call__(self, plan: Plan) -> str:
        rng = random.Random(plan.seed)  # noqa: S311 - fuzz draws, not secrets
        sent = request_of(rng, plan, self.source)
        self.last_input = str(sent)
        self.publisher.down, self.publisher.attempts = plan.broker_down, 0
        self.publisher.published.clear()
        url = httpx.URL(
            "http://gateway",
            raw_path=(
                quote(sent.path, errors="surrogatepass") + (f"?{sent.query}" if sent.query else "")
            ).encode(),
        )
        response = await self.client.request(
            sent.method, url, headers=sent.headers, content=sent.body
        )
        check(self.source, plan, sent, response, self.publisher)
        return str(response.status_code)


def check(
    source: Source,
    plan: Plan,
    sent: Sent,
    response: httpx.Response,
    publisher: RecordingPublisher,
) -> None:
    """The gateway's invariants for one answer (see the module docstring)."""
    status = response.status_code
    on_route = sent.path in source.paths
    if status >= 300 and publisher.published:
        raise Broken(f"answered {status} yet published {publisher.published!r}")
    if 400 <= status < 500 and publisher.attempts:
        raise Broken(f"answered {status} after trying to publish")
    if status == 503:
        if not (plan.broker_down and publisher.attempts):
            raise Broken(f"503 with the broker up: {response.text}")
        return
    if status == 200:
        _check_accepted(source, sent, response, publisher)
    else:
        _check_refused(source, plan, sent, response)
    if on_route and sent.method == "POST" and len(sent.body) > LIMIT and status != 413:
        raise Broken(f"{len(sent.body)} bytes answered {status}, not 413")


def _check_refused(source: Source, plan: Plan, sent: Sent, response: httpx.Response) -> None:
    status, on_route = response.status_code, sent.path in source.paths
    if status == 307:
        if plan.variant != "slash":
            raise Broken("a redirect for a path without a trailing slash")
    elif status == 401 and sent.valid is True and on_route and sent.method == "POST":
        raise Broken(f"the right credentials were refused: {response.text}")
    elif status == 404 and on_route:
        raise Broken("404 on a route")
    elif status == 405 and sent.method == "POST" and on_route:
        raise Broken("405 for a POST on a route")
    elif status == 413 and len(sent.body) <= LIMIT:
        raise Broken(f"413 for {len(sent.body)} bytes")
    elif status not in {400, 401, 404, 405, 413}:
        raise Broken(f"answered {status}: {response.text[:300]}")


def _check_accepted(
    source: Source, sent: Sent, response: httpx.Response, publisher: RecordingPublisher
) -> None:
    if sent.method != "POST":
        return  # Okta's verification GET: it publishes nothing (checked above)
    if response.headers.get("content-type", "").startswith("text/plain"):
        if publisher.published or "validationToken" not in sent.query:
            raise Broken("a text answer that is not Graph's validation echo")
        return
    accepted = response.json()["accepted"]
    events = [event for _, _, batch in publisher.published for event in batch]
    if accepted != len(events):
        raise Broken(f"answered accepted={accepted} but published {len(events)}")
    if events and sent.valid is False:
        raise Broken("published a request without the right credentials")
    for _, tenant, batch in publisher.published:
        if len(tenant.encode()) > AMQP_SHORTSTR:
            raise Broken(f"published a tenant of {len(tenant.encode())} bytes")
        for event in batch:
            _check_event(source, event)


def _check_event(source: Source, event: RawEvent) -> None:
    if not 1 <= len(event.message_id.encode()) <= AMQP_SHORTSTR:
        raise Broken(f"published an event id of {len(event.message_id.encode())} bytes")
    try:
        decoded = json.loads(event.body.decode("utf-8"))
    except ValueError as error:
        raise Broken(f"published a body that is not UTF-8 JSON ({error})") from None
    if source.name == "entra" and not isinstance(decoded, dict):
        raise Broken("published a Graph notification that is not an object")
    if source.name == "entra" and decoded.get("clientState") != bodies.ENTRA_STATE:
        raise Broken("published a Graph notification with a wrong clientState")


def _door(source: Source) -> Door:
    async def open_probe() -> GatewayProbe:
        return GatewayProbe(source)

    return Door(f"gateway-{source.name}", open_probe, __doc__ or "")


DOORS = tuple(_door(source) for source in SOURCES)
