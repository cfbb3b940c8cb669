"""Commands that need the stack's outputs say so in one line, exit 2, before any call."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ops.k8s.conftest import run_text


@pytest.mark.parametrize(
    "argv",
    [
        ["premarket"],
        ["incident", "sev1"],
        ["backup", "k8s"],
        ["backup", "k8s-restore", "--from", "20261204T061500Z", "--yes"],
    ],
)
def test_commands_without_outputs_name_the_fix(
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing may be written, not even a bundle folder
    code, out, err = run_text(capsys, *argv)
    assert code == 2
    assert out == ""
    assert list(tmp_path.iterdir()) == []
    assert err.strip() == (
        "Error: this command needs the stack's outputs "
        "(pass --stack NAME (with the Pulumi CLI) or --outputs FILE)"
    )


def test_an_unwritable_bundle_folder_is_an_input_error(
    capsys: pytest.CaptureFixture[str], outputs_file: object
) -> None:
    code, _, err = run_text(
        capsys, "incident", "sev1", "--outputs", str(outputs_file), "--out", "/proc/commsec-x"
    )
    assert code == 2
    assert "--out /proc/commsec-x: cannot create the folder" in err
