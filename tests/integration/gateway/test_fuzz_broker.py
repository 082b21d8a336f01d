"""The gateway's fuzz cases on the real RabbitMQ: what it refuses never reaches a queue.

The app is the real one with the real broker publisher (confirmed, persistent); a
recording wrapper counts what each source had accepted, so after hundreds of hostile
requests every raw queue must hold exactly that, and, when no credentials were right,
nothing at all.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pytest
from faststream.rabbit import RabbitBroker
from faststream.rabbit.schemas import Channel
from hypothesis import strategies as st

from services.gateway import BrokerPublisher
from services.shared.topology import Topology
from tests.fuzz._engine import RICH_PLANS, Door, Plan, Report, run_door
from tests.fuzz._gateway import SOURCES, GatewayProbe, Source, fuzz_config
from tests.fuzz._recording import RecordingPublisher
from tests.support import broker

pytestmark = pytest.mark.rabbit
REFUSED_CREDENTIALS = ("missing", "wrong", "hostile")
"""(A mangled Keycloak signature may differ only in case or spaces, which is allowed.)"""


def _door(source: Source, url: str, topology: Topology, recorder: RecordingPublisher) -> Door:
    """The source's door, its recorder handing every publish to the real broker."""
    rabbit: list[RabbitBroker] = []

    class BrokerProbe(GatewayProbe):
        async def aclose(self) -> None:
            await super().aclose()
            await rabbit[0].stop()

    async def open_probe() -> BrokerProbe:
        real = RabbitBroker(
            url,
            default_channel=Channel(publisher_confirms=True, on_return_raises=True),
            logger=None,
        )
        rabbit.append(real)
        publisher = BrokerPublisher(real, topology, timeout=2.0)
        await asyncio.wait_for(publisher.keep_connecting(), 15)
        recorder.inner = publisher
        return BrokerProbe(source, recorder, fuzz_config(topology))

    return Door(f"broker-{source.name}", open_probe, "")


def _fuzz(
    amqp_url: str,
    topology: Topology,
    cases: int,
    plans: st.SearchStrategy[Plan] = RICH_PLANS,
) -> tuple[RecordingPublisher, list[Report]]:
    recorder = RecordingPublisher()
    reports = [
        run_door(_door(source, amqp_url, topology, recorder), cases, strict=True, plans=plans)
        for source in SOURCES
    ]
    return recorder, reports


def _refused(reports: list[Report]) -> int:
    return sum(n for r in reports for answer, n in r.answers.items() if answer != "200")


async def _depths(amqp_url: str, topology: Topology) -> dict[str, int]:
    return {s: await broker.queued(amqp_url, topology.raw_queue(s).name) for s in topology.sources}


async def _in_thread(
    run: Callable[[], tuple[RecordingPublisher, list[Report]]],
) -> tuple[RecordingPublisher, list[Report]]:
    # run_door has an event loop of its own, which cannot run inside the test's.
    return await asyncio.to_thread(run)


async def test_raw_queues_hold_exactly_what_was_accepted(
    amqp_url: str, topology: Topology, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("CRITICAL", logger="idp_sync")
    recorder, reports = await _in_thread(lambda: _fuzz(amqp_url, topology, 60))
    assert _refused(reports) > 250, "the cases must be mostly refusals"
    assert await _depths(amqp_url, topology) == {s: recorder.accepted[s] for s in topology.sources}


async def test_requests_without_the_right_credentials_leave_every_raw_queue_empty(
    amqp_url: str, topology: Topology, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("CRITICAL", logger="idp_sync")
    # Graph's clientState is in the body, so its door is left out: its refusals are in the
    # test above. Every other door gets only wrong credentials, with every kind of body.
    wrong = st.builds(
        dataclasses.replace, RICH_PLANS, credentials=st.sampled_from(REFUSED_CREDENTIALS)
    )
    recorder, reports = await _in_thread(lambda: _fuzz(amqp_url, topology, 40, wrong))
    depths = await _depths(amqp_url, topology)
    assert {s: n for s, n in depths.items() if s != "entra"} == dict.fromkeys(
        (s for s in topology.sources if s != "entra"), 0
    )
    assert all(recorder.accepted[s] == 0 for s in topology.sources if s != "entra")
    assert _refused(reports) > 150
