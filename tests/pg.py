"""A throwaway PostgreSQL server for the team-store tests: one cluster a session, a new database a test.

The cluster is made with the Debian package's own initdb and pg_ctl (/usr/lib/postgresql/*/bin) in a
fresh folder under /tmp, listens on 127.0.0.1 at a free port (and on a socket in that folder) with trust
authentication, and is stopped and removed at the end. initdb and postgres refuse to run as root, as the
tests do here and in CI: then they run as the `postgres` user the package creates, owning the folder.
Without the binaries the tests are skipped and say how to get them — except under CI=true, where that is
a failure: CI must test the team store (`.ci/run` installs the package).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

NO_SERVER = "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) — apt-get install postgresql"


@dataclass(frozen=True)
class Server:
    port: int
    folder: Path

    def url(self, database: str = "postgres", password: str = "") -> str:
        user = f"postgres:{password}" if password else "postgres"
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(statement)  # type: ignore[arg-type]

    def new_database(self) -> str:
        """The URL of a new, empty database."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self.sql(f"CREATE DATABASE {name}")
        return self.url(name)


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(folder: Path) -> list[str]:
    """The command prefix that runs the server's tools as someone they accept: root is refused."""
    if os.geteuid() != 0:
        return []
    owner = pwd.getpwnam("postgres")  # created by the Debian package
    os.chown(folder, owner.pw_uid, owner.pw_gid)
    return ["runuser", "-u", "postgres", "--"]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    binaries = _binaries()
    if binaries is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{NO_SERVER} (CI must run the team-store tests)")
        pytest.skip(NO_SERVER)
    folder = Path(tempfile.mkdtemp(prefix="commitments-pg-"))
    as_user = _as_server_user(folder)
    data, log = folder / "data", folder / "server.log"
    port = _free_port()
    try:
        subprocess.run([*as_user, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, text=True, timeout=120)
        options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off")
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                        "-o", options, "start"], check=True, capture_output=True, text=True, timeout=120)
    except subprocess.CalledProcessError as error:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"the test PostgreSQL server did not start: {error.stderr or error.stdout}")
    try:
        yield Server(port, folder)
    finally:
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: Server) -> str:
    """A new, empty database of the session's server: each test its own store."""
    return pg_server.new_database()
