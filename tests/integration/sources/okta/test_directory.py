"""The Okta directory reader on a fake Okta over real HTTP: every page of users, groups and
members; deprovisioned users kept as inactive; unmappable objects set apart; a failing page
failing the whole read; 429s waited out until ``X-Rate-Limit-Reset``."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from services.shared.settings import Settings, SettingsError
from services.sources.directory import ReadFailed
from services.sources.okta.directory import OktaDirectoryReader, okta_reader
from services.sources.okta.system_log import OktaSystemLog
from services.sources.reading import Patience
from tests.support.asgi_server import serving
from tests.support.fake_okta import FakeOkta

TOKEN = "fake-okta-directory-token"
ACTIVE = [f"00u{n:04}" for n in range(260)]
SUSPENDED = ["00u0007", "00u0150"]
GONE = [f"00uz{n}" for n in range(3)]
ENGINEERS = ACTIVE[:230]


@dataclass
class Waits:
    """Stands in for ``asyncio.sleep``: what the reader was asked to wait, no waiting."""

    asked: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def _directory(fake: FakeOkta) -> None:
    """260 people (two suspended), three deprovisioned, one without a usable login; Okta's
    Everyone, an Okta group of 230, an app group and an empty group."""
    for user_id in ACTIVE:
        fake.add_user(user_id, f"{user_id}@acme.com", "Person", user_id,
                      status="SUSPENDED" if user_id in SUSPENDED else "ACTIVE")  # fmt: skip
    for user_id in GONE:
        fake.add_user(user_id, f"{user_id}@acme.com", "Former", user_id, status="DEPROVISIONED")
    fake.add_user("00ubad", " \t ", "No", "Login")  # only whitespace: no userName is left
    fake.add_group("00gall", "Everyone", "BUILT_IN")
    fake.add_group("00geng", "Engineering")
    fake.add_group("00gapp", "Salesforce users", "APP_GROUP")
    fake.add_group("00gnone", "Nobody yet")
    for user_id in [*ACTIVE, *GONE]:
        fake.add_member("00gall", user_id)
    for user_id in ENGINEERS:
        fake.add_member("00geng", user_id)
    for user_id in (ACTIVE[0], GONE[0]):
        fake.add_member("00gapp", user_id)


@pytest.fixture
def okta() -> Iterator[tuple[FakeOkta, str]]:
    fake = FakeOkta(TOKEN)
    _directory(fake)
    with serving(fake.app()) as url:
        yield fake, url


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
async def reader(okta: tuple[FakeOkta, str], waits: Waits) -> AsyncIterator[OktaDirectoryReader]:
    found = OktaDirectoryReader(okta[1], TOKEN, patience=Patience(attempts=4, sleep=waits))
    yield found
    await found.aclose()


async def test_every_page_of_users_groups_and_members_is_read(
    okta: tuple[FakeOkta, str], reader: OktaDirectoryReader
) -> None:
    fake, _ = okta
    before = dt.datetime.now(dt.UTC)
    directory = await reader.read()
    assert (directory.source, directory.tenant) == ("okta", "127.0.0.1")
    assert before <= directory.read_at <= dt.datetime.now(dt.UTC)
    assert sorted(directory.users) == sorted([*ACTIVE, *GONE])
    assert directory.users["00u0001"].user_name == "00u0001@acme.com"
    assert directory.users["00u0001"].given_name == "Person"
    assert {u for u, s in directory.users.items() if not s.active} == {*SUSPENDED, *GONE}
    assert {g: s.display_name for g, s in directory.groups.items()} == {
        "00geng": "Engineering", "00gapp": "Salesforce users", "00gnone": "Nobody yet"}  # fmt: skip
    assert directory.members == {"00geng": frozenset(ENGINEERS), "00gnone": frozenset(),
                                 "00gapp": frozenset({ACTIVE[0], GONE[0]})}  # fmt: skip
    users = [u for u in fake.listed if u.startswith("/api/v1/users?")]
    assert users[0] == "/api/v1/users?limit=200"
    assert "after=00u0199" in users[1], "the next link is followed"
    assert any("DEPROVISIONED" in u for u in users)
    assert len([u for u in fake.listed if u.startswith("/api/v1/groups/00geng/")]) == 2
    assert not any("00gall" in u for u in fake.listed), "Everyone's members are not read"


async def test_a_user_or_group_that_cannot_be_mapped_is_set_apart(
    okta: tuple[FakeOkta, str], reader: OktaDirectoryReader
) -> None:
    fake, _ = okta
    fake.add_group("00gbad", "<>;")  # nothing AWS accepts is left of the name
    del fake.users["00u0003"]["profile"]["login"]
    directory = await reader.read()
    assert set(directory.unmapped) == {"user:00ubad", "user:00u0003", "group:00gbad"}
    assert "no usable userName" in directory.unmapped["user:00ubad"]
    assert "no 'login'" in directory.unmapped["user:00u0003"]
    assert "no usable name" in directory.unmapped["group:00gbad"]
    assert not {"00ubad", "00u0003"} & set(directory.users)
    assert "00gbad" not in directory.groups
    assert "00gbad" not in directory.members


async def test_the_username_attribute_picks_the_profile_field(okta: tuple[FakeOkta, str]) -> None:
    fake, url = okta
    fake.users["00u0001"]["profile"]["email"] = "person.one@acme.com"
    reader = OktaDirectoryReader(url, TOKEN, username_attribute="email")
    try:
        directory = await reader.read()
    finally:
        await reader.aclose()
    assert directory.users["00u0001"].user_name == "person.one@acme.com"


@pytest.mark.parametrize("collection", ["/api/v1/users", "/api/v1/groups/00geng/users"])
async def test_a_later_page_that_keeps_failing_fails_the_whole_read(
    okta: tuple[FakeOkta, str], reader: OktaDirectoryReader, waits: Waits, collection: str
) -> None:
    fake, url = okta
    fake.fail_page[collection] = 2
    with pytest.raises(ReadFailed) as failed:
        await reader.read()
    assert failed.value.source == "okta"
    assert failed.value.what.startswith(f"GET {url}{collection}?")
    assert "after=" in failed.value.what
    assert "answered 500 (4 attempts)" in failed.value.what
    assert len(waits.asked) == 3, "retried before giving up"


async def test_429s_are_waited_out_until_the_rate_limit_resets(
    okta: tuple[FakeOkta, str], reader: OktaDirectoryReader, waits: Waits
) -> None:
    fake, _ = okta
    fake.throttle = 3
    directory = await reader.read()
    assert len(directory.users) == len(ACTIVE) + len(GONE)
    assert len(directory.members["00geng"]) == len(ENGINEERS)
    assert len(waits.asked) == 3
    # X-Rate-Limit-Reset is a second ahead; backing off instead would have waited 1, 2, 4.
    assert all(0.5 < wait <= 2.0 for wait in waits.asked), waits.asked
    assert len([u for u in fake.listed if u == "/api/v1/users?limit=200"]) == 4


async def test_a_used_up_rate_limit_is_waited_for_before_the_next_page(
    okta: tuple[FakeOkta, str], waits: Waits
) -> None:
    fake, url = okta
    fake.rate_limit = 2
    patience = Patience(attempts=2, max_wait=61.0, sleep=waits)
    reader = OktaDirectoryReader(url, TOKEN, patience=patience)
    try:
        directory = await reader.read()
    finally:
        await reader.aclose()
    assert len(directory.users) == len(ACTIVE) + len(GONE)
    assert waits.asked, "the reader never paused for the reset"
    assert all(0 < wait <= 61.0 for wait in waits.asked)


async def test_a_wrong_token_fails_the_read(okta: tuple[FakeOkta, str]) -> None:
    reader = OktaDirectoryReader(okta[1], "not-the-token")
    try:
        with pytest.raises(ReadFailed, match="answered 401"):
            await reader.read()
    finally:
        await reader.aclose()


def _answering(body: object, headers: dict[str, str] | None = None) -> httpx.MockTransport:
    return httpx.MockTransport(lambda _: httpx.Response(200, json=body, headers=headers))


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [({"errorCode": "E0000001"}, None, "not a list"),
     ([{"profile": {}}], None, "not an object with an id"),
     ([], {"link": '<https://elsewhere.example/api/v1/users?after=1>; rel="next"'},
      "leaves the org"),
     ([], {"link": '<https://acme.okta.com/api/v1/users?limit=200>; rel="next"'},
      "goes in a circle")],
)  # fmt: skip
async def test_an_answer_that_is_no_page_fails_the_read(
    body: object, headers: dict[str, str] | None, reason: str
) -> None:
    reader = OktaDirectoryReader("https://acme.okta.com", TOKEN,
                                 transport=_answering(body, headers))  # fmt: skip
    try:
        with pytest.raises(ReadFailed, match=reason):
            await reader.read()
    finally:
        await reader.aclose()


async def test_the_reader_is_built_from_settings() -> None:
    settings = Settings(okta_api_url="https://acme.okta.com", okta_api_token=TOKEN,
                        username_attribute="email")  # fmt: skip
    reader = okta_reader(settings)
    await reader.aclose()
    assert (reader.source, reader.tenant, reader.username_attribute) == (
        "okta", "acme.okta.com", "email")  # fmt: skip
    with pytest.raises(SettingsError, match="IDP_SYNC_OKTA_API_URL and IDP_SYNC_OKTA_API_TOKEN"):
        okta_reader(Settings(okta_api_url=None, okta_api_token=None))
    with pytest.raises(SettingsError, match="IDP_SYNC_OKTA_API_TOKEN must be set"):
        okta_reader(Settings(okta_api_url="https://acme.okta.com", okta_api_token=None))
    with pytest.raises(SettingsError, match="IDP_SYNC_OKTA_API_URL must be"):
        okta_reader(Settings(okta_api_url="acme.okta.com", okta_api_token=TOKEN))


async def test_the_system_log_pages_the_same_way_until_an_empty_page(
    okta: tuple[FakeOkta, str], waits: Waits
) -> None:
    """The catch-up's reader shares the paging: 2,500 mapped events make three full pages
    and an empty one; older and unmapped events are not asked for."""
    fake, url = okta
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)

    def logged(n: int, kind: str, minutes: float) -> dict[str, object]:
        moment = (start + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
        return {"uuid": f"ev-{n:05}", "eventType": kind, "published": moment,
                "outcome": {"result": "SUCCESS"}, "target": []}  # fmt: skip

    fake.logs += [logged(n, "group.user_membership.add", n / 100) for n in range(2500)]
    fake.logs += [logged(9001, "user.session.start", 1), logged(9002, "user.lifecycle.create", -5)]
    system_log = OktaSystemLog(url, TOKEN, patience=Patience(attempts=2, sleep=waits))
    try:
        pages = [page async for page in system_log.since(start)]
    finally:
        await system_log.aclose()
    assert [len(page) for page in pages] == [1000, 1000, 500, 0]
    ids = [event.message_id for page in pages for event in page]
    assert ids == [f"ev-{n:05}" for n in range(2500)]
    assert b'"eventType":"group.user_membership.add"' in pages[0][0].body
    assert system_log.tenant == "127.0.0.1"
