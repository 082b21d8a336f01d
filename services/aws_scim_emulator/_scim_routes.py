"""The SCIM surface: ``/{tenant}/scim/v2/...`` dispatched to the AWS operation it names."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from . import _discovery, _groups, _listing, _users
from ._emulator import Emulator
from ._errors import (
    InvalidRequest,
    NotFound,
    ScimError,
    Throttled,
    Unauthorized,
    error_body,
    new_request_id,
)

_Result = tuple[int, Any]
_Handler = Callable[[Emulator, str, Any, Request], _Result]
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ConnectionDropped(Exception):
    """Raised after the status line went out, so the server closes the connection mid-answer."""


class _DroppedAnswer(Response):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})  # fmt: skip
        raise ConnectionDropped


def _list_users(em: Emulator, _: str, __: Any, request: Request) -> _Result:
    flt = request.query_params.get("filter")
    found = _listing.users(em.directory, _listing.parse_filter(flt) if flt else None)
    return 200, _listing.page(em.directory, found, request.query_params, em.behaviour)


def _list_groups(em: Emulator, _: str, __: Any, request: Request) -> _Result:
    flt = request.query_params.get("filter")
    found = _listing.groups(em.directory, _listing.parse_filter(flt) if flt else None)
    body = _listing.page(em.directory, found, request.query_params, em.behaviour)
    body["Resources"] = [{**g, "members": []} for g in body["Resources"]]
    return 200, body


def _get_schemas(_: Emulator, urn: str, __: Any, ___: Request) -> _Result:
    if urn:
        return 200, _discovery.schema(urn)
    return 200, _discovery.list_of(list(_discovery.SCHEMAS.values()))


def _get_resource_types(_: Emulator, name: str, __: Any, ___: Request) -> _Result:
    if name:
        return 200, _discovery.resource_type(name)
    return 200, _discovery.list_of(_discovery.RESOURCE_TYPES)


def _create_user(em: Emulator, _: str, body: Any, __: Request) -> _Result:
    return 201, _users.create(em.directory, body, em.behaviour)


def _get_user(em: Emulator, user_id: str, _: Any, __: Request) -> _Result:
    return 200, em.directory.user(user_id)


def _put_user(em: Emulator, user_id: str, body: Any, _: Request) -> _Result:
    return 200, _users.replace(em.directory, user_id, body, em.behaviour)


def _patch_user(em: Emulator, user_id: str, body: Any, _: Request) -> _Result:
    return 200, _users.patch(em.directory, user_id, body, em.behaviour)


def _delete_user(em: Emulator, user_id: str, _: Any, __: Request) -> _Result:
    _users.delete(em.directory, user_id)
    return 204, None


def _create_group(em: Emulator, _: str, body: Any, __: Request) -> _Result:
    return 201, _groups.create(em.directory, body, em.behaviour)


def _get_group(em: Emulator, group_id: str, _: Any, __: Request) -> _Result:
    return 200, em.directory.group(group_id)


def _put_group(em: Emulator, group_id: str, body: Any, _: Request) -> _Result:
    return 200, _groups.replace(em.directory, group_id, body, em.behaviour)


def _patch_group(em: Emulator, group_id: str, body: Any, _: Request) -> _Result:
    _groups.patch(em.directory, group_id, body, em.behaviour)
    return 204, None


def _delete_group(em: Emulator, group_id: str, _: Any, __: Request) -> _Result:
    _groups.delete(em.directory, group_id)
    return 204, None


def _service_provider_config(*_: Any) -> _Result:
    return 200, _discovery.SERVICE_PROVIDER_CONFIG


# (method, collection, has id) -> (AWS operation name, handler)
ROUTES: dict[tuple[str, str, bool], tuple[str, _Handler]] = {
    ("GET", "Users", False): ("ListUsers", _list_users),
    ("POST", "Users", False): ("CreateUser", _create_user),
    ("GET", "Users", True): ("GetUser", _get_user),
    ("PUT", "Users", True): ("PutUser", _put_user),
    ("PATCH", "Users", True): ("PatchUser", _patch_user),
    ("DELETE", "Users", True): ("DeleteUser", _delete_user),
    ("GET", "Groups", False): ("ListGroups", _list_groups),
    ("POST", "Groups", False): ("CreateGroup", _create_group),
    ("GET", "Groups", True): ("GetGroup", _get_group),
    ("PUT", "Groups", True): ("PutGroup", _put_group),
    ("PATCH", "Groups", True): ("PatchGroup", _patch_group),
    ("DELETE", "Groups", True): ("DeleteGroup", _delete_group),
    ("GET", "ServiceProviderConfig", False): ("ServiceProviderConfig", _service_provider_config),
    ("GET", "ResourceTypes", False): ("ListResourceTypes", _get_resource_types),
    ("GET", "ResourceTypes", True): ("ListResourceTypes", _get_resource_types),
    ("GET", "Schemas", False): ("ListSchemas", _get_schemas),
    ("GET", "Schemas", True): ("GetSchema", _get_schemas),
}


def _json(
    status: int, body: Any, request_id: str, headers: dict[str, str] | None = None
) -> Response:
    content = b"" if body is None else msgspec.json.encode(body)
    return Response(
        content, status, headers={"x-amzn-RequestId": request_id, **(headers or {})},
        media_type="application/json",
    )  # fmt: skip


def _error(error: ScimError, request_id: str) -> Response:
    headers = {}
    if isinstance(error, Throttled) and error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return _json(error.status, error_body(error, request_id), request_id, headers)


def _decode(raw: bytes) -> Any:
    try:
        return msgspec.json.decode(raw) if raw else None
    except (msgspec.DecodeError, UnicodeDecodeError):  # msgspec's error for bad UTF-8
        raise InvalidRequest from None


async def _answer(em: Emulator, request: Request, operation: str, handler: _Handler) -> Response:
    request_id = new_request_id()
    write = request.method in _WRITES
    raw = await request.body()
    try:
        await em.faults.before(operation, raw, write=write)
        status, body = handler(em, request.path_params.get("id", ""), _decode(raw), request)
    except ScimError as error:
        em.counts[operation, error.status] += 1
        return _error(error, request_id)
    if write:  # applied, whether or not its answer is lost below
        em.written(operation, request.path_params.get("id") or (body or {}).get("id", ""))
    if em.faults.loses_answer(operation, write=write):
        em.counts[operation, 500] += 1
        if em.faults.faults.lost_response_mode == "close":
            return _DroppedAnswer(status_code=status, headers={"content-length": "2"})
        return _error(ScimError(), request_id)
    em.counts[operation, status] += 1
    return _json(status, body, request_id)


def scim_endpoint(em: Emulator) -> Callable[[Request], Awaitable[Response]]:
    """The one handler behind every ``/{tenant}/scim/v2/...`` path."""

    async def endpoint(request: Request) -> Response:
        params = request.path_params
        collection, _, resource_id = params["rest"].strip("/").partition("/")
        operation, handler = ROUTES.get(
            (request.method, collection, bool(resource_id)), ("Unknown", None)
        )
        if params["tenant"] != em.config.tenant or not em.authorized(
            request.headers.get("authorization")
        ):
            em.counts[operation, 401] += 1
            return _error(Unauthorized(), new_request_id())
        if handler is None or "/" in resource_id:
            em.counts[operation, 404] += 1
            return _error(NotFound(), new_request_id())
        request.path_params["id"] = resource_id
        return await _answer(em, request, operation, handler)

    return endpoint
