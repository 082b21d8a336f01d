"""The authentik directory reader on a fake authentik over real HTTP: every page of users
and groups until ``pagination.next`` is 0, memberships from the groups' ``users``, child
groups' members counted in their ancestors', inactive users kept as inactive, unmappable
users set apart, ``pagination.count`` cross-checked, a failing page failing the whole
read, a 429 waited out as long as ``Retry-After`` says."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
from pydantic import SecretStr

from services.shared.settings import Settings, SettingsError
from services.sources.authentik.directory import AuthentikDirectoryReader, authentik_reader
from services.sources.authentik.webhook import split_event
from services.sources.directory import DirectoryReader, ReadFailed
from services.sources.reading import Patience
from tests.support.asgi_server import serving
from tests.support.fake_authentik import FakeAuthentik

PEOPLE = [str(pk) for pk in range(1, 261)]
INACTIVE = {"7", "150"}


@dataclass
class Waits:
    """Stands in for ``asyncio.sleep``: what the reader was asked to wait, no waiting."""

    asked: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


@dataclass
class Groups:
    """The fake's group uuids by name."""

    keys: dict[str, str] = field(default_factory=dict)


def _directory(fake: FakeAuthentik) -> Groups:
    """260 people (two inactive) and one without a usable username; eng > platform > sre
    by ``parent``, a guild with two ``parents`` (newer versions), everyone, and 101 teams
    (two pages of groups)."""
    for pk in PEOPLE:
        fake.add_user(int(pk), f"user{int(pk):03}", active=pk not in INACTIVE)
    fake.add_user(999, "<%>")  # nothing AWS accepts is left of the username
    made = Groups()
    made.keys["eng"] = fake.add_group("eng", [1])
    made.keys["ops"] = fake.add_group("ops", [9])
    made.keys["platform"] = fake.add_group("platform", [2], parent=made.keys["eng"])
    made.keys["sre"] = fake.add_group("sre", [3, 4], parent=made.keys["platform"])
    guild = made.keys["guild"] = fake.add_group("guild", [5])
    fake.groups[guild] |= {"parents": [made.keys["eng"], made.keys["ops"]]}
    del fake.groups[guild]["parent"]
    made.keys["everyone"] = fake.add_group("everyone", [*map(int, PEOPLE), 999])
    for n in range(101):
        made.keys[f"team {n}"] = fake.add_group(f"team {n:03}", [100 + n])
    return made


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeAuthentik, str, Groups]]:
    fake = FakeAuthentik()
    groups = _directory(fake)
    with serving(fake.app()) as url:
        yield fake, url, groups


@pytest.fixture
def authentik(
    served: tuple[FakeAuthentik, str, Groups],
) -> Iterator[tuple[FakeAuthentik, str, Groups]]:
    yield served
    served[0].faults.clear()
    served[0].requests.clear()
    served[0].count_skew = 0


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
async def reader(
    authentik: tuple[FakeAuthentik, str, Groups], waits: Waits
) -> AsyncIterator[AuthentikDirectoryReader]:
    fake, url, _ = authentik
    found = authentik_reader(Settings(authentik_url=url, authentik_token=SecretStr(fake.token)))
    found.patience = Patience(attempts=3, max_wait=30, sleep=waits)
    yield found
    await found.aclose()


async def test_every_page_is_read_and_child_groups_count_in_their_ancestors(
    authentik: tuple[FakeAuthentik, str, Groups], reader: AuthentikDirectoryReader
) -> None:
    typed: DirectoryReader = reader  # mypy checks it meets the protocol
    fake, _, made = authentik
    before = dt.datetime.now(dt.UTC)
    directory = await typed.read()
    assert directory.source == "authentik"
    assert before <= directory.read_at <= dt.datetime.now(dt.UTC)
    assert sorted(directory.users, key=int) == PEOPLE
    assert directory.users["12"].user_name == "user012"
    assert directory.users["12"].display_name == "User012"
    assert {u for u, state in directory.users.items() if not state.active} == INACTIVE
    assert directory.unmapped.keys() == {"user:999"}
    assert "no usable userName" in directory.unmapped["user:999"]
    key = made.keys
    assert len(directory.groups) == 6 + 101
    assert directory.members.keys() == directory.groups.keys()
    assert directory.groups[key["platform"]].display_name == "platform"
    assert directory.members[key["eng"]] == {"1", "2", "3", "4", "5"}
    assert directory.members[key["platform"]] == {"2", "3", "4"}
    assert directory.members[key["sre"]] == {"3", "4"}
    assert directory.members[key["ops"]] == {"9", "5"}, "the guild's second parent"
    assert directory.members[key["team 3"]] == {"103"}
    assert directory.members[key["everyone"]] == {*PEOPLE, "999"}, "unmapped, not unknown"
    users = [r for r in fake.requests if r.startswith("/api/v3/core/users/?")]
    assert users == [f"/api/v3/core/users/?page={n}&page_size=100&include_groups=false"
                     for n in (1, 2, 3)]  # fmt: skip
    groups = [r for r in fake.requests if r.startswith("/api/v3/core/groups/?")]
    assert groups == [f"/api/v3/core/groups/?page={n}&page_size=100&include_users=false"
                      for n in (1, 2)]  # fmt: skip


async def test_the_tenant_is_what_the_webhook_path_names(reader: AuthentikDirectoryReader) -> None:
    tenant, _ = split_event(json.dumps({"event_uuid": "e1", "action": "model_updated"}).encode())
    assert reader.tenant == tenant


async def test_a_later_page_failing_fails_the_read_naming_it(
    authentik: tuple[FakeAuthentik, str, Groups], reader: AuthentikDirectoryReader, waits: Waits
) -> None:
    authentik[0].fault("users", 3, 500)
    with pytest.raises(ReadFailed, match="500") as failed:
        await reader.read()
    assert failed.value.source == "authentik"
    assert "GET /api/v3/core/users/?page=3&page_size=100" in failed.value.what
    assert len(waits.asked) == 2, "retried within the patience, then given up"


async def test_a_429_is_waited_out_as_long_as_retry_after_says(
    authentik: tuple[FakeAuthentik, str, Groups], reader: AuthentikDirectoryReader, waits: Waits
) -> None:
    authentik[0].fault("groups", 2, 429, times=1, retry_after="5")
    directory = await reader.read()
    assert waits.asked == [5.0]
    assert len(directory.groups) == 6 + 101


async def test_a_count_that_disagrees_fails_the_read(
    authentik: tuple[FakeAuthentik, str, Groups], reader: AuthentikDirectoryReader
) -> None:
    authentik[0].count_skew = 1  # a user the pages did not hold
    with pytest.raises(ReadFailed, match=r"pagination.count said \['262'\]; the pages held 261"):
        await reader.read()


async def test_missing_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("URL", "TOKEN"):
        monkeypatch.delenv(f"IDP_SYNC_AUTHENTIK_{name}", raising=False)
    with pytest.raises(SettingsError) as refused:
        authentik_reader(Settings(authentik_url="https://ak.example.com"))
    assert str(refused.value) == "reading authentik's directory needs IDP_SYNC_AUTHENTIK_TOKEN"
