"""``idp-sync sync generic --file``: initial load, in step, drift repair, and refusals,
through the real broker and writer into the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.emulator import Aws, EmulatorServer, patch_op
from tests.support.pipeline import Pipeline, idp_pipeline
from tests.support.sync import person, plan, snapshot, sync, sync_env, writes

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]


@pytest.fixture
def pipeline(
    amqp_url: str, emulator_server: EmulatorServer, aws: Aws, tmp_path: Path
) -> Iterator[Pipeline]:
    """A pipeline of its own per test: its state store starts as empty as the emulator."""
    env = {"IDP_SYNC_DELETION_GUARD_LIMIT": "10", "IDP_SYNC_DELETION_GUARD_WINDOW": "3600"}
    with idp_pipeline(amqp_url, emulator_server, tmp_path, env) as running:
        yield running


def _people(count: int) -> list[dict[str, Any]]:
    return [person(n) for n in range(count)]


def _by_name(aws: Aws, kind: str) -> dict[str, dict[str, Any]]:
    key = "userName" if kind == "users" else "displayName"
    return {r[key]: r for r in aws.state()[kind]}


def test_a_snapshot_loads_aws_and_a_second_run_writes_nothing(
    pipeline: Pipeline, aws: Aws, amqp_url: str, tmp_path: Path
) -> None:
    engineers = [f"e-{n}" for n in range(120)]
    groups = [{"id": "g-eng", "display_name": "Engineering", "members": engineers},
              {"id": "g-ops", "display_name": "Ops", "members": ["e-3"]}]  # fmt: skip
    file = snapshot(tmp_path / "dir.json", _people(130), groups)
    env = sync_env(pipeline, amqp_url, aws)

    code, before = plan(env, "generic", "--file", str(file))
    assert (code, before["in_step"], before["counts"]["user.create"]) == (1, False, 130)
    assert before["counts"]["member.add"] == 121
    assert writes(aws) == 0  # a plan changes nothing

    result = sync(env, "generic", "--file", str(file), "--yes")
    assert result.returncode == 0, result.stderr
    users, made = _by_name(aws, "users"), _by_name(aws, "groups")
    assert len(users) == 130
    assert set(made) == {"Engineering", "Ops"}
    assert len(aws.members_of(made["Engineering"]["id"])) == 120
    assert aws.count("PatchGroup", 204) == 3  # 120 + 1 members: ceil(120/100) + 1

    sent = writes(aws)
    code, after = plan(env, "generic", "--file", str(file))
    assert (code, after["in_step"]) == (0, True)
    again = sync(env, "generic", "--file", str(file), "--yes")
    assert again.returncode == 0, again.stderr
    assert writes(aws) == sent


def test_drift_on_both_sides_is_planned_exactly_and_repaired(
    pipeline: Pipeline, aws: Aws, amqp_url: str, tmp_path: Path
) -> None:
    people = _people(6)
    groups = [{"id": "g-1", "display_name": "Eng", "members": ["e-0", "e-1", "e-2"]}]
    env = sync_env(pipeline, amqp_url, aws)
    file = snapshot(tmp_path / "dir.json", people, groups)
    assert sync(env, "generic", "--file", str(file), "--yes").returncode == 0
    eng = _by_name(aws, "groups")["Eng"]
    users = _by_name(aws, "users")
    # Behind idp-sync's back: a name changed, a membership removed, a hand-made group.
    p0 = users["p0@example.com"]
    rename = {"op": "replace", "path": "displayName", "value": "Someone Else"}
    aws.http.patch(f"/Users/{p0['id']}", json=patch_op(rename)).raise_for_status()
    leave = {"op": "remove", "path": "members", "value": [{"value": users["p1@example.com"]["id"]}]}
    aws.http.patch(f"/Groups/{eng['id']}", json=patch_op(leave)).raise_for_status()
    hand_made = aws.create_group("Hand Made")
    # In the IdP: the group renamed, one user deactivated, one gone, a member added.
    people[4]["active"] = False
    del people[5]
    groups = [{"id": "g-1", "display_name": "Engineering", "members": ["e-0", "e-1", "e-2", "e-3"]}]
    file = snapshot(tmp_path / "dir.json", people, groups)

    code, drift = plan(env, "generic", "--file", str(file))
    assert code == 1
    lines = {(c["kind"], c["subject"]) for c in drift["changes"]}
    assert lines == {("user.update", "user:e-0"), ("user.deactivate", "user:e-4"),
                     ("user.deactivate", "user:e-5"), ("group.update", "group:g-1"),
                     ("member.add", "group:g-1"),
                     ("not_owned", f"aws-group:{hand_made['id']}")}  # fmt: skip
    (added,) = [c for c in drift["changes"] if c["kind"] == "member.add"]
    assert added["members"] == ["e-1", "e-3"]

    result = sync(env, "generic", "--file", str(file), "--yes")
    assert result.returncode == 0, result.stderr
    now = _by_name(aws, "groups")
    assert now["Engineering"]["id"] == eng["id"]  # renamed by PATCH: same AWS id
    assert now["Hand Made"] == {**hand_made, **now["Hand Made"]}
    users = _by_name(aws, "users")
    assert users["p0@example.com"]["displayName"] == "P0 Person"
    assert (users["p4@example.com"]["active"], users["p5@example.com"]["active"]) == (False, False)
    assert len(aws.members_of(eng["id"])) == 4
    code, after = plan(env, "generic", "--file", str(file))
    assert (code, after["in_step"], after["counts"]["not_owned"]) == (0, True, 1)


def test_a_broken_snapshot_publishes_nothing_and_exits_3(
    pipeline: Pipeline, aws: Aws, amqp_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "dir.json"
    file.write_text('{"tenant": "hr-system", "users": [{"id": "e-1"')
    result = sync(sync_env(pipeline, amqp_url, aws), "generic", "--file", str(file), "--yes")
    assert result.returncode == 3
    assert "could not read generic in full" in result.stderr
    assert writes(aws) == 0


def test_an_empty_directory_is_refused_unless_allowed(
    pipeline: Pipeline, aws: Aws, amqp_url: str, tmp_path: Path
) -> None:
    env = sync_env(pipeline, amqp_url, aws)
    file = snapshot(tmp_path / "dir.json", _people(3), [])
    assert sync(env, "generic", "--file", str(file), "--yes").returncode == 0
    empty = snapshot(tmp_path / "empty.json", [], [])
    refused = sync(env, "generic", "--file", str(empty), "--yes")
    assert refused.returncode == 1
    assert "listed no users" in refused.stderr
    assert "--allow-empty" in refused.stderr
    assert all(u["active"] for u in aws.state()["users"])
    allowed = sync(env, "generic", "--file", str(empty), "--yes", "--allow-empty")
    assert allowed.returncode == 0, allowed.stderr
    assert not any(u["active"] for u in aws.state()["users"])


def test_a_mass_loss_is_held_by_the_deletion_guard(
    pipeline: Pipeline, aws: Aws, amqp_url: str, tmp_path: Path
) -> None:
    env = sync_env(pipeline, amqp_url, aws)
    file = snapshot(tmp_path / "dir.json", _people(250), [])
    assert sync(env, "generic", "--file", str(file), "--yes").returncode == 0
    fewer = snapshot(tmp_path / "fewer.json", _people(190), [])
    result = sync(env, "generic", "--file", str(fewer), "--yes")
    assert result.returncode == 1  # held changes are not "done"
    assert "held 50" in result.stderr
    assert "idp-sync held list" in result.stderr
    inactive = [u for u in aws.state()["users"] if not u["active"]]
    assert len(inactive) == 10
