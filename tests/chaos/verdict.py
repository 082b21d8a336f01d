"""Comparing what AWS (the emulator) holds with what the IdP's directory says it must.

AWS objects are matched to IdP objects by the ``externalId`` the writer gives them. Each
discrepancy is one ``Finding``; the definitions are in the package docstring.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemas

from .workload import SOURCE, TENANT, Directory, Touch, User

_CHANGE_TYPES = {
    "user.create": "user.upserted", "user.update": "user.upserted",
    "user.reactivate": "user.upserted", "user.deactivate": "user.deactivated",
    "user.delete": "user.deleted", "group.create": "group.upserted",
    "group.rename": "group.upserted", "group.delete": "group.deleted",
    "member.add": "group.member_added", "member.remove": "group.member_removed",
}  # fmt: skip
WRITES = ("CreateUser", "PutUser", "PatchUser", "DeleteUser", "CreateGroup", "PatchGroup",
          "DeleteGroup")  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One discrepancy: ``lost``, ``wrong`` or ``duplicated``, about ``subject``."""

    verdict: str
    subject: str
    detail: str


@dataclass
class Verdict:
    findings: list[Finding] = field(default_factory=list)

    def count(self, verdict: str) -> int:
        return sum(1 for f in self.findings if f.verdict == verdict)

    def add(self, verdict: str, subject: str, detail: str) -> None:
        self.findings.append(Finding(verdict, subject, detail))


def _external_id(idp_id: str) -> str:
    return schemas.external_id(SOURCE, TENANT, idp_id)


def _user_fields(user: User) -> dict[str, Any]:
    return {"userName": user.user_name, "displayName": user.display_name,
            "givenName": user.given_name, "familyName": user.family_name,
            "emails": [user.email], "active": user.active}  # fmt: skip


def _aws_user_fields(resource: dict[str, Any]) -> dict[str, Any]:
    name = resource.get("name") or {}
    return {"userName": resource.get("userName"), "displayName": resource.get("displayName"),
            "givenName": name.get("givenName"), "familyName": name.get("familyName"),
            "emails": [e.get("value") for e in resource.get("emails") or []],
            "active": resource.get("active", True)}  # fmt: skip


def _by_external_id(resources: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        found.setdefault(str(resource.get("externalId")), []).append(resource)
    return found


def compare(directory: Directory, state: dict[str, Any], journal: list[dict[str, Any]]) -> Verdict:
    """Every discrepancy between ``directory`` and the emulator's ``state``."""
    verdict = Verdict()
    aws_users, aws_groups = _by_external_id(state["users"]), _by_external_id(state["groups"])
    user_of_aws = _compare_users(verdict, directory, aws_users)
    group_of_aws = _compare_groups(verdict, directory, aws_groups)
    for external_id, extra in {**aws_users, **aws_groups}.items():
        verdict.add("duplicated", f"aws:{external_id}",
                    f"{len(extra)} AWS objects no IdP object accounts for")  # fmt: skip
    _compare_members(verdict, directory, state, user_of_aws, group_of_aws)
    _compare_creates(verdict, directory, journal)
    return verdict


def _found(
    verdict: Verdict, subject: str, found: list[dict[str, Any]], *, deleted: bool, name: str
) -> dict[str, Any] | None:
    """The one AWS object to compare fields with; ``None`` when there is none to compare
    (what is lost is noted)."""
    if deleted:
        if found:
            verdict.add("lost", subject, f"deleted in the IdP, still in AWS as {found[0]['id']}")
        return None
    if not found:
        verdict.add("lost", subject, f"not in AWS (expected {name})")
        return None
    if len(found) > 1:
        verdict.add("duplicated", subject, f"{len(found)} AWS objects: {[r['id'] for r in found]}")
    return found[0]


def _compare_users(
    verdict: Verdict, directory: Directory, aws_users: dict[str, list[dict[str, Any]]]
) -> dict[str, str]:
    """Compare every IdP user; AWS id -> IdP id of the ones matched (taken from ``aws_users``)."""
    user_of_aws = {}
    for user_id, user in directory.users.items():
        subject, found = f"user:{user_id}", aws_users.pop(_external_id(user_id), [])
        user_of_aws.update({r["id"]: user_id for r in found})
        resource = _found(verdict, subject, found, deleted=user.deleted, name=user.user_name)
        if resource is None:
            continue
        want, have = _user_fields(user), _aws_user_fields(resource)
        differing = [f"{k}: expected {want[k]!r}, AWS has {have[k]!r}"
                     for k in want if want[k] != have[k]]  # fmt: skip
        if differing:
            verdict.add("wrong", subject, ", ".join(differing))
    return user_of_aws


def _compare_groups(
    verdict: Verdict, directory: Directory, aws_groups: dict[str, list[dict[str, Any]]]
) -> dict[str, str]:
    group_of_aws = {}
    for group_id, group in directory.groups.items():
        subject, found = f"group:{group_id}", aws_groups.pop(_external_id(group_id), [])
        group_of_aws.update({r["id"]: group_id for r in found})
        resource = _found(verdict, subject, found, deleted=group.deleted, name=group.display_name)
        if resource is not None and resource.get("displayName") != group.display_name:
            verdict.add("wrong", subject, f"displayName: expected {group.display_name!r}, "
                        f"AWS has {resource.get('displayName')!r}")  # fmt: skip
    return group_of_aws


def _compare_members(
    verdict: Verdict, directory: Directory, state: dict[str, Any], user_of_aws: dict[str, str],
    group_of_aws: dict[str, str],
) -> None:  # fmt: skip
    expected = directory.expected_members()
    actual = {
        (group_of_aws.get(gid, f"aws-{gid}"), user_of_aws.get(uid, f"aws-{uid}"))
        for gid, uids in state["memberships"].items() for uid in uids
    }  # fmt: skip
    for group_id, user_id in sorted(expected - actual):
        verdict.add("lost", f"member:{group_id}:{user_id}", "added in the IdP, not in AWS")
    for group_id, user_id in sorted(actual - expected):
        last = directory.members.get((group_id, user_id))
        if last is False:
            verdict.add("lost", f"member:{group_id}:{user_id}", "removed in the IdP, still in AWS")
        elif last is None:
            verdict.add("wrong", f"member:{group_id}:{user_id}", "never a member in the IdP")
        # last is True: the group or user is deleted, and so is reported already


def _compare_creates(verdict: Verdict, directory: Directory, journal: list[dict[str, Any]]) -> None:
    """AWS objects created more often than the IdP created objects: a re-creation."""
    creates = Counter(w["operation"] for w in journal)
    for operation, kind in (("CreateUser", "user.create"), ("CreateGroup", "group.create")):
        extra = creates[operation] - directory.counts.get(kind, 0)
        if extra > 0:
            verdict.add("duplicated", operation, f"{creates[operation]} applied for "
                        f"{directory.counts.get(kind, 0)} {kind} changes")  # fmt: skip


def minimum_writes(directory: Directory, journal: list[dict[str, Any]]) -> dict[str, int]:
    """The writes a fault-free AWS needs for this workload, per operation.

    One per user and group change; for PatchGroup, the renames plus the membership PATCHes
    AWS applied, since combining membership changes makes their count the writer's choice.
    """
    c = directory.counts.get
    applied_patches = sum(1 for w in journal if w["operation"] == "PatchGroup")
    return {
        "CreateUser": c("user.create", 0), "PutUser": c("user.update", 0) + c("user.reactivate", 0),
        "PatchUser": c("user.deactivate", 0), "DeleteUser": c("user.delete", 0),
        "CreateGroup": c("group.create", 0), "DeleteGroup": c("group.delete", 0),
        "PatchGroup": max(applied_patches, c("group.rename", 0)),
    }  # fmt: skip


def extra_writes_line(
    directory: Directory, state: dict[str, Any], journal: list[dict[str, Any]]
) -> str:
    """``extra writes: E beyond the minimum M (R received: ...)`` from the request counts."""
    requests: dict[str, dict[str, int]] = state["requests"]
    minimum = minimum_writes(directory, journal)
    received = {op: sum(requests.get(op, {}).values()) for op in WRITES}
    by_status: Counter[str] = Counter()
    for op in WRITES:
        for status, n in requests.get(op, {}).items():
            if not status.startswith("2"):
                by_status[status] += n
    total_min, total = sum(minimum.values()), sum(received.values())
    per_op = ", ".join(f"{op} {received[op] - minimum[op]:+d}" for op in WRITES)
    statuses = ", ".join(f"{status} x{n}" for status, n in sorted(by_status.items()))
    reads = sum(sum(v.values()) for op, v in requests.items() if op not in WRITES)
    return (
        f"extra writes: {total - total_min} beyond the minimum {total_min} ({total} "
        f"received: {per_op}; failed writes by status: {statuses or 'none'}; reads {reads})"
    )


def event_ids(subject: str, touches: list[Touch]) -> dict[str, str]:
    """The writer's message id of each change that touched ``subject``: event id -> change."""
    kind, _, rest = subject.partition(":")
    # a membership event's subject is its group
    if kind == "user":
        canonical_subject = schemas.Subject("user", rest)
    else:
        canonical_subject = schemas.Subject("group", rest.split(":")[0])
    ids = {}
    for touch in touches:
        key = schemas.idempotency_key(SOURCE, TENANT, touch.change_id, _CHANGE_TYPES[touch.kind],
                                      canonical_subject)  # fmt: skip
        ids[schemas.event_id(key)] = touch.change_id
    return ids


def log_lines(log: Path, needles: list[str], limit: int = 6) -> list[str]:
    """The last ``limit`` lines of a JSON-lines log that mention any of ``needles``."""
    found = []
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return []
    for raw in text.splitlines():
        if any(n in raw for n in needles):
            try:
                line = json.loads(raw)
                found.append(f"{line.get('time', '')[11:23]} {line.get('message', raw)}")
            except ValueError:
                found.append(raw)
    return found[-limit:]
