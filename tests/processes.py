"""Real separate processes (manage.py, gunicorn) for the tests that prove something holds
across processes and machines: the scheduler's claims, the shared cache, lockouts, sessions.

They cannot use pytest-django's test database (it lives inside this process's transactions),
so each test gets a database of its own: a copy of a migrated, seeded SQLite file, or, when
ICV_DATABASE_URL names a PostgreSQL server (CI's second run), a database on that server made
from a migrated template. Loaded by tests/conftest.py (`pytest_plugins`).
"""

import contextlib
import dataclasses
import os
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dj_database_url
import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass
class Server:
    url: str
    process: subprocess.Popen


def manage(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`manage.py ARGS` in a process of its own; fails the test, with its output, if it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def _postgres_server() -> dict | None:
    url = os.environ.get("ICV_DATABASE_URL", "")
    return dj_database_url.parse(url) if url.startswith(("postgres", "postgis")) else None


def _postgres_admin(server: dict):
    import psycopg

    return psycopg.connect(
        dbname="postgres",
        user=server["USER"],
        password=server["PASSWORD"] or None,
        host=server["HOST"] or None,
        port=server["PORT"] or None,
        autocommit=True,
    )


def _postgres_url(server: dict, name: str) -> str:
    auth = server["USER"] + (f":{server['PASSWORD']}" if server["PASSWORD"] else "")
    return f"postgres://{auth}@{server['HOST']}:{server['PORT'] or 5432}/{name}"


def base_env(data_dir: Path, database_url: str) -> dict:
    """Settings as a real deployment reads them, pointing at this test's database; the cache is
    left at its default (the database cache) unless a test says otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICV_")}
    env |= {
        "ICV_DEBUG": "true",  # no TLS redirects or secret keys needed on 127.0.0.1
        "ICV_DATA_DIR": str(data_dir),
        "ICV_DATABASE_URL": database_url,
        "ICV_EMAIL_URL": "console://",
        "ICV_AUDIT_CHECKPOINT": str(data_dir / "audit-checkpoint.json"),
        "ICV_TWO_FACTOR_REQUIRED": "false",
        "PYTHONUNBUFFERED": "1",
    }
    return env


@pytest.fixture(scope="session")
def process_database_template(tmp_path_factory):
    """A database migrated by `migrate` and seeded with the demo's people, made once."""
    data_dir = tmp_path_factory.mktemp("process-template")
    server = _postgres_server()
    if server is None:
        url = f"sqlite:///{data_dir / 'template.sqlite3'}"
    else:
        name = f"icv_processes_{uuid.uuid4().hex[:8]}"
        with _postgres_admin(server) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = _postgres_url(server, name)
    env = base_env(data_dir, url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo", "--without-history")
    yield url
    if server is not None:
        with _postgres_admin(server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def process_env(process_database_template, tmp_path):
    """The environment for this test's processes, on a fresh copy of the template database."""
    server = _postgres_server()
    if server is None:
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        source = process_database_template.removeprefix("sqlite:///")
        # SQLite's backup API copies what is in the write-ahead log too.
        with (
            contextlib.closing(sqlite3.connect(source)) as src,
            contextlib.closing(sqlite3.connect(tmp_path / "db.sqlite3")) as dst,
        ):
            src.backup(dst)
        yield base_env(tmp_path, url)
        return
    template = dj_database_url.parse(process_database_template)["NAME"]
    name = f"icv_process_{uuid.uuid4().hex[:8]}"
    _create_from_template(server, name, template)
    try:
        yield base_env(tmp_path, _postgres_url(server, name))
    finally:
        with _postgres_admin(server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _create_from_template(server: dict, name: str, template: str) -> None:
    import psycopg

    # PostgreSQL copies a template only while nobody is connected to it; a process of the test
    # before may still be closing its connection.
    for attempt in range(10):
        try:
            with _postgres_admin(server) as admin:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            return
        except psycopg.errors.ObjectInUse:
            if attempt == 9:
                raise
            time.sleep(0.5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict, log: Path) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [
            Path(sys.executable).parent / "gunicorn",
            "icv.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    return Server(f"http://127.0.0.1:{port}", process)


def wait_until_serving(server: Server, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log.read_text()}")
        # Not up yet, or slow to answer its first request on a busy machine: ask again.
        with contextlib.suppress(requests.ConnectionError, requests.Timeout):
            if requests.get(server.url + "/healthz", timeout=5).status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer in {timeout} s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
