"""``idp-sync catch-up okta`` end to end: System Log events in a fake Okta, replayed by the
command (a subprocess) onto the real RabbitMQ, through the normalizer and writer into the
emulator; a second replay creates nothing more, and each failure has its exit code."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import okta
from tests.support.asgi_server import serving
from tests.support.emulator import Aws, EmulatorServer
from tests.support.fake_okta import FakeOkta
from tests.support.pipeline import Pipeline, cli, dlq_depths, idp_pipeline
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]
TOKEN = "okta-catch-up-token"
CREW = ("00ucu1", "00ucu2")
GROUP = "00gcu"


@pytest.fixture(scope="module")
def okta_api() -> Iterator[tuple[FakeOkta, str]]:
    fake = FakeOkta(TOKEN)
    with serving(fake.app()) as url:
        yield fake, url


@pytest.fixture(scope="module")
def okta_pipeline(
    amqp_url: str, emulator_server: EmulatorServer, okta_api: tuple[FakeOkta, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pipeline]:  # fmt: skip
    env = {"IDP_SYNC_OKTA_API_URL": okta_api[1], "IDP_SYNC_OKTA_API_TOKEN": TOKEN}
    with idp_pipeline(amqp_url, emulator_server, tmp_path_factory.mktemp("okta"), env) as running:
        yield running


def _ago(minutes: float) -> str:
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _log(fake: FakeOkta) -> int:
    """Two people joining a new group an hour ago, an older arrival (3 h ago), a sign-in
    (not mapped) and a failed change; returns how many events a 2 h catch-up replays."""
    targets = {}
    for user_id in (*CREW, "00ucuold"):
        fake.add_user(user_id, f"{user_id}@acme.com", "Crew", user_id)
        targets[user_id] = okta.user_target(user_id, f"{user_id}@acme.com", f"Crew {user_id}")
    group = okta.group_target(GROUP, "Catch-up Crew")
    fake.add_group(GROUP, "Catch-up Crew")
    replayed = [
        okta.event("user.lifecycle.create", [targets[CREW[0]]], published=_ago(60)),
        okta.event("user.lifecycle.create", [targets[CREW[1]]], published=_ago(59)),
        okta.event("group.lifecycle.create", [group], published=_ago(58)),
        *(okta.event("group.user_membership.add", [targets[u], group], published=_ago(57))
          for u in CREW),
        okta.event("user.lifecycle.suspend", [targets[CREW[0]]], published=_ago(56),
                   result="FAILURE"),
    ]  # fmt: skip
    fake.logs += [
        *replayed,
        okta.event("user.lifecycle.create", [targets["00ucuold"]], published=_ago(180)),
        okta.event("user.session.start", [targets[CREW[0]]], published=_ago(55)),
    ]
    return len(replayed)


def _catch_up(pipeline: Pipeline, amqp_url: str, url: str, *args: str, token: str = TOKEN) -> Any:
    return cli(pipeline, amqp_url, "catch-up", "okta", *args,
               IDP_SYNC_OKTA_API_URL=url, IDP_SYNC_OKTA_API_TOKEN=token)  # fmt: skip


def _crew_in(aws: Aws) -> bool:
    state = aws.state()
    users = {u["id"] for u in state["users"] if u["userName"] in {f"{c}@acme.com" for c in CREW}}
    groups = [g["id"] for g in state["groups"] if g["displayName"] == "Catch-up Crew"]
    return len(users) == 2 and len(groups) == 1 and set(state["memberships"][groups[0]]) == users


def _settled(pipeline: Pipeline, fake: FakeOkta, aws: Aws) -> int:
    """Wait until each shard has applied what was queued before: one new user per shard,
    sent through the gateway's Okta hook after the replay; returns how many were sent."""
    topology, markers = pipeline.topology, dict[int, str]()
    while len(markers) < topology.shards:
        marker = f"00umark{uuid.uuid4().hex[:8]}"
        markers.setdefault(topology.shard_of(f"user:{marker}"), marker)
    for marker in markers.values():
        fake.add_user(marker, f"{marker}@acme.com", "Marker", marker)
    body = okta.batch(*(okta.event("user.lifecycle.create",
                                   [okta.user_target(m, f"{m}@acme.com")], published=_ago(0))
                        for m in markers.values()))  # fmt: skip
    answer = httpx.post(f"{pipeline.gateway_url}/webhooks/okta", json=body, timeout=10,
                        headers={"Authorization": pipeline.okta_secret})  # fmt: skip
    assert answer.status_code == 200, answer.text

    def applied() -> bool:
        names = {u["userName"] for u in aws.state()["users"]}
        return all(f"{m}@acme.com" in names for m in markers.values())

    wait_until(applied, within=60, what="a marker user applied on every shard")
    return len(markers)


@pytest.mark.timeout(240)
def test_the_log_is_replayed_into_aws_and_a_second_replay_creates_nothing(
    okta_pipeline: Pipeline, okta_api: tuple[FakeOkta, str], aws: Aws, amqp_url: str
) -> None:
    fake, url = okta_api
    count = _log(fake)
    first = _catch_up(okta_pipeline, amqp_url, url, "--since", "2h")
    assert first.returncode == 0, first.stderr
    assert f"replayed {count} Okta events since " in first.stdout
    polls = [q for q in fake.listed if q.startswith("/api/v1/logs?")]
    assert "sortOrder=ASCENDING" in polls[0]
    assert "limit=1000" in polls[0]
    assert "user.lifecycle.create" in httpx.URL(polls[0]).params["filter"]
    assert len(polls) == 2, "the read ends at the first empty page"
    wait_until(lambda: _crew_in(aws), within=60, what="the crew, their group and memberships")
    names = {u["userName"] for u in aws.state()["users"]}
    assert "00ucuold@acme.com" not in names, "an event older than --since was replayed"
    before = aws.state()

    second = _catch_up(okta_pipeline, amqp_url, url, "--since", "2h")
    assert second.returncode == 0, second.stderr
    assert f"replayed {count} Okta events" in second.stdout
    markers = _settled(okta_pipeline, fake, aws)
    assert fake.calls.count(f"/api/v1/users/{CREW[0]}") == 2, "the replay reached the normalizer"
    after = aws.state()
    assert aws.count("CreateUser", 201) == 2 + markers
    assert aws.count("CreateGroup", 201) == 1
    assert after["requests"].get("PatchGroup") == before["requests"].get("PatchGroup")
    assert after["memberships"] == before["memberships"]
    assert dlq_depths(amqp_url, okta_pipeline.topology) == [0, 0]


def test_each_failure_is_one_line_with_its_exit_code(
    okta_pipeline: Pipeline, okta_api: tuple[FakeOkta, str], amqp_url: str
) -> None:
    _, url = okta_api
    far = _catch_up(okta_pipeline, amqp_url, url, "--since", "91d")
    assert far.returncode == 2
    assert "90 days" in far.stderr
    cases = [
        (_catch_up(okta_pipeline, "amqp://guest:guest@127.0.0.1:1/", url, "--since", "1h"),
         3, "RabbitMQ cannot be reached"),
        (_catch_up(okta_pipeline, amqp_url, url, "--since", "1h", token="wrong"),
         4, "Okta refused"),
    ]  # fmt: skip
    for result, code, said in cases:
        assert result.returncode == code, result.stdout + result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert said in line
        assert TOKEN not in result.stdout + result.stderr
