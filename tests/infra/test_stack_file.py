"""Reading a stack file: scalars keep their text, and a broken file is one ``Error:`` line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra import settings as infra_settings
from ops import cli
from ops.plan import engine
from tests.infra.conftest import stack_file


def _edited(tmp_path: Path, old: str, new: str, base: str = "prod") -> Path:
    """A copy of stack ``base`` with one line of its text replaced, written as an operator
    would type it (the YAML dumper would quote what the tests need unquoted)."""
    text = stack_file(base).read_text()
    assert text.count(old) == 1, old
    path = tmp_path / f"Pulumi.{base}-edited.yaml"
    path.write_text(text.replace(old, new))
    return path


def _written(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "Pulumi.typed.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _config_of(tmp_path: Path, text: str) -> dict[str, str]:
    config, _ = engine.load_stack_config(_written(tmp_path, text))
    return config


def _settings(path: Path) -> infra_settings.Settings:
    config, _ = engine.load_stack_config(path)
    prefix = f"{engine.PROJECT}:"
    return infra_settings.load(lambda key: config.get(prefix + key), config.get("aws:region"))


def _plan_error(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = cli.main(["plan", "prod", "--stack-file", str(path), "--no-checkov"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("Error: "), err
    assert "internal error" not in err[0] and "Traceback" not in err[0], err
    assert str(path) in err[0], err
    return err[0]


@pytest.mark.parametrize(
    ("old", "new", "attribute", "expected"),
    [
        (
            'commsec-platform:dbEngineVersion: "16.6"',
            "commsec-platform:dbEngineVersion: 16.10",
            "db_engine_version",
            "16.10",
        ),
        (
            'commsec-platform:kubernetesVersion: "1.32"',
            "commsec-platform:kubernetesVersion: 1.30",
            "kubernetes_version",
            "1.30",
        ),
    ],
    ids=["dbEngineVersion", "kubernetesVersion"],
)
def test_unquoted_version_keeps_the_text_written(
    tmp_path: Path, old: str, new: str, attribute: str, expected: str
) -> None:
    path = _edited(tmp_path, old, new)
    assert getattr(_settings(path), attribute) == expected


def test_unquoted_version_reaches_the_planned_database(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        'commsec-platform:dbEngineVersion: "16.6"',
        "commsec-platform:dbEngineVersion: 16.10",
    )
    (database,) = engine.run("prod", path).of_type("aws:rds/instance:Instance")
    assert database.inputs["engineVersion"] == "16.10"


def test_scalars_keep_their_text_inside_structured_values(tmp_path: Path) -> None:
    config = _config_of(
        tmp_path,
        "config:\n"
        "  commsec-platform:note: {a: 0.5, b: 10, c: true, d: 0500, e: 2026-01-01, f: no}\n"
        "  commsec-platform:count: 0500\n"
        "  commsec-platform:empty:\n",
    )
    assert json.loads(config["commsec-platform:note"]) == {
        "a": "0.5",
        "b": 10,
        "c": True,
        "d": "0500",
        "e": "2026-01-01",
        "f": "no",
    }
    # Pulumi reads 0500 as the text it is (500), never as YAML 1.1's octal 320.
    assert config["commsec-platform:count"] == "0500"
    assert config["commsec-platform:empty"] == ""


@pytest.mark.parametrize(
    ("old", "new", "key", "lines"),
    [
        (
            "  commsec-platform:environment: prod\n",
            "  commsec-platform:environment: prod\n  aws:region: eu-west-1\n",
            "'aws:region'",
            "(line 3 and line 5)",
        ),
        (
            "    minSize: 3\n    maxSize: 10\n    desiredSize: 6\n  commsec-platform:appNodeGroup:",
            "    minSize: 3\n    maxSize: 10\n    maxSize: 40\n    desiredSize: 6\n"
            "  commsec-platform:appNodeGroup:",
            "'maxSize'",
            "(line 30 and line 31)",
        ),
    ],
    ids=["top level", "nested"],
)
def test_duplicate_key_is_refused_with_both_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, key: str, lines: str
) -> None:
    error = _plan_error(_edited(tmp_path, old, new), capsys)
    assert f"key {key} appears twice {lines}" in error, error
    assert "delete one of them" in error


def test_merge_key_override_is_not_a_duplicate(tmp_path: Path) -> None:
    config = _config_of(
        tmp_path,
        "base: &base {instanceType: m6i.large, minSize: 3}\n"
        "config:\n"
        "  commsec-platform:webNodeGroup:\n"
        "    <<: *base\n"
        "    minSize: 4\n",
    )
    assert json.loads(config["commsec-platform:webNodeGroup"]) == {
        "instanceType": "m6i.large",
        "minSize": 4,
    }


def test_binary_stack_file_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    error = _plan_error(_written(tmp_path, b"config:\n  x: \xff\xfe\x00\x01\n"), capsys)
    assert "is not UTF-8 text (byte 0xff at offset 13)" in error, error


def test_self_referencing_anchor_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    error = _plan_error(_written(tmp_path, "config: &a {x: *a}\n"), capsys)
    assert "refers to itself through an alias (a circular reference)" in error, error


def test_alias_expansion_bomb_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    for name, previous in zip("bcdef", "abcde", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    lines.append("config: {commsec-platform:x: *f}")
    error = _plan_error(_written(tmp_path, "\n".join(lines) + "\n"), capsys)
    assert f"more than {engine.MAX_EXPANDED_NODES} values through aliases" in error, error


def test_deeply_nested_stack_file_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "config: {x: " + "[" * 5000 + "]" * 5000 + "}\n"
    error = _plan_error(_written(tmp_path, text), capsys)
    assert "nests its values too deeply" in error, error


@pytest.mark.parametrize(
    "value", ["!!binary aGVsbG8=", "!!set {a, b}", "{when: !!timestamp 2026-01-01}"]
)
def test_explicitly_tagged_value_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    error = _plan_error(_written(tmp_path, f"config:\n  commsec-platform:owner: {value}\n"), capsys)
    assert "commsec-platform:owner holds a value Pulumi configuration cannot carry" in error, error
