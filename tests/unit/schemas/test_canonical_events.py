from __future__ import annotations

import datetime as dt

import msgspec
import pytest

import schemas
from schemas import export

WHEN = dt.datetime(2026, 11, 2, 10, 15, 29, 770000, tzinfo=dt.UTC)


def _common(type_: str, subject: schemas.Subject) -> dict[str, object]:
    key = schemas.idempotency_key("okta", "acme.okta.com", "evt-1", type_, subject)
    return {
        "event_id": schemas.event_id(key), "idempotency_key": key, "source": "okta",
        "idp_tenant": "acme.okta.com", "source_event_id": "evt-1", "subject": subject,
        "source_version": schemas.version_of(WHEN), "occurred_at": WHEN,
    }  # fmt: skip


USER = schemas.Subject("user", "00u1")
GROUP = schemas.Subject("group", "00g1")
EXAMPLES: list[schemas.CanonicalEvent] = [
    schemas.UserUpserted(
        user=schemas.UserState("jane@acme.com", "Jane Doe", "Jane", "Doe", "jane@acme.com"),
        **_common("user.upserted", USER),  # type: ignore[arg-type]
    ),
    schemas.UserDeactivated(**_common("user.deactivated", USER)),  # type: ignore[arg-type]
    schemas.UserDeleted(**_common("user.deleted", USER)),  # type: ignore[arg-type]
    schemas.GroupUpserted(
        group=schemas.GroupState("Engineering"),
        **_common("group.upserted", GROUP),  # type: ignore[arg-type]
    ),
    schemas.GroupDeleted(**_common("group.deleted", GROUP)),  # type: ignore[arg-type]
    schemas.GroupMemberAdded(
        members=(schemas.Member("00u1", "jane@acme.com"),),
        **_common("group.member_added", GROUP),  # type: ignore[arg-type]
    ),
    schemas.GroupMemberRemoved(
        members=(schemas.Member("00u1"),),
        **_common("group.member_removed", GROUP),  # type: ignore[arg-type]
    ),
]


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: type(e).__name__)
def test_every_event_type_survives_the_wire(event: schemas.CanonicalEvent) -> None:
    raw = schemas.encode(event)
    assert msgspec.json.decode(raw)["type"] == schemas.event_type(type(event))
    assert schemas.decode(raw) == event


def test_the_union_covers_every_type_once() -> None:
    tags = [schemas.event_type(cls) for cls in schemas.EVENT_TYPES]
    assert tags == ["user.upserted", "user.deactivated", "user.deleted", "group.upserted",
                    "group.deleted", "group.member_added", "group.member_removed"]  # fmt: skip
    assert {type(e) for e in EXAMPLES} == set(schemas.EVENT_TYPES)


def test_unknown_fields_and_types_are_refused_with_a_reason() -> None:
    raw = msgspec.json.decode(schemas.encode(EXAMPLES[0]))
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        schemas.decode(msgspec.json.encode({**raw, "surprise": 1}))
    with pytest.raises(msgspec.ValidationError, match=r"Invalid value 'user\.renamed'"):
        schemas.decode(msgspec.json.encode({**raw, "type": "user.renamed"}))


def test_idempotency_key_is_stable_and_specific() -> None:
    key = schemas.idempotency_key("okta", "acme", "evt-1", "user.upserted", USER)
    assert key == schemas.idempotency_key("okta", "acme", "evt-1", "user.upserted", USER)
    others = {
        schemas.idempotency_key("okta", "acme", "evt-2", "user.upserted", USER),
        schemas.idempotency_key("okta", "acme", "evt-1", "user.deleted", USER),
        schemas.idempotency_key("okta", "other", "evt-1", "user.upserted", USER),
        schemas.idempotency_key("okta", "acme", "evt-1", "user.upserted", GROUP),
    }
    assert key not in others
    assert len(others) == 4
    assert schemas.event_id(key) == schemas.event_id(key)


def test_source_versions_order_like_time() -> None:
    later = WHEN + dt.timedelta(milliseconds=1)
    assert schemas.version_of(later) - schemas.version_of(WHEN) == 1000
    assert schemas.version_of(WHEN.astimezone(dt.timezone(dt.timedelta(hours=2)))) == (
        schemas.version_of(WHEN)
    )


def test_group_and_its_memberships_share_a_shard_key() -> None:
    assert EXAMPLES[3].subject.shard_key == EXAMPLES[5].subject.shard_key == "group:00g1"
    assert USER.shard_key != GROUP.shard_key


def test_exported_json_schema_matches_the_types() -> None:
    """Drift test: regenerate with `uv run python -m schemas.export`."""
    for name, content in export.rendered().items():
        on_disk = (export.JSON_DIR / name).read_bytes()
        assert on_disk == content, f"schemas/json/{name} is stale: run python -m schemas.export"


def test_external_ids_are_stable_and_within_aws_rules() -> None:
    assert schemas.external_id("okta", "acme.okta.com", "00u1") == "okta|acme.okta.com|00u1"
    odd = schemas.external_id("generic", "hr system", "id:with;bad%chars")
    assert odd == schemas.external_id("generic", "hr system", "id:with;bad%chars")
    assert not set(odd) & set("<>;:% ")
    long = schemas.external_id("generic", "t", "x" * 300)
    assert len(long) <= 256
    assert long != schemas.external_id("generic", "t", "y" * 300)
