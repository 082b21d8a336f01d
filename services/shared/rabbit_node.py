"""A private RabbitMQ node: its own name, ports, data and logs, started from the installed
``rabbitmq-server``, so it can be stopped, killed and restarted without touching any other
broker on the machine.

    with RabbitNode() as node:          # started; stopped and cleaned up afterwards
        connect(node.amqp_url)
        node.kill()                      # kill -9 of the Erlang VM
        node.restart()                   # same data dir: durable queues and messages survive

Every setting reaches the node through ``RABBITMQ_*`` environment variables and files in
the node's own directory (config, enabled plugins, an empty ``rabbitmq-env.conf``), so the
machine's ``/etc/rabbitmq`` is never read. Only the Erlang port mapper (epmd) is shared,
which is what it is for: each node registers under its own name. Every wait is a condition
with a deadline.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

START_TIMEOUT = 90.0
"""Seconds a node may take to answer AMQP: a cold boot takes 5-15 s on a busy 2-core box."""
CTL_TIMEOUT = 90.0
"""Seconds a ``rabbitmqctl`` command may take (``stop_app`` drains connections first)."""
_AMQP_HEADER = b"AMQP\x00\x00\x09\x01"


class RabbitServerMissing(RuntimeError):
    """``rabbitmq-server`` (and ``rabbitmqctl`` beside it) is not installed."""


class RabbitNodeError(RuntimeError):
    """The node did not start, stop or answer as asked; the message quotes its log."""


@dataclass(frozen=True)
class RabbitInstall:
    """Where the RabbitMQ scripts that start and control a node are."""

    server: Path
    ctl: Path


def find_install(sbin: Path | None = None) -> RabbitInstall:
    """The installed ``rabbitmq-server`` and ``rabbitmqctl`` (from ``sbin`` when given,
    else from ``PATH``); ``RabbitServerMissing`` with what to install when there is none.

    Debian's ``/usr/sbin/rabbitmq-server`` is a wrapper that switches to the ``rabbitmq``
    user, who could not write this node's directory; the real scripts beside the wrapper's
    target are used instead."""
    if sbin is None:
        found = shutil.which("rabbitmq-server")
        if found is None:
            raise RabbitServerMissing(
                "rabbitmq-server is not installed (or not on PATH): install RabbitMQ "
                "(e.g. `apt-get install rabbitmq-server`), or point IDP_SYNC_AMQP_URL at a "
                "running broker"
            )
        resolved = Path(found).resolve()
        if resolved.name != "rabbitmq-server":  # a wrapper script: use the real one beside it
            resolved = (resolved.parent / "rabbitmq-server").resolve()
        sbin = resolved.parent
    server, ctl = sbin / "rabbitmq-server", sbin / "rabbitmqctl"
    for script in (server, ctl):
        if not os.access(script, os.X_OK):
            raise RabbitServerMissing(f"{script} is missing or not executable")
    return RabbitInstall(server, ctl)


def installed() -> bool:
    """Whether ``rabbitmq-server`` is installed, so a private node can be started."""
    try:
        find_install()
    except RabbitServerMissing:
        return False
    return True


def free_port() -> int:
    """A TCP port nothing listens on now (the OS's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def amqp_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether an AMQP 0-9-1 broker answers the protocol header at ``host:port`` (it sends
    ``Connection.Start``, a method frame), which it does only once it is fully booted."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(_AMQP_HEADER)
            return sock.recv(1) == b"\x01"
    except OSError:
        return False


def _wait(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise RabbitNodeError(f"{what} did not happen within {within:g} s")
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class RabbitNode:
    """One private RabbitMQ node on free ports, with its data and logs in ``base_dir``.

    The node is named ``<prefix>-<random>@localhost``; the AMQP port takes user
    ``guest``/``guest`` from localhost. ``stop()`` (or leaving the ``with`` block) always
    stops the node and deletes its directory unless ``keep_dir``.
    """

    def __init__(
        self,
        base_dir: Path | None = None,
        *,
        prefix: str = "idp-sync",
        start_timeout: float = START_TIMEOUT,
        keep_dir: bool = False,
        sbin: Path | None = None,
    ) -> None:
        self.install = find_install(sbin)
        self.name = f"{prefix}-{uuid.uuid4().hex[:8]}@localhost"
        self.node_port = free_port()
        self.dist_port = free_port()
        while self.dist_port == self.node_port:  # released ports can be handed out again
            self.dist_port = free_port()
        self.start_timeout = start_timeout
        self._own_dir = base_dir is None
        self.base_dir = base_dir or Path(tempfile.mkdtemp(prefix="rabbit-node-"))
        self.keep_dir = keep_dir
        self._process: subprocess.Popen[bytes] | None = None
        self._pid: int | None = None

    # -- where things are ---------------------------------------------------------------

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.node_port}/"

    @property
    def log_dir(self) -> Path:
        """The node's own log files (``<name>.log``) and its console output."""
        return self.base_dir / "log"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    @property
    def os_pid(self) -> int | None:
        """The Erlang VM's OS pid while the node runs (read from its pid file at start)."""
        return self._pid if self._pid is not None and _alive(self._pid) else None

    def answers(self) -> bool:
        """Whether the node answers AMQP now."""
        return amqp_answers("127.0.0.1", self.node_port)

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> Self:
        """Boot the node (on the same data as before, if it ran before) and wait until it
        answers AMQP; ``RabbitNodeError`` quoting its log if it does not in time."""
        if self._process is not None and self._process.poll() is None:
            raise RabbitNodeError(f"{self.name} is already running")
        self._prepare_dir()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / "console.log").open("ab") as console:
            self._process = subprocess.Popen(  # noqa: S603 - the installed RabbitMQ script
                [str(self.install.server)], env=self._env(), cwd=self.base_dir,
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches every part
            )  # fmt: skip
        process = self._process

        def booted() -> bool:
            if process.poll() is not None:
                raise RabbitNodeError(
                    f"{self.name} exited with {process.returncode} while starting:\n"
                    f"{self._log_tail()}"
                )
            return self.answers()

        try:
            _wait(booted, self.start_timeout, f"{self.name} answering AMQP on {self.node_port}")
        except RabbitNodeError as error:
            self._terminate()
            raise RabbitNodeError(f"{error}\n{self._log_tail()}") from None
        self._pid = self._read_pid()
        return self

    def restart(self) -> Self:
        """Start the node again after ``kill()``: same name, ports and data directory, so
        durable quorum queues and their persisted messages are back."""
        if self.os_pid is not None:
            raise RabbitNodeError(f"{self.name} still runs (pid {self.os_pid}); kill() it first")
        self._reap()
        return self.start()

    def stop_app(self) -> None:
        """Stop the RabbitMQ application, leaving the Erlang VM up: every client connection
        is closed and the listener goes away, as in a broker restart."""
        self.ctl("stop_app")
        _wait(lambda: not self.answers(), 30, f"{self.name} refusing AMQP after stop_app")

    def start_app(self) -> None:
        """Start the application again after ``stop_app`` and wait until AMQP answers."""
        self.ctl("start_app")
        _wait(self.answers, self.start_timeout, f"{self.name} answering AMQP after start_app")

    def kill(self) -> None:
        """``kill -9`` of the Erlang VM, as a crash or an OOM kill does; nothing is flushed
        or closed cleanly. Returns once the VM is gone."""
        pid = self.os_pid
        if pid is None:
            raise RabbitNodeError(f"{self.name} is not running")
        os.kill(pid, signal.SIGKILL)
        _wait(lambda: not _alive(pid), 30, f"{self.name}'s VM (pid {pid}) exiting after kill -9")
        self._reap()
        self._pid = None

    def stop(self) -> None:
        """Stop the node (politely, else by force) and delete its directory unless
        ``keep_dir``; safe to call at any time, more than once."""
        try:
            if self.os_pid is not None:
                with contextlib.suppress(RabbitNodeError, subprocess.TimeoutExpired):
                    self.ctl("stop", timeout=30)
            self._terminate()
        finally:
            if self._own_dir and not self.keep_dir:
                shutil.rmtree(self.base_dir, ignore_errors=True)

    def ctl(self, *args: str, timeout: float = CTL_TIMEOUT) -> str:
        """``rabbitmqctl -n NODE ARGS``; its output, or ``RabbitNodeError`` with it."""
        done = subprocess.run(  # noqa: S603 - the installed RabbitMQ script
            [str(self.install.ctl), "-n", self.name, *args], env=self._env(),
            cwd=self.base_dir, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RabbitNodeError(
                f"rabbitmqctl -n {self.name} {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}"
            )
        return done.stdout

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:  # fmt: skip
        self.stop()

    # -- internals ----------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        base = self.base_dir
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))},
            # HOME holds the Erlang cookie: this node's own, shared with its rabbitmqctl.
            "HOME": str(base),
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.node_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.log_dir),
            "RABBITMQ_PID_FILE": str(base / "node.pid"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(base / "plugins-expand"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def _prepare_dir(self) -> None:
        base = self.base_dir
        base.mkdir(parents=True, exist_ok=True)
        (base / "rabbitmq-env.conf").write_text("")  # not the machine's /etc/rabbitmq one
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.node_port}\n"
            # a test box's disk may be fuller than the 50 MB default alarm allows for
            "disk_free_limit.absolute = 10MB\n"
            "log.file.level = info\n"
            "log.console = false\n"
        )
        # distribution on loopback only, like the AMQP listener
        (base / "advanced.config").write_text(
            "[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].\n"
        )
        cookie = base / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(uuid.uuid4().hex)
            cookie.chmod(0o400)

    def _read_pid(self) -> int:
        try:
            pid = int((self.base_dir / "node.pid").read_text().strip())
        except (OSError, ValueError):
            pid = 0
        if not _alive(pid):  # no pid file (yet): ask the node itself
            pid = int(self.ctl("eval", "list_to_integer(os:getpid()).").strip())
        return pid

    def _reap(self) -> None:
        process = self._process
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)

    def _terminate(self) -> None:
        """Kill what is left of the node's process group (the start script, the VM and its
        helpers), by the group id this node started."""
        process, self._process = self._process, None
        pid, self._pid = self._pid, None
        if pid is not None and _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)

    def _log_tail(self, lines: int = 30) -> str:
        parts = []
        for path in (self.log_dir / "console.log", self.log_file):
            with contextlib.suppress(OSError):
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path} ---\n" + "\n".join(tail))
        return "\n".join(parts) or "(no log written)"
