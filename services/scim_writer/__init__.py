"""The SCIM writer: applies canonical events to AWS, once, in order, within AWS's rules.

Parts: the state store (SQLite or PostgreSQL), the AWS SCIM client with its error tree and
adaptive rate limit, the canonical-to-SCIM body mapping, the ``Applier`` (fewest calls,
exactly once in effect) and the consumer (``create_writer``/``serve``) that gives every
outcome its fate.
"""

from ._app import Writer, create_writer, serve
from ._applier import Applier, MemberNotYetProvisioned, MembershipEvent, MembershipRaced, Outcome
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
from ._deletion_guard import DeletionGuard, Retirement
from ._dry_run import PlannedWrite, PlanningAws, ScratchStore
from ._open_store import DEFAULT_STATE_URL, store_for
from ._postgres_store import PostgresStore
from ._rate_limit import AdaptiveRateLimit
from ._sqlite_store import SqliteStore
from ._state_store import AwsObject, QueueLag, StateStore, StoreUnavailable

__all__ = [
    "DEFAULT_STATE_URL",
    "MAX_MEMBER_CHANGES",
    "AdaptiveRateLimit",
    "Applier",
    "AwsConflict",
    "AwsNotFound",
    "AwsObject",
    "AwsRefused",
    "AwsScim",
    "AwsScimError",
    "AwsServerError",
    "AwsThrottled",
    "AwsUnauthorized",
    "AwsUnreachable",
    "DeletionGuard",
    "MemberNotYetProvisioned",
    "MembershipEvent",
    "MembershipRaced",
    "Outcome",
    "PlannedWrite",
    "PlanningAws",
    "PostgresStore",
    "QueueLag",
    "Retirement",
    "ScimEndpoint",
    "ScratchStore",
    "SqliteStore",
    "StateStore",
    "StoreUnavailable",
    "Writer",
    "create_writer",
    "serve",
    "store_for",
    "user_resource",
]  # fmt: skip
