"""Running a door's cases with Hypothesis, and what a run found.

A case is a ``Plan`` Hypothesis draws; the door's probe turns it into a request (or a raw
event), sends it in process, and checks the answer against the door's invariants. A broken
invariant raises ``Broken``; any other exception is an unhandled one, which is a failure
too. In the suite (``strict``) the first failure is raised, so Hypothesis shrinks it; the
command line counts every failure and keeps the first few with their inputs.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from ._values import EVIL_TEXT

SHAPES = (
    ("template",) * 3
    + ("mutated",) * 5
    + ("bytes-mutated",) * 2
    + ("json", "bytes", "empty", "oversized")
)
CREDENTIALS = ("valid",) * 6 + ("missing", "wrong", "mangled", "hostile")
VARIANTS = ("route",) * 14 + ("method", "path", "slash", "query")
KEPT_FAILURES = 5
FANOUT = 4
"""Cases the command line runs per plan Hypothesis draws (the siblings differ by seed):
Hypothesis's own cost, about 0.8 ms a draw, would otherwise be half of every case."""


@dataclass(frozen=True)
class Plan:
    """One case as Hypothesis draws it; the door builds the bulky parts from ``seed``."""

    seed: int
    shape: str
    """template | mutated (JSON tree) | bytes-mutated | json (any) | bytes | empty | oversized"""
    credentials: str
    """valid | missing | wrong | mangled (the right one, altered) | hostile (odd bytes)"""
    mutations: int
    text: str
    """Hypothesis's own text, spliced into the body when ``splice``."""
    splice: bool
    variant: str
    """route | method (another method) | path (another path) | slash | query"""
    broker_down: bool


RICH_PLANS = st.builds(
    Plan,
    seed=st.integers(0, 2**64 - 1),
    shape=st.sampled_from(SHAPES),
    credentials=st.sampled_from(CREDENTIALS),
    mutations=st.integers(1, 4),
    text=st.text(max_size=16),
    splice=st.booleans(),
    variant=st.sampled_from(VARIANTS),
    broker_down=st.integers(0, 9).map(lambda n: n == 0),
)
"""The suite's plans: every field drawn (and shrunk) by Hypothesis."""


def _derived(drawn: tuple[int, str, str]) -> Plan:
    seed_, shape, credentials = drawn
    rng = random.Random(seed_ ^ 0x5EED)  # noqa: S311 - fuzz draws, not secrets
    return Plan(
        seed_,
        shape,
        credentials,
        mutations=rng.randint(1, 4),
        text=rng.choice(EVIL_TEXT),
        splice=rng.random() < 0.5,
        variant=rng.choice(VARIANTS),
        broker_down=rng.random() < 0.1,
    )


def _sibling(plan: Plan, number: int) -> Plan:
    return _derived(
        ((plan.seed + number * 0x9E3779B97F4A7C15) % 2**64, plan.shape, plan.credentials)
    )


FAST_PLANS = st.tuples(
    st.integers(0, 2**64 - 1), st.sampled_from(SHAPES), st.sampled_from(CREDENTIALS)
).map(_derived)
"""The command line's plans: Hypothesis draws three choices, the seed derives the rest
(Hypothesis spends about 0.1 ms a field, and a door runs 100,000 cases)."""


class Broken(AssertionError):
    """A door broke one of its invariants."""


class Probe(Protocol):
    last_input: str
    """The concrete input of the case being run, for the report."""

    async def __call__(self, plan: Plan) -> str:
        """Run one case; the outcome's name (``"400"``, ``"Unmappable"``, ...)."""

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Door:
    name: str
    open: Callable[[], Awaitable[Probe]]
    about: str
    """The answers this door may give, and why."""


@dataclass
class Report:
    door: str
    cases: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    """Failures by kind (the broken invariant, or the exception and where it was raised)."""
    examples: dict[str, str] = field(default_factory=dict)
    """The first input of each kind, up to ``KEPT_FAILURES`` kinds."""
    seconds: float = 0.0

    def fail(self, kind: str, given_input: str) -> None:
        self.failed += 1
        self.kinds[kind] += 1
        if kind not in self.examples and len(self.examples) < KEPT_FAILURES:
            self.examples[kind] = given_input


def _kind(error: Exception) -> str:
    """What went wrong, without the details that differ from one input to the next."""
    if isinstance(error, Broken):
        return re.sub(r"(?<![\w-])\d+", "N", str(error).partition(" (")[0])[:160]
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/services/" in f.filename] or frames
    where = f" at services/{ours[-1].filename.rpartition('/services/')[2]}:{ours[-1].lineno}"
    return f"unhandled {type(error).__name__}{where if ours else ''}"


def _settings(cases: int, *, strict: bool) -> settings:
    common = {
        "max_examples": cases,
        "database": None,
        "deadline": None,
        "suppress_health_check": list(HealthCheck),
        "print_blob": False,
    }
    if strict:  # the suite: the same cases every run, and a failure is shrunk
        return settings(derandomize=True, **common)  # type: ignore[arg-type]
    return settings(phases=[Phase.generate], **common)  # type: ignore[arg-type]


@contextlib.contextmanager
def _loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def run_door(
    door: Door,
    cases: int,
    *,
    base_seed: int = 0,
    strict: bool = False,
    batch: int = 5000,
    plans: st.SearchStrategy[Plan] | None = None,
) -> Report:
    """Run ``cases`` cases of ``door``; ``strict`` raises the first failure (shrunk).

    ``plans`` replaces the plans Hypothesis draws (say, only wrong credentials)."""
    report = Report(door.name)
    with _loop() as loop:
        probe = loop.run_until_complete(door.open())
        try:
            _run_batches(loop, probe, report, _Run(cases, base_seed, strict, batch, plans))
        finally:
            loop.run_until_complete(probe.aclose())
    return report


@dataclass(frozen=True)
class _Run:
    cases: int
    base_seed: int
    strict: bool
    batch: int
    plans: st.SearchStrategy[Plan] | None


def _run_batches(loop: asyncio.AbstractEventLoop, probe: Probe, report: Report, run: _Run) -> None:
    cases, strict = run.cases, run.strict

    def one(drawn: Plan) -> None:
        fanout = 1 if strict else max(1, min(FANOUT, cases - report.cases))
        for plan in [drawn, *(_sibling(drawn, n) for n in range(1, fanout))]:
            one_case(plan)

    def one_case(plan: Plan) -> None:
        try:
            outcome = loop.run_until_complete(probe(plan))
        except Broken as error:
            if strict:
                raise Broken(f"{error}\n    input: {probe.last_input}") from error
            report.fail(_kind(error), f"{error}\n      {probe.last_input}")
            outcome = "FAILURE"
        except Exception as error:
            if strict:
                raise Broken(f"{_kind(error)}\n    input: {probe.last_input}") from error
            report.fail(_kind(error), f"{error!r}\n      {probe.last_input}")
            outcome = "FAILURE"
        report.cases += 1
        report.answers[outcome] += 1

    number = 0
    # Batches bound Hypothesis's memory of what it generated; each has a seed of its own.
    while report.cases < cases:
        before = report.cases
        plans = run.plans if run.plans is not None else RICH_PLANS if strict else FAST_PLANS
        check = given(plans)(one)
        wanted = cases - report.cases
        draws = wanted if strict else -(-wanted // FANOUT)
        check = _settings(min(run.batch, draws), strict=strict)(check)
        if not strict:
            check = seed(run.base_seed * 1_000_003 + number)(check)
        check()
        number += 1
        if report.cases == before:
            break  # Hypothesis found nothing new to try
