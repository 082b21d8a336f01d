"""The emulator's running state: directory, switches, faults, tokens and request counts."""

from __future__ import annotations

import datetime as dt
import hmac
import time
from collections import Counter, deque
from typing import Any

import msgspec

from ._config import MAX_TOKENS, Behaviour, EmulatorConfig, Faults, Token
from ._directory import Directory, load_directory
from ._faults import FaultInjector

MAX_JOURNAL = 200_000
"""Applied writes kept for ``/_emulator/writes``; older ones fall off."""


class TooManyTokens(Exception):
    """A directory holds at most two SCIM tokens at a time."""


class Emulator:
    """One tenant's emulated IAM Identity Center SCIM endpoint."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.directory: Directory = load_directory(
            config.state_file, case_insensitive_names=config.behaviour.case_insensitive_names
        )
        self.reset(keep_directory=True)

    def reset(self, *, keep_directory: bool = False) -> None:
        """Back to the start: empty directory, start switches, faults and tokens, no counts."""
        self.behaviour = msgspec.structs.replace(self.config.behaviour)
        self.faults = FaultInjector(self.config.faults)
        self.tokens = list(self.config.tokens)
        self.counts: Counter[tuple[str, int]] = Counter()
        self.writes: deque[tuple[float, str, str]] = deque(maxlen=MAX_JOURNAL)
        if not keep_directory:
            self.directory = Directory(case_insensitive_names=self.behaviour.case_insensitive_names)

    def authorized(self, header: str | None) -> bool:
        """A bearer token of this tenant that has not expired."""
        scheme, _, presented = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return False
        now = dt.datetime.now(dt.UTC)
        return any(
            hmac.compare_digest(presented.encode(), token.value.encode()) and not token.expired(now)
            for token in self.tokens
        )

    def add_token(self, token: Token) -> None:
        if len(self.tokens) >= MAX_TOKENS:
            raise TooManyTokens
        self.tokens.append(token)

    def set_faults(self, faults: Faults) -> None:
        self.faults = FaultInjector(faults)

    def set_behaviour(self, behaviour: Behaviour) -> None:
        if behaviour.case_insensitive_names != self.behaviour.case_insensitive_names:
            snapshot = self.directory.snapshot()
            self.directory = Directory(case_insensitive_names=behaviour.case_insensitive_names)
            self.directory.load(snapshot)
        self.behaviour = behaviour

    def written(self, operation: str, resource_id: str) -> None:
        """Note an applied write, for clients that measure when their changes landed."""
        self.writes.append((time.time(), operation, resource_id))

    def journal(self) -> list[dict[str, Any]]:
        """The latest applied writes, oldest first: epoch seconds, operation, resource id."""
        return [{"at": at, "operation": op, "id": rid} for at, op, rid in self.writes]

    def request_counts(self) -> dict[str, dict[str, int]]:
        """``{operation: {status: count}}``, e.g. ``{"CreateUser": {"201": 3, "409": 1}}``."""
        counts: dict[str, dict[str, int]] = {}
        for (operation, status), n in sorted(self.counts.items()):
            counts.setdefault(operation, {})[str(status)] = n
        return counts

    def state(self) -> dict[str, Any]:
        return {
            "tenant": self.config.tenant,
            **self.directory.snapshot(),
            "requests": self.request_counts(),
            "stalled": self.faults.stalled,
        }
