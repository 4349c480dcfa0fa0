"""The console script runs main and exits with its code, the collector frozen (not in a test process)."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from reunite import cli


def test_run_exits_with_the_code_of_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["reunite", "screen", "--cases"])
    try:
        with pytest.raises(SystemExit) as exited:
            cli.run()
    finally:
        gc.unfreeze()
    assert exited.value.code == cli.USER_ERROR
    assert "reunite screen: error:" in capsys.readouterr().err


def test_the_installed_entry_point_is_run() -> None:
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "reunite"]
    assert script.value == "reunite.cli:run"
    done = subprocess.run([sys.executable, "-m", "reunite.cli", "--version"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0 and done.stdout.startswith("reunite ")
