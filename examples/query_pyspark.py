"""Queries the lake with PySpark in local mode: cost per month and meter category, then cost by
the `env` tag (rows without one shown as '(untagged)').

    .venv/bin/python examples/query_pyspark.py ./lake      # needs java 17+; pip install pyspark

spark.read.parquet discovers enrollment=/year=/month= from the paths and infers all three as
int, so month=02 reads as 2; folders starting with _ (_raw/, _staging/) are skipped. For a
catalog table with enrollment as a STRING, see schemas/ddl/spark.sql. On S3 or Azure give an
s3a:// or abfss:// URL (with hadoop-aws / hadoop-azure on the classpath).
"""

import os
import sys

from pyspark.sql import SparkSession

COST_PER_MONTH = """
SELECT year, month, meter_category, SUM(cost) AS cost
FROM usage_details
GROUP BY year, month, meter_category
ORDER BY year, month, meter_category
"""

COST_BY_ENV = """
SELECT COALESCE(tags['env'], '(untagged)') AS env, SUM(cost) AS cost, COUNT(*) AS line_items
FROM usage_details
GROUP BY 1
ORDER BY 1
"""


def main():
    lake = sys.argv[1] if len(sys.argv) > 1 else "./lake"
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (
        SparkSession.builder.master("local[*]")
        .appName("ea-usage-query")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")  # small results: no need for 200 tasks
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        spark.read.parquet(lake).createOrReplaceTempView("usage_details")
        for sql in (COST_PER_MONTH, COST_BY_ENV):
            spark.sql(sql).show(n=1000, truncate=False)  # cost stays an exact DECIMAL(38,18)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
