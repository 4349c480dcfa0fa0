"""One local Spark session for every Spark test (a session costs ~10 s to start).

Spark needs pyspark (``pip install 'reunite[spark]'``) and a Java runtime (17 or later). Where one is
missing the tests are skipped with the reason, unless ``REUNITE_REQUIRE_SPARK=1`` (as ``.ci/run``
sets it), which turns the skip into a failure: CI must not pass without running them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed: pip install 'reunite[spark]'"
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and (Path(java_home) / "bin" / "java").exists()) and shutil.which("java") is None:
        return "no Java runtime (Spark needs Java 17+; on Debian: apt-get install openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    missing = _missing()
    if missing is not None:
        if os.environ.get("REUNITE_REQUIRE_SPARK") == "1":
            pytest.fail(f"REUNITE_REQUIRE_SPARK=1 but the Spark tests cannot run: {missing}")
        pytest.skip(f"Spark tests skipped: {missing}")
    from pyspark.sql import SparkSession

    base = tmp_path_factory.mktemp("spark")
    session = (
        SparkSession.builder.master("local[2,2]")  # 2 threads; a failed task is tried twice
        .appName("reunite-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.warehouse.dir", str(base / "warehouse"))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                f"jdbc:derby:;databaseName={base / 'metastore_db'};create=true")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={base}")
        .config("spark.local.dir", str(base / "local"))
        .enableHiveSupport()
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
