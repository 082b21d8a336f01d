"""ListUsers and ListGroups: AWS's small filter language and its two paging modes.

Filters are ``<attr> eq "<value>"``, optionally two joined by ``and``; only the
combinations AWS documents are accepted. Without ``cursor`` a list answers one page
and cannot continue; with ``cursor`` (empty on the first call) it pages on.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ._config import Behaviour
from ._directory import Directory, Resource, UniqueIndex
from ._errors import InvalidRequest, NotFound
from ._validation import ENTERPRISE_URN

LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_PAGE = 100
_VALUE = r'"(?:[^"\\]|\\.)*"|\S+'
_CLAUSE = rf"([A-Za-z][\w.]*)\s+(\S+)\s+({_VALUE})"
_FILTER = re.compile(rf"^\s*{_CLAUSE}(?:\s+(\S+)\s+{_CLAUSE})?\s*$")
_ALIASES = {"manager.value": "manager", "member": "members", "members.value": "members"}

Filter = dict[str, str]


def parse_filter(text: str) -> Filter:
    """``{attribute (lower case): value}``; 400 for anything but quoted ``eq`` clauses."""
    match = _FILTER.match(text)
    if not match:
        raise InvalidRequest
    a1, o1, v1, joiner, a2, o2, v2 = match.groups()
    clauses = [(a1, o1, v1)] + ([(a2, o2, v2)] if joiner else [])
    if joiner and joiner.lower() != "and":
        raise InvalidRequest
    parsed: Filter = {}
    for attribute, operator, quoted in clauses:
        if operator.lower() != "eq" or len(quoted) < 3 or not quoted.startswith('"'):
            raise InvalidRequest  # unquoted, empty ("") or a non-`eq` operator
        name = attribute.lower()
        parsed[_ALIASES.get(name, name) if joiner else name] = quoted[1:-1].replace('\\"', '"')
    if len(parsed) != len(clauses):
        raise InvalidRequest
    return parsed


def _by_index(index: UniqueIndex, table: dict[str, Resource], value: str) -> list[Resource]:
    owner = index.owner(value)
    return [table[owner]] if owner else []


def _ordered(
    directory: Directory, ids: Iterable[str], table: dict[str, Resource]
) -> list[Resource]:
    return [table[i] for i in sorted(ids, key=directory.seq.__getitem__)]


def users(directory: Directory, flt: Filter | None) -> list[Resource]:
    """The users a ListUsers filter selects, in creation order."""
    if flt is None:
        return list(directory.users.values())
    table = directory.users
    match sorted(flt):
        case ["username"]:
            return _by_index(directory.user_names, table, flt["username"])
        case ["externalid"]:
            return _by_index(directory.user_external_ids, table, flt["externalid"])
        case ["groups.value"]:
            return _ordered(directory, directory.members.get(flt["groups.value"], ()), table)
        case ["id"]:
            return [table[flt["id"]]] if flt["id"] in table else []
        case ["id", "manager"]:
            user = table.get(flt["id"])
            ext = (user or {}).get(ENTERPRISE_URN)
            manager = (ext or {}).get("manager", {}).get("value")
            return [user] if user and manager == flt["manager"] else []
    raise InvalidRequest


def _member(directory: Directory, user_id: str) -> str:
    if user_id not in directory.users:
        raise NotFound("Specified user or endpoint does not exist.")
    return user_id


def groups(directory: Directory, flt: Filter | None) -> list[Resource]:
    """The groups a ListGroups filter selects, in creation order."""
    if flt is None:
        return list(directory.groups.values())
    table = directory.groups
    match sorted(flt):
        case ["displayname"]:
            return _by_index(directory.group_names, table, flt["displayname"])
        case ["externalid"]:
            return _by_index(directory.group_external_ids, table, flt["externalid"])
        case ["members.value"]:
            user_id = _member(directory, flt["members.value"])
            return _ordered(directory, directory.groups_of.get(user_id, ()), table)
        case ["id", "members"]:
            user_id = _member(directory, flt["members"])
            in_group = user_id in directory.members.get(flt["id"], set())
            return [table[flt["id"]]] if in_group and flt["id"] in table else []
    raise InvalidRequest


def _count(params: Mapping[str, str], behaviour: Behaviour) -> int:
    raw = params.get("count")
    if raw is None:
        return MAX_PAGE
    try:
        count = int(raw)
    except ValueError:
        raise InvalidRequest from None
    if 1 <= count <= MAX_PAGE:
        return count
    if behaviour.count_limits == "reject":
        raise InvalidRequest
    return min(max(count, 1), MAX_PAGE)


def _cursor(filter_text: str, last_seq: int) -> str:
    # surrogatepass: a query string may percent-encode a lone surrogate, which is no UTF-8
    digest = hashlib.sha256(filter_text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return base64.b64encode(f"{digest}/{last_seq}".encode()).decode()


def _after(cursor: str, filter_text: str) -> int:
    """The position a cursor points after; 400 when it belongs to another filter."""
    try:
        position = int(base64.b64decode(cursor, validate=True).decode().partition("/")[2])
    except ValueError:
        raise InvalidRequest from None
    if _cursor(filter_text, position) != cursor:
        raise InvalidRequest
    return position


def page(
    directory: Directory,
    resources: list[Resource],
    params: Mapping[str, str],
    behaviour: Behaviour,
) -> dict[str, Any]:
    """One page of ``resources`` as a ListResponse, in whichever mode ``params`` asks for."""
    count = _count(params, behaviour)
    if "cursor" not in params:
        return {
            "totalResults": len(resources),
            "itemsPerPage": min(count, len(resources)),
            "startIndex": 1,
            "schemas": [LIST_URN],
            "Resources": resources[:count],
        }
    filter_text = params.get("filter", "")
    after = _after(params["cursor"], filter_text) if params["cursor"] else -1
    remaining = [r for r in resources if directory.seq[r["id"]] > after]
    items = remaining[:count]
    body: dict[str, Any] = {"itemsPerPage": len(items)}
    if len(remaining) > count:
        body["nextCursor"] = _cursor(filter_text, directory.seq[items[-1]["id"]])
    body["schemas"] = [LIST_URN]
    body["Resources"] = items
    return body
