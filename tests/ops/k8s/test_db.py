"""``db check`` and ``db perf`` against real PostgreSQL 15 and 18 servers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ops import pg
from tests.ops.k8s.conftest import run_cli, run_text, use_pg_env
from tests.servers.kube_api import KubeApi
from tests.servers.local_http import free_port
from tests.servers.postgres import ADMIN_PASSWORD, ADMIN_USER
from tests.support.outputs import write_outputs


def test_check_reports_select_1_version_and_tls(
    pg15: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_pg_env(monkeypatch, pg15)
    code, doc, err = run_cli(capsys, "db", "check", "--require-tls")
    assert code == 0, err
    result = doc["result"]
    assert result["select_1"] == 1
    assert result["server_version"].startswith("15.")
    assert result["tls"] is True and result["tls_version"].startswith("TLSv1.")


def test_check_without_tls_fails_when_tls_is_required(
    pg18: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_pg_env(monkeypatch, pg18)
    code, out, _ = run_text(capsys, "db", "check", "--require-tls")
    assert code == 1
    assert "Server version: PostgreSQL 18." in out
    assert "FAIL: the session is not encrypted" in out


def test_check_reads_the_master_user_secret(
    pg15: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3

    secret = boto3.client("secretsmanager").create_secret(
        Name="rds!db-commsec",
        SecretString=json.dumps({"username": ADMIN_USER, "password": ADMIN_PASSWORD}),
    )
    outputs = write_outputs(
        tmp_path / "o.json",
        dbEndpoint="127.0.0.1",
        dbPort=pg15.port,
        dbMasterUserSecretArn=secret["ARN"],
    )
    code, doc, err = run_cli(capsys, "db", "check", "--outputs", str(outputs))
    assert code == 0, err
    assert "stack outputs and master-user secret" in doc["result"]["target"]
    assert doc["result"]["tls"] is True  # sslmode=require by default


def test_a_refused_password_names_the_secret(
    pg15: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_pg_env(monkeypatch, pg15, password="wrong")
    code, _, err = run_text(capsys, "db", "check")
    assert code == 1
    assert err.startswith(f"Error: the database at {ADMIN_USER}@127.0.0.1:")
    assert "refused the password" in err and "secret may have rotated" in err
    assert "wrong" not in err


def test_an_unreachable_database_is_retryable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PGHOST", "127.0.0.1")
    monkeypatch.setenv("PGPORT", str(free_port()))
    monkeypatch.setenv("PGPASSWORD", "x")
    code, _, err = run_text(capsys, "db", "check")
    assert code == 1
    assert "cannot reach the database" in err and len(err.strip().splitlines()) == 1


def test_no_database_given_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_text(capsys, "db", "check")
    assert code == 2
    assert "no database given" in err


def test_perf_ranks_statements_on_both_versions(
    postgres: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_pg_env(monkeypatch, postgres)
    # Wide enough that set-up statements slowed by a busy machine cannot push the
    # workload's own queries out of the ranking.
    code, doc, err = run_cli(capsys, "db", "perf", "--no-pool", "--top", "200")
    assert code == 0, err
    statements = doc["result"]["statements"]
    assert statements["available"] is True
    assert statements["time_column"] == "total_exec_time"
    assert 5 <= len(statements["statements"]) <= 200
    totals = [s["total_ms"] for s in statements["statements"]]
    assert totals == sorted(totals, reverse=True)
    assert any("FROM orders o WHERE o.account_id" in s["query"] for s in statements["statements"])
    tables = [t["table"] for t in doc["result"]["tables"]]
    assert tables[0] == "public.orders"
    assert set(tables) == {
        "public.orders",
        "public.trades",
        "public.accounts",
        "public.instruments",
    }
    assert doc["result"]["connections"].get("active", 0) >= 1


def _database(server: Any, name: str, extension_sql: str | None) -> None:
    with psycopg.connect(server.conninfo(dbname="postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    if extension_sql:
        with psycopg.connect(server.conninfo(dbname=name), autocommit=True) as conn:
            conn.execute(extension_sql)
            conn.execute("SELECT count(*) FROM pg_class")


def test_perf_without_the_extension_gives_a_hint(
    pg15: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _database(pg15, "noext", None)
    use_pg_env(monkeypatch, pg15)
    monkeypatch.setenv("PGDATABASE", "noext")
    code, doc, _ = run_cli(capsys, "db", "perf", "--no-pool")
    assert code == 0
    assert doc["result"]["statements"]["available"] is False
    assert "CREATE EXTENSION pg_stat_statements" in doc["result"]["statements"]["hint"]


def test_perf_reads_the_pre_13_column_names_of_an_old_extension(
    postgres: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Version 1.4 of the extension (PostgreSQL 9.6/10 era) still names the column total_time.
    _database(postgres, "legacy", "CREATE EXTENSION pg_stat_statements VERSION '1.4'")
    use_pg_env(monkeypatch, postgres)
    monkeypatch.setenv("PGDATABASE", "legacy")
    code, doc, err = run_cli(capsys, "db", "perf", "--no-pool")
    assert code == 0, err
    statements = doc["result"]["statements"]
    assert statements["extension_version"] == "1.4"
    assert statements["time_column"] == "total_time"
    assert statements["statements"], "the legacy view must still rank statements"
    assert "ALTER EXTENSION pg_stat_statements UPDATE" in doc["warnings"][0]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (
            ["query", "calls", "total_exec_time", "mean_exec_time"],
            ("total_exec_time", "mean_exec_time"),
        ),
        (["query", "calls", "total_time", "mean_time"], ("total_time", "mean_time")),
        (["query", "calls", "total_time"], ("total_time", None)),
        (["query", "calls"], None),
    ],
)
def test_statement_columns_are_detected(names: list[str], expected: Any) -> None:
    assert pg.statement_columns(names) == expected


def test_perf_reports_the_trading_service_pool_through_the_service_proxy(
    pg15: Any, kube: KubeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    values = {"active": 7, "idle": 13, "pending": 2, "max": 20, "timeout": 0}
    for key, value in values.items():
        kube.service_proxy[
            ("commsec", "trading-service:8080", f"actuator/metrics/hikaricp.connections.{key}")
        ] = {
            "name": f"hikaricp.connections.{key}",
            "measurements": [
                {"statistic": "VALUE" if key != "timeout" else "COUNT", "value": float(value)}
            ],
        }
    use_pg_env(monkeypatch, pg15)
    code, doc, _ = run_cli(capsys, "db", "perf")
    assert code == 0
    assert doc["result"]["pool"] == {
        "available": True,
        "active": 7.0,
        "idle": 13.0,
        "pending": 2.0,
        "max": 20.0,
        "timeouts": 0.0,
    }
    kube.service_proxy.clear()
    _, doc, _ = run_cli(capsys, "db", "perf")
    assert doc["result"]["pool"]["available"] is False
    assert "503" in doc["result"]["pool"]["reason"]


@pytest.mark.parametrize("top", ["99999999999999999999", "1001", "0", "-5"])
def test_perf_top_is_bounded_while_parsing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], top: str
) -> None:
    # No database at all: the value must be refused before anything connects.
    code, out, err = run_text(capsys, "db", "perf", "--no-pool", f"--top={top}")
    assert (code, out) == (2, "")
    assert err.strip() == (
        f"Error: --top {top} must be between 1 and 1000 statements (pass 1..1000)"
    )


def test_an_unknown_sslmode_is_an_input_error_naming_the_modes(
    pg15: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_pg_env(monkeypatch, pg15, sslmode="bogus")
    code, out, err = run_text(capsys, "db", "check")
    assert (code, out) == (2, "")
    assert err.startswith(
        "Error: PGSSLMODE='bogus' is not a libpq sslmode "
        "(one of disable, allow, prefer, require, verify-ca, verify-full)"
    )
    assert "TLS" not in err and len(err.strip().splitlines()) == 1


def test_a_database_command_aimed_off_this_machine_fails_the_test(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The default test outputs name an RDS endpoint; with no PGHOST the guard must stop the
    # connection before libpq resolves that name.
    import boto3

    secret = boto3.client("secretsmanager").create_secret(
        Name="rds!db-commsec",
        SecretString=json.dumps({"username": ADMIN_USER, "password": ADMIN_PASSWORD}),
    )
    outputs = write_outputs(tmp_path / "o.json", dbMasterUserSecretArn=secret["ARN"])
    with pytest.raises(pytest.fail.Exception, match=r"rds\.amazonaws\.com"):
        run_text(capsys, "db", "check", "--outputs", str(outputs))
    with pytest.raises(pytest.fail.Exception, match="point it at a local server"):
        psycopg.connect(host="db.example.invalid", connect_timeout=1)
