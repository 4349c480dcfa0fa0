"""Database commands of the ``reunite`` command line (rescreen, dna, plan)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_store_commands", "run_store_command"]


def add_store_commands(commands: Any) -> None:
    """Register the database subcommands (being written: rescreen, dna, plan)."""


def run_store_command(args: argparse.Namespace) -> int:
    raise SystemExit(f"reunite: unknown command {args.command!r}")
