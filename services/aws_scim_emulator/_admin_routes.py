"""The admin API under ``/_emulator/``: inspection, reset, faults, switches and tokens.

It sits outside the SCIM path so no SCIM client can reach it by accident, and asks for
the same bearer token as the SCIM surface (``/_emulator/health`` excepted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._config import TOKEN_LIFETIME, Behaviour, Faults, Token
from ._emulator import Emulator, TooManyTokens

_Settings = TypeVar("_Settings", Faults, Behaviour)
_Endpoint = Callable[[Request], Awaitable[Response]]


class _NewToken(msgspec.Struct, forbid_unknown_fields=True):
    token: str
    created_at: Annotated[dt.datetime, msgspec.Meta(tz=True)] | None = None
    """With a time zone: a naive one cannot be compared with now (every later request
    presenting the token would fail with a TypeError)."""


def _json(body: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status, media_type="application/json")


def _problem(status: int, detail: str) -> Response:
    return _json({"detail": detail}, status)


def _merged(current: _Settings, raw: bytes) -> _Settings:
    """``current`` with the JSON object ``raw`` laid over it, validated by its type."""
    changes = msgspec.json.decode(raw) if raw else {}
    if not isinstance(changes, dict):
        raise msgspec.ValidationError("expected a JSON object")
    return msgspec.convert({**msgspec.to_builtins(current), **changes}, type(current))


def admin_routes(em: Emulator) -> list[Route]:
    """The admin routes, each guarded by the tenant's bearer token."""

    def guarded(endpoint: _Endpoint) -> _Endpoint:
        async def guard(request: Request) -> Response:
            if not em.authorized(request.headers.get("authorization")):
                return _problem(401, "a valid bearer token of this tenant is required")
            try:
                return await endpoint(request)
            except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as error:
                return _problem(400, str(error))  # (msgspec's error for bad UTF-8 is Python's)

        return guard

    async def health(_: Request) -> Response:
        return _json({"status": "ok", "tenant": em.config.tenant})

    async def state(_: Request) -> Response:
        return _json(em.state())

    async def writes(_: Request) -> Response:
        return _json(em.journal())

    async def reset(_: Request) -> Response:
        em.reset()
        return Response(status_code=204)

    async def faults(request: Request) -> Response:
        if request.method == "PATCH":
            em.set_faults(_merged(em.faults.faults, await request.body()))
        return _json(em.faults.faults)

    async def behaviour(request: Request) -> Response:
        if request.method == "PATCH":
            em.set_behaviour(_merged(em.behaviour, await request.body()))
        return _json(em.behaviour)

    async def tokens(request: Request) -> Response:
        new = msgspec.json.decode(await request.body(), type=_NewToken)
        created = new.created_at or dt.datetime.now(dt.UTC)
        if created > dt.datetime.max.replace(tzinfo=dt.UTC) - TOKEN_LIFETIME:
            return _problem(400, "created_at is so late that the token's expiry is past year 9999")
        try:
            em.add_token(Token(new.token, created))
        except TooManyTokens:
            return _problem(409, "this directory already holds two tokens")
        return _json({"tokens": len(em.tokens)}, 201)

    async def save(_: Request) -> Response:
        if em.config.state_file is None:
            return _problem(409, "the emulator was started without --state-file")
        em.directory.save(em.config.state_file)
        return _json({"saved": str(em.config.state_file)})

    return [
        Route("/_emulator/health", health),
        Route("/_emulator/state", guarded(state)),
        Route("/_emulator/writes", guarded(writes)),
        Route("/_emulator/reset", guarded(reset), methods=["POST"]),
        Route("/_emulator/faults", guarded(faults), methods=["GET", "PATCH"]),
        Route("/_emulator/behaviour", guarded(behaviour), methods=["GET", "PATCH"]),
        Route("/_emulator/tokens", guarded(tokens), methods=["POST"]),
        Route("/_emulator/save", guarded(save), methods=["POST"]),
    ]
