#!/usr/bin/env python3
"""Benchmark competitor: the archiver's replay conversion done in DuckDB (Python package).

    bench_duckdb.py --from-dir PAGES --out FILE.parquet [--enrollment 1234567] [--threads 2] [--verify]

Reads every page file (`{"id":…, "data":[rows], "nextLink":…}`) with read_json_objects,
types it with from_json, unnests `data`, and writes one zstd Parquet file in the archiver's
schema (see bench_common.py). (read_json(columns={data: 'STRUCT(…)[]'}) gives the same rows but
is ~8x slower on 1,000-row pages in DuckDB 2.0, so the fastest form is used.)
  - numbers are read as their JSON text and cast to DECIMAL(38,18), rounding half-even past
    18 fractional digits (like the archiver; a plain cast would round half away from zero);
  - `date` (2017-04-27T00:00:00[.0000000][Z] or 04/27/2017) -> DATE;
  - `tags` (JSON in a string: "", null, an object, or one without its outer braces)
    -> MAP(VARCHAR, VARCHAR), non-string values as JSON text; unparseable text -> null map and
    extra_fields['tags'];
  - enrollment_number from the row if present, else from --enrollment (v2 rows have none).
Prints one JSON line {"rows": N, "seconds": S} (S = the conversion itself, without start-up).
--verify then checks the file: row count equal to the input's, and a tags map lookup.
"""

import argparse
import json
import time
from pathlib import Path

import duckdb

import bench_common as bc

DEC = "DECIMAL(38,18)"
MAX_PAGE_BYTES = 64 << 20  # read_json_objects refuses larger objects (default 16 MiB)


def q(ident):
    return '"' + ident.replace('"', '""') + '"'


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def build_sql(files, out, enrollment):
    spell = bc.field_spellings(files[0])
    # Every spelling seen, read as the JSON-side type; decimals and dates as text.
    read_type = {"int64": "BIGINT", "utf8": "VARCHAR", "date32": "VARCHAR", "decimal128(38,18)": "VARCHAR",
                 "map<utf8,utf8>": "VARCHAR"}
    row = {}  # from_json structure of one row
    for name, typ, _fields in bc.columns():
        if name != "extra_fields":
            row.update({sp: read_type[typ] for sp in spell[name]})
    select = []
    for name, typ, _fields in bc.columns():
        if name == "extra_fields":
            select.append("CASE WHEN tags_json IS NOT NULL AND NOT json_valid(tags_json) "
                          "THEN MAP {'tags': tags_raw} END AS extra_fields")
            continue
        src = ", ".join(f"r.{q(s)}" for s in spell[name])
        v = src if len(spell[name]) == 1 else f"coalesce({src})"
        if name == "enrollment_number":
            v = f"coalesce({v}, {lit(enrollment)})"
        elif typ == "date32":
            v = (f"CASE WHEN {v} LIKE '__/__/____' THEN try_strptime({v}, '%m/%d/%Y')::DATE "
                 f"ELSE try_cast(left({v}, 10) AS DATE) END")
        elif typ.startswith("decimal"):
            # Exact text -> 30 fractional digits -> banker's rounding to 18, as the archiver does;
            # values too large for DECIMAL(38,30) take the plain cast.
            v = f"coalesce(round_even(try_cast({v} AS DECIMAL(38,30)), 18), CAST({v} AS {DEC}))"
        elif typ.startswith("map"):
            v = ("CASE WHEN json_valid(tags_json) THEN json_transform(tags_json, '\"MAP(VARCHAR, VARCHAR)\"') END")
        select.append(f"{v} AS {q(name)}")
    tags_src = f"r.{q(spell['tags'][0])}"
    glob = str(Path(files[0]).parent / "*.json")
    return f"""
COPY (
  SELECT {', '.join(select)}
  FROM (
    SELECT r, {tags_src} AS tags_raw,
           CASE WHEN {tags_src} IS NULL OR trim({tags_src}) = '' THEN NULL
                WHEN starts_with(ltrim({tags_src}), '{{') THEN {tags_src}
                ELSE '{{' || {tags_src} || '}}' END AS tags_json
    FROM (SELECT unnest(from_json(json, {lit(json.dumps({"data": [row]}))}).data) AS r
          FROM read_json_objects({lit(glob)}, maximum_object_size = {MAX_PAGE_BYTES}))
  )
) TO {lit(str(out))} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL {bc.ZSTD_LEVEL},
                     ROW_GROUP_SIZE {bc.ROW_GROUP_ROWS})
"""


def verify(con, files, out):
    want = sum(len(json.loads(f.read_bytes())["data"]) for f in files)
    got = con.execute(f"SELECT count(*) FROM read_parquet({lit(str(out))})").fetchone()[0]
    assert got == want, f"row count {got}, input has {want}"
    typ = con.execute(f"SELECT typeof(tags) FROM read_parquet({lit(str(out))}) LIMIT 1").fetchone()[0]
    assert typ.startswith("MAP"), f"tags is {typ}, not a MAP"
    n = con.execute(f"SELECT count(*) FROM read_parquet({lit(str(out))}) WHERE tags['env'] IS NOT NULL").fetchone()[0]
    assert n > 0, "no row has tags['env']"
    print(f"verify: {got} rows = input, tags is {typ}, tags['env'] set in {n} rows", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from-dir", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--enrollment", default="1234567")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--verify", action="store_true")
    ap.add_argument("--print-sql", action="store_true")
    a = ap.parse_args()
    files = bc.page_files(a.from_dir)
    sql = build_sql(files, a.out, a.enrollment)
    if a.print_sql:
        print(sql)
        return
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    rows = con.execute(sql).fetchone()[0]
    print(json.dumps({"rows": rows, "seconds": round(time.perf_counter() - t0, 3)}), flush=True)
    if a.verify:
        verify(con, files, a.out)


if __name__ == "__main__":
    main()
