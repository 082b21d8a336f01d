"""The difference between the IdP's directory and AWS, as the changes that close it.

Rules (reference/reconciliation.md §5):
- objects match by the IdP's immutable id, through the externalId idp-sync gives them, so
  a rename or a new email is an update of the same AWS object, never delete + create;
- only objects idp-sync owns (created, or adopted on purpose) are changed; an AWS object
  with the same userName or group name that is not ours is reported, never touched;
- an owned object the IdP no longer has is retired (deactivated by default, deleted when
  ``missing == "delete"``); one the reader could not map is not missing, it is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import schemas
from services.scim_writer import AwsObject, user_resource
from services.sources.directory import Directory

from ._aws_state import AwsState, user_fields

Missing = Literal["deactivate", "delete"]
COUNT_KEYS = (
    "user.create", "user.update", "user.deactivate", "user.delete", "group.create",
    "group.update", "group.delete", "member.add", "member.remove", "not_owned",
)  # fmt: skip
Phase = Literal["objects", "members", "retirements"]


@dataclass(frozen=True)
class Change:
    """One line of the plan."""

    kind: str
    """One of ``COUNT_KEYS``."""
    subject: str
    """``user:<idp id>`` or ``group:<idp id>``; for ``not_owned``, ``aws-user:<aws id>``."""
    name: str
    """The userName or group name, for people."""
    detail: str = ""
    members: tuple[str, ...] = ()
    """For ``member.*``: the users' IdP ids."""
    differs: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    """For updates: attribute -> (in AWS now, as the IdP has it)."""
    deactivated_apart: bool = False
    """For a user update: the user's deactivation is a change of its own, so the deletion
    guard counts it; the update leaves ``active`` as AWS has it."""

    @property
    def count(self) -> int:
        return len(self.members) if self.kind.startswith("member.") else 1

    @property
    def phase(self) -> Phase:
        if self.kind.startswith("member."):
            return "members"
        if self.kind in {"user.deactivate", "user.delete", "group.delete"}:
            return "retirements"
        return "objects"


@dataclass
class Plan:
    source: str
    changes: list[Change] = field(default_factory=list)
    aws_reads: int = 0

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(COUNT_KEYS, 0)
        for change in self.changes:
            counts[change.kind] += change.count
        return counts

    @property
    def in_step(self) -> bool:
        """Nothing to change (objects that are not ours are reported, not changed)."""
        return all(c.kind == "not_owned" for c in self.changes)


@dataclass
class _Matcher:
    """Finds the AWS object of an IdP object: the store's map first, then AWS's externalId."""

    directory: Directory
    aws: AwsState
    owned: Mapping[str, AwsObject]
    """externalId -> what the store knows, for this source and kind."""
    kind: Literal["user", "group"]

    def __post_init__(self) -> None:
        self.table = self.aws.users if self.kind == "user" else self.aws.groups
        self.external = self.aws.by_external_id(self.kind)

    def external_id(self, idp_id: str) -> str:
        return schemas.external_id(self.directory.source, self.directory.tenant, idp_id)

    def aws_id(self, idp_id: str) -> str | None:
        ext = self.external_id(idp_id)
        known = self.owned.get(ext)
        if known is not None and known.aws_id in self.table:
            return known.aws_id
        return self.external.get(ext)


def prefix(directory: Directory) -> str:
    """The start of every externalId of this source's tenant."""
    return schemas.external_id(directory.source, directory.tenant, "")


def idp_id_of(directory: Directory, external_id: str) -> str | None:
    """The IdP id inside an externalId; ``None`` for one shortened to a digest."""
    start = prefix(directory)
    return external_id[len(start) :] if external_id.startswith(start) else None


def make_plan(
    directory: Directory, aws: AwsState, owned_users: Mapping[str, AwsObject],
    owned_groups: Mapping[str, AwsObject], *, missing: Missing = "deactivate",
    adopt: bool = False,
) -> Plan:  # fmt: skip
    """The changes that make AWS hold ``directory``; ``aws.members`` must hold the members
    of every group ``groups_to_read`` names."""
    plan = Plan(directory.source, aws_reads=aws.reads)
    users = _Matcher(directory, aws, owned_users, "user")
    groups = _Matcher(directory, aws, owned_groups, "group")
    _plan_users(plan, directory, users, missing, adopt)
    _plan_groups(plan, directory, groups, missing, adopt)
    _plan_members(plan, directory, users, groups, missing)
    _report_not_owned(plan, users, groups)
    return plan


def groups_to_read(
    directory: Directory, aws: AwsState, owned_groups: Mapping[str, AwsObject]
) -> list[str]:
    """The AWS ids of the groups whose members the plan compares: ours, IdP's or missing."""
    matcher = _Matcher(directory, aws, owned_groups, "group")
    ids = {matcher.aws_id(g) for g in directory.groups}
    ids |= {o.aws_id for o in owned_groups.values() if o.aws_id in aws.groups}
    return sorted(i for i in ids if i is not None)


def _desired_user(directory: Directory, idp_id: str, ext: str) -> dict[str, Any]:
    return user_fields(user_resource(directory.users[idp_id], ext))


def _plan_users(
    plan: Plan, directory: Directory, users: _Matcher, missing: Missing, adopt: bool
) -> None:
    names = users.aws.by_name("user")
    for idp_id, state in sorted(directory.users.items()):
        subject, aws_id = f"user:{idp_id}", users.aws_id(idp_id)
        if aws_id is None:
            same_name = names.get(state.user_name)
            if same_name is not None and not adopt:
                plan.changes.append(Change("not_owned", subject, state.user_name,
                    "an AWS user idp-sync does not own has this userName: left alone"))  # fmt: skip
                continue
            detail = "adopts the AWS user of the same userName" if same_name else ""
            plan.changes.append(Change("user.create", subject, state.user_name, detail))
            continue
        actual = user_fields(users.table[aws_id])
        wanted = _desired_user(directory, idp_id, users.external_id(idp_id))
        differs = {k: (actual[k], v) for k, v in wanted.items() if actual[k] != v}
        deactivating = differs.pop("active", None) == (True, False)
        if deactivating:
            plan.changes.append(Change("user.deactivate", subject, state.user_name,
                                       "inactive in the IdP"))  # fmt: skip
        elif actual["active"] != wanted["active"]:
            differs["active"] = (actual["active"], wanted["active"])
        if differs:
            plan.changes.append(Change("user.update", subject, state.user_name, differs=differs,
                                       deactivated_apart=deactivating))  # fmt: skip
    for ext, known in sorted(users.owned.items()):
        gone = idp_id_of(directory, ext)
        if gone is None or gone in directory.users or f"user:{gone}" in directory.unmapped:
            continue
        resource = users.table.get(known.aws_id)
        if resource is None:
            continue  # already gone from AWS: nothing to retire
        name = str(resource.get("userName", ""))
        if missing == "delete":
            plan.changes.append(Change("user.delete", f"user:{gone}", name, "not in the IdP"))
        elif resource.get("active", True):
            plan.changes.append(Change("user.deactivate", f"user:{gone}", name,
                                       "not in the IdP"))  # fmt: skip


def _plan_groups(
    plan: Plan, directory: Directory, groups: _Matcher, missing: Missing, adopt: bool
) -> None:
    names = groups.aws.by_name("group")
    for idp_id, state in sorted(directory.groups.items()):
        subject, aws_id = f"group:{idp_id}", groups.aws_id(idp_id)
        if aws_id is None:
            if state.display_name in names and not adopt:
                plan.changes.append(Change("not_owned", subject, state.display_name,
                    "an AWS group idp-sync does not own has this name: left alone"))  # fmt: skip
                continue
            plan.changes.append(Change("group.create", subject, state.display_name))
            continue
        actual = groups.table[aws_id].get("displayName")
        if actual != state.display_name:
            renamed = {"displayName": (actual, state.display_name)}
            why = f"renamed from {actual!r}, same AWS id"
            plan.changes.append(Change("group.update", subject, state.display_name, why,
                                       differs=renamed))  # fmt: skip
    if missing != "delete":
        return  # kept: its members are removed below, so it grants nothing
    for ext, known in sorted(groups.owned.items()):
        gone = idp_id_of(directory, ext)
        if gone is None or gone in directory.groups or f"group:{gone}" in directory.unmapped:
            continue
        if known.aws_id in groups.table:
            name = str(groups.table[known.aws_id].get("displayName", ""))
            plan.changes.append(Change("group.delete", f"group:{gone}", name, "not in the IdP"))


def _plan_members(
    plan: Plan, directory: Directory, users: _Matcher, groups: _Matcher, missing: Missing
) -> None:
    skipped = {c.subject for c in plan.changes if c.kind == "not_owned"}
    addable = {u for u in directory.users if f"user:{u}" not in skipped}
    for idp_id, wanted in sorted(directory.members.items()):
        if idp_id not in directory.groups or f"group:{idp_id}" in skipped:
            continue
        name = directory.groups[idp_id].display_name
        aws_id = groups.aws_id(idp_id)
        present = groups.aws.members.get(aws_id, frozenset()) if aws_id else frozenset()
        adds = sorted(u for u in wanted & addable if users.aws_id(u) not in present)
        if adds:
            plan.changes.append(Change("member.add", f"group:{idp_id}", name, members=tuple(adds)))
        if aws_id is not None:
            staying = {a for u in wanted if (a := users.aws_id(u)) is not None}
            _removals(plan, directory, users, f"group:{idp_id}", name,
                      aws_members=present - staying)  # fmt: skip
    if missing == "delete":
        return
    for ext, known in sorted(groups.owned.items()):
        gone = idp_id_of(directory, ext)
        if gone is None or gone in directory.groups or f"group:{gone}" in directory.unmapped:
            continue
        if (resource := groups.table.get(known.aws_id)) is not None:
            _removals(plan, directory, users, f"group:{gone}", str(resource.get("displayName")),
                      aws_members=groups.aws.members.get(known.aws_id, frozenset()),
                      detail="the group is not in the IdP: kept, emptied")  # fmt: skip


def _removals(
    plan: Plan, directory: Directory, users: _Matcher, subject: str, name: str, *,
    aws_members: frozenset[str], detail: str = "",
) -> None:  # fmt: skip
    """Remove the members of ours among ``aws_members``; others' users are left alone."""
    ours = {a: e for e, a in users.external.items()}
    ours.update({o.aws_id: e for e, o in users.owned.items()})
    leaving = sorted(
        i for a in aws_members if (e := ours.get(a)) and (i := idp_id_of(directory, e))
    )
    if leaving:
        plan.changes.append(Change("member.remove", subject, name, detail, members=tuple(leaving)))


def _report_not_owned(plan: Plan, users: _Matcher, groups: _Matcher) -> None:
    """AWS objects no source of idp-sync made (hand-made, Control Tower): listed, untouched."""
    from services.shared.topology import DEFAULT_SOURCES

    made = tuple(f"{s}|" for s in DEFAULT_SOURCES)
    reported = {c.name for c in plan.changes if c.kind == "not_owned"}
    for matcher, label, name_key in ((users, "user", "userName"), (groups, "group", "displayName")):
        known = {o.aws_id for o in matcher.owned.values()}
        for aws_id, resource in sorted(matcher.table.items()):
            name = str(resource.get(name_key, ""))
            if aws_id in known or str(resource.get("externalId", "")).startswith(made):
                continue
            if name not in reported:
                why = f"an AWS {label} idp-sync did not make: left alone"
                plan.changes.append(Change("not_owned", f"aws-{label}:{aws_id}", name, why))
