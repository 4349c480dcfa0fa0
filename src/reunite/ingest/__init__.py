"""Ingest: read cases and candidates (CSV, Excel, DataFrame, database), map columns, validate, quarantine.

Every row read is accepted or quarantined with a reason (``read == accepted + quarantined``); the
accepted rows go on to normalize as a :class:`RawTable` of canonical text columns.
"""

from __future__ import annotations

from reunite.ingest.columns import (
    HEADER_ALIASES,
    ColumnMap,
    canonical_column,
    check_mapping_used,
    header_key,
    map_columns,
    mapping_from_options,
    side_columns,
)
from reunite.ingest.encoding import decode_text
from reunite.ingest.read import (
    TableSource,
    cell_text,
    check_fitting_options,
    fitting_options,
    parse_sex,
    read_table,
    sheet_option,
)
from reunite.ingest.report import IngestReport, Problem
from reunite.ingest.table import (
    CANDIDATE_COLUMNS,
    CASE_COLUMNS,
    REQUIRED_COLUMNS,
    RawTable,
    fold_id,
    id_column,
)

__all__ = [
    "CANDIDATE_COLUMNS",
    "CASE_COLUMNS",
    "HEADER_ALIASES",
    "REQUIRED_COLUMNS",
    "ColumnMap",
    "IngestReport",
    "Problem",
    "RawTable",
    "TableSource",
    "canonical_column",
    "cell_text",
    "check_fitting_options",
    "check_mapping_used",
    "decode_text",
    "fitting_options",
    "fold_id",
    "header_key",
    "id_column",
    "map_columns",
    "mapping_from_options",
    "parse_sex",
    "read_table",
    "sheet_option",
    "side_columns",
]
