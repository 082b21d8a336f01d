"""AWS's rules applied once, at the edge, so every canonical event is already acceptable.

- ``userName``: no whitespace, none of ``<>;:%``, at most 128 characters.
- Other strings: none of ``<>;:%`` or control characters, at most 1024 characters.
- ``givenName`` and ``familyName`` are required: split the display name when missing.
- One email, the primary one.
"""

from __future__ import annotations

import unicodedata

from schemas import UserState

from ._errors import Unmappable

_FORBIDDEN = frozenset("<>;:%")


def clean(text: str | None, limit: int = 1024) -> str | None:
    """``text`` without what AWS refuses, whitespace folded; ``None`` when nothing is left."""
    if text is None:
        return None
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
    login = user_name(name)
    given, family = clean(given_name), clean(family_name)
    shown = clean(display_name) or " ".join(p for p in (given, family) if p) or login
    if not (given and family):
        split_given, split_family = split_display_name(shown)
        given, family = given or split_given, family or split_family
    return UserState(
        user_name=login, display_name=shown, given_name=given, family_name=family,
        email=email(email_address), active=active, title=clean(title),
        department=clean(department), employee_number=clean(employee_number),
    )  # fmt: skip
