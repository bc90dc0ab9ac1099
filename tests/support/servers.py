"""Start and stop the real test servers (redis-server, Cosmos DB emulation) on free loopback ports, by PID."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
COSMOS_DIR = Path(__file__).resolve().parent / "cosmos"
COSMOS_LAUNCHER = COSMOS_DIR / "launcher.js"
# The well-known Cosmos emulator key; the emulation accepts any key, the SDK needs base64.
COSMOS_KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
INSTALL_HINT = "run scripts/install_test_servers.sh"


@dataclass
class RunningServer:
    name: str
    pid: int
    port: int
    url: str
    workdir: Path
    extra: dict[str, str] = field(default_factory=dict)


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def serve_on_loopback(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on a free 127.0.0.1 port from the running loop: (runner to clean up, base URL)."""
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def stop_pid(pid: int, timeout: float = 5.0) -> None:
    """SIGTERM the process with this id, SIGKILL it if it does not leave in time."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


def cosmos_available() -> bool:
    return (
        shutil.which("node") is not None
        and (COSMOS_DIR / "node_modules" / "@vercel" / "cosmosdb-server").is_dir()
    )


def start_redis(workdir: Path | None = None) -> RunningServer:
    """A throw-away redis-server: loopback only, no persistence, daemonised, known by its pid file."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="redis-"))
    port = free_port()
    pidfile = workdir / f"redis-{port}.pid"
    subprocess.run(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--pidfile",
            str(pidfile),
            "--dir",
            str(workdir),
            "--logfile",
            str(workdir / f"redis-{port}.log"),
        ],
        check=True,
        capture_output=True,
        timeout=10,
    )
    wait_for_port(port)
    deadline = time.monotonic() + 5
    while not pidfile.exists() or not pidfile.read_text().strip():
        if time.monotonic() > deadline:
            raise TimeoutError("redis-server wrote no pid file")
        time.sleep(0.01)
    pid = int(pidfile.read_text().strip())
    return RunningServer("redis", pid, port, f"redis://127.0.0.1:{port}/0", workdir)


def start_cosmos(workdir: Path | None = None, ssl: bool = False) -> RunningServer:
    """The Cosmos DB SQL-API emulation (in memory; plain HTTP unless ``ssl``, whose self-signed
    certificate azure-cosmos accepts on 127.0.0.1) through the patched launcher."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="cosmos-"))
    port = free_port()
    log = open(workdir / f"cosmos-{port}.log", "wb")
    proc = subprocess.Popen(
        [
            "node",
            str(COSMOS_LAUNCHER),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            *(["--ssl"] if ssl else []),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=COSMOS_DIR,
        start_new_session=True,
    )
    log.close()
    try:
        wait_for_port(port, timeout=15)
    except TimeoutError:
        stop_pid(proc.pid)
        raise
    scheme = "https" if ssl else "http"
    return RunningServer(
        "cosmos", proc.pid, port, f"{scheme}://127.0.0.1:{port}/", workdir, {"key": COSMOS_KEY}
    )


def stop_server(server: RunningServer) -> None:
    stop_pid(server.pid)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real redis-server for the whole session (skipped when not installed: {INSTALL_HINT})."""
    if not redis_available():
        pytest.skip(f"redis-server not installed: {INSTALL_HINT}")
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def cosmos_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The Cosmos DB emulation for the whole session (skipped when not installed)."""
    if not cosmos_available():
        pytest.skip(f"Cosmos DB emulation not installed: {INSTALL_HINT}")
    server = start_cosmos(tmp_path_factory.mktemp("cosmos"))
    yield server
    stop_server(server)
