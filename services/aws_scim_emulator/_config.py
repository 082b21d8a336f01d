"""What an emulator is told at start: tenant, tokens, behaviour switches and faults.

``Behaviour`` holds a switch for each behaviour the AWS reference marks as inferred
rather than documented; the defaults are the inference. ``Faults`` holds the fault
injection; both can be changed at run time through the admin API.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import msgspec

TOKEN_LIFETIME = dt.timedelta(days=365)
MAX_TOKENS = 2


class Behaviour(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Switches for the behaviours AWS does not document (INF in the reference)."""

    unsupported_attributes: Literal["reject", "ignore"] = "reject"
    """``password``, ``ims``, ``photos``, ..., ``display`` sub-attributes, unknown keys."""
    username_spaces: bool = False
    """DG-putuser claims spaces are allowed in userName; the IS-API pattern forbids them."""
    case_insensitive_names: bool = True
    """userName and group displayName compare case-insensitively for uniqueness and filters."""
    group_put: Literal["reject", "replace"] = "reject"
    """``PUT /Groups/{id}`` is not in AWS's supported list; ``replace`` accepts it."""
    unknown_member: Literal["not_found", "ignore"] = "not_found"
    """Adding a user id that does not exist to a group."""
    count_limits: Literal["reject", "clamp"] = "reject"
    """``count=0`` or ``count>100`` in a list request."""


class Faults(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fault injection. Shares are fractions in [0, 1] of the SCIM requests in scope."""

    rate_limit_tps: float | None = None
    """Token-bucket rate; requests beyond it get 429."""
    rate_limit_burst: int | None = None
    """Bucket size; defaults to one second's worth of tokens."""
    retry_after: bool = True
    """Whether a 429 carries ``Retry-After``."""
    error_rate: float = 0.0
    """Share answered 500 without being applied."""
    latency_ms: float = 0.0
    """Added to every SCIM request in scope."""
    lost_response_rate: float = 0.0
    """Share of writes that are applied but whose answer is lost."""
    lost_response_mode: Literal["error", "close"] = "error"
    """How a lost answer looks to the client: a 500, or a closed connection."""
    refuse_body_containing: str | None = None
    """Writes whose body contains this text are refused with 400 (an AWS refusal on cue)."""
    stall_body_containing: str | None = None
    """Writes whose body contains this text are held unanswered (an hour), so a test can
    kill the client in the middle of that call: a message that takes its consumer down."""
    operations: list[str] | None = None
    """Operation names (``CreateUser``, ``PatchGroup``, ...) in scope; ``None`` means all."""
    seed: int | None = None
    """Seed for the shares' random draws, for repeatable runs."""


class Token(msgspec.Struct, frozen=True):
    value: str
    created_at: dt.datetime

    def expired(self, now: dt.datetime) -> bool:
        return now >= self.created_at + TOKEN_LIFETIME


class EmulatorConfig(msgspec.Struct, kw_only=True):
    """Everything an emulator starts with."""

    tenant: str
    tokens: list[Token]
    behaviour: Behaviour = msgspec.field(default_factory=Behaviour)
    faults: Faults = msgspec.field(default_factory=Faults)
    state_file: Path | None = None
