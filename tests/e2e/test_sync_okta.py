"""``idp-sync sync okta`` against a paged fake Okta over real HTTP: the initial load makes
AWS equal to the IdP, and a page that fails leaves AWS untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.asgi_server import serving
from tests.support.emulator import Aws, EmulatorServer
from tests.support.fake_okta import FakeOkta
from tests.support.pipeline import Pipeline, idp_pipeline
from tests.support.sync import plan, sync, sync_env, writes

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]
TOKEN = "okta-sync-token"
PEOPLE = [f"00u{n:04}" for n in range(260)]


@pytest.fixture
def okta() -> Iterator[tuple[FakeOkta, str]]:
    fake = FakeOkta(TOKEN, page_cap=100)  # three pages of users
    for n, user_id in enumerate(PEOPLE):
        fake.add_user(user_id, f"person{n}@example.com", f"Person{n}", "Okta")
    fake.add_group("00gdev", "AWS-Dev")
    fake.add_group("00gops", "AWS-Ops")
    for user_id in PEOPLE[:150]:
        fake.add_member("00gdev", user_id)
    fake.add_member("00gops", PEOPLE[7])
    with serving(fake.app()) as url:
        yield fake, url


@pytest.fixture
def pipeline(
    amqp_url: str, emulator_server: EmulatorServer, aws: Aws, tmp_path: Path
) -> Iterator[Pipeline]:
    with idp_pipeline(amqp_url, emulator_server, tmp_path, {}) as running:
        yield running


def _env(pipeline: Pipeline, amqp_url: str, aws: Aws, url: str) -> dict[str, str]:
    return sync_env(pipeline, amqp_url, aws, IDP_SYNC_OKTA_API_URL=url,
                    IDP_SYNC_OKTA_API_TOKEN=TOKEN)  # fmt: skip


def test_an_initial_load_makes_aws_equal_to_okta(
    pipeline: Pipeline, aws: Aws, amqp_url: str, okta: tuple[FakeOkta, str]
) -> None:
    fake, url = okta
    env = _env(pipeline, amqp_url, aws, url)
    result = sync(env, "okta", "--yes")
    assert result.returncode == 0, result.stderr
    state = aws.state()
    names = {u["userName"] for u in state["users"]}
    assert names == {fake.users[u]["profile"]["login"] for u in PEOPLE}
    groups = {g["displayName"]: g["id"] for g in state["groups"]}
    assert set(groups) == {"AWS-Dev", "AWS-Ops"}
    assert len(aws.members_of(groups["AWS-Dev"])) == 150
    assert len(aws.members_of(groups["AWS-Ops"])) == 1
    assert sum(1 for p in fake.listed if p.startswith("/api/v1/users?")) >= 3  # paged

    code, after = plan(env, "okta")
    assert (code, after["in_step"]) == (0, True)


def test_a_failing_later_page_publishes_nothing(
    pipeline: Pipeline, aws: Aws, amqp_url: str, okta: tuple[FakeOkta, str]
) -> None:
    fake, url = okta
    fake.fail_page["/api/v1/users"] = 2
    result = sync(_env(pipeline, amqp_url, aws, url), "okta", "--yes")
    assert result.returncode == 3
    assert "could not read okta in full" in result.stderr
    assert "500" in result.stderr
    assert writes(aws) == 0
    assert aws.state()["users"] == []
