#!/usr/bin/env python3
"""Benchmark competitor: the plain DuckDB conversion of the same pages (issue 15's yardstick).

    bench_duckdb_plain.py --from-dir PAGES --out FILE.parquet [--threads 2]

`read_json` over the page files, `unnest(data)`, `tags` through `json_transform` to
MAP(VARCHAR, VARCHAR) (text that is not a JSON object becomes NULL), costs and quantities as
DOUBLE, zstd level 3. It does less than the archiver (no exact decimals, no extra_fields, no
brace-less tags, no date forms), so it is a floor for a general-purpose engine, not the same
output. Prints one JSON line {"rows": N, "seconds": S}.
"""

import argparse
import json
import time
from pathlib import Path

import duckdb

import bench_common as bc


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from-dir", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--enrollment", default="1234567")  # accepted for symmetry, unused
    a = ap.parse_args()
    glob = str(a.from_dir / "*.json")
    doubles = ["cost", "Cost", "consumedQuantity", "resourceRate", "extendedCost"]
    sql = f"""
COPY (
  SELECT * REPLACE (CASE WHEN json_valid(tags) THEN json_transform(tags, '"MAP(VARCHAR, VARCHAR)"') END AS tags)
  FROM (SELECT unnest(data, recursive := true) FROM read_json({lit(glob)}, maximum_object_size = {64 << 20}))
) TO {lit(str(a.out))} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 3)
"""
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    rows = con.execute(sql).fetchone()[0]
    # Costs as DOUBLE: read_json's own inference (numbers), checked here.
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({lit(str(a.out))})").fetchall()}
    print(json.dumps({"rows": rows, "seconds": round(time.perf_counter() - t0, 3),
                      "cost_types": {c: types[c] for c in doubles if c in types}}), flush=True)


if __name__ == "__main__":
    _ = bc
    main()
