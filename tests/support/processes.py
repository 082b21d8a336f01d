"""Running ``idp-sync`` commands as real subprocesses."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

from .waiting import wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def idp_sync(*args: str) -> list[str]:
    """The command line that runs ``idp-sync`` with this interpreter."""
    return [sys.executable, "-m", "services.cli", *args]


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``idp-sync ARGS`` to completion and capture its output."""
    return subprocess.run(  # noqa: S603 - our own CLI with test-made arguments
        idp_sync(*args),
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextlib.contextmanager
def running(
    args: list[str], *, ready_url: str, env: Mapping[str, str] | None = None, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``idp-sync ARGS``, wait until ``ready_url`` answers 200, stop it on exit."""
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own CLI with test-made arguments
            idp_sync(*args), stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
    try:
        wait_until(
            lambda: _answers(ready_url) or _exited(process, log),
            within=30,
            what=f"{ready_url} answering",
        )
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], within: float = 10.0) -> None:
    """Ask politely (SIGINT, like Ctrl-C), then insist after ``within`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _exited(process: subprocess.Popen[bytes], log: Path) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"process exited with {process.returncode}:\n{log.read_text()}")
    return False
