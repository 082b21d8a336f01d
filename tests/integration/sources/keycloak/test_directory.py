"""The Keycloak directory reader on a fake Keycloak over real HTTP: every page of users,
the group tree walked (``/children`` with ``max`` sent) and flattened, disabled users kept
as inactive, unmappable users set apart, counts cross-checked, a failing page failing the
whole read, a 429 waited out as long as ``Retry-After`` says."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
from pydantic import SecretStr

from services.shared.settings import Settings, SettingsError
from services.sources.directory import DirectoryReader, ReadFailed
from services.sources.keycloak.directory import KeycloakDirectoryReader, keycloak_reader
from services.sources.keycloak.webhook import split_event
from services.sources.reading import Patience
from tests.support.asgi_server import serving
from tests.support.fake_keycloak import FakeKeycloak

REALM = "acme"
PEOPLE = [f"u-{n:03}" for n in range(260)]
DISABLED = {"u-007", "u-150"}
TEAMS = [f"g-team-{n:03}" for n in range(105)]  # more than one page of /children


@dataclass
class Waits:
    """Stands in for ``asyncio.sleep``: what the reader was asked to wait, no waiting."""

    asked: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def _realm(fake: FakeKeycloak) -> None:
    """260 people (two disabled) and one without a usable username; /eng/platform/sre
    nested three deep, /teams with 105 sub-groups, and /everyone."""
    for user_id in PEOPLE:
        fake.add_user(user_id, f"user{user_id[2:]}", enabled=user_id not in DISABLED)
    fake.add_user("u-bad", "<%>")  # nothing AWS accepts is left of the username
    fake.add_group("g-eng", "eng", ["u-000"])
    fake.add_group("g-platform", "platform", ["u-001"], parent="g-eng")
    fake.add_group("g-sre", "sre", ["u-002", "u-003"], parent="g-platform")
    fake.add_group("g-teams", "teams", [])
    for n, group_id in enumerate(TEAMS):
        fake.add_group(group_id, f"team {n}", [PEOPLE[100 + n]], parent="g-teams")
    fake.add_group("g-everyone", "everyone", [*PEOPLE, "u-bad"])


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[FakeKeycloak, str]]:
    fake = FakeKeycloak()
    _realm(fake)
    with serving(fake.app()) as url:
        yield fake, url


@pytest.fixture
def keycloak(served: tuple[FakeKeycloak, str]) -> Iterator[tuple[FakeKeycloak, str]]:
    fake, url = served
    yield fake, url
    fake.faults.clear()
    fake.requests.clear()
    fake.count_skew, fake.legacy = 0, False


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
async def reader(
    keycloak: tuple[FakeKeycloak, str], waits: Waits
) -> AsyncIterator[KeycloakDirectoryReader]:
    fake, url = keycloak
    settings = Settings(keycloak_url=url, keycloak_client_id="idp-sync",
                        keycloak_client_secret=SecretStr(fake.secret))  # fmt: skip
    found = keycloak_reader(settings, REALM)
    found.patience = Patience(attempts=3, max_wait=30, sleep=waits)
    yield found
    await found.aclose()


async def test_a_realm_is_read_whole_and_its_groups_flattened(
    keycloak: tuple[FakeKeycloak, str], reader: KeycloakDirectoryReader
) -> None:
    typed: DirectoryReader = reader  # mypy checks it meets the protocol
    fake, _ = keycloak
    before = dt.datetime.now(dt.UTC)
    directory = await typed.read()
    assert directory.source == "keycloak"
    assert before <= directory.read_at <= dt.datetime.now(dt.UTC)
    assert sorted(directory.users) == PEOPLE
    assert directory.users["u-001"].user_name == "user001"
    assert {u for u, state in directory.users.items() if not state.active} == DISABLED
    assert directory.unmapped.keys() == {"user:u-bad"}
    assert "no usable userName" in directory.unmapped["user:u-bad"]
    assert len(directory.groups) == 5 + len(TEAMS)
    assert directory.members.keys() == directory.groups.keys()
    assert directory.members["g-eng"] == {"u-000", "u-001", "u-002", "u-003"}
    assert directory.members["g-platform"] == {"u-001", "u-002", "u-003"}
    assert directory.members["g-sre"] == {"u-002", "u-003"}
    assert directory.members["g-teams"] == set(PEOPLE[100:205])
    assert directory.members["g-team-004"] == {"u-104"}
    assert directory.members["g-everyone"] == {*PEOPLE, "u-bad"}, "unmapped, not unknown"
    users = [r for r in fake.requests if r.startswith(f"/admin/realms/{REALM}/users?")]
    assert [r.split("&")[0] for r in users] == ["/admin/realms/acme/users?first=0",
                                                "/admin/realms/acme/users?first=100",
                                                "/admin/realms/acme/users?first=200"]  # fmt: skip
    children = [r for r in fake.requests if "/children?" in r]
    assert all("max=100" in r for r in children), "children's default max is 10"
    assert any("g-teams/children?first=100" in r for r in children)


async def test_the_tenant_is_what_the_webhook_path_names(reader: KeycloakDirectoryReader) -> None:
    event = {"uid": "e1", "realmId": "6a1f4a6e", "realmName": REALM}
    tenant, _ = split_event(json.dumps(event).encode())
    assert reader.tenant == tenant == REALM


async def test_a_server_that_embeds_the_tree_is_walked_the_same(
    keycloak: tuple[FakeKeycloak, str], reader: KeycloakDirectoryReader
) -> None:
    fake, _ = keycloak
    fake.legacy = True
    directory = await reader.read()
    assert directory.members["g-eng"] == {"u-000", "u-001", "u-002", "u-003"}
    assert len(directory.groups) == 5 + len(TEAMS)
    assert not [r for r in fake.requests if "/children" in r]


async def test_a_later_page_failing_fails_the_read_naming_it(
    keycloak: tuple[FakeKeycloak, str], reader: KeycloakDirectoryReader, waits: Waits
) -> None:
    fake, _ = keycloak
    fake.fault("users", 3, 500)
    with pytest.raises(ReadFailed, match="500") as failed:
        await reader.read()
    assert failed.value.source == "keycloak"
    assert "GET /admin/realms/acme/users?first=200&max=100" in failed.value.what
    assert len(waits.asked) == 2, "retried within the patience, then given up"


async def test_one_groups_members_failing_fails_the_read(
    keycloak: tuple[FakeKeycloak, str], reader: KeycloakDirectoryReader
) -> None:
    keycloak[0].fault("members", 2, 503)  # only /everyone has a second page
    with pytest.raises(ReadFailed, match=r"g-everyone/members\?first=100"):
        await reader.read()


async def test_a_429_is_waited_out_as_long_as_retry_after_says(
    keycloak: tuple[FakeKeycloak, str], reader: KeycloakDirectoryReader, waits: Waits
) -> None:
    keycloak[0].fault("users", 2, 429, times=1, retry_after="7")
    directory = await reader.read()
    assert waits.asked == [7.0]
    assert len(directory.users) == len(PEOPLE)


async def test_a_user_count_that_disagrees_fails_the_read(
    keycloak: tuple[FakeKeycloak, str], reader: KeycloakDirectoryReader
) -> None:
    keycloak[0].count_skew = 1  # a user the listing did not give
    with pytest.raises(ReadFailed, match=r"users/count says 262 users; the listing gave 261"):
        await reader.read()


async def test_missing_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("URL", "CLIENT_ID", "CLIENT_SECRET", "REALM"):
        monkeypatch.delenv(f"IDP_SYNC_KEYCLOAK_{name}", raising=False)
    settings = Settings(keycloak_url="https://sso.example.com", keycloak_client_id="idp-sync")
    with pytest.raises(SettingsError) as refused:
        keycloak_reader(settings)
    needed = "IDP_SYNC_KEYCLOAK_CLIENT_SECRET, IDP_SYNC_KEYCLOAK_REALM"
    assert str(refused.value) == f"reading Keycloak's directory needs {needed}"
