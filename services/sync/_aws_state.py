"""What AWS holds now, read the cheapest way the reference names.

Users and groups by cursor paging (100 a page); memberships per group by
``GET /Users?filter=groups.value eq "<group id>"``, only for the groups the sync may
change: about G + M/100 calls, where asking per user would cost at least one per user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from services.scim_writer import AwsScim, AwsScimError
from services.sources.directory import ReadFailed

Resource = dict[str, Any]
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@dataclass
class AwsState:
    """AWS's users and groups by AWS id, and the members of the groups that were read."""

    users: dict[str, Resource] = field(default_factory=dict)
    groups: dict[str, Resource] = field(default_factory=dict)
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    reads: int = 0

    def by_external_id(self, kind: str) -> dict[str, str]:
        """externalId -> AWS id, for the objects that carry one."""
        table = self.users if kind == "user" else self.groups
        return {r["externalId"]: aws_id for aws_id, r in table.items() if r.get("externalId")}

    def by_name(self, kind: str) -> dict[str, str]:
        """userName or displayName -> AWS id (AWS keeps both unique)."""
        if kind == "user":
            return {r.get("userName", ""): i for i, r in self.users.items()}
        return {r.get("displayName", ""): i for i, r in self.groups.items()}


async def read_objects(aws: AwsScim) -> AwsState:
    """Every user and group; ``ReadFailed`` when any page could not be read."""
    state = AwsState()
    try:
        async for page in aws.pages("Users"):
            state.reads += 1
            state.users.update((r["id"], r) for r in page)
        async for page in aws.pages("Groups"):
            state.reads += 1
            state.groups.update((r["id"], r) for r in page)
    except AwsScimError as error:
        raise ReadFailed("aws", f"listing AWS users and groups: {error}") from error
    return state


async def read_members(aws: AwsScim, state: AwsState, group_ids: Iterable[str]) -> None:
    """The members of each of ``group_ids``, into ``state.members``."""
    try:
        for group_id in group_ids:
            found: set[str] = set()
            async for page in aws.pages("Users", f'groups.value eq "{group_id}"'):
                state.reads += 1
                found.update(r["id"] for r in page)
            state.members[group_id] = frozenset(found)
    except AwsScimError as error:
        raise ReadFailed("aws", f"listing the members of AWS groups: {error}") from error


def user_fields(resource: Resource) -> dict[str, Any]:
    """The attributes idp-sync sets on a user, flat, for comparing desired with actual."""
    name = resource.get("name") or {}
    emails = resource.get("emails") or []
    primary = next((e for e in emails if e.get("primary")), emails[0] if emails else {})
    extension = resource.get(ENTERPRISE) or {}
    return {
        "userName": resource.get("userName"), "displayName": resource.get("displayName"),
        "givenName": name.get("givenName"), "familyName": name.get("familyName"),
        "email": primary.get("value"), "active": resource.get("active", True),
        "title": resource.get("title"), "department": extension.get("department"),
        "employeeNumber": extension.get("employeeNumber"),
    }  # fmt: skip
