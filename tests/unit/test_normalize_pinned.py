"""normalize's whole output on generated tables, pinned to digests computed with the row-by-row code.

The digests were computed with the code before the per-distinct-value rewrite (commit 243745a), so any
change to a value, a dtype, row order, a flag or a report line of :func:`reunite.normalize.normalize`
fails here and names the field. A deliberate change to normalization re-pins them (run this file with
``REUNITE_PRINT_DIGESTS=1`` and ``-s`` to print the new ones) and says why in the commit.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reunite.ingest import read_table
from reunite.normalize import normalize
from reunite.normalize.features import RecordTable
from reunite.synth import generate, write

TODAY = datetime.date(2026, 12, 1)


def _digest_array(values: np.ndarray) -> str:
    sha = hashlib.sha256(f"{values.dtype.str}|{values.shape}|".encode())
    if values.dtype.kind in "OU":
        sha.update("\x1f".join(f"{type(v).__name__}:{v}" for v in values.tolist()).encode())
    else:
        sha.update(np.ascontiguousarray(values).tobytes())
    return sha.hexdigest()[:16]


def digests(table: RecordTable) -> dict[str, str]:
    """One short digest per field of the table, of its name table, of each flag and of the report."""
    out: dict[str, str] = {}
    for field in dataclasses.fields(table):
        value = getattr(table, field.name)
        if isinstance(value, np.ndarray):
            out[field.name] = _digest_array(value)
    for field in dataclasses.fields(table.names):
        out[f"names.{field.name}"] = _digest_array(getattr(table.names, field.name))
    out["flags"] = hashlib.sha256(repr(sorted(table.flags)).encode()).hexdigest()[:16]
    for name, flag in sorted(table.flags.items()):
        out[f"flags.{name}"] = _digest_array(flag)
    report = table.report
    out["report"] = hashlib.sha256(repr((
        report.source, report.read, report.quarantined, report.accepted, report.flagged,
        [dataclasses.astuple(p) for p in report.problems], sorted(report.quarantined_rows),
    )).encode()).hexdigest()[:16]
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pinned") / "data"
    write(generate(300, 20_000, seed=3), directory)
    return directory


# fmt: off
EXPECTED: dict[str, dict[str, str]] = {
    'cases': {
        'ids': '538d9278dd1e6fc4',
        'rows': '7f5a9b7056356a8d',
        'sex': 'd68de0562e1556f7',
        'birth_lo': 'd5bf28de4d0c177e',
        'birth_hi': 'c97889b8c01e80b7',
        'birth_known': 'e0ff295a58102476',
        'birth_lunar': '469afab180716624',
        'event_lo': '9ddf0fedefe2e3cd',
        'event_hi': 'cbc61b1229bbed75',
        'event_known': 'e0ff295a58102476',
        'region_county': '2717c99c4e74bd71',
        'region_city': '27d90bef51ea47a8',
        'region_province': 'e7a94e0da6052acb',
        'region_level': '61dc07d4e87b35f0',
        'lat': 'aa84aa0ce67763cc',
        'lon': '0512d5791bee8378',
        'marks': 'f4f7a091e7e783b1',
        'id_present': '9200b81c1a355f0c',
        'id_valid': '9200b81c1a355f0c',
        'id_birth': '427f6e5a0d228ad1',
        'id_sex': '1d98033c7725572e',
        'id_region_county': '427f6e5a0d228ad1',
        'id_masked': '1822a8dab736bebb',
        'id_number': '1822a8dab736bebb',
        'display_name': '2d4bc935728e0ac1',
        'display_birth': '3e3be350ba11384d',
        'display_region': '343cf9495be40d19',
        'names.record': '3d9faadfc38b5b54',
        'names.kind': 'ea2f434a8cd3c620',
        'names.surname': '35f83b024acd43ec',
        'names.given': '125c71072daf19f0',
        'names.surname_pinyin': '1c17ae4f59f1edc0',
        'names.given_pinyin': '49fb07609c7ff409',
        'names.given_pinyin_alt': '9f49039bc1c87a51',
        'names.given_fuzzy': 'f9700a040b514d78',
        'flags': '4fc092b07b59d357',
        'flags.birth_said_solar': 'a4af697c6e433910',
        'flags.missing_before_birth': 'd62d87360a127905',
        'flags.more_than_8_names': '9200b81c1a355f0c',
        'report': '367d8cbb57413b06',
    },
    'candidates': {
        'ids': 'c228b5c527a3a538',
        'rows': '5c8d8fc7718e2b98',
        'sex': '1e6eeadd9a605284',
        'birth_lo': 'fd02af2600d9ab5b',
        'birth_hi': 'fd02af2600d9ab5b',
        'birth_known': '4f5829850e6d1496',
        'birth_lunar': '74b71b23a196b2ac',
        'event_lo': '5e06831f83334f39',
        'event_hi': '5e06831f83334f39',
        'event_known': 'a50a455e9cc9f46b',
        'region_county': '81c0effde533fc3b',
        'region_city': '633ef07e38f43269',
        'region_province': '5114278864c94638',
        'region_level': '9cf847a3d31dc3c9',
        'lat': 'd270853a6375da19',
        'lon': 'd5be11322742e149',
        'marks': '2067b4881d59df64',
        'id_present': '8ce373a6ea58ffe0',
        'id_valid': '2097d4ee205837e1',
        'id_birth': 'd02965a70a6cbc62',
        'id_sex': '622f354fac8fd940',
        'id_region_county': 'ef75e0077849432a',
        'id_masked': '6825dd0090f89d2f',
        'id_number': '4b88464c95c76c4c',
        'display_name': 'f9379606c6e050c8',
        'display_birth': '61ca3e43d5498481',
        'display_region': '166f79bcd6affbf6',
        'names.record': '9adebc7150db89ea',
        'names.kind': '4728f8e98a68a101',
        'names.surname': '43dc5a9e7fc9cf5f',
        'names.given': 'cb6756fba05043fe',
        'names.surname_pinyin': 'bd08619928c7c95a',
        'names.given_pinyin': '73f7631b7b3814dd',
        'names.given_pinyin_alt': 'e402c2074feca2be',
        'names.given_fuzzy': '47a75a224201c711',
        'flags': 'f065ddc77625ae6e',
        'flags.id_birth_conflict': '74b71b23a196b2ac',
        'flags.id_checksum_failed': '9235c5686186135f',
        'flags.id_sex_conflict': '74b71b23a196b2ac',
        'flags.more_than_8_names': '74b71b23a196b2ac',
        'flags.registered_before_birth': '74b71b23a196b2ac',
        'report': 'a3d95003528c6c28',
    },
    'dirty': {
        'ids': '2a72c23c4c78713c',
        'rows': 'ec93dde027af7ac1',
        'sex': 'ee577bf3c77fc811',
        'birth_lo': '02f6bcc0c2eb77a8',
        'birth_hi': '9b77807af8c51f4a',
        'birth_known': '6f1cd1f9880fb6a5',
        'birth_lunar': 'b66aca455b3fa120',
        'event_lo': '114dc0e499c58006',
        'event_hi': '114dc0e499c58006',
        'event_known': '5f6635a7e1c53c58',
        'region_county': '53f02e9313839a7d',
        'region_city': '8f89f7d10ee9b616',
        'region_province': '094b733f5bf08208',
        'region_level': 'fe73a6205e2e6053',
        'lat': '37c7934990abf2b1',
        'lon': '050084423daa0be9',
        'marks': 'd30aca7a33c447e0',
        'id_present': 'c869a8045721f460',
        'id_valid': '28c0eff9f58fef31',
        'id_birth': 'd1e8d6f5fd9dd866',
        'id_sex': '282e9543e0299a38',
        'id_region_county': 'dae90865a7e61949',
        'id_masked': 'a19b47c698dd2834',
        'id_number': '121a7b6a271750a0',
        'display_name': '6a41f9a659151c06',
        'display_birth': 'f2aa6446b15c9922',
        'display_region': 'a1e900ae05a0ac9c',
        'names.record': '4819386e07d37de6',
        'names.kind': '4d7354868b9228d7',
        'names.surname': '1a5c7122b06d14f7',
        'names.given': 'f3495423314995c1',
        'names.surname_pinyin': '30050d7974fa3ca3',
        'names.given_pinyin': 'f4bed2b57ce8d66f',
        'names.given_pinyin_alt': 'e707e942161c74ef',
        'names.given_fuzzy': 'b88c915fa100daf0',
        'flags': 'f065ddc77625ae6e',
        'flags.id_birth_conflict': 'b66aca455b3fa120',
        'flags.id_checksum_failed': '87a5b6623bb605ae',
        'flags.id_sex_conflict': 'b66aca455b3fa120',
        'flags.more_than_8_names': 'b66aca455b3fa120',
        'flags.registered_before_birth': '21b1d25d061b6c61',
        'report': '2eb1e598142c407a',
    },
}
# fmt: on

_DIRTY = pd.DataFrame({
    "person_id": ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11", "p12"],
    "name": ["歐陽小紅", "无", "张（章）丽（莉）", "王芳（小名芳芳）", "女孩", "李明/敏", "", "王芳 又名 王小芳",
             "毛毛（小名）", "歐陽小紅", "Zhang Wei", "王某"],
    "former_names": ["", "李小红；張紅", "", "", "", "", "", "", "", "", "", ""],
    "sex": ["女", "男", "F", "2", "女", "M", "", "女", "男", "女", "男", ""],
    "birth_date": ["1988年5月", "1990-02-30", "1987", "19880512", "二〇〇一年三月", "2099-01-01", "abc",
                   "1988-05-12", "1988/5", "1988年5月", "32000", ""],
    "id_number": ["110101198805120026", "110101198805120026", "11010119880512002X", "110101880512002",
                  "", "123", "", "", "", "", "", ""],
    "region": ["江西省赣州市", "江西", "", "赣州", "北京市东城区", "", "南昌", "", "", "江西省赣州市", "", ""],
    "registration_date": ["2001-01-01", "1980-01-01", "", "", "", "", "", "", "", "", "", ""],
    "marks": ["左手有疤", "", "胎记", "", "", "", "", "", "", "左手有疤", "", ""],
})


def _check(kind: str, table: RecordTable) -> None:
    found = digests(table)
    if os.environ.get("REUNITE_PRINT_DIGESTS"):
        print(f"\n    {kind!r}: {found!r},")
        return
    assert found == EXPECTED[kind], "; ".join(
        f"{key}: {found.get(key)} != {EXPECTED[kind].get(key)}"
        for key in sorted(set(found) | set(EXPECTED[kind])) if found.get(key) != EXPECTED[kind].get(key)
    )


@pytest.mark.parametrize("second_process_from", [200_000, 0])  # in this process; names in a second one
@pytest.mark.parametrize("side", ["cases", "candidates"])
def test_generated_tables_normalize_as_pinned(generated: Path, side: str, second_process_from: int) -> None:
    raw = read_table(generated / f"{side}.csv", side)  # type: ignore[arg-type]
    _check(side, normalize(raw, today=TODAY, second_process_from=second_process_from))


@pytest.mark.parametrize("second_process_from", [200_000, 0])
def test_dirty_rows_normalize_as_pinned(second_process_from: int) -> None:
    table = normalize(read_table(_DIRTY, "candidates"), today=TODAY, second_process_from=second_process_from)
    _check("dirty", table)
