"""The group operations: CreateGroup, GetGroup, PatchGroup, DeleteGroup (and PUT by switch).

Members are never returned by a group read; they live in ``Directory.members`` and can
only be seen through the ``members.value`` / ``groups.value`` list filters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import _validation as validate
from ._config import Behaviour
from ._directory import Directory, Resource, new_resource_id, now_stamp
from ._errors import MEMBERS_REPLACE, InvalidRequest, NotFound
from ._patch_ops import Operation, operations
from ._validation import GROUP_URN, MAX_MEMBERS_PER_REQUEST


def _resource(group_id: str, attrs: dict[str, Any], created: str) -> Resource:
    resource: Resource = {"id": group_id, "displayName": attrs["displayName"]}
    if "externalId" in attrs:
        resource["externalId"] = attrs["externalId"]
    resource["meta"] = {"resourceType": "Group", "created": created, "lastModified": now_stamp()}
    resource["schemas"] = [GROUP_URN]
    return resource


def _known_members(directory: Directory, user_ids: list[str], behaviour: Behaviour) -> list[str]:
    unknown = [uid for uid in user_ids if uid not in directory.users]
    if unknown and behaviour.unknown_member == "not_found":
        raise NotFound("Specified user or endpoint does not exist.")
    return [uid for uid in user_ids if uid in directory.users]


def create(directory: Directory, body: Any, behaviour: Behaviour) -> Resource:
    attrs, member_ids = validate.group(body, behaviour)
    group = _resource(new_resource_id(), attrs, now_stamp())
    directory.check_group_unique(group, group["id"])
    members = _known_members(directory, member_ids, behaviour)
    directory.groups[group["id"]] = group
    directory.stamp(group["id"])
    directory.index_group(group, add=True)
    for user_id in members:
        directory.add_member(group["id"], user_id)
    return group


@dataclass
class _GroupChange:
    attrs: dict[str, Any]
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)


def _member_change(change: _GroupChange, op: Operation) -> None:
    if op.op == "replace":
        raise InvalidRequest(MEMBERS_REPLACE)
    if op.value_filter is not None:
        if op.op != "remove" or op.value_filter.attribute != "value":
            raise InvalidRequest
        change.remove.append(str(op.value_filter.value))
        return
    if op.value is None or op.value == []:
        raise InvalidRequest  # "remove all members" is refused
    ids = validate.member_ids(op.value if isinstance(op.value, list) else [op.value])
    (change.add if op.op == "add" else change.remove).extend(ids)


def _attribute_change(change: _GroupChange, op: Operation) -> None:
    if op.sub_attribute is not None or op.value_filter is not None:
        raise InvalidRequest
    if op.attribute == "displayName":
        if op.op == "remove":
            raise InvalidRequest
        change.attrs["displayName"] = validate.group_name(op.value)
    elif op.op == "remove":
        change.attrs.pop("externalId", None)
    else:
        change.attrs["externalId"] = validate.external_id(op.value)


def _planned_change(group: Resource, body: Any) -> _GroupChange:
    change = _GroupChange(attrs={k: group[k] for k in ("displayName", "externalId") if k in group})
    for op in operations(body):
        if op.attribute == "members":
            _member_change(change, op)
        elif op.attribute in {"displayName", "externalId"}:
            _attribute_change(change, op)
        else:
            raise InvalidRequest
    if len(change.add) + len(change.remove) > MAX_MEMBERS_PER_REQUEST:
        raise InvalidRequest
    return change


def patch(directory: Directory, group_id: str, body: Any, behaviour: Behaviour) -> None:
    """Validate the whole PATCH first, so a refused request changes nothing."""
    group = directory.group(group_id)
    change = _planned_change(group, body)
    new = _resource(group_id, change.attrs, group["meta"]["created"])
    directory.check_group_unique(new, group_id)
    adds = _known_members(directory, change.add, behaviour)
    directory.replace_group(group, new)
    for user_id in adds:
        directory.add_member(group_id, user_id)
    for user_id in change.remove:
        directory.remove_member(group_id, user_id)


def replace(directory: Directory, group_id: str, body: Any, behaviour: Behaviour) -> Resource:
    """PUT /Groups: not in AWS's supported list, so refused unless switched on."""
    if behaviour.group_put == "reject":
        raise InvalidRequest
    group = directory.group(group_id)
    attrs, member_ids = validate.group(body, behaviour)
    new = _resource(group_id, attrs, group["meta"]["created"])
    directory.check_group_unique(new, group_id)
    members = _known_members(directory, member_ids, behaviour)
    directory.replace_group(group, new)
    for user_id in list(directory.members.get(group_id, ())):
        directory.remove_member(group_id, user_id)
    for user_id in members:
        directory.add_member(group_id, user_id)
    return new


def delete(directory: Directory, group_id: str) -> None:
    group = directory.group(group_id)
    directory.index_group(group, add=False)
    for user_id in directory.members.pop(group_id, set()):
        directory.groups_of.get(user_id, set()).discard(group_id)
    del directory.groups[group_id]
    del directory.seq[group_id]
