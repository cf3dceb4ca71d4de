"""The `nudgecluster` command: `demo` opens the quick-start notebook, `reproduce` prints the table."""

from __future__ import annotations

import functools
import json

import pytest

from nudgecluster import DEC, cli, reproduce


def test_demo_copies_the_quickstart_and_starts_jupyterlab_on_loopback(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda command: calls.append(command) or 0)
    assert cli.main(["demo", "--dir", str(tmp_path), "--no-browser", "--port", "9999"]) == 0
    notebook = tmp_path / cli.QUICKSTART
    assert json.loads(notebook.read_text())["cells"], "the copied notebook has cells"
    (command,) = calls
    assert command[1:3] == ["-m", "jupyter"] and "lab" in command
    assert "--ServerApp.ip=127.0.0.1" in command and "--ServerApp.port=9999" in command
    assert cli.QUICKSTART in command


def test_demo_keeps_an_edited_copy_unless_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(cli.subprocess, "call", lambda command: 0)
    notebook = tmp_path / cli.QUICKSTART
    notebook.write_text("my edits")
    cli.main(["demo", "--dir", str(tmp_path), "--no-browser"])
    assert notebook.read_text() == "my edits"
    cli.main(["demo", "--dir", str(tmp_path), "--no-browser", "--overwrite"])
    assert notebook.read_text() != "my edits"


def test_reproduce_prints_one_row_per_experiment(capsys, monkeypatch):
    # The real experiments, on models trained for a few epochs so the test stays quick.
    monkeypatch.setattr(reproduce, "DEC", functools.partial(DEC, pretrain_epochs=5, epochs=5))
    assert cli.main(["reproduce", "--seeds", "1", "--modes", "robust", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "robust" in line]
    assert [r.split("|")[1].strip() for r in rows] == [
        "X1 into C1", "X2 out of C1", "swap X1/X2", "x10 noise, 2 corrections",
        "Iris x4, 2 points"]


def test_an_unknown_command_is_refused():
    with pytest.raises(SystemExit):
        cli.main(["fly"])
