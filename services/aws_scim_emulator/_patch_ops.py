"""Parsing of SCIM PatchOp bodies, with the rules AWS shares between users and groups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ._errors import PATH_LESS, InvalidRequest

PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_VALUE_PATH = re.compile(
    r'^(?P<attr>[A-Za-z]\w*)\[\s*(?P<sub>\w+)\s+(?P<op>\w+)\s+(?P<value>"[^"]*"|true|false)\s*\]'
    r"(?:\.(?P<leaf>\w+))?$"
)
_MISSING = object()


@dataclass(frozen=True)
class ValueFilter:
    """The ``[type eq "work"]`` part of ``emails[type eq "work"].value``."""

    attribute: str
    value: Any


@dataclass(frozen=True)
class Operation:
    """One PATCH operation with its path split into parts."""

    op: str
    attribute: str
    sub_attribute: str | None
    value_filter: ValueFilter | None
    value: Any


def _split_path(path: str, urn_prefixes: tuple[str, ...]) -> tuple[str, str | None, Any]:
    for urn in urn_prefixes:
        if path == urn:
            return urn, None, None
        if path.startswith(urn + ":"):
            return urn, path[len(urn) + 1 :], None
    match = _VALUE_PATH.match(path)
    if match:
        if match["op"].lower() != "eq":
            raise InvalidRequest  # AWS supports only `eq` in path filters
        raw = match["value"]
        value: Any = raw.strip('"') if raw.startswith('"') else raw == "true"
        return match["attr"], match["leaf"], ValueFilter(match["sub"], value)
    attribute, _, sub = path.partition(".")
    if not attribute or "[" in path:
        raise InvalidRequest
    return attribute, sub or None, None


def _operation(raw: Any, urn_prefixes: tuple[str, ...]) -> Operation:
    if not isinstance(raw, dict) or not isinstance(raw.get("op"), str):
        raise InvalidRequest
    op = raw["op"].lower()
    if op not in {"add", "replace", "remove"}:
        raise InvalidRequest
    value = raw.get("value", _MISSING)
    path = raw.get("path")
    if op in {"add", "replace"} and value in (_MISSING, None):
        raise InvalidRequest
    if path is None:
        if op == "remove":
            raise InvalidRequest
        # AWS lets a path-less op name exactly one attribute (besides an echoed id).
        attributes = (
            {k: v for k, v in value.items() if k != "id"} if isinstance(value, dict) else {}
        )
        if len(attributes) != 1:
            raise InvalidRequest(PATH_LESS)
        ((path, value),) = attributes.items()
    if not isinstance(path, str) or not path:
        raise InvalidRequest
    attribute, sub, value_filter = _split_path(path, urn_prefixes)
    return Operation(op, attribute, sub, value_filter, None if value is _MISSING else value)


def operations(body: Any, urn_prefixes: tuple[str, ...] = ()) -> list[Operation]:
    """The operations of a PatchOp body, or ``InvalidRequest`` when it is malformed."""
    if not isinstance(body, dict):
        raise InvalidRequest
    raw_ops = body.get("Operations")
    if not isinstance(raw_ops, list) or not raw_ops:
        raise InvalidRequest
    return [_operation(raw, urn_prefixes) for raw in raw_ops]
