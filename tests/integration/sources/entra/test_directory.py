"""The Entra directory reader on a fake Microsoft Graph over real HTTP: full rounds over
several pages, deltaLinks kept and followed, Graph forgetting them, and failing."""

from __future__ import annotations

import pytest

from services.shared.settings import Settings, SettingsError
from services.sources.directory import ReadFailed
from services.sources.entra.directory import EntraDirectoryReader, entra_reader
from tests.support.fake_graph import TENANT, FakeGraph

from .conftest import MemoryCheckpoints, Waits

USERS = [f"u-{n:02}" for n in range(1, 8)]
LINKS = (f"entra:{TENANT}:users", f"entra:{TENANT}:groups")


def _directory(fake: FakeGraph) -> None:
    """Seven people, one of them disabled and one without a userPrincipalName; a large
    group (split over entries and pages), one with a nested group and a device."""
    for user_id in USERS:
        fake.add_user(user_id, f"{user_id}@contoso.example", f"Person {user_id}")
    fake.update_user("u-07", accountEnabled=False)
    fake.add_user("u-bad", "", "No Name")
    fake.add_group("g-all", "Everyone")
    fake.add_members("g-all", *USERS)
    fake.add_group("g-ops", "Operations")
    fake.add_group("g-oncall", "On call")
    fake.add_members("g-oncall", "u-03")
    fake.add_members("g-ops", "u-01", "g-oncall", "device-1")


async def test_a_full_round_reads_every_page_and_merges_a_split_group(
    graph: tuple[FakeGraph, str], reader: EntraDirectoryReader, checkpoints: MemoryCheckpoints
) -> None:
    fake, _ = graph
    _directory(fake)
    directory = await reader.read()
    assert (directory.source, directory.tenant) == ("entra", TENANT)
    assert sorted(directory.users) == USERS
    assert directory.users["u-07"].active is False
    assert directory.users["u-01"].user_name == "u-01@contoso.example"
    assert list(directory.unmapped) == ["user:u-bad"]
    assert {g: s.display_name for g, s in directory.groups.items()} == {
        "g-all": "Everyone", "g-ops": "Operations", "g-oncall": "On call"}  # fmt: skip
    assert directory.members["g-all"] == frozenset(USERS)
    assert directory.members["g-ops"] == {"u-01", "u-03"}, "nested flattened, device left out"
    pages = [u for u in fake.delta_urls if "/groups/delta" in u]
    assert len(pages) >= 3, "the groups span several pages"
    assert "skiptoken=" in pages[1]
    assert "members" in pages[0]
    assert "userPrincipalName" in fake.delta_urls[0]
    assert all("$deltatoken=" in checkpoints.kept[name] for name in LINKS)


async def test_changes_follow_the_kept_links_and_return_only_what_changed(
    graph: tuple[FakeGraph, str], reader: EntraDirectoryReader, checkpoints: MemoryCheckpoints
) -> None:
    fake, _ = graph
    _directory(fake)
    first = await reader.changes()
    assert first.full
    assert not checkpoints.kept, "nothing is kept before commit"
    assert first.groups["g-all"].added == frozenset(USERS)
    assert not first.removed_users
    await first.commit()
    fake.update_user("u-02", jobTitle="Buyer")
    fake.remove_members("g-all", "u-04")
    fake.add_members("g-oncall", "u-05")
    fake.remove_user("u-06", reason="changed")
    fake.remove_group("g-ops")
    second = await reader.changes()
    assert not second.full
    assert sorted(second.users) == ["u-02"]
    assert second.users["u-02"].title == "Buyer"
    assert second.removed_users == {"u-06": "changed"}
    assert second.removed_groups == {"g-ops": "deleted"}
    assert second.groups["g-all"].group is None, "only its members changed"
    assert second.groups["g-all"].removed == {"u-04", "u-06"}
    assert second.groups["g-oncall"].added == {"u-05"}
    assert second.began_at > first.began_at
    assert second.round_id != first.round_id
    replayed = await reader.changes()
    assert replayed.users == second.users, "uncommitted, the same changes come again"
    await replayed.commit()
    assert not (await reader.changes()).users


async def test_a_user_returned_in_part_is_read_back_whole(
    graph: tuple[FakeGraph, str], reader: EntraDirectoryReader
) -> None:
    fake, _ = graph
    _directory(fake)
    fake.partial_updates = True
    await (await reader.changes()).commit()
    fake.update_user("u-02", jobTitle="Buyer")
    changed = await reader.changes()
    assert changed.users["u-02"].user_name == "u-02@contoso.example"
    assert changed.users["u-02"].title == "Buyer"
    assert not changed.unmapped


@pytest.mark.parametrize("status", [410, 400])
async def test_a_forgotten_link_starts_a_full_round(
    graph: tuple[FakeGraph, str], reader: EntraDirectoryReader, status: int
) -> None:
    fake, _ = graph
    _directory(fake)
    await (await reader.changes()).commit()
    fake.update_user("u-02", jobTitle="Buyer")
    fake.expire_delta_tokens(status)  # 400: syncStateNotFound
    again = await reader.changes()
    assert again.full
    assert sorted(again.users) == USERS
    assert not again.removed_users
    assert again.users["u-02"].title == "Buyer"


async def test_a_page_that_keeps_failing_fails_the_read_and_keeps_no_link(
    graph: tuple[FakeGraph, str], reader: EntraDirectoryReader, checkpoints: MemoryCheckpoints,
    waits: Waits,
) -> None:  # fmt: skip
    fake, _ = graph
    _directory(fake)
    fake.failing_page = (2, 500)
    with pytest.raises(ReadFailed, match="500"):
        await reader.read()
    assert checkpoints.kept == {}
    assert len(waits.asked) == 2, "retried within its patience, then failed"
    with pytest.raises(ReadFailed):
        await reader.changes()
    fake.failing_page = None
    assert sorted((await reader.read()).users) == USERS


async def test_throttling_waits_as_long_as_graph_asks(
    graph: tuple[FakeGraph, str], reader: EntraDirectoryReader, waits: Waits
) -> None:
    fake, _ = graph
    _directory(fake)
    fake.retry_after, fake.failures = "7", [429, 503]
    assert sorted((await reader.read()).users) == USERS
    assert waits.asked == [7.0, 2.0], "Retry-After, then the backoff's second step"


def test_the_reader_from_settings_names_what_is_missing() -> None:
    partial = Settings(entra_tenant_id=TENANT, entra_client_id=None, entra_client_secret=None)
    with pytest.raises(SettingsError) as raised:
        entra_reader(partial, MemoryCheckpoints())
    assert str(raised.value) == ("IDP_SYNC_ENTRA_CLIENT_ID and IDP_SYNC_ENTRA_CLIENT_SECRET "
                                 "must be set to read Entra ID's directory")  # fmt: skip
