"""Hostile values and mutations, drawn from a seeded ``random.Random``.

Hypothesis draws each case's plan (a seed, the shape of the body, which credentials, how
many mutations, a piece of text of its own); the bulky parts are built here from that seed,
because generating whole bodies with Hypothesis costs milliseconds a case, and every door
runs a hundred thousand of them.
"""

from __future__ import annotations

import json
import random
from typing import Any

EVIL_TEXT = (
    "",
    " ",
    "a",
    "0",
    "-1",
    "null",
    "true",
    "<>;:%",
    "a<b>c;d:e%f",
    "\x00",
    "\x07",
    "\t\n",
    "\u00a0",
    "\u3000",
    "\u2003",
    "\u2028",
    "\u200b",
    "\ufeff",
    "\u202e",
    "é",
    "İ",
    "ß",
    "😀",
    "\U0010ffff",
    "\ud800",
    "\udc00x",
    "x" * 129,
    "x" * 257,
    "x" * 1100,
    "Administrator",
    "AWSAdministrators",
    "users/../groups/1",
    "/",
    "//",
    "http://[",
    "https://acme.okta.com",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-23:59",
    "2026-11-02T10:15:29.770Z",
    "2026-11-02T10:15:29",
    "1e400",
    "NaN",
    "{}",
    "[]",
    "\\",
    '"',
    "%00",
    "a b",
    "jane doe@acme.com",
    "jane@acme.com",
    "00u1",
    "user.lifecycle.create",
    "SUCCESS",
    "USER",
    "GROUP",
    "users/u1",
    "groups/g1",
    "users/u1/groups/g1",
    "model_created",
)
EVIL_NUMBERS: tuple[Any, ...] = (
    0,
    1,
    -1,
    2**31,
    2**53 + 1,
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    1.5,
    -0.0,
    1e308,
    5e-324,
    253402300799999,
    -62135596800001,
    float("inf"),
    float("nan"),
)
EVIL_BYTES = (
    b"\xff",
    b"\xed\xa0\x80",
    b"\xc3",
    b"\x00",
    b'"',
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\\u0000",
    b"\\ud800",
    b"null",
    b"1e999",
    b" ",
    b"\n",
)
HEADER_BYTES = bytes([9, *range(0x20, 0x7F), *range(0x80, 0x100)])
"""What a real HTTP server lets through in a header value (no CR, LF or NUL)."""


def evil_scalar(rng: random.Random) -> Any:
    """A string, number, boolean or null from the hostile palettes."""
    pick = rng.random()
    if pick < 0.55:
        return rng.choice(EVIL_TEXT)
    if pick < 0.8:
        return rng.choice(EVIL_NUMBERS)
    if pick < 0.9:
        return rng.choice((True, False, None))
    return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(1, 12)))


def any_json(rng: random.Random, depth: int = 2) -> Any:
    """A random JSON-ish value: scalars, lists and objects, ``depth`` levels at most."""
    pick = rng.random()
    if depth <= 0 or pick < 0.6:
        return evil_scalar(rng)
    if pick < 0.8:
        return [any_json(rng, depth - 1) for _ in range(rng.randrange(4))]
    return {str(evil_scalar(rng)): any_json(rng, depth - 1) for _ in range(rng.randrange(4))}


def _slots(value: Any, out: list[tuple[Any, Any]]) -> None:
    """Every (container, key) in ``value``, so a mutation can pick one at random."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in list(items):
        out.append((value, key))
        if isinstance(child, dict | list) and len(out) < 200:
            _slots(child, out)


def mutate_tree(rng: random.Random, value: Any, times: int) -> Any:
    """``value`` with ``times`` structural changes: replaced, removed, retyped, added."""
    for _ in range(times):
        if not isinstance(value, dict | list) or rng.random() < 0.03:
            return any_json(rng)
        slots: list[tuple[Any, Any]] = []
        _slots(value, slots)
        if not slots:
            return any_json(rng)
        container, key = rng.choice(slots)
        _change(rng, container, key)
    return value


def _change(rng: random.Random, container: Any, key: Any) -> None:
    op = rng.randrange(9)
    current = container[key]
    if op == 0 and isinstance(container, dict):
        del container[key]
    elif op == 0:
        container.pop(key)
    elif op == 1:
        container[key] = evil_scalar(rng)
    elif op == 2:
        container[key] = any_json(rng)
    elif op == 3:
        container[key] = None
    elif op == 4:
        container[key] = [current]
    elif op == 5:
        container[key] = {"value": current}
    elif op == 6:
        container[key] = str(current) if not isinstance(current, str) else current * 3
    elif op == 7 and isinstance(container, dict):
        container[str(evil_scalar(rng))] = evil_scalar(rng)
    else:
        container[key] = json.dumps(current) if rng.random() < 0.5 else rng.choice(EVIL_NUMBERS)


def encode(rng: random.Random, value: Any) -> bytes:
    """JSON bytes, escaped or not; lone surrogates come out as invalid UTF-8 on purpose."""
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5, allow_nan=True)
    return text.encode("utf-8", "surrogatepass")


def mutate_bytes(rng: random.Random, data: bytes, times: int) -> bytes:
    """``data`` with ``times`` byte-level changes: flips, inserts, cuts, repeats."""
    body = bytearray(data)
    for _ in range(times):
        at = rng.randrange(len(body) + 1)
        op = rng.randrange(6)
        if op == 0 and body:
            body[min(at, len(body) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            body[at:at] = rng.choice(EVIL_BYTES)
        elif op == 2:
            del body[at : at + rng.randrange(1, 16)]
        elif op == 3:
            del body[at:]
        elif op == 4:
            body[at:at] = body[at : at + rng.randrange(1, 32)]
        else:
            body[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 6)))
    return bytes(body)


def header_value(rng: random.Random) -> bytes:
    """A header value a real server would pass on, often hostile."""
    if rng.random() < 0.5:
        text = rng.choice(EVIL_TEXT).encode("utf-8", "surrogatepass")
        return bytes(b for b in text if b in HEADER_BYTES)
    return bytes(rng.choice(HEADER_BYTES) for _ in range(rng.randrange(40)))


def splice(rng: random.Random, value: Any, text: str) -> Any:
    """``value`` with ``text`` (Hypothesis's own draw) put in place of one of its leaves."""
    if not isinstance(value, dict | list):
        return text
    slots: list[tuple[Any, Any]] = []
    _slots(value, slots)
    if slots:
        container, key = rng.choice(slots)
        container[key] = text
    return value
