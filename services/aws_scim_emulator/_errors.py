"""Errors the emulator answers with, shaped exactly like AWS's.

    ScimError                      any SCIM error answer
    ├── InvalidRequest        400  ValidationException
    ├── Unauthorized          401  UnauthorizedException
    ├── NotFound              404  ResourceNotFoundException
    ├── Conflict              409  ConflictException
    ├── Throttled             429  ThrottlingException
    └── InternalFailure       500  InternalServerException

AWS puts no ``scimType`` in any captured error (not even 409) and sends both the
non-standard ``schema`` and the standard ``schemas`` key, with ``status`` as a string.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
UNPARSABLE = "Request is unparsable, syntactically incorrect, or violates schema."
DUPLICATE = "Refused to create a new, duplicate resource."
PATH_LESS = (
    'Current PATCH support allows omitting "path" attribute only for Add and Replace '
    "operations modifying a single attribute."
)
MEMBERS_REPLACE = "Replacing group memberships is not supported."


class ScimError(Exception):
    """An error answer; ``status`` is the HTTP status, ``detail`` AWS's text."""

    status: ClassVar[int] = 500
    default_detail: ClassVar[str] = "An internal error occurred."

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class InvalidRequest(ScimError):
    status = 400
    default_detail = UNPARSABLE


class Unauthorized(ScimError):
    status = 401
    default_detail = "Authorization header is invalid or missing."


class NotFound(ScimError):
    status = 404
    default_detail = "Specified resource or endpoint does not exist."


class Conflict(ScimError):
    status = 409
    default_detail = DUPLICATE


class Throttled(ScimError):
    status = 429
    default_detail = "Rate exceeded."

    def __init__(self, retry_after: int | None) -> None:
        super().__init__()
        self.retry_after = retry_after


class InternalFailure(ScimError):
    status = 500


def error_body(error: ScimError, request_id: str) -> dict[str, Any]:
    """The JSON body AWS sends for ``error``."""
    now = dt.datetime.now(dt.UTC)
    return {
        "schema": [ERROR_URN],
        "schemas": [ERROR_URN],
        "detail": error.detail,
        "status": str(error.status),
        "exceptionRequestId": request_id,
        "timeStamp": now.strftime("%Y-%m-%d %H:%M:%S.") + f"{now.microsecond // 1000:03d}",
    }


def new_request_id() -> str:
    return str(uuid.uuid4())
