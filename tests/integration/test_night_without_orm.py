"""A nightly ``reunite rescreen`` runs on SQLAlchemy Core: its process never imports the ORM (the ORM and
the store's declarative models were 0.23-0.27 s of a night's start-up, 4-6% of a night)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from reunite.cli import main

NIGHT = """
import sys
from reunite.cli import main
code = main(sys.argv[1:])
print("orm" if "sqlalchemy.orm" in sys.modules else "core", code)
"""


def test_a_night_s_process_does_not_import_the_orm(data: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert main(["rescreen", "--db", db, "--cases", str(data / "cases.csv"),
                 "--candidates", str(data / "candidates.csv"), "--top-k", "5"]) == 0
    people = pd.read_csv(data / "candidates.csv", dtype=str, keep_default_na=False)
    delta = tmp_path / "delta.csv"
    people.head(5).assign(person_id=[f"N{i}" for i in range(5)]).to_csv(delta, index=False)
    night = subprocess.run([sys.executable, "-c", NIGHT, "rescreen", "--db", db, "--candidates", str(delta),
                            "--top-k", "5"], capture_output=True, text=True, check=True)
    assert night.stdout.strip().splitlines()[-1] == "core 0", night.stdout + night.stderr
