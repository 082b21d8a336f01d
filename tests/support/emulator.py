"""A running AWS SCIM emulator and a thin client for the conformance tests."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .processes import free_port, running

TENANT = "kE3934e0444-9ba8-4c2f-8f2e-0123456789ab"


@dataclass
class EmulatorServer:
    """Where a running emulator listens and how to authenticate to it."""

    root: str
    tenant: str
    token: str
    pid: int = 0

    @property
    def scim_url(self) -> str:
        return f"{self.root}/{self.tenant}/scim/v2"


@contextlib.contextmanager
def emulator_process(tmp: Path, *extra: str, tenant: str = TENANT) -> Iterator[EmulatorServer]:
    """Run ``idp-sync emulator`` on a free port until the block ends."""
    port = free_port()
    token = secrets.token_urlsafe(32)
    args = ["emulator", "--port", str(port), "--tenant", tenant, "--token", token, *extra]
    root = f"http://127.0.0.1:{port}"
    log = tmp / f"emulator-{port}.log"
    with running(args, ready_url=f"{root}/_emulator/health", log=log) as process:
        yield EmulatorServer(root, tenant, token, process.pid)


class Aws:
    """SCIM calls (``http``) and admin calls (``admin``) against one emulator."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        auth = {"Authorization": f"Bearer {server.token}"}
        self.http = httpx.Client(base_url=server.scim_url, headers=auth, timeout=10)
        self.admin = httpx.Client(base_url=f"{server.root}/_emulator", headers=auth, timeout=10)

    def close(self) -> None:
        self.http.close()
        self.admin.close()

    def reset(self) -> None:
        self.admin.post("/reset").raise_for_status()

    def faults(self, **changes: Any) -> dict[str, Any]:
        response = self.admin.patch("/faults", json=changes)
        response.raise_for_status()
        return dict(response.json())

    def behaviour(self, **changes: Any) -> dict[str, Any]:
        response = self.admin.patch("/behaviour", json=changes)
        response.raise_for_status()
        return dict(response.json())

    def state(self) -> dict[str, Any]:
        response = self.admin.get("/state")
        response.raise_for_status()
        return dict(response.json())

    def count(self, operation: str, status: int) -> int:
        return int(self.state()["requests"].get(operation, {}).get(str(status), 0))

    def create_user(self, name: str = "jane", /, **extra: Any) -> dict[str, Any]:
        response = self.http.post("/Users", json=user_body(name, **extra))
        assert response.status_code == 201, response.text
        return dict(response.json())

    def create_group(self, name: str = "Engineering", **extra: Any) -> dict[str, Any]:
        response = self.http.post("/Groups", json={"displayName": name, **extra})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def add_members(self, group_id: str, user_ids: list[str]) -> httpx.Response:
        op = {"op": "add", "path": "members", "value": [{"value": u} for u in user_ids]}
        return self.http.patch(f"/Groups/{group_id}", json=patch_op(op))

    def members_of(self, group_id: str) -> list[str]:
        return list(self.state()["memberships"].get(group_id, []))


USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def user_body(name: str = "jane", /, **extra: Any) -> dict[str, Any]:
    """A user AWS accepts; ``extra`` adds or overrides top-level attributes."""
    return {
        "schemas": [USER_URN],
        "userName": f"{name}@example.com",
        "displayName": f"{name.title()} Doe",
        "name": {"givenName": name.title(), "familyName": "Doe"},
        "emails": [{"value": f"{name}@example.com", "type": "work", "primary": True}],
        "active": True,
        **extra,
    }


def patch_op(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_URN], "Operations": list(operations)}
