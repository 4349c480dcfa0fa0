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


def test_every_option_of_every_command_says_what_it_is() -> None:
    """`reunite evaluate --help` listed --truth and --ranked with no word of what they take (as did demo,
    generate, train's --cases, every --seed, dna record --note and dna import --file)."""
    import argparse

    def parsers(parser: argparse.ArgumentParser, name: str) -> list[tuple[str, argparse.ArgumentParser]]:
        found = [(name, parser)]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, child in action.choices.items():
                    found += parsers(child, f"{name} {sub}")
        return found

    silent = [f"{name} {'/'.join(action.option_strings)}" for name, parser in parsers(cli._parser(), "reunite")
              for action in parser._actions
              if action.option_strings and not action.help and not isinstance(action, argparse._VersionAction)]
    assert silent == []
