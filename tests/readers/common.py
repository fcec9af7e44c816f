"""Shared helpers for the reader tests (check_lake.py, check_ddl.py).

Check bookkeeping, the expected totals written by make_lake.sh, SQL-file handling, and one
thin adapter per SQL engine (Spark, DataFusion, DuckDB) exposing `rows(sql) -> [dict]`,
`types(table) -> {column: type}` and `files_read(sql) -> (count, [path])` (how many Parquet
files a query actually scanned, and which where the engine says, to prove partition pruning).
"""

import argparse
import json
import os
import re
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Integer and date types as each engine reports them.
INT_TYPES = {"int", "bigint", "INTEGER", "BIGINT", "int32", "int64"}
DATE_TYPES = {"date", "DATE", "date32[day]"}


class Checks:
    """Counts and prints checks: one line each, a closing `<label>: N passed, M failed`."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'ok  ' if ok else 'FAIL'} {name}{'  -- ' + detail if detail and not ok else ''}", flush=True)
        return ok

    def equal(self, name, got, want):
        return self.check(name, got == want, "" if got == want else f"got {got!r}, want {want!r}")

    def run(self, name, fn, *args):
        """Runs a group of checks; an exception counts as one failed check."""
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001 - report and go on with the next group
            self.check(f"{name}: no error", False, f"{type(e).__name__}: {' '.join(str(e).split())[:400]}")

    def finish(self, label):
        print(f"{label}: {self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed or not self.passed else 0


def load_expected(path):
    """{(enrollment, year, month): (rows, Decimal cost_total)} from make_lake.sh's expected.json."""
    out = {}
    for enrollment, months in json.loads(Path(path).read_text()).items():
        for ym, t in months.items():
            year, month = (int(x) for x in ym.split("-"))
            out[(enrollment, year, month)] = (int(t["rows"]), Decimal(t["cost_total"]))
    return out


def sql_statements(path, lake):
    """The statements of a .sql file, with ${LAKE} replaced and `--` comments dropped."""
    text = Path(path).read_text().replace("${LAKE}", str(lake).rstrip("/"))
    text = re.sub(r"--[^\n]*", "", text)
    return [s.strip() for s in text.split(";") if s.strip()]


def parse_args(doc, engines):
    """LAKE_DIR EXPECTED_JSON [--engines a,b]: returns (lake, expected path, engines)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("lake", type=Path, help="lake root built by make_lake.sh")
    ap.add_argument("expected", type=Path, help="expected.json written by make_lake.sh")
    ap.add_argument("--engines", default=",".join(engines), help=f"comma-separated, of {','.join(engines)}")
    a = ap.parse_args()
    chosen = [e for e in a.engines.split(",") if e]
    if not set(chosen) <= set(engines):
        ap.error(f"--engines: choose from {','.join(engines)}")
    return a.lake.resolve(), a.expected, chosen


# --- engines -------------------------------------------------------------------------------


class Spark:
    name = "spark"

    def __init__(self):
        from pyspark.sql import SparkSession

        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only, and no hostname warning
        self.tmp = tempfile.TemporaryDirectory(prefix="eaua-spark-")
        self.spark = (
            SparkSession.builder.master("local[2]")
            .appName("eaua-readers")
            .config("spark.driver.memory", "1g")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.session.timeZone", "UTC")
            # Plain (non-adaptive) plans, so files_read() finds the scan's metrics directly.
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.warehouse.dir", f"{self.tmp.name}/warehouse")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")

    def execute(self, sql):
        self.spark.sql(sql).collect()

    def rows(self, sql):
        return [r.asDict() for r in self.spark.sql(sql).collect()]

    def types(self, table):
        return {f.name: f.dataType.simpleString() for f in self.spark.table(table).schema.fields}

    def files_read(self, sql):
        """Runs the query; the count is the file scan's numFiles metric (no paths)."""
        df = self.spark.sql(sql)
        df.collect()
        stack, counts = [df._jdf.queryExecution().executedPlan()], []
        while stack:
            node = stack.pop()
            if "FileSourceScan" in node.getClass().getSimpleName():
                counts.append(int(node.metrics().get("numFiles").get().value()))
            children = node.children()
            stack.extend(children.apply(i) for i in range(children.size()))
        return sum(counts), []

    def close(self):
        self.spark.stop()
        self.tmp.cleanup()


class DataFusion:
    name = "datafusion"

    def __init__(self):
        from datafusion import SessionContext

        self.ctx = SessionContext()

    def execute(self, sql):
        self.ctx.sql(sql).collect()

    def rows(self, sql):
        return self.ctx.sql(sql).to_arrow_table().to_pylist()

    def types(self, table):
        return {f.name: str(f.type) for f in self.ctx.table(table).schema()}

    def files_read(self, sql):
        plan = self.rows(f"EXPLAIN {sql}")
        text = "\n".join(r["plan"] for r in plan if r["plan_type"] == "physical_plan")
        files = re.findall(r"[^\s\[\],]+\.parquet", text)
        return len(files), files

    def close(self):
        pass


class DuckDB:
    name = "duckdb"

    def __init__(self):
        import duckdb

        self.con = duckdb.connect()

    def execute(self, sql):
        self.con.execute(sql)

    def rows(self, sql):
        rel = self.con.sql(sql)
        return [dict(zip(rel.columns, r)) for r in rel.fetchall()]

    def types(self, table):
        return {r[0]: r[1] for r in self.con.execute(f"DESCRIBE {table}").fetchall()}

    def files_read(self, sql):
        text = "\n".join(r[1] for r in self.con.execute(f"EXPLAIN ANALYZE {sql}").fetchall())
        m = re.search(r"Total Files Read: (\d+)", text)
        files = [f for f in re.findall(r"[^\s│]+\.parquet", text) if "*" not in f]  # not the glob
        return (int(m.group(1)) if m else None), files

    def close(self):
        self.con.close()


SQL_ENGINES = {"spark": Spark, "datafusion": DataFusion, "duckdb": DuckDB}
