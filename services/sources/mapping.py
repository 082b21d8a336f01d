"""AWS's rules applied once, at the edge, so every canonical event is already acceptable.

- ``userName``: no whitespace, none of ``<>;:%``, at most 128 characters.
- Other strings: none of ``<>;:%`` or control characters, at most 1024 characters.
- ``givenName`` and ``familyName`` are required: split the display name when missing.
- One email, the primary one.
"""

from __future__ import annotations

import unicodedata
from typing import Any, TypeVar
from urllib.parse import quote

import msgspec

from schemas import UserState
from services.sources.errors import Unmappable

_FORBIDDEN = frozenset("<>;:%")
T = TypeVar("T")
UNREADABLE = (msgspec.DecodeError, UnicodeDecodeError)
"""What decoding a raw event can raise: msgspec raises ``UnicodeDecodeError``, not its
``DecodeError``, for invalid UTF-8 inside a string."""


def decode(raw: bytes, shape: type[T], what: str) -> T:
    """``raw`` decoded as ``shape``, else ``Unmappable`` saying it is not ``what``."""
    try:
        return msgspec.json.decode(raw, type=shape)
    except UNREADABLE as error:
        raise Unmappable(f"not {what}: {error}") from error


def shaped(found: dict[str, Any], shape: type[Any], what: str) -> dict[str, Any]:
    """``found`` (an IdP API answer) once its fields have the types ``shape`` declares.

    The mapping then reads the dict as it is; a field of another type (a number where a
    name belongs, a list where an object does) is ``Unmappable`` with msgspec's reason,
    rather than a TypeError deep in the mapping that would be retried in vain.
    """
    try:
        msgspec.convert(found, shape, strict=True)
    except msgspec.ValidationError as error:
        raise Unmappable(f"{what} is not as expected: {error}") from error
    except UnicodeEncodeError as error:  # a lone surrogate: JSON can escape one, UTF-8 not
        raise Unmappable(f"{what} holds text that is not Unicode: {error}") from error
    return found


def segment(idp_id: str, what: str) -> str:
    """``idp_id`` as one segment of an IdP API path, percent-encoded, so an id with ``/``,
    ``?`` or ``#`` reads that object and no other (``users/../groups/1`` would not)."""
    if idp_id in {"", ".", ".."}:
        raise Unmappable(f"{what} id {idp_id!r} names no object to read back")
    try:
        return quote(idp_id, safe="@")
    except UnicodeEncodeError:  # a lone surrogate, which an IdP API's JSON can escape
        raise Unmappable(f"{what} id {idp_id!r} is not text") from None


def clean(text: str | None, limit: int = 1024) -> str | None:
    """``text`` without what AWS refuses, whitespace folded; ``None`` when nothing is left.

    ``Unmappable`` when ``text`` is not text at all (a number, a list...)."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise Unmappable(f"expected text, got {type(text).__name__} {str(text)[:60]!r}")
    folded = " ".join(text.split())  # tabs and newlines become spaces, not glue
    kept = "".join(c for c in folded if c not in _FORBIDDEN and unicodedata.category(c)[0] != "C")
    folded = " ".join(kept.split())[:limit].strip()
    return folded or None


def user_name(text: str | None) -> str:
    name = clean(text, 128)
    name = "".join(name.split()) if name else None
    if not name:
        raise Unmappable(f"no usable userName in {text!r}")
    return name


def split_display_name(display_name: str) -> tuple[str, str]:
    """``"Ada King Lovelace"`` -> ``("Ada", "King Lovelace")``; one word fills both."""
    first, _, rest = display_name.partition(" ")
    return first, rest or first


def email(text: str | None) -> str | None:
    address = clean(text, 1024)
    return address if address and "@" in address and " " not in address else None


def user_state(
    *, name: str | None, display_name: str | None, given_name: str | None,
    family_name: str | None, email_address: str | None, active: bool = True,
    title: str | None = None, department: str | None = None,
    employee_number: str | None = None,
) -> UserState:  # fmt: skip
    """A ``UserState`` AWS accepts, filling required names from what is there."""
    given_fields = {"userName": name, "displayName": display_name, "givenName": given_name,
                    "familyName": family_name, "email": email_address, "title": title,
                    "department": department, "employeeNumber": employee_number}  # fmt: skip
    for field, value in given_fields.items():
        if value is not None and not isinstance(value, str):
            raise Unmappable(f"the user's {field} is a {type(value).__name__}, not text")
    login = user_name(name)
    given, family = clean(given_name), clean(family_name)
    # Joined, two names of 1024 characters would be one AWS refuses: cleaned (capped) again.
    shown = clean(display_name) or clean(" ".join(p for p in (given, family) if p)) or login
    if not (given and family):
        split_given, split_family = split_display_name(shown)
        given, family = given or split_given, family or split_family
    return UserState(
        user_name=login, display_name=shown, given_name=given, family_name=family,
        email=email(email_address), active=active, title=clean(title),
        department=clean(department), employee_number=clean(employee_number),
    )  # fmt: skip
