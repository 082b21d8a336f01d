"""The SCIM writer: applies canonical events to AWS, once, in order, within AWS's rules.

This package so far holds the writer's state store; the consumer and the SCIM client
come next (see the README's status).
"""

from ._open_store import DEFAULT_STATE_URL, store_for
from ._postgres_store import PostgresStore
from ._sqlite_store import SqliteStore
from ._state_store import AwsObject, StateStore, StoreUnavailable

__all__ = [
    "DEFAULT_STATE_URL", "AwsObject", "PostgresStore", "SqliteStore", "StateStore",
    "StoreUnavailable", "store_for",
]  # fmt: skip
