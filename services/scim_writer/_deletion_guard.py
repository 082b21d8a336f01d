"""The brake on mass deletions: an IdP glitch (an empty or partial read taken as "everyone
left") must not remove everyone's access before a person looks.

Deactivations and deletions of users, and deletions of groups, are counted in a sliding
window; once ``limit`` of them were applied within ``window`` seconds, further ones are held
(parked in ``{ns}.held``) until someone approves or rejects them with ``idp-sync held``.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import schemas

Retirement = schemas.UserDeactivated | schemas.UserDeleted | schemas.GroupDeleted


@dataclass
class DeletionGuard:
    limit: int = 10
    """Deactivations and deletions allowed per window; 0 turns the guard off."""
    window: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _applied: collections.deque[float] = field(default_factory=collections.deque)

    def admits(self) -> bool:
        """Whether one more retirement may be applied now; if so, it is counted."""
        if self.limit <= 0:
            return True
        now = self.clock()
        while self._applied and self._applied[0] <= now - self.window:
            self._applied.popleft()
        if len(self._applied) >= self.limit:
            return False
        self._applied.append(now)
        return True

    @property
    def tripped(self) -> bool:
        return 0 < self.limit <= len(self._applied)
