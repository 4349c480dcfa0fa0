"""reunite on Apache Spark: screen where the population data already live, with one machine's results.

``pip install 'reunite[spark]'``; then, with a SparkSession::

    import reunite.spark

    prepared = reunite.spark.prepare(spark, "census.candidates")      # a Hive table or a Parquet folder
    result = reunite.spark.screen(spark, "cases.csv", prepared, top_k=10)
    result.write("police.ranked")                                     # a Hive table, Parquet folder or .csv

or ``spark-submit -m reunite.spark`` (``python -m reunite.spark --help``). Scoring is the engine-free
shard core (:mod:`reunite.matching.shards`); only the merged top-k leave the cluster. u, the name
frequencies and m (without labels, as ``reunite screen`` learns it) are fitted on the cluster.
"""

from __future__ import annotations

from reunite.spark.driver import (
    PreparedCandidates,
    SparkScreen,
    fit_m_on_cluster,
    fit_on_cluster,
    prepare,
    preview,
    read_source,
    screen,
)

__all__ = ["PreparedCandidates", "SparkScreen", "fit_m_on_cluster", "fit_on_cluster", "prepare", "preview",
           "read_source", "screen"]
