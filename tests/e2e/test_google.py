"""Google Workspace end to end: Directory push messages through the real gateway and
RabbitMQ, users read back from a small fake of the Directory API (with a real service
account JWT) over real HTTP, into the emulator; channels opened and replaced by the CLI."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.asgi_server import serving
from tests.support.emulator import Aws, EmulatorServer
from tests.support.fake_google import ADMIN, FakeGoogle, activity
from tests.support.pipeline import (
    Pipeline,
    cli,
    dlq_depths,
    idp_pipeline,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.rabbit, pytest.mark.emulator]
TOKEN = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def google_env(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[FakeGoogle, dict[str, str]]]:
    fake = FakeGoogle()
    with serving(fake.app()) as url:
        keys = tmp_path_factory.mktemp("google-key")
        key = fake.key_file(keys, url)
        yield fake, {
            "IDP_SYNC_GOOGLE_CHANNEL_TOKEN": TOKEN, "IDP_SYNC_GOOGLE_KEY_FILE": str(key),
            "IDP_SYNC_GOOGLE_ADMIN_EMAIL": ADMIN, "IDP_SYNC_GOOGLE_DIRECTORY_URL": url,
            "IDP_SYNC_STATE_URL": f"sqlite:///{keys}/normalizer.db",
        }  # fmt: skip


@pytest.fixture(scope="module")
def google(
    amqp_url: str, emulator_server: EmulatorServer,
    google_env: tuple[FakeGoogle, dict[str, str]], tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Pipeline]:  # fmt: skip
    _, env = google_env
    with idp_pipeline(amqp_url, emulator_server, tmp_path_factory.mktemp("google"),
                      env) as pipeline:  # fmt: skip
        yield pipeline


_numbers = iter(range(2, 10**6))


def _push(google: Pipeline, state: str, user_id: str, token: str = TOKEN) -> httpx.Response:
    uri = "https://admin.googleapis.com/admin/directory/v1/users?domain=acme.example&event=update"
    channel = {"id": "chan-1", "token": token, "resourceId": "res-1", "resourceUri": uri}
    headers = FakeGoogle.headers(channel, state, next(_numbers))
    body = {"kind": "admin#directory#user", "id": user_id, "etag": '"x"'}
    return httpx.post(f"{google.gateway_url}/webhooks/google", json=body, headers=headers,
                      timeout=10)  # fmt: skip


def _activity(google: Pipeline, body: dict[str, Any]) -> httpx.Response:
    uri = "https://admin.googleapis.com/admin/reports/v1/activity/users/all/applications/admin"
    channel = {"id": "chan-admin", "token": TOKEN, "resourceId": "res-2", "resourceUri": uri}
    return httpx.post(f"{google.gateway_url}/webhooks/google", json=body, timeout=10,
                      headers=FakeGoogle.headers(channel, "admin", next(_numbers)))  # fmt: skip


def _user(aws: Aws, name: str) -> dict[str, Any] | None:
    return next((u for u in aws.state()["users"] if u["userName"] == name), None)


def test_sync_is_answered_and_a_wrong_token_is_401(google: Pipeline) -> None:
    channel = {"id": "c", "token": TOKEN, "resourceId": "r", "resourceUri": ""}
    sync = httpx.post(f"{google.gateway_url}/webhooks/google", timeout=10,
                      headers=FakeGoogle.headers(channel, "sync", 1))  # fmt: skip
    assert (sync.status_code, sync.json()) == (200, {"accepted": 0})
    metrics = f"{google.gateway_url}/metrics"
    before = httpx.get(metrics, timeout=5).text.count('source="google"')
    assert _push(google, "update", "1", token="forged").status_code == 401
    assert httpx.get(metrics, timeout=5).text.count('source="google"') == before, "queued"


def test_a_user_from_add_to_suspension_and_deletion(
    google: Pipeline, aws: Aws, google_env: tuple[FakeGoogle, dict[str, str]], amqp_url: str
) -> None:
    fake, _ = google_env
    email = "new.hire@acme.example"
    fake.add_user("118011", email, "New", "Hire")
    fake.failures = [429]
    assert _push(google, "add", "118011").status_code == 200
    wait_until(lambda: _user(aws, email), within=30, what="the user added after a 429")
    fake.users["118011"]["name"]["familyName"] = "Hired"
    _push(google, "update", "118011")
    wait_until(lambda: (_user(aws, email) or {}).get("name", {}).get("familyName") == "Hired",
               within=30, what="the update")  # fmt: skip
    fake.users["118011"]["suspended"] = True
    fake.failures = [503]
    _push(google, "update", "118011")
    wait_until(lambda: (_user(aws, email) or {}).get("active") is False, within=30,
               what="the suspension, after a 503 that was not taken as a deletion")  # fmt: skip
    del fake.users["118011"]
    _push(google, "update", "118011")  # read back: 404 means deleted
    wait_until(lambda: _user(aws, email) is None, within=30, what="the deletion")
    assert dlq_depths(amqp_url, google.topology) == [0, 0]


def test_groups_from_admin_activities(
    google: Pipeline, aws: Aws, google_env: tuple[FakeGoogle, dict[str, str]], amqp_url: str
) -> None:
    fake, _ = google_env
    fake.add_user("2001", "ana@acme.example", "Ana", "Lima")
    _push(google, "add", "2001")
    wait_until(lambda: _user(aws, "ana@acme.example"), within=30, what="the user")
    fake.add_group("03x1", "eng@acme.example", "Engineering")
    _activity(google, activity("CREATE_GROUP", GROUP_EMAIL="eng@acme.example"))
    wait_until(lambda: aws.state()["groups"], within=30, what="the group created")
    (group,) = aws.state()["groups"]
    _activity(google, activity("ADD_GROUP_MEMBER", GROUP_EMAIL="eng@acme.example",
                               USER_EMAIL="ana@acme.example"))  # fmt: skip
    ana = (_user(aws, "ana@acme.example") or {})["id"]
    wait_until(lambda: aws.members_of(group["id"]) == [ana], within=30, what="ana added")
    fake.groups["03x1"]["name"] = "Platform"
    _activity(google, activity("CHANGE_GROUP_NAME", GROUP_EMAIL="eng@acme.example",
                               NEW_VALUE="Platform"))  # fmt: skip
    wait_until(lambda: aws.state()["groups"][0]["displayName"] == "Platform", within=30,
               what="the rename")  # fmt: skip
    assert aws.state()["groups"][0]["id"] == group["id"]
    _activity(google, activity("REMOVE_GROUP_MEMBER", GROUP_EMAIL="eng@acme.example",
                               USER_EMAIL="ana@acme.example"))  # fmt: skip
    wait_until(lambda: aws.members_of(group["id"]) == [], within=30, what="ana removed")
    del fake.groups["03x1"]  # deleted: only the remembered email -> id still knows it
    _activity(google, activity("DELETE_GROUP", GROUP_EMAIL="eng@acme.example"))
    wait_until(lambda: not aws.state()["groups"], within=30, what="the group deleted")
    assert dlq_depths(amqp_url, google.topology) == [0, 0]


def test_channels_are_opened_and_replaced_before_they_end(
    google: Pipeline, google_env: tuple[FakeGoogle, dict[str, str]], amqp_url: str, tmp: Path
) -> None:
    fake, env = google_env
    channels_file = tmp / "channels.json"
    opened = cli(google, amqp_url, "google", "watch", "--address",
                 f"{google.gateway_url}/webhooks/google", "--channels-file", str(channels_file),
                 **env)  # fmt: skip
    assert opened.returncode == 0, opened.stdout + opened.stderr
    kept = json.loads(channels_file.read_text())
    assert sorted(c["event"] for c in kept) == sorted(
        ["add", "update", "delete", "undelete", "makeAdmin", "admin-activity"])  # fmt: skip
    kept[0]["expiration"] = int((time.time() + 600) * 1000)  # ends in 10 minutes
    channels_file.write_text(json.dumps(kept))
    renewed = cli(google, amqp_url, "google", "renew", "--channels-file", str(channels_file), **env)
    assert renewed.returncode == 0, renewed.stdout + renewed.stderr
    assert fake.stopped == [kept[0]["id"]]
    after = json.loads(channels_file.read_text())
    assert len(after) == 6
    assert kept[0]["id"] not in {c["id"] for c in after}
    soonest = min(c["expiration"] for c in after) / 1000
    assert soonest > (dt.datetime.now(dt.UTC) + dt.timedelta(hours=5)).timestamp()
