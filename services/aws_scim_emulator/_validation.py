"""AWS's rules for user and group bodies (reference/aws-scim.md sections 4 and 5).

Each check raises ``InvalidRequest`` with AWS's generic detail, which is all AWS says.
The functions return the body reduced to what AWS stores, so a response echoes
exactly what was kept (``manager`` keeps only ``value``, ``active`` becomes a bool).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from ._config import Behaviour
from ._errors import InvalidRequest

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"

RESERVED_NAMES = frozenset({"administrator", "awsadministrators"})
FORBIDDEN_CHARACTERS = frozenset("<>;:%")
_TEXT_SPACES = frozenset("\t\n\r \u00a0\u3000")
_NAME_PARTS = frozenset(
    {"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"}
)
_SIMPLE_USER_TEXT = (
    "displayName", "nickName", "profileUrl", "title", "userType",
    "preferredLanguage", "locale", "timezone",
)  # fmt: skip
_MULTI_VALUED = {
    "emails": frozenset({"value", "type", "primary"}),
    "phoneNumbers": frozenset({"value", "type", "primary"}),
    "addresses": frozenset(
        {
            "formatted",
            "streetAddress",
            "locality",
            "region",
            "postalCode",
            "country",
            "type",
            "primary",
        }
    ),
    "roles": frozenset({"value", "type", "primary"}),
}
_ENTERPRISE_TEXT = frozenset(
    {"employeeNumber", "costCenter", "organization", "division", "department"}
)
UNSUPPORTED_USER_ATTRIBUTES = frozenset(
    {"password", "ims", "photos", "x509Certificates", "entitlements"}
)
_IGNORED_KEYS = frozenset({"schemas", "id", "meta"})
USER_ATTRIBUTES = frozenset(
    {"userName", "externalId", "name", "active", ENTERPRISE_URN, *_SIMPLE_USER_TEXT, *_MULTI_VALUED}
)
GROUP_ATTRIBUTES = frozenset({"displayName", "externalId", "members"})
MAX_MEMBERS_PER_REQUEST = 100


def _category_ok(char: str, extra: frozenset[str]) -> bool:
    return char in extra or unicodedata.category(char)[0] in "LMSNP"


def _text(value: Any, *, max_length: int, spaces: frozenset[str]) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= max_length:
        raise InvalidRequest
    if any(c in FORBIDDEN_CHARACTERS or not _category_ok(c, spaces) for c in value):
        raise InvalidRequest
    return value


def text(value: Any) -> str:
    """A display string: 1-1024 characters, spaces allowed, none of ``<>;:%``."""
    return _text(value, max_length=1024, spaces=_TEXT_SPACES)


def user_name(value: Any, behaviour: Behaviour) -> str:
    spaces = frozenset(" \u00a0") if behaviour.username_spaces else frozenset()
    name = _text(value, max_length=128, spaces=spaces)
    if name.casefold() in RESERVED_NAMES:
        raise InvalidRequest
    return name


def external_id(value: Any) -> str:
    return _text(value, max_length=256, spaces=frozenset())


def active_flag(value: Any) -> bool:
    """AWS's own PATCH example sends ``"false"`` as a string; accept both forms."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise InvalidRequest


def _unsupported(behaviour: Behaviour) -> None:
    if behaviour.unsupported_attributes == "reject":
        raise InvalidRequest


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest
    return {k: v for k, v in value.items() if v is not None}


def _sub_attributes(value: Any, allowed: frozenset[str], behaviour: Behaviour) -> dict[str, Any]:
    obj = _object(value)
    for key in obj.keys() - allowed:
        _unsupported(behaviour)
        del obj[key]
    return obj


def _one_value(attribute: str, value: Any, behaviour: Behaviour) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InvalidRequest
    if len(value) > 1:
        raise InvalidRequest("Currently list attributes only allow single item")
    items = []
    for raw in value:
        item = _sub_attributes(raw, _MULTI_VALUED[attribute], behaviour)
        for key, sub in item.items():
            item[key] = active_flag(sub) if key == "primary" else text(sub)
        if attribute == "emails" and (item.get("primary") is not True or "value" not in item):
            raise InvalidRequest
        items.append(item)
    return items


def _name(value: Any, behaviour: Behaviour) -> dict[str, str]:
    name = _sub_attributes(value, _NAME_PARTS, behaviour)
    return {key: text(part) for key, part in name.items()}


def _enterprise(value: Any, behaviour: Behaviour) -> dict[str, Any]:
    ext = _sub_attributes(value, _ENTERPRISE_TEXT | {"manager"}, behaviour)
    kept: dict[str, Any] = {k: text(v) for k, v in ext.items() if k != "manager"}
    if "manager" in ext:
        manager = _sub_attributes(ext["manager"], frozenset({"value", "$ref"}), behaviour)
        if "value" in manager:
            kept["manager"] = {"value": text(manager["value"])}
    return kept


def user_attribute(key: str, value: Any, behaviour: Behaviour) -> Any:
    """One validated user attribute as AWS stores it."""
    if key in _MULTI_VALUED:
        return _one_value(key, value, behaviour)
    if key in _CHECKS_WITH_SWITCHES:
        return _CHECKS_WITH_SWITCHES[key](value, behaviour)
    check = _CHECKS.get(key)
    return text(value) if check is None else check(value)


_CHECKS_WITH_SWITCHES: dict[str, Callable[[Any, Behaviour], Any]] = {
    "userName": user_name,
    "name": _name,
    ENTERPRISE_URN: _enterprise,
}
_CHECKS: dict[str, Callable[[Any], Any]] = {"externalId": external_id, "active": active_flag}


def user(body: Any, behaviour: Behaviour) -> dict[str, Any]:
    """Validate a full user (POST or PUT) and return the attributes AWS keeps."""
    obj = _object(body)
    if "groups" in obj:
        raise InvalidRequest
    kept: dict[str, Any] = {}
    for key, value in obj.items():
        if key in _IGNORED_KEYS:
            continue
        if key not in USER_ATTRIBUTES:
            _unsupported(behaviour)
            continue
        checked = user_attribute(key, value, behaviour)
        if checked not in ([], {}):
            kept[key] = checked
    require_user_names(kept)
    return kept


def require_user_names(attributes: dict[str, Any]) -> None:
    """The four attributes without which AWS does not provision a user."""
    name = attributes.get("name", {})
    if not ("userName" in attributes and "displayName" in attributes):
        raise InvalidRequest
    if not ("givenName" in name and "familyName" in name):
        raise InvalidRequest


def member_ids(value: Any) -> list[str]:
    """The user ids of a ``members`` value: a list of ``{"value": id}`` objects."""
    if not isinstance(value, list):
        raise InvalidRequest
    ids = []
    for member in value:
        if not isinstance(member, dict) or not isinstance(member.get("value"), str):
            raise InvalidRequest
        if not member["value"]:
            raise InvalidRequest
        ids.append(member["value"])
    return ids


def group(body: Any, behaviour: Behaviour) -> tuple[dict[str, Any], list[str]]:
    """Validate a group body; return its attributes and its member ids."""
    obj = _object(body)
    kept: dict[str, Any] = {}
    members: list[str] = []
    for key, value in obj.items():
        if key in _IGNORED_KEYS:
            continue
        if key == "members":
            members = member_ids(value)
        elif key == "displayName":
            kept[key] = group_name(value)
        elif key == "externalId":
            kept[key] = external_id(value)
        else:
            _unsupported(behaviour)
    if "displayName" not in kept or len(members) > MAX_MEMBERS_PER_REQUEST:
        raise InvalidRequest
    return kept, members


def group_name(value: Any) -> str:
    name = text(value)
    if name.casefold() in RESERVED_NAMES:
        raise InvalidRequest
    return name
