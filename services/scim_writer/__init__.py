"""The SCIM writer: applies canonical events to AWS, once, in order, within AWS's rules.

So far: the state store, the AWS SCIM client with its error tree and adaptive rate limit,
and the canonical-to-SCIM body mapping. The consumer that ties them together comes next.
"""

from ._aws_errors import (
    AwsConflict,
    AwsNotFound,
    AwsRefused,
    AwsScimError,
    AwsServerError,
    AwsThrottled,
    AwsUnauthorized,
    AwsUnreachable,
)
from ._aws_scim import MAX_MEMBER_CHANGES, AwsScim, ScimEndpoint
from ._bodies import user_resource
from ._open_store import DEFAULT_STATE_URL, store_for
from ._postgres_store import PostgresStore
from ._rate_limit import AdaptiveRateLimit
from ._sqlite_store import SqliteStore
from ._state_store import AwsObject, StateStore, StoreUnavailable

__all__ = [
    "DEFAULT_STATE_URL", "MAX_MEMBER_CHANGES", "AdaptiveRateLimit", "AwsConflict",
    "AwsNotFound", "AwsObject", "AwsRefused", "AwsScim", "AwsScimError", "AwsServerError",
    "AwsThrottled", "AwsUnauthorized", "AwsUnreachable", "PostgresStore", "ScimEndpoint",
    "SqliteStore", "StateStore", "StoreUnavailable", "store_for", "user_resource",
]  # fmt: skip
