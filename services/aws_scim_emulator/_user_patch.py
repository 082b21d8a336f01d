"""PATCH /Users: apply operations to a copy of the user, AWS's restrictions first."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from ._errors import InvalidRequest
from ._patch_ops import Operation, ValueFilter, operations
from ._validation import ENTERPRISE_URN, active_flag

MODIFIABLE = frozenset(
    {"userName", "active", "externalId", "displayName", "nickName", "profileUrl", "title",
     "userType", "preferredLanguage", "locale", "timezone", "name", "emails", "addresses",
     "phoneNumbers", ENTERPRISE_URN}
)  # fmt: skip
_COMPLEX = frozenset({"name", ENTERPRISE_URN})
_MULTI_VALUED = frozenset({"emails", "addresses", "phoneNumbers"})
_SINGLE_USE = frozenset({"userName", "active"})


def _target(op: Operation) -> str:
    # AWS's modifiable list names the enterprise extension `enterprise`.
    return ENTERPRISE_URN if op.attribute == "enterprise" else op.attribute


def _check(ops: list[Operation]) -> None:
    uses = Counter(_target(op) for op in ops)
    for op in ops:
        attribute = _target(op)
        if attribute not in MODIFIABLE:
            raise InvalidRequest
        if attribute in _SINGLE_USE and (op.op == "remove" or uses[attribute] > 1):
            raise InvalidRequest


def _apply_filtered(
    items: list[dict[str, Any]], op: Operation, where: ValueFilter
) -> list[dict[str, Any]]:
    if not all(isinstance(item, dict) for item in items):
        raise InvalidRequest  # an earlier operation of this PATCH set non-objects

    def matches(item: dict[str, Any]) -> bool:
        return bool(item.get(where.attribute) == where.value)

    if op.op == "remove":
        if op.sub_attribute is None:
            return [item for item in items if not matches(item)]
        for item in items:
            if matches(item):
                item.pop(op.sub_attribute, None)
        return items
    matched = [item for item in items if matches(item)]
    if not matched:
        if op.op == "replace":
            raise InvalidRequest  # nothing to replace: SCIM's noTarget
        matched = [{where.attribute: where.value}]
        items = [*items, *matched]
    for item in matched:
        if op.sub_attribute is None:
            item.update(op.value if isinstance(op.value, dict) else {})
        else:
            item[op.sub_attribute] = op.value
    return items


def _apply_multi(attrs: dict[str, Any], attribute: str, op: Operation) -> None:
    items: list[dict[str, Any]] = attrs.get(attribute, [])
    if op.value_filter is not None:
        attrs[attribute] = _apply_filtered(items, op, op.value_filter)
    elif op.op == "remove":
        attrs.pop(attribute, None)
    else:
        new = op.value if isinstance(op.value, list) else [op.value]
        attrs[attribute] = [*items, *new] if op.op == "add" else new


def _apply(attrs: dict[str, Any], op: Operation) -> None:
    attribute = _target(op)
    if attribute in _MULTI_VALUED:
        _apply_multi(attrs, attribute, op)
    elif op.sub_attribute is not None:
        parent = attrs.setdefault(attribute, {})
        if not isinstance(parent, dict):
            raise InvalidRequest  # `userName.x`: a simple attribute has no sub-attributes
        if op.op == "remove":
            parent.pop(op.sub_attribute, None)
        else:
            parent[op.sub_attribute] = op.value
    elif op.op == "remove":
        attrs.pop(attribute, None)
    elif attribute in _COMPLEX and isinstance(op.value, dict):
        attrs.setdefault(attribute, {}).update(op.value)  # SCIM merges complex attributes
    else:
        attrs[attribute] = active_flag(op.value) if attribute == "active" else op.value


def patched_user(current: dict[str, Any], body: Any) -> dict[str, Any]:
    """The user's attributes after the PATCH ``body``; the caller validates the result."""
    ops = operations(body, urn_prefixes=(ENTERPRISE_URN,))
    _check(ops)
    attrs = copy.deepcopy(current)
    for op in ops:
        _apply(attrs, op)
    return attrs
