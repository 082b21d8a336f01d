"""Which parked messages a command applies to: the same filters for list, replay, purge."""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from dataclasses import dataclass

from ._message import ParkedMessage

_AGO = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def moment(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """``2026-11-02T10:00:00Z`` (UTC when no offset is given), or ``30m``/``2h``/``1d`` ago."""
    now = now or dt.datetime.now(dt.UTC)
    if match := _AGO.match(text.strip()):
        return now - dt.timedelta(**{_UNITS[match[2]]: float(match[1])})
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a time (2026-11-02T10:00Z) nor an age (30m)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Filters:
    """Every set field must match; an unset one matches everything."""

    ids: tuple[str, ...] = ()
    """Message ids or unique prefixes of them."""
    source: str | None = None
    type: str | None = None
    """An event type, or a glob such as ``user.*``."""
    error: str | None = None
    """An error class (``AwsRefused``) or words of the detail."""
    subject: str | None = None
    """``user:<id>``, the IdP id, or the userName or group name."""
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def matches(self, message: ParkedMessage) -> bool:
        return all((
            not self.ids or any(message.id.startswith(i) for i in self.ids),
            self.source is None or message.source == self.source,
            self.type is None or fnmatch.fnmatchcase(message.type, self.type),
            self.error is None or self._error_matches(message),
            self.subject is None or self._subject_matches(message),
            self.since is None or (message.when is not None and message.when >= self.since),
            self.until is None or (message.when is not None and message.when <= self.until),
        ))  # fmt: skip

    def _error_matches(self, message: ParkedMessage) -> bool:
        wanted = (self.error or "").casefold()
        return message.error_class.casefold() == wanted or wanted in message.detail.casefold()

    def _subject_matches(self, message: ParkedMessage) -> bool:
        wanted = (self.subject or "").casefold()
        idp_id = message.subject.partition(":")[2]
        return wanted in {message.subject.casefold(), idp_id.casefold(), message.name.casefold()}

    @property
    def empty(self) -> bool:
        return self == Filters()
