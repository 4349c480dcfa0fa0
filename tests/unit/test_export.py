"""Plan CSV for Excel and WPS: BOM, formulas neutralised, ID numbers masked unless asked."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from reunite.export import write_csv, write_plan_csv, write_region_summary_csv
from reunite.store import PlanCase, PlanRow, RegionSummary

ATTACK = "=cmd|' /C calc'!A0"


def plan() -> list[PlanRow]:
    return [
        PlanRow("360000", "360302", "360302", "P1", ATTACK, "F", "1988-05-03", "36030219880503002X",
                "collect sample", 0.91234, (PlanCase("C1", 1, 0.91234, 6.1), PlanCase("C2", 2, 0.5, 2.0))),
        PlanRow("360000", "360302", "360302", "P2", "李芳", "F", "@SUM(1)", "",
                "compare in database", 0.4, (PlanCase("C1", 3, 0.4, -0.8),)),
    ]


def read(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))


def test_plan_csv_has_bom_neutralises_formulas_and_masks_ids(tmp_path: Path) -> None:
    rows = read(write_plan_csv(tmp_path / "plan.csv", plan()))
    header, first, second = rows
    assert header[:4] == ["province", "county", "region", "person_id"]
    cell = dict(zip(header, first, strict=True))
    assert cell["name"] == "'" + ATTACK
    assert cell["id_number"] == "360302********002X"
    assert cell["cases"] == "C1 #1 p=0.912; C2 #2 p=0.500"
    assert (cell["case_count"], cell["priority"], cell["action"]) == ("2", "0.9123", "collect sample")
    other = dict(zip(header, second, strict=True))
    assert other["birth_date"] == "'@SUM(1)" and other["id_number"] == ""
    assert other["action"] == "compare in database"


def test_plan_csv_reveals_ids_only_when_asked(tmp_path: Path) -> None:
    rows = read(write_plan_csv(tmp_path / "plan.csv", plan(), reveal_ids=True))
    assert rows[1][rows[0].index("id_number")] == "36030219880503002X"


def test_write_csv_neutralises_text_keeps_numbers_and_can_skip_bom(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["a", "b", "c", "d"],
                     [["+1", -0.8, None, "\tx"], ["-2", 3, True, "\rz"]], bom=False)
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(raw.decode("utf-8")))) == [
        ["a", "b", "c", "d"], ["'+1", "-0.8", "", "'\tx"], ["'-2", "3", "yes", "'\rz"]]


def test_region_summary_csv(tmp_path: Path) -> None:
    rows = read(write_region_summary_csv(tmp_path / "s.csv", [RegionSummary("360000", "360302", 2, 3, 1)]))
    assert rows == [["province", "county", "persons", "cases", "samples_to_collect"],
                    ["360000", "360302", "2", "3", "1"]]
