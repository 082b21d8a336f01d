"""``idp-sync emulator`` and ``idp-sync emulator dump`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from services.cli._exit import ExitCode
from tests.support.emulator import Aws, emulator_process
from tests.support.processes import free_port, run_cli


def test_dump_shows_users_groups_and_request_counts(aws: Aws) -> None:
    jane = aws.create_user("jane")
    group = aws.create_group("Engineering")
    aws.add_members(group["id"], [jane["id"]])
    result = run_cli("emulator", "dump", "--url", aws.server.root, "--token", aws.server.token)
    assert result.returncode == 0, result.stderr
    for text in ("jane@example.com", "Engineering", "CreateUser", "PatchGroup", "Users (1)"):
        assert text in result.stdout
    as_json = run_cli("emulator", "dump", "--url", aws.server.root, "--json",
                      env={"IDP_SYNC_EMULATOR_TOKEN": aws.server.token})  # fmt: skip
    state = json.loads(as_json.stdout)
    assert state["memberships"] == {group["id"]: [jane["id"]]}
    assert state["requests"]["CreateUser"] == {"201": 1}


def test_dump_exit_codes_tell_what_went_wrong(aws: Aws) -> None:
    refused = run_cli("emulator", "dump", "--url", aws.server.root, "--token", "wrong")
    assert refused.returncode == ExitCode.REFUSED
    assert "refused the token" in refused.stderr
    nowhere = f"http://127.0.0.1:{free_port()}"
    unreachable = run_cli("emulator", "dump", "--url", nowhere, "--token", "t")
    assert unreachable.returncode == ExitCode.UNREACHABLE
    assert "Cannot reach" in unreachable.stderr
    no_token = run_cli("emulator", "dump", "--url", aws.server.root)
    assert no_token.returncode == ExitCode.USAGE
    assert "IDP_SYNC_EMULATOR_TOKEN" in no_token.stderr


def test_bad_switch_values_are_usage_errors() -> None:
    result = run_cli("emulator", "--token", "t", "--group-put", "sometimes")
    assert result.returncode == ExitCode.USAGE
    assert "group_put" in result.stderr


def test_switches_set_at_start(tmp: Path) -> None:
    flags = ("--username-spaces", "--unsupported-attributes", "ignore", "--case-sensitive-names")
    with emulator_process(tmp, *flags) as server:
        aws = Aws(server)
        behaviour = aws.admin.get("/behaviour").json()
        assert behaviour["username_spaces"] is True
        assert behaviour["unsupported_attributes"] == "ignore"
        assert behaviour["case_insensitive_names"] is False
        aws.close()


def test_state_file_survives_a_restart(tmp: Path) -> None:
    state_file = tmp / "aws-state.json"
    with emulator_process(tmp, "--state-file", str(state_file)) as server:
        aws = Aws(server)
        jane = aws.create_user("jane")
        group = aws.create_group()
        aws.add_members(group["id"], [jane["id"]])
        aws.close()
    assert state_file.exists()
    with emulator_process(tmp, "--state-file", str(state_file)) as server:
        aws = Aws(server)
        assert aws.http.get(f"/Users/{jane['id']}").json()["userName"] == "jane@example.com"
        assert aws.members_of(group["id"]) == [jane["id"]]
        assert aws.http.post("/Groups", json={"displayName": "Engineering"}).status_code == 409
        assert aws.admin.post("/save").status_code == 200
        aws.close()
