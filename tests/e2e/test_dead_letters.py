"""An SRE's loop, with the CLI run as a subprocess: see what failed and why, fix the cause,
replay exactly the affected events; safely, with nothing lost or applied twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
from typing import Any

import httpx
import pytest

from services.cli._parked_options import filters
from services.parked import ParkingLot
from tests.support import okta
from tests.support.emulator import Aws
from tests.support.generic import retire_change, user_change
from tests.support.pipeline import Pipeline, cli, send, service_env
from tests.support.processes import idp_sync
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]


def _listed(pipeline: Pipeline, amqp_url: str, *filters: str) -> list[dict[str, Any]]:
    result = cli(pipeline, amqp_url, "dlq", "list", "--json", *filters)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _names(aws: Aws) -> set[str]:
    return {u["userName"].split("@")[0] for u in aws.state()["users"]}


def _send_okta_profile_update(pipeline: Pipeline) -> None:
    """An Okta profile update needs the Okta API, which this pipeline lacks: dead-lettered."""
    body = okta.batch(okta.event("user.account.update_profile",
                                 [okta.user_target("00uokta", "okta-user@acme.com")],
                                 published="2026-11-02T10:00:00.000Z"))  # fmt: skip
    response = httpx.post(f"{pipeline.gateway_url}/webhooks/okta", json=body,
                          headers={"Authorization": pipeline.okta_secret}, timeout=10)  # fmt: skip
    assert response.status_code == 200, response.text


def test_failures_are_listed_with_aws_detail_and_every_filter_narrows_them(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    aws.faults(refuse_body_containing="Quarantined")
    send(pipeline, user_change("ls-1", "u-ls1", 1, title="Quarantined"),
         user_change("ls-2", "u-ls2", 2, title="Quarantined"),
         user_change("ls-3", "u-ls3", 3))  # fmt: skip
    _send_okta_profile_update(pipeline)
    wait_until(lambda: len(_listed(pipeline, amqp_url)) == 3, within=30,
               what="two AWS refusals and one Okta event dead-lettered")  # fmt: skip
    refused = _listed(pipeline, amqp_url, "--error", "AwsRefused")
    assert {m["subject"] for m in refused} == {"user:u-ls1", "user:u-ls2"}
    assert all("Request is unparsable" in m["detail"] for m in refused)
    assert all(m["attempts"] == 1 and m["source"] == "generic" for m in refused)
    assert len(_listed(pipeline, amqp_url, "--subject", "u-ls2@hr.example")) == 1
    # Every other filter through the same parsing and browsing the command uses, in this
    # process: a dozen CLI starts would only measure how busy the machine is.
    narrowed = {
        ("source", "okta"): 1, ("source", "generic"): 2, ("type_", "user.upserted"): 2,
        ("type_", "user.*"): 3, ("error", "unparsable"): 2, ("error", "MissingSettings"): 1,
        ("subject", "u-ls1"): 1, ("since", "1h"): 3, ("until", "1h"): 0,
    }  # fmt: skip
    lot = ParkingLot(amqp_url, pipeline.topology)
    for (option, value), count in narrowed.items():
        chosen = filters(**{option: value})  # type: ignore[arg-type]  # one str option
        assert len(asyncio.run(lot.browse(lot.dead_letter_queues, chosen))) == count, option
    shown = cli(pipeline, amqp_url, "dlq", "show", refused[0]["id"][:8])
    assert shown.returncode == 0, shown.stderr
    assert "trace id:" in shown.stdout
    assert "attempt 1 AwsRefused" in shown.stdout
    assert '"user_name": "u-ls' in shown.stdout
    assert cli(pipeline, amqp_url, "dlq", "show", "no-such-id").returncode == 1
    assert len(_listed(pipeline, amqp_url)) == 3, "listing and showing must remove nothing"
    purged = cli(pipeline, amqp_url, "dlq", "purge", "--source", "okta", "--yes")
    assert purged.returncode == 0, purged.stderr
    assert len(_listed(pipeline, amqp_url)) == 2


def test_a_replay_after_the_fix_applies_exactly_the_chosen_events_even_when_killed(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    aws.faults(refuse_body_containing="Blocked")
    since = ("--since", dt.datetime.now(dt.UTC).isoformat())
    users = [f"u-rp{n}" for n in range(6)]
    send(pipeline, *(user_change(f"rp-{n}", u, n, title="Blocked") for n, u in enumerate(users)))
    wait_until(lambda: len(_listed(pipeline, amqp_url, *since)) == 6, within=30,
               what="six refusals dead-lettered")  # fmt: skip
    before = len(_listed(pipeline, amqp_url))
    aws.faults(refuse_body_containing=None)  # the cause, fixed

    preview = cli(pipeline, amqp_url, "dlq", "replay", "--subject", users[0], "--dry-run")
    assert preview.returncode == 0
    assert "1 would be replayed" in preview.stdout
    assert len(_listed(pipeline, amqp_url)) == before
    one = cli(pipeline, amqp_url, "dlq", "replay", "--subject", users[0], "--yes")
    assert one.returncode == 0, one.stderr
    assert "Replayed 1." in one.stdout
    wait_until(lambda: users[0] in _names(aws), within=30, what="the replayed user applied")
    assert not set(users[1:]) & _names(aws)
    assert len(_listed(pipeline, amqp_url)) == before - 1

    env = {**os.environ, **service_env(amqp_url, pipeline.topology)}
    replaying = subprocess.Popen(  # noqa: S603 - our own CLI
        idp_sync("dlq", "replay", *since, "--rate", "1", "--yes"),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_until(lambda: len(set(users) & _names(aws)) >= 3, within=30,
               what="the replay half-way")  # fmt: skip
    os.kill(replaying.pid, signal.SIGKILL)
    replaying.wait()
    rest = cli(pipeline, amqp_url, "dlq", "replay", *since, "--yes")
    assert rest.returncode == 0, rest.stderr
    wait_until(lambda: set(users) <= _names(aws), within=30, what="every user applied")
    assert _listed(pipeline, amqp_url, *since) == []
    assert len(_listed(pipeline, amqp_url)) == before - len(users)
    assert aws.count("CreateUser", 201) == len(users), "a replayed event was applied twice"


def test_replaying_an_old_upsert_after_a_newer_deletion_leaves_the_user_deleted(
    pipeline: Pipeline, aws: Aws, amqp_url: str
) -> None:
    aws.faults(refuse_body_containing="Old-title")
    send(pipeline, user_change("old-1", "u-old", 1, title="Old-title"))
    wait_until(lambda: len(_listed(pipeline, amqp_url, "--subject", "u-old")) == 1, within=30,
               what="the old upsert dead-lettered")  # fmt: skip
    aws.faults(refuse_body_containing=None)
    send(pipeline, user_change("old-2", "u-old", 2), retire_change("old-3", "deleted", "u-old", 3))
    wait_until(lambda: aws.count("DeleteUser", 204) == 1, within=30, what="the deletion")
    replayed = cli(pipeline, amqp_url, "dlq", "replay", "--subject", "u-old", "--yes")
    assert replayed.returncode == 0, replayed.stderr
    log = pipeline.logs / "writer.log" if pipeline.logs else None
    assert log is not None
    wait_until(lambda: "user:u-old: stale" in log.read_text(), within=30,
               what="the writer skipping the replayed upsert as stale")  # fmt: skip
    assert "u-old" not in _names(aws)
    assert aws.count("CreateUser", 201) == 1


def test_commands_name_an_unreachable_broker_with_exit_code_3(pipeline: Pipeline) -> None:
    down = "amqp://guest:guest@127.0.0.1:1/"
    for command in (["dlq", "list"], ["held", "list"], ["status"], ["dlq", "replay", "--yes"]):
        result = cli(pipeline, down, *command)
        assert result.returncode == 3, (command, result.stdout, result.stderr)
        assert "RabbitMQ cannot be reached" in result.stderr
