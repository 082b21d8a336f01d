"""Checklist: Throttling (fault model), and the fault injection of the admin API."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.emulator import Aws, emulator_process, user_body


@pytest.mark.parametrize("retry_after", [True, False])
def test_rate_limit_answers_429_with_or_without_retry_after(aws: Aws, retry_after: bool) -> None:
    """[OBS] A token-bucket limiter with configurable TPS; [INF] 429 with and without
    Retry-After."""
    aws.faults(rate_limit_tps=2, rate_limit_burst=3, retry_after=retry_after)
    statuses = [aws.http.get("/Users").status_code for _ in range(10)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses.count(429) >= 6
    throttled = aws.http.get("/Users")
    assert throttled.status_code == 429
    assert throttled.json()["status"] == "429"
    if retry_after:
        assert int(throttled.headers["Retry-After"]) >= 1
    else:
        assert "Retry-After" not in throttled.headers


def test_a_throttled_write_is_not_applied(aws: Aws) -> None:
    aws.faults(rate_limit_tps=0.01, rate_limit_burst=1)
    assert aws.http.post("/Users", json=user_body("first")).status_code == 201
    assert aws.http.post("/Users", json=user_body("second")).status_code == 429
    assert [u["userName"] for u in aws.state()["users"]] == ["first@example.com"]


def test_error_share_is_close_to_the_one_set(aws: Aws) -> None:
    """[INF] A fault mode returns 500 for a set share of requests, unapplied."""
    aws.faults(error_rate=0.2, seed=11, operations=["CreateGroup"])
    statuses = [aws.http.post("/Groups", json={"displayName": f"G{i}"}).status_code
                for i in range(400)]  # fmt: skip
    share = statuses.count(500) / len(statuses)
    assert 0.15 <= share <= 0.25, share
    assert set(statuses) == {201, 500}
    assert len(aws.state()["groups"]) == statuses.count(201)
    assert aws.http.get("/Groups", params={"count": 1}).status_code == 200  # out of scope


@pytest.mark.parametrize("mode", ["error", "close"])
def test_lost_response_applies_the_write_and_a_retry_meets_409(aws: Aws, mode: str) -> None:
    """[OBS] Lost-response mode: the write is applied, the answer dropped; a retry sees 409."""
    aws.faults(lost_response_rate=1.0, lost_response_mode=mode, operations=["CreateUser"])
    if mode == "error":
        assert aws.http.post("/Users", json=user_body()).status_code == 500
    else:
        with pytest.raises(httpx.RemoteProtocolError):
            aws.http.post("/Users", json=user_body())
    assert [u["userName"] for u in aws.state()["users"]] == ["jane@example.com"]
    aws.faults(lost_response_rate=0.0)
    retry = aws.http.post("/Users", json=user_body())
    assert retry.status_code == 409


def test_lost_delete_then_retry_meets_404(aws: Aws) -> None:
    user = aws.create_user()
    aws.faults(lost_response_rate=1.0, operations=["DeleteUser"])
    assert aws.http.delete(f"/Users/{user['id']}").status_code == 500
    assert aws.http.delete(f"/Users/{user['id']}").status_code == 404


def test_added_latency(aws: Aws) -> None:
    aws.faults(latency_ms=150)
    started = time.monotonic()
    assert aws.http.get("/Users").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_refusing_bodies_on_cue(aws: Aws) -> None:
    """An AWS 400 on cue, for tests of what the pipeline does with a refusal."""
    aws.faults(refuse_body_containing="Quarantined")
    refused = aws.http.post("/Users", json=user_body("jane", title="Quarantined"))
    assert (refused.status_code, refused.json()["status"]) == (400, "400")
    assert aws.http.post("/Users", json=user_body("john")).status_code == 201


def test_admin_api_needs_the_token(aws: Aws) -> None:
    root = f"{aws.server.root}/_emulator"
    assert httpx.get(f"{root}/state").status_code == 401
    assert httpx.patch(f"{root}/faults", json={"error_rate": 1}).status_code == 401
    assert httpx.post(f"{root}/reset", headers={"Authorization": "Bearer x"}).status_code == 401
    assert httpx.get(f"{root}/health").status_code == 200


def test_admin_api_refuses_unknown_or_mistyped_settings(aws: Aws) -> None:
    assert aws.admin.patch("/faults", json={"error_rat": 0.5}).status_code == 400
    assert aws.admin.patch("/faults", json={"error_rate": "lots"}).status_code == 400
    assert aws.admin.patch("/behaviour", json={"group_put": "maybe"}).status_code == 400


def test_faults_set_at_start_then_changed_at_run_time(tmp: Path) -> None:
    with emulator_process(tmp, "--error-rate", "1", "--rate-limit", "500") as server:
        aws = Aws(server)
        assert aws.http.get("/Users").status_code == 500
        assert aws.faults(error_rate=0)["rate_limit_tps"] == 500
        assert aws.http.get("/Users").status_code == 200
        aws.close()


def test_the_write_journal_holds_applied_writes_only_with_their_time(aws: Aws) -> None:
    before = time.time()
    created = aws.create_user("journal")
    aws.faults(refuse_body_containing="Refused")
    assert aws.http.post("/Users", json=user_body("refused", title="Refused")).status_code == 400
    aws.http.get("/Users")
    journal = aws.admin.get("/writes").json()
    assert [(w["operation"], w["id"]) for w in journal] == [("CreateUser", created["id"])]
    assert before <= journal[0]["at"] <= time.time()
    aws.reset()
    assert aws.admin.get("/writes").json() == []
