"""The user operations: CreateUser, GetUser, PutUser, PatchUser, DeleteUser."""

from __future__ import annotations

from typing import Any

from . import _validation as validate
from ._config import Behaviour
from ._directory import Directory, Resource, new_resource_id, now_stamp
from ._user_patch import patched_user
from ._validation import ENTERPRISE_URN, USER_URN

_SERVER_KEYS = ("id", "meta", "schemas")


def _resource(user_id: str, attrs: dict[str, Any], created: str) -> Resource:
    attrs = {"active": True, **attrs}  # AWS users are enabled unless told otherwise (INF)
    schemas = [USER_URN, ENTERPRISE_URN] if ENTERPRISE_URN in attrs else [USER_URN]
    resource: Resource = {"id": user_id}
    if "externalId" in attrs:
        resource["externalId"] = attrs.pop("externalId")
    resource["meta"] = {"resourceType": "User", "created": created, "lastModified": now_stamp()}
    resource["schemas"] = schemas
    resource.update(attrs)
    return resource


def _attributes(user: Resource) -> dict[str, Any]:
    return {k: v for k, v in user.items() if k not in _SERVER_KEYS}


def _store(directory: Directory, old: Resource | None, new: Resource) -> Resource:
    directory.check_user_unique(new, new["id"])
    if old is not None:
        directory.index_user(old, add=False)
    else:
        directory.stamp(new["id"])
    directory.users[new["id"]] = new
    directory.index_user(new, add=True)
    return new


def create(directory: Directory, body: Any, behaviour: Behaviour) -> Resource:
    attrs = validate.user(body, behaviour)
    return _store(directory, None, _resource(new_resource_id(), attrs, now_stamp()))


def replace(directory: Directory, user_id: str, body: Any, behaviour: Behaviour) -> Resource:
    old = directory.user(user_id)
    attrs = validate.user(body, behaviour)
    return _store(directory, old, _resource(user_id, attrs, old["meta"]["created"]))


def patch(directory: Directory, user_id: str, body: Any, behaviour: Behaviour) -> Resource:
    old = directory.user(user_id)
    attrs = validate.user(patched_user(_attributes(old), body), behaviour)
    return _store(directory, old, _resource(user_id, attrs, old["meta"]["created"]))


def delete(directory: Directory, user_id: str) -> None:
    user = directory.user(user_id)
    directory.index_user(user, add=False)
    for group_id in directory.groups_of.pop(user_id, set()):
        directory.members.get(group_id, set()).discard(user_id)
    del directory.users[user_id]
    del directory.seq[user_id]
