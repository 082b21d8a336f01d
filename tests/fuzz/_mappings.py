"""The normalizer's doors: each source's mapping, raw event in, canonical events out.

Outcomes a mapping door may give:
- canonical events (possibly none), each of which survives the wire (encode, then decode
  and validate), names a subject and members by non-empty ids, carries its source, and
  holds only what AWS accepts (``userName``, names, group names by the emulator's rules);
- ``Unmappable`` (``MissingSettings`` among them): dead-lettered at once with the reason;
- ``IdpUnavailable``, only when the faked IdP API did answer 429/5xx or was unreachable.
Anything else raised is a failure: the normalizer would retry it as if it might pass.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
from pydantic import SecretStr

import schemas
from services.aws_scim_emulator import _validation as aws
from services.aws_scim_emulator._errors import InvalidRequest
from services.normalizer import (
    AuthentikApi,
    AuthentikNormalizer,
    EntraApp,
    EntraNormalizer,
    GoogleNormalizer,
    GraphApi,
    IdpUnavailable,
    KeycloakApi,
    KeycloakClient,
    KeycloakNormalizer,
    MissingSettings,
    OktaApi,
    OktaNormalizer,
    Unmappable,
)
from services.sources.generic import events as _generic

from . import _idp_bodies as bodies
from ._engine import Broken, Door, Plan
from ._gateway import body_of
from ._readbacks import FuzzDirectory, MemoryStore, Responder
from ._values import evil_scalar

Normalize = Callable[[bytes, str], Awaitable[list[schemas.CanonicalEvent]]]
TENANTS = ("acme.okta.com", "hr-system", "tenant-1", "acme", "authentik", "google-workspace")


def _normalizers(source: str, transport: httpx.MockTransport, store: MemoryStore) -> list[Any]:
    """The source's normalizer unconfigured, configured, and with another userName."""
    if source == "okta":
        api = OktaApi("https://acme.okta.com", "t", transport=transport)
        return [OktaNormalizer(None), OktaNormalizer(api), OktaNormalizer(api, "email")]
    if source == "entra":
        app = EntraApp("tenant-1", "client-1", SecretStr("s"))
        graph = GraphApi(app, transport=transport)
        return [EntraNormalizer(None), EntraNormalizer(graph), EntraNormalizer(graph, "mail")]
    if source == "keycloak":
        client = KeycloakApi(
            KeycloakClient("https://sso.acme.com", "idp-sync", SecretStr("s")), transport=transport
        )
        return [
            KeycloakNormalizer(None),
            KeycloakNormalizer(client),
            KeycloakNormalizer(client, "email"),
        ]
    if source == "authentik":
        authentik = AuthentikApi("https://authentik.acme.com", "t", transport=transport)
        return [
            AuthentikNormalizer(None, None),
            AuthentikNormalizer(authentik, store.as_store()),
            AuthentikNormalizer(authentik, store.as_store(), "email"),
        ]
    directory = FuzzDirectory(transport)
    return [GoogleNormalizer(None), GoogleNormalizer(directory, store.as_store())]


@dataclass(frozen=True)
class MappingSource:
    name: str
    template: Callable[[random.Random], Any]


SOURCES = (
    MappingSource("okta", bodies.okta_event),
    MappingSource("generic", bodies.generic_change),
    MappingSource("entra", bodies.entra_notification),
    MappingSource("keycloak", bodies.keycloak_event),
    MappingSource("authentik", bodies.authentik_event),
    MappingSource("google", bodies.google_queued),
)


class MappingProbe:
    """One source's normalizers, their IdP API faked per case."""

    def __init__(self, source: MappingSource) -> None:
        self.source = source
        self.responder = Responder(source.name)
        self.store = MemoryStore()
        transport = httpx.MockTransport(self.responder)
        self.normalizers = (
            [] if source.name == "generic" else _normalizers(source.name, transport, self.store)
        )
        self.last_input = ""

    async def aclose(self) -> None:
        for normalizer in self.normalizers:
            if normalizer.api is not None:
                await normalizer.api.aclose()

    def _normalize(self, rng: random.Random) -> tuple[Normalize, Any]:
        if not self.normalizers:

            async def generic(raw: bytes, tenant: str) -> list[schemas.CanonicalEvent]:
                return _generic.normalize(raw, tenant)

            return generic, None
        normalizer = rng.choice(self.normalizers)
        return normalizer.normalize, normalizer

    async def __call__(self, plan: Plan) -> str:
        rng = random.Random(plan.seed)  # noqa: S311 - fuzz draws, not secrets
        raw = body_of(rng, plan, self.source.template)
        # Tenants come from AMQP headers, decoded UTF-8: never a lone surrogate.
        tenant = rng.choice(TENANTS) if rng.random() < 0.9 else str(evil_scalar(rng))
        tenant = tenant.encode("utf-8", "replace").decode()
        normalize, normalizer = self._normalize(rng)
        self.responder.rng, self.responder.served = rng, []
        self.responder.passing = False
        self.responder.mutate = 0.3 if plan.shape == "mutated" else 0.05
        self.store.seed(rng)
        self.last_input = f"raw={raw!r} tenant={tenant!r} normalizer={normalizer!r}"
        try:
            events = await normalize(raw, tenant)
            if isinstance(normalizer, AuthentikNormalizer):
                await normalizer.confirmed(events)  # what the normalizer does once confirmed
        except MissingSettings:
            return "MissingSettings"
        except Unmappable:
            return "Unmappable"
        except IdpUnavailable as error:
            if not self.responder.passing:
                raise Broken(f"IdpUnavailable though the IdP answered ({error})") from None
            return "IdpUnavailable"
        finally:  # the answers the IdP API gave belong to the input
            if self.responder.served:
                self.last_input += f" api={self.responder.served!r}"
        for event in events:
            check_event(self.source.name, event)
        return "+".join(sorted({schemas.event_type(type(e)) for e in events})) or "no events"


def check_event(source: str, event: schemas.CanonicalEvent) -> None:
    """A canonical event that the writer and AWS can take as it is."""
    try:
        back = schemas.decode(schemas.encode(event))
    except (msgspec.ValidationError, UnicodeEncodeError) as error:
        raise Broken(f"an event that does not survive the wire ({error!r}: {event!r})") from None
    if back != event:
        raise Broken(f"an event that changes on the wire ({event!r} -> {back!r})")
    if event.source != source:
        raise Broken(f"an event of another source ({event.source!r})")
    if not event.subject.idp_id:
        raise Broken(f"an event about an empty id ({event!r})")
    members = getattr(event, "members", ())
    if isinstance(event, schemas.GroupMemberAdded | schemas.GroupMemberRemoved) and not members:
        raise Broken(f"a membership event without members ({event!r})")
    if any(not member.idp_id for member in members):
        raise Broken(f"a member with an empty id ({event!r})")
    try:
        _within_aws_rules(event)
    except InvalidRequest:
        raise Broken(f"an event AWS would refuse ({event!r})") from None


def _within_aws_rules(event: schemas.CanonicalEvent) -> None:
    if isinstance(event, schemas.UserUpserted):
        user = event.user
        # Reserved names (``Administrator``) are AWS's to refuse, with a reason the writer
        # dead-letters; the mapping's promise is the characters and the length.
        aws._text(user.user_name, max_length=128, spaces=frozenset())
        for text in (
            user.display_name,
            user.given_name,
            user.family_name,
            user.title,
            user.department,
            user.employee_number,
            user.email,
        ):
            if text is not None:
                aws.text(text)
    elif isinstance(event, schemas.GroupUpserted):
        aws.text(event.group.display_name)


def _door(source: MappingSource) -> Door:
    async def open_probe() -> MappingProbe:
        return MappingProbe(source)

    return Door(f"mapping-{source.name}", open_probe, __doc__ or "")


DOORS = tuple(_door(source) for source in SOURCES)
