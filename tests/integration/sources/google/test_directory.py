"""The Google directory reader on a fake Directory API over real HTTP, as a service account
with a real JWT: every page of users, groups and members until ``nextPageToken`` is gone,
nested groups flattened by ``includeDerivedMembership``, only USER members kept, suspended
users kept as inactive, unmappable users set apart, a failing page failing the whole read,
a 429 waited out as long as ``Retry-After`` says."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from services.shared.settings import Settings, SettingsError
from services.sources.directory import DirectoryReader, ReadFailed
from services.sources.google.directory import GoogleDirectoryReader, google_reader
from services.sources.google.webhook import TENANT
from services.sources.reading import Patience
from tests.support.asgi_server import serving
from tests.support.fake_google import ADMIN, FakeGoogle

PEOPLE = [f"1{n:05}" for n in range(1100)]  # three pages of 500
SUSPENDED = {"100007", "100650"}
TEAMS = [f"team-{n:03}" for n in range(200)]  # with the others, two pages of 200 groups


@dataclass
class Waits:
    """Stands in for ``asyncio.sleep``: what the reader was asked to wait, no waiting."""

    asked: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def _workspace(fake: FakeGoogle) -> None:
    """1100 people (two suspended) and one without a primaryEmail; eng holding platform
    holding sre, an outsider in eng, everyone, and 200 teams."""
    for user_id in PEOPLE:
        fake.add_user(user_id, f"p{user_id}@acme.example", "Pat", user_id,
                      suspended=user_id in SUSPENDED)  # fmt: skip
    fake.add_user("1bad", "", "No", "Email")
    for group_id, name in (("g-eng", "eng"), ("g-platform", "platform"), ("g-sre", "sre"),
                           ("g-everyone", "everyone")):  # fmt: skip
        fake.add_group(group_id, f"{name}@acme.example", name)
    fake.add_member("g-eng", PEOPLE[0])
    fake.add_member("g-eng", "g-platform", "GROUP")
    fake.add_member("g-eng", "1outsider")  # a USER outside the Workspace: not in users.list
    fake.add_member("g-platform", PEOPLE[1])
    fake.add_member("g-platform", "g-sre", "GROUP")
    fake.add_member("g-sre", PEOPLE[2])
    fake.add_member("g-sre", PEOPLE[0])  # also direct in eng: listed twice when derived
    for user_id in [*PEOPLE, "1bad"]:
        fake.add_member("g-everyone", user_id)
    for n, group_id in enumerate(TEAMS):
        fake.add_group(group_id, f"{group_id}@acme.example", f"team {n}")
        fake.add_member(group_id, PEOPLE[100 + n])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeGoogle, Settings]]:
    fake = FakeGoogle()
    _workspace(fake)
    with serving(fake.app()) as url:
        key = fake.key_file(tmp_path_factory.mktemp("google-key"), url)
        yield fake, Settings(google_key_file=str(key), google_admin_email=ADMIN,
                             google_directory_url=url)  # fmt: skip


@pytest.fixture
def google(served: tuple[FakeGoogle, Settings]) -> Iterator[FakeGoogle]:
    yield served[0]
    served[0].faults.clear()
    served[0].requests.clear()


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
async def reader(
    served: tuple[FakeGoogle, Settings], google: FakeGoogle, waits: Waits
) -> AsyncIterator[GoogleDirectoryReader]:
    found = google_reader(served[1])
    found.patience = Patience(attempts=3, max_wait=30, sleep=waits)
    yield found
    await found.aclose()


async def test_every_page_is_read_and_google_flattens_the_nesting(
    google: FakeGoogle, reader: GoogleDirectoryReader
) -> None:
    typed: DirectoryReader = reader  # mypy checks it meets the protocol
    before = dt.datetime.now(dt.UTC)
    directory = await typed.read()
    assert (directory.source, directory.tenant) == ("google", TENANT)
    assert before <= directory.read_at <= dt.datetime.now(dt.UTC)
    assert sorted(directory.users) == PEOPLE
    assert directory.users["100012"].user_name == "p100012@acme.example"
    assert directory.users["100012"].family_name == "100012"
    assert {u for u, state in directory.users.items() if not state.active} == SUSPENDED
    assert directory.unmapped.keys() == {"user:1bad"}
    assert "no primaryEmail" in directory.unmapped["user:1bad"]
    assert len(directory.groups) == 4 + len(TEAMS)
    assert directory.members.keys() == directory.groups.keys()
    assert directory.members["g-eng"] == set(PEOPLE[:3]), "derived; no group, no outsider"
    assert directory.members["g-platform"] == set(PEOPLE[:3]), "its own and sre's"
    assert directory.members["g-sre"] == {PEOPLE[0], PEOPLE[2]}
    assert directory.members["team-005"] == {PEOPLE[105]}
    assert directory.members["g-everyone"] == {*PEOPLE, "1bad"}, "unmapped, not unknown"
    users = [r for r in google.requests if r.startswith("/admin/directory/v1/users?")]
    assert users == [
        "/admin/directory/v1/users?customer=my_customer&maxResults=500",
        "/admin/directory/v1/users?customer=my_customer&maxResults=500&pageToken=offset-500",
        "/admin/directory/v1/users?customer=my_customer&maxResults=500&pageToken=offset-1000",
    ]
    groups = [r for r in google.requests if r.startswith("/admin/directory/v1/groups?")]
    assert len(groups) == 2
    members = [r for r in google.requests if "/members?" in r]
    assert all("includeDerivedMembership=true" in r for r in members)
    assert len([r for r in members if "g-everyone" in r]) == 6  # 1101 members, 200 a page


async def test_a_later_page_failing_fails_the_read_naming_it(
    google: FakeGoogle, reader: GoogleDirectoryReader, waits: Waits
) -> None:
    google.fault("users", 3, 503)
    with pytest.raises(ReadFailed, match="503") as failed:
        await reader.read()
    assert failed.value.source == "google"
    assert "pageToken=offset-1000" in failed.value.what
    assert len(waits.asked) == 2, "retried within the patience, then given up"


async def test_one_groups_members_failing_fails_the_read(
    google: FakeGoogle, reader: GoogleDirectoryReader
) -> None:
    google.fault("members", 4, 500)  # only everyone has a fourth page
    with pytest.raises(ReadFailed, match=r"g-everyone/members\?.*pageToken=offset-600"):
        await reader.read()


async def test_a_429_is_waited_out_as_long_as_retry_after_says(
    google: FakeGoogle, reader: GoogleDirectoryReader, waits: Waits
) -> None:
    google.fault("members", 3, 429, times=1, retry_after="9")
    directory = await reader.read()
    assert waits.asked == [9.0]
    assert len(directory.members["g-everyone"]) == len(PEOPLE) + 1


async def test_missing_settings_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("KEY_FILE", "ADMIN_EMAIL"):
        monkeypatch.delenv(f"IDP_SYNC_GOOGLE_{name}", raising=False)
    with pytest.raises(SettingsError) as refused:
        google_reader(Settings(google_admin_email=ADMIN))
    assert str(refused.value) == "reading Google's directory needs IDP_SYNC_GOOGLE_KEY_FILE"
    unusable = tmp_path / "key.json"
    unusable.write_text("{}")
    with pytest.raises(SettingsError, match="IDP_SYNC_GOOGLE_KEY_FILE"):
        google_reader(Settings(google_key_file=str(unusable), google_admin_email=ADMIN))
