"""PostgreSQL access and the database checks: plain functions over a psycopg connection.

Where to connect: the standard libpq variables when ``PGHOST`` is set (an operator's tunnel,
a local server), otherwise the stack's endpoint with the RDS-managed master-user secret from
Secrets Manager. Errors become :mod:`ops.errors` errors whose message names the fix.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ops.errors import EscalateError, InputError, RetryableError, aws_errors, truncate

if TYPE_CHECKING:
    import psycopg

    from ops.context import Context

_CONNECT_TIMEOUT_S = 5
# RDS rejects unencrypted connections only when rds.force_ssl is set; ask for TLS anyway.
_DEFAULT_SSLMODE = "require"
# libpq's sslmode values; libpq itself rejects any other, with a message that reads like a
# TLS failure, so the value is checked before connecting.
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def _sslmode() -> str:
    mode = os.environ.get("PGSSLMODE") or _DEFAULT_SSLMODE
    if mode not in SSLMODES:
        raise InputError(
            f"PGSSLMODE={mode!r} is not a libpq sslmode (one of {', '.join(SSLMODES)})",
            hint="set PGSSLMODE=require (the default), verify-full, or unset it",
        )
    return mode


@dataclass(frozen=True)
class DbTarget:
    """Where and as whom to connect; ``password`` never appears in ``describe()``."""

    host: str
    port: int
    dbname: str
    user: str
    password: str | None
    sslmode: str
    source: str

    def describe(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.dbname} ({self.source})"


def master_secret(secretsmanager: Any, secret_arn: str) -> dict[str, str]:
    """The RDS-managed master-user secret: ``{"username": ..., "password": ...}``."""
    with aws_errors(f"reading the master-user secret {secret_arn}"):
        value = secretsmanager.get_secret_value(SecretId=secret_arn)
    try:
        document = json.loads(value.get("SecretString") or "")
        return {"username": str(document["username"]), "password": str(document["password"])}
    except (ValueError, KeyError, TypeError):
        raise EscalateError(
            f"the secret {secret_arn} is not an RDS master-user secret "
            "(a JSON object with username and password)",
            hint="check the stack output dbMasterUserSecretArn",
        ) from None


def resolve_db(ctx: Context) -> DbTarget:
    """``PG*`` variables when ``PGHOST`` is set, else the stack's endpoint and secret."""
    env = os.environ
    sslmode = _sslmode()
    if env.get("PGHOST"):
        port_text = env.get("PGPORT", "5432")
        if not port_text.isdigit():
            raise InputError(f"PGPORT={port_text!r} must be a port number")
        return DbTarget(
            host=env["PGHOST"],
            port=int(port_text),
            dbname=env.get("PGDATABASE") or _stack_db_name(ctx) or "commsec",
            user=env.get("PGUSER") or "commsec_admin",
            password=env.get("PGPASSWORD"),  # None lets libpq read ~/.pgpass
            sslmode=sslmode,
            source="PG* environment",
        )
    if not (ctx.stack or ctx.outputs_file):
        raise InputError(
            "no database given",
            hint="pass --stack/--outputs (endpoint and master-user secret) or set PGHOST",
        )
    outputs = ctx.outputs()
    secret = master_secret(ctx.aws("secretsmanager"), outputs.db_master_user_secret_arn)
    return DbTarget(
        host=outputs.db_endpoint,
        port=outputs.db_port,
        dbname=outputs.db_name,
        user=secret["username"],
        password=secret["password"],
        sslmode=sslmode,
        source="stack outputs and master-user secret",
    )


def _stack_db_name(ctx: Context) -> str | None:
    return ctx.outputs().db_name if (ctx.stack or ctx.outputs_file) else None


def connect(target: DbTarget) -> psycopg.Connection[Any]:
    import psycopg

    try:
        return psycopg.connect(
            host=target.host,
            port=target.port,
            dbname=target.dbname,
            user=target.user,
            password=target.password,
            sslmode=target.sslmode,
            connect_timeout=_CONNECT_TIMEOUT_S,
            application_name="commsec",
            autocommit=True,
        )
    except psycopg.OperationalError as exc:
        raise connection_error(exc, target) from exc


def connection_error(exc: Exception, target: DbTarget) -> Exception:
    """A failed connection, sorted by what the operator can do about it."""
    text = str(exc)
    where = target.describe()
    if "password authentication failed" in text or "no password supplied" in text:
        return EscalateError(
            f"the database at {where} refused the password for {target.user}",
            hint="the master-user secret may have rotated: re-read it, or check PGPASSWORD",
        )
    if "does not exist" in text:
        return InputError(f"connecting to {where}: {truncate(text, 160)}")
    if "SSL" in text or "ssl" in text:
        return EscalateError(
            f"TLS negotiation with {where} failed ({truncate(text, 160)})",
            hint="check PGSSLMODE and the server's certificate",
        )
    return RetryableError(
        f"cannot reach the database at {where} ({truncate(text, 160)})",
        hint="check the network path (VPN, security group) and that the instance is available",
    )


def check(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """``SELECT 1``, the server version and whether this session uses TLS."""
    one = conn.execute("SELECT 1").fetchone()
    version = conn.execute("SHOW server_version").fetchone()
    tls = conn.execute(
        "SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
    ).fetchone()
    return {
        "select_1": one[0] if one else None,
        "server_version": version[0] if version else None,
        "server_version_num": int(conn.info.server_version),
        "tls": bool(tls and tls[0]),
        "tls_version": tls[1] if tls else None,
        "tls_cipher": tls[2] if tls else None,
    }


# --- performance ---------------------------------------------------------------------------

# pg_stat_statements renamed its timing columns in 1.8 (PostgreSQL 13): total_time became
# total_exec_time (planning time got its own column). Read what the view has, never guess.
_TOTAL_COLUMNS = ("total_exec_time", "total_time")
_MEAN_COLUMNS = ("mean_exec_time", "mean_time")


def statement_columns(names: list[str]) -> tuple[str, str | None] | None:
    """The (total, mean) time columns among ``names``, or ``None`` if none is known."""
    total = next((c for c in _TOTAL_COLUMNS if c in names), None)
    mean = next((c for c in _MEAN_COLUMNS if c in names), None)
    return (total, mean) if total else None


def top_statements(conn: psycopg.Connection[Any], limit: int = 10) -> dict[str, Any]:
    """The statements with the most total execution time, whatever the extension version."""
    import psycopg
    from psycopg import sql

    row = conn.execute(
        "SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements'"
    ).fetchone()
    if row is None:
        return {
            "available": False,
            "hint": "pg_stat_statements is not installed in this database: run "
            "'CREATE EXTENSION pg_stat_statements' (it must also be in "
            "shared_preload_libraries, the RDS parameter group)",
        }
    version = row[0]
    try:
        cursor = conn.execute("SELECT * FROM pg_stat_statements LIMIT 0")
    except psycopg.errors.ObjectNotInPrerequisiteState:
        return {
            "available": False,
            "extension_version": version,
            "hint": "pg_stat_statements is installed but not loaded: add it to "
            "shared_preload_libraries (RDS parameter group) and reboot",
        }
    names = [column.name for column in cursor.description or []]
    columns = statement_columns(names)
    if columns is None:
        return {
            "available": False,
            "extension_version": version,
            "hint": f"pg_stat_statements {version} has no known timing column: run "
            "'ALTER EXTENSION pg_stat_statements UPDATE'",
        }
    total, mean = columns
    mean_expr = sql.Identifier(mean) if mean else sql.SQL("NULL")
    query = sql.SQL(
        "SELECT queryid, calls, {total} AS total_ms, {mean} AS mean_ms, rows, query "
        "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
        "WHERE datname = current_database()) ORDER BY {total} DESC LIMIT {limit}"
    ).format(total=sql.Identifier(total), mean=mean_expr, limit=sql.Literal(limit))
    statements = [
        {
            "queryid": r[0],
            "calls": r[1],
            "total_ms": round(float(r[2]), 3),
            "mean_ms": round(float(r[3]), 3) if r[3] is not None else None,
            "rows": r[4],
            "query": truncate(r[5], 200),
        }
        for r in conn.execute(query).fetchall()
    ]
    hint = None
    if total == "total_time":
        hint = (
            f"pg_stat_statements {version} predates PostgreSQL 13's column names: "
            "'ALTER EXTENSION pg_stat_statements UPDATE' separates planning from execution time"
        )
    return {
        "available": True,
        "extension_version": version,
        "time_column": total,
        "statements": statements,
        "hint": hint,
    }


def connections_by_state(conn: psycopg.Connection[Any]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT coalesce(state, 'background'), count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return {str(state): int(count) for state, count in rows}


def table_sizes(conn: psycopg.Connection[Any], limit: int = 10) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT schemaname, relname, pg_total_relation_size(relid), n_live_tup "
        "FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT %s",
        (limit,),
    ).fetchall()
    return [
        {"table": f"{schema}.{name}", "bytes": int(size), "live_rows": int(live)}
        for schema, name, size, live in rows
    ]


def connection_limit(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SHOW max_connections").fetchone()
    return int(row[0]) if row else 0
