"""What an AWS SCIM call can end in, written down in one place.

    AwsScimError                   any failed call; ``detail`` is AWS's own text
    ├── AwsRefused           400   the payload breaks AWS's rules: permanent
    ├── AwsUnauthorized      401/403  token expired, rotated or wrong: an operator must act
    ├── AwsNotFound          404
    ├── AwsConflict          409   duplicate userName/email/externalId/displayName
    ├── AwsThrottled         429   ``retry_after`` seconds when AWS says
    ├── AwsServerError       5xx   ``retry_after`` when AWS says
    └── AwsUnreachable             timeout or connection failure: the call may have applied

No exception here ever carries the bearer token.
"""

from __future__ import annotations


class AwsScimError(Exception):
    def __init__(self, operation: str, status: int | None, detail: str) -> None:
        self.operation = operation
        self.status = status
        self.detail = detail
        super().__init__(f"{operation}: {status or 'no answer'} {detail}".strip())


class AwsRefused(AwsScimError):
    pass


class AwsUnauthorized(AwsScimError):
    pass


class AwsNotFound(AwsScimError):
    pass


class AwsConflict(AwsScimError):
    pass


class AwsThrottled(AwsScimError):
    def __init__(self, operation: str, status: int, detail: str, retry_after: float | None):
        super().__init__(operation, status, detail)
        self.retry_after = retry_after


class AwsServerError(AwsThrottled):
    """A 5xx: like throttling, worth retrying after a wait."""


class AwsUnreachable(AwsScimError):
    pass


def error_for(operation: str, status: int, detail: str, retry_after: float | None) -> AwsScimError:
    """The exception for an AWS answer with a status of 400 or more."""
    if status == 429:
        return AwsThrottled(operation, status, detail, retry_after)
    if status >= 500:
        return AwsServerError(operation, status, detail, retry_after)
    kinds: dict[int, type[AwsScimError]] = {
        401: AwsUnauthorized, 403: AwsUnauthorized, 404: AwsNotFound, 409: AwsConflict,
    }  # fmt: skip
    return kinds.get(status, AwsRefused)(operation, status, detail)
