"""Parsing emulator answers with scim2-models, the way a SCIM client would."""

from __future__ import annotations

from typing import Any

import httpx
from scim2_models import Context, EnterpriseUser, Error, Group, ListResponse, User

AWS_ONLY_ERROR_KEYS = ("schema", "exceptionRequestId", "timeStamp")


def parse_user(response: httpx.Response, ctx: Context = Context.RESOURCE_QUERY_RESPONSE) -> Any:
    return User[EnterpriseUser].model_validate(response.json(), scim_ctx=ctx)


def parse_group(response: httpx.Response, ctx: Context = Context.RESOURCE_QUERY_RESPONSE) -> Group:
    return Group.model_validate(response.json(), scim_ctx=ctx)


def parse_users(response: httpx.Response) -> Any:
    return ListResponse[User[EnterpriseUser]].model_validate(
        response.json(), scim_ctx=Context.RESOURCE_QUERY_RESPONSE
    )


def parse_groups(response: httpx.Response) -> ListResponse[Group]:
    return ListResponse[Group].model_validate(
        response.json(), scim_ctx=Context.RESOURCE_QUERY_RESPONSE
    )


def parse_error(response: httpx.Response) -> Error:
    """AWS's error body is SCIM's plus three keys of its own; SCIM parses the rest."""
    body = {k: v for k, v in response.json().items() if k not in AWS_ONLY_ERROR_KEYS}
    return Error.model_validate(body)
