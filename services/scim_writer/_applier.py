"""Applying one canonical event to AWS with the fewest calls, exactly once in effect.

Before any call: a key already applied is a duplicate; an event older than what was
applied for its subject is stale (so a replayed upsert never resurrects a deleted user).
AWS objects are found by the ``externalId`` idp-sync gives them; an object idp-sync did
not create is touched only when adoption is on. Principals are never deleted to be
re-created: their AWS ids carry account assignments.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec
from opentelemetry import trace

import schemas
from services.shared.telemetry import AWS_ID

from ._aws_errors import AwsConflict, AwsNotFound
from ._aws_scim import AwsScim, Resource
from ._bodies import user_resource
from ._state_store import AwsObject, ObjectKind, StateStore

MembershipEvent = schemas.GroupMemberAdded | schemas.GroupMemberRemoved


class Outcome(enum.Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"
    NOT_OWNED = "not-owned"
    NOTHING_TO_DO = "nothing-to-do"
    HELD = "held"


class MemberNotYetProvisioned(Exception):
    """A membership names a user or group AWS does not have yet: retry later."""


class MembershipRaced(Exception):
    """A member PATCH named a user or group deleted meanwhile: retry, reading them again."""


def _activity(event: schemas.CanonicalEvent) -> str:
    """The version key of a user's ``active`` flag, apart from the rest of its state.

    A deactivation carries no attributes, so it must not make an older upsert stale: the
    upsert's names and email still apply, only its ``active`` yields to the deactivation.
    """
    return f"{event.subject.shard_key}:active"


def _checked(event: schemas.CanonicalEvent) -> str:
    """The version key an event must not be older than."""
    return _activity(event) if isinstance(event, schemas.UserDeactivated) else (
        event.subject.shard_key)  # fmt: skip


def _raised(event: schemas.CanonicalEvent) -> tuple[str, ...]:
    """The version keys an applied event raises: an upsert or a deletion decides ``active``
    too; a deactivation decides nothing else."""
    if isinstance(event, schemas.UserUpserted | schemas.UserDeleted):
        return event.subject.shard_key, _activity(event)
    return (_checked(event),)


def _external_id(event: schemas.CanonicalEvent, idp_id: str | None = None) -> str:
    return schemas.external_id(event.source, event.idp_tenant, idp_id or event.subject.idp_id)


@dataclass
class Applier:
    store: StateStore
    aws: AwsScim
    adopt_existing: bool = False

    async def apply(self, event: schemas.CanonicalEvent) -> Outcome:
        """Converge AWS to ``event``; AWS errors propagate for the caller to give a fate."""
        skipped = await self.skipped(event)
        if skipped is not None:
            return skipped
        match event:
            case schemas.UserUpserted():
                return await self._upsert_user(event)
            case schemas.UserDeactivated() | schemas.UserDeleted():
                return await self._retire_user(event)
            case schemas.GroupUpserted():
                return await self._upsert_group(event)
            case schemas.GroupDeleted():
                return await self._delete_group(event)
            case _:
                (outcome,) = await self.apply_members([event])
                return outcome

    async def skipped(self, event: schemas.CanonicalEvent) -> Outcome | None:
        """``DUPLICATE`` or ``STALE`` (recorded) when ``event`` must not be applied."""
        if await self.store.outcome(event.idempotency_key) is not None:
            return Outcome.DUPLICATE
        if isinstance(event, schemas.GroupMemberAdded | schemas.GroupMemberRemoved):
            return None  # versions are per membership pair, checked member by member
        last = await self.store.last_version(_checked(event))
        if last is not None and event.source_version < last:
            await self.store.record(event.idempotency_key, Outcome.STALE.value, versions={})
            return Outcome.STALE
        return None

    async def _known(self, kind: ObjectKind, external_id: str) -> AwsObject | None:
        """The AWS object for ``external_id``: from memory, else by AWS's own filter."""
        known = await self.store.aws_object(kind, external_id)
        if known is not None:
            return known
        lookup = self.aws.user_by_external_id if kind == "user" else self.aws.group_by_external_id
        found = await lookup(external_id)
        return None if found is None else AwsObject(kind, external_id, found["id"])

    async def _done(
        self, event: schemas.CanonicalEvent, outcome: Outcome, *,
        objects: tuple[AwsObject, ...] = (), forgotten: tuple[tuple[ObjectKind, str], ...] = (),
    ) -> Outcome:  # fmt: skip
        if objects:
            trace.get_current_span().set_attribute(AWS_ID, objects[0].aws_id)
        versions = dict.fromkeys(_raised(event), event.source_version)
        if isinstance(event, schemas.UserUpserted) and await self._deactivated_since(event):
            versions = {event.subject.shard_key: event.source_version}
        await self.store.record(event.idempotency_key, outcome.value, versions=versions,
                                objects=objects, forgotten=forgotten)  # fmt: skip
        return outcome

    def _adopted(self, found: Resource | None, kind: ObjectKind, ext: str) -> AwsObject | None:
        """An AWS object idp-sync did not create becomes ours only when adoption is on."""
        if found is None or not self.adopt_existing:
            return None
        return AwsObject(kind, ext, found["id"], owned=False)

    async def _deactivated_since(self, event: schemas.UserUpserted) -> bool:
        """A deactivation newer than this upsert was applied: its ``active=false`` stands."""
        last = await self.store.last_version(_activity(event))
        return last is not None and last > event.source_version

    async def _upsert_user(self, event: schemas.UserUpserted) -> Outcome:
        ext = _external_id(event)
        state = event.user
        if state.active and await self._deactivated_since(event):
            state = msgspec.structs.replace(state, active=False)
        body = user_resource(state, ext)
        known = await self._known("user", ext)
        if known is None and self.adopt_existing:
            same_name = await self.aws.user_by_name(event.user.user_name)
            known = self._adopted(same_name, "user", ext)
        if known is not None:
            await self.aws.replace_user(known.aws_id, body)
            return await self._done(event, Outcome.APPLIED, objects=(known,))
        try:
            created = await self.aws.create_user(body)
        except AwsConflict:
            # Our earlier create may have applied with its answer lost: look before failing.
            found = await self.aws.user_by_external_id(ext)
            if found is None:
                return await self._done(event, Outcome.NOT_OWNED)  # someone else's user
            await self.aws.replace_user(found["id"], body)
            created = found
        return await self._done(
            event, Outcome.APPLIED, objects=(AwsObject("user", ext, created["id"]),)
        )

    async def _retire_user(self, event: schemas.UserDeactivated | schemas.UserDeleted) -> Outcome:
        ext = _external_id(event)
        known = await self._known("user", ext)
        if known is None:
            return await self._done(event, Outcome.NOTHING_TO_DO)
        if isinstance(event, schemas.UserDeactivated):
            await self.aws.set_active(known.aws_id, active=False)
            return await self._done(event, Outcome.APPLIED, objects=(known,))
        with contextlib.suppress(AwsNotFound):  # already gone: the goal holds
            await self.aws.delete_user(known.aws_id)
        return await self._done(event, Outcome.APPLIED, forgotten=(("user", ext),))

    async def _upsert_group(self, event: schemas.GroupUpserted) -> Outcome:
        ext = _external_id(event)
        name = event.group.display_name
        known = await self._known("group", ext)
        if known is None and self.adopt_existing:
            known = self._adopted(await self.aws.group_by_name(name), "group", ext)
        if known is not None:
            await self.aws.rename_group(known.aws_id, name)  # a rename keeps the AWS id
            return await self._done(event, Outcome.APPLIED, objects=(known,))
        try:
            created = await self.aws.create_group(name, ext)
        except AwsConflict:
            found = await self.aws.group_by_external_id(ext)
            if found is None:
                return await self._done(event, Outcome.NOT_OWNED)  # e.g. a hand-made group
            created = found
        return await self._done(
            event, Outcome.APPLIED, objects=(AwsObject("group", ext, created["id"]),)
        )

    async def _delete_group(self, event: schemas.GroupDeleted) -> Outcome:
        ext = _external_id(event)
        known = await self._known("group", ext)
        if known is None:
            return await self._done(event, Outcome.NOTHING_TO_DO)
        with contextlib.suppress(AwsNotFound):
            await self.aws.delete_group(known.aws_id)
        return await self._done(event, Outcome.APPLIED, forgotten=(("group", ext),))

    async def apply_members(self, events: Sequence[MembershipEvent]) -> list[Outcome]:
        """Converge AWS to several membership events of one group in as few PATCHes as
        AWS allows; per member the newest event wins. Any error leaves nothing recorded."""
        outcomes: list[Outcome | None] = [
            Outcome.DUPLICATE if await self.store.outcome(e.idempotency_key) else None
            for e in events
        ]
        live = [(n, e) for n, e in enumerate(events) if outcomes[n] is None]
        if not live:
            return [o or Outcome.DUPLICATE for o in outcomes]
        group = await self._known("group", _external_id(live[0][1]))
        if group is None:
            if await self.store.last_version(live[0][1].subject.shard_key) is None:
                raise MemberNotYetProvisioned(
                    f"group {live[0][1].subject.idp_id} is not in AWS yet")  # fmt: skip
            # Deleted since, or found not ours: waiting for it would never end.
            for n, event in live:
                await self.store.record(event.idempotency_key, Outcome.NOTHING_TO_DO.value,
                                        versions={})  # fmt: skip
                outcomes[n] = Outcome.NOTHING_TO_DO
            return [o or Outcome.DUPLICATE for o in outcomes]
        plan = _MembershipPlan()
        for n, event in live:
            for member in event.members:
                await self._plan_member(plan, n, event, member)
        adds = [user for adding, _, user in plan.final.values() if adding and user]
        removes = [user for adding, _, user in plan.final.values() if not adding and user]
        if adds or removes:
            try:
                await self.aws.change_members(group.aws_id, add=adds, remove=removes)
            except AwsNotFound as error:
                # A user (or the group) was deleted on another shard meanwhile: the retry
                # reads them again and leaves out what is gone, instead of a dead letter.
                raise MembershipRaced(f"{error}; reading the members again") from error
        for n, event in live:
            versions = plan.versions.get(n, {})
            outcome = plan.outcome_of(n)
            await self.store.record(event.idempotency_key, outcome.value, versions=versions,
                                    objects=(group,))  # fmt: skip
            outcomes[n] = outcome
        return [o or Outcome.DUPLICATE for o in outcomes]

    async def _plan_member(
        self, plan: _MembershipPlan, n: int, event: MembershipEvent, member: schemas.Member
    ) -> None:
        pair = f"member:{event.subject.idp_id}:{member.idp_id}"
        if pair not in plan.final:
            applied = await self.store.last_version(pair)
            if applied is not None and event.source_version < applied:
                return  # a newer change of this pair was applied already
        elif event.source_version < plan.final[pair][1]:
            return  # a newer event in this batch decides this pair
        adding = isinstance(event, schemas.GroupMemberAdded)
        user = await self._known("user", _external_id(event, member.idp_id))
        if user is None and adding:
            if await self.store.last_version(schemas.Subject("user", member.idp_id).shard_key):
                return  # deleted (or found not ours) since: waiting would never end
            raise MemberNotYetProvisioned(f"user {member.idp_id} is not in AWS yet")
        plan.versions.setdefault(n, {})[pair] = event.source_version
        plan.final[pair] = (adding, event.source_version, user.aws_id if user else None)


@dataclass
class _MembershipPlan:
    final: dict[str, tuple[bool, int, str | None]] = field(default_factory=dict)
    """Per membership pair: add or remove, the deciding version, the user's AWS id."""
    versions: dict[int, dict[str, int]] = field(default_factory=dict)
    """Per event (by position): the pair versions it sets."""

    def outcome_of(self, n: int) -> Outcome:
        versions = self.versions.get(n)
        if not versions:
            return Outcome.STALE
        changed = any(self.final[pair][2] is not None for pair in versions)
        return Outcome.APPLIED if changed else Outcome.NOTHING_TO_DO
