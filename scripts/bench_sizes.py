#!/usr/bin/env python3
"""Compressed bytes per column of Parquet files, side by side (the first file's columns first).

    bench_sizes.py A.parquet B.parquet ...
"""

import sys
from collections import defaultdict

import pyarrow.parquet as pq


def sizes(path):
    md = pq.ParquetFile(path).metadata
    out = defaultdict(int)
    for rg in range(md.num_row_groups):
        g = md.row_group(rg)
        for c in range(g.num_columns):
            col = g.column(c)
            out[col.path_in_schema.split(".")[0]] += col.total_compressed_size
    return out, md


def main():
    files = sys.argv[1:]
    all_sizes = [sizes(f) for f in files]
    import os
    print("file sizes: " + ", ".join(f"{os.path.basename(os.path.dirname(f)) or f}={os.path.getsize(f):,}" for f in files))
    cols = list(all_sizes[0][0])
    for s, _ in all_sizes[1:]:
        cols += [c for c in s if c not in cols]
    width = max(len(c) for c in cols)
    print(f"{'column':<{width}} " + " ".join(f"{os.path.basename(os.path.dirname(f))[:12]:>12}" for f in files))
    for c in cols:
        print(f"{c:<{width}} " + " ".join(f"{s.get(c, 0):>12,}" for s, _ in all_sizes))


if __name__ == "__main__":
    main()
