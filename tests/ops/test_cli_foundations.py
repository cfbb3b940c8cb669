"""The dispatcher, the outputs loader and the error mapping that every command shares."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from ops import cli
from ops.errors import EscalateError, InputError, RetryableError, from_aws
from ops.outputs import load_outputs_file, parse_outputs
from tests.support.outputs import sample_outputs, write_outputs


def test_unknown_command_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["frobnicate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["Error: unknown command 'frobnicate' (run 'commsec --help' for the list)"]


def test_unknown_subcommand_lists_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["shift", "sideways"]) == 2
    err = capsys.readouterr().err
    assert "start, status, cancel, assess" in err


def test_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for path in cli.COMMAND_TABLE:
        assert " ".join(path) in out


def test_outputs_file_round_trip(tmp_path: Path) -> None:
    outputs = load_outputs_file(str(write_outputs(tmp_path / "o.json")))
    assert outputs.az_id_for("us-east-1b") == "use1-az2"
    assert outputs.az_name_for("use1-az4") == "us-east-1c"
    assert outputs.db_port == 5432
    assert set(outputs.alb_arns("all")) == {"web", "app"}


def test_missing_output_is_named() -> None:
    document = sample_outputs()
    del document["appAlbArn"]
    with pytest.raises(InputError, match="lacks the output\\(s\\) appAlbArn"):
        parse_outputs(document, "stack prod")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("dbPort", "five", "output 'dbPort' of stack prod must be an integer"),
        ("availabilityZones", [], "must be a non-empty list of strings"),
        ("webAlbArn", "", "must be a non-empty string"),
        ("region", "mars-1", "not an AWS region name"),
    ],
)
def test_malformed_output_is_named(key: str, value: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_outputs(sample_outputs(**{key: value}), "stack prod")


def test_outputs_file_errors_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_outputs_file(str(tmp_path / "absent.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON \\(line 1"):
        load_outputs_file(str(bad))
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([1, 2]), encoding="utf-8")
    with pytest.raises(InputError, match="must be a JSON object"):
        load_outputs_file(str(listed))


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": "x" * 5000},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "StartZonalShift",
    )


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (_client_error("ThrottlingException", 400), RetryableError, "throttled"),
        (_client_error("AccessDeniedException", 403), EscalateError, "denied"),
        (_client_error("ResourceNotFoundException", 404), InputError, "not found"),
        (_client_error("ConflictException", 409), EscalateError, "conflicts"),
        (_client_error("InternalFailure", 500), RetryableError, "AWS side"),
        (
            EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
            RetryableError,
            "could not reach",
        ),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), RetryableError, "timed out"),
    ],
)
def test_aws_errors_map_to_what_the_operator_can_do(exc: Exception, kind: type, words: str) -> None:
    mapped = from_aws(exc, "starting the shift")
    assert type(mapped) is kind
    assert words in mapped.message
    assert len(mapped.render()) < 500  # service payloads are truncated


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("commsec 0.")


def test_redacted_kubeconfig_is_accepted() -> None:
    # Only the Kubernetes commands read it, and they fall back to EKS DescribeCluster.
    assert parse_outputs(sample_outputs(kubeconfig="[secret]"), "stack prod").kubeconfig


def test_binary_outputs_file_is_an_input_error(tmp_path: Path) -> None:
    binary = tmp_path / "o.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="is not UTF-8 text"):
        load_outputs_file(str(binary))


def test_bare_commsec_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "usage: commsec COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AWS_MAX_ATTEMPTS", "-3"),
        ("AWS_MAX_ATTEMPTS", "2.5"),
        ("COMMSEC_AWS_READ_TIMEOUT", "nan"),
        ("COMMSEC_AWS_CONNECT_TIMEOUT", "0"),
    ],
)
def test_bad_client_settings_are_input_errors(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    from ops.context import Context

    monkeypatch.setenv(name, value)
    with pytest.raises(InputError, match=name):
        Context(command="x", region="us-east-1").aws("sts")


@pytest.mark.parametrize("value", ["abc", "0", "-1", "inf"])
def test_bad_poll_interval_is_an_input_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from ops.progress import poll_interval

    monkeypatch.setenv("COMMSEC_POLL_INTERVAL", value)
    with pytest.raises(InputError, match="COMMSEC_POLL_INTERVAL"):
        poll_interval(10)


def test_unwritable_audit_log_is_refused_before_any_change(tmp_path: Path) -> None:
    from ops.context import Context

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot append to it") as info:
        Context(command="x", audit_log=blocker / "audit.jsonl").check_audit_log()
    assert "nothing was changed" in info.value.render()


def test_an_unreadable_answer_is_retryable_not_an_internal_error() -> None:
    from botocore.parsers import ResponseParserError

    from ops.errors import aws_errors

    with pytest.raises(RetryableError, match="could not be read"), aws_errors("listing"):
        raise ResponseParserError("<!doctype html>")


def test_a_lost_answer_says_the_change_may_have_happened() -> None:
    mapped = from_aws(ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), "StartZonalShift")
    assert "may have taken effect" in mapped.message
    assert "status command" in mapped.render()


def test_negative_value_without_equals_gets_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["shift", "start", "--az", "use1-az1", "--duration", "-1h"]) == 2
    assert "--option=VALUE" in capsys.readouterr().err


def test_bad_poll_interval_stops_a_mutating_command_before_it_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("COMMSEC_POLL_INTERVAL", "abc")
    outputs = write_outputs(tmp_path / "o.json")
    code = cli.main(
        [
            "scale",
            "nodegroup",
            "web-tier-nodes",
            "--desired",
            "5",
            "--yes",
            "--outputs",
            str(outputs),
        ]
    )
    assert code == 2
    assert "COMMSEC_POLL_INTERVAL" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["nan", "0", "-1", "601"])
def test_bad_kube_timeout_is_an_input_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from ops.kube import _timeout

    monkeypatch.setenv("COMMSEC_KUBE_TIMEOUT", value)
    with pytest.raises(InputError, match="COMMSEC_KUBE_TIMEOUT"):
        _timeout()


@pytest.mark.parametrize("value", ["451", "99999999999999999999", "-1", "many"])
def test_node_counts_are_bounded_at_parse_time(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    code = cli.main(
        [
            "scale",
            "nodegroup",
            "web-tier-nodes",
            "--desired",
            "5",
            "--max",
            value,
            "--outputs",
            "/nonexistent.json",
        ]
    )
    assert code == 2
    assert "argument --max" in capsys.readouterr().err


def test_tables_and_text_cannot_carry_terminal_escapes() -> None:
    from ops.report import printable, table

    assert printable("a\x1b[2J\u202ecba") == "a\\u001b[2J\\u202ecba"
    assert printable("two\nlines\x07", keep="\n") == "two\nlines\\u0007"
    assert "\x1b" not in table(["comment"], [["ok\x1b[31mRED"]])


def test_shift_comment_with_escape_sequences_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    outputs = write_outputs(tmp_path / "o.json")
    code = cli.main(
        [
            "shift",
            "start",
            "--az",
            "use1-az1",
            "--dry-run",
            "--outputs",
            str(outputs),
            "--comment",
            "a\x1b[2Jb",
        ]
    )
    assert code == 2
    assert "--comment contains control" in capsys.readouterr().err


def test_a_group_without_its_subcommand_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["shift"]) == 2
    assert "  shift start " in capsys.readouterr().err
    assert cli.main(["shift", "--help"]) == 0
