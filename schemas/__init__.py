"""The canonical event contract shared by the normalizer and the SCIM writer.

``schemas/json/`` holds the exported JSON Schema; ``schemas/export.py`` regenerates it and a
test fails when the files and these types drift apart.
"""

from .events import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    CanonicalEvent,
    GroupDeleted,
    GroupMemberAdded,
    GroupMemberRemoved,
    GroupState,
    GroupUpserted,
    Member,
    Subject,
    UserDeactivated,
    UserDeleted,
    UserState,
    UserUpserted,
    decode,
    encode,
    event_id,
    event_type,
    external_id,
    idempotency_key,
    version_of,
)

__all__ = [
    "EVENT_TYPES", "SCHEMA_VERSION", "CanonicalEvent", "GroupDeleted", "GroupMemberAdded",
    "GroupMemberRemoved", "GroupState", "GroupUpserted", "Member", "Subject",
    "UserDeactivated", "UserDeleted", "UserState", "UserUpserted", "decode", "encode",
    "event_id", "event_type", "external_id", "idempotency_key", "version_of",
]  # fmt: skip
