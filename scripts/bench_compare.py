#!/usr/bin/env python3
"""Checks that a competitor's Parquet file holds the same data as the archiver's.

    bench_compare.py ARCHIVER.parquet OTHER.parquet [--label NAME]

Compares row count, column names and Arrow types (map field names aside), and every column
value by value in row order (maps as ordered key/value lists). Prints one line per differing
column with a count and the first difference, then a closing line; exits 1 on any difference.
"""

import argparse
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def normalize(arr):
    """A map column as list<struct<key, value>> so that differently named map fields compare equal."""
    if pa.types.is_map(arr.type):
        entries = pa.StructArray.from_arrays([arr.keys, arr.items], names=["key", "value"])
        return pa.ListArray.from_arrays(arr.offsets, entries, mask=arr.is_null())
    return arr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("archiver")
    ap.add_argument("other")
    ap.add_argument("--label", default="other")
    a = ap.parse_args()
    ref, oth = pq.ParquetFile(a.archiver), pq.ParquetFile(a.other)
    nrows, names = ref.metadata.num_rows, ref.schema_arrow.names
    problems = []
    if nrows != oth.metadata.num_rows:
        problems.append(f"rows: archiver {nrows}, {a.label} {oth.metadata.num_rows}")
    other_names = oth.schema_arrow.names
    # The archiver's schema version 2 adds columns the competitors (written to version 1) lack:
    # those must be entirely NULL for EA API pages; the rest compare value by value.
    extra = [n for n in names if n not in other_names]
    names = [n for n in names if n in other_names]
    if names != other_names:
        problems.append(f"columns differ: {names} vs {other_names}")
    for name in extra:
        col = ref.read(columns=[name])[name]
        if col.null_count != len(col):
            problems.append(f"{name}: {len(col) - col.null_count} non-null values in a column {a.label} lacks")
    for name in [] if problems else names:  # one column at a time: bounded memory at 10M rows
        x = normalize(ref.read(columns=[name])[name].combine_chunks())
        y = normalize(oth.read(columns=[name])[name].combine_chunks())
        if x.type != y.type:
            problems.append(f"{name}: type {x.type} vs {y.type}")
            continue
        if x.equals(y):
            continue
        if pa.types.is_list(x.type):
            xs, ys = x.to_pylist(), y.to_pylist()
            bad = [i for i in range(len(xs)) if xs[i] != ys[i]]
        else:
            same = pc.fill_null(pc.equal(x, y), False)
            both_null = pc.and_(pc.is_null(x), pc.is_null(y))
            bad = pc.indices_nonzero(pc.invert(pc.or_(same, both_null))).to_pylist()
        i = bad[0]
        problems.append(f"{name}: {len(bad)} of {len(x)} values differ; first at row {i}: "
                        f"archiver {x[i].as_py()!r}, {a.label} {y[i].as_py()!r}")
    for p in problems:
        print(f"compare {a.label}: DIFF {p}")
    print(f"compare {a.label}: {nrows} rows x {len(names)} columns "
          + ("identical to the archiver's" if not problems else f"-- {len(problems)} difference(s)"), flush=True)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
