#!/usr/bin/env python3
"""Benchmark competitor: the archiver's replay conversion done with pyarrow.

    bench_pyarrow.py --from-dir PAGES --out FILE.parquet [--enrollment 1234567] [--threads 2] [--verify]

Each page file is one JSON object on one line, so pyarrow.json.read_json reads it as a
one-row table whose `data` column is a list<struct> of the page's rows, typed by an explicit
schema (read in C++, off the GIL; `--threads` pages at once, in page order). Then, per page:
  - numbers -> decimal256(76,38) straight from their JSON text (exact), rounded half-even to 18
    fractional digits and cast to decimal128(38,18), as the archiver does;
  - `date` (2017-04-27T00:00:00[.0000000][Z] or 04/27/2017) -> date32;
  - `tags` (JSON in a string: "", null, an object, or one without its outer braces) ->
    map<string,string>: the column is dictionary-encoded, each distinct text is parsed once
    (json module, cached across pages) into a map, and the map array is gathered with `take`;
    unparseable text -> null map and extra_fields['tags'];
  - enrollment_number from the row if present, else --enrollment (v2 rows have none).
The main thread streams row groups of 128 Ki rows into one zstd (level 3) Parquet file with
v1 data pages and no page index, as the archiver writes, so memory stays bounded.
Prints one JSON line {"rows": N, "seconds": S} (S = the conversion itself, without start-up).
--verify then checks the file: row count equal to the input's, and a tags map lookup.
"""

import argparse
import collections
import concurrent.futures as cf
import datetime
import json
import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import pyarrow.parquet as pq

import bench_common as bc

WIDE = pa.decimal256(76, 38)  # exact JSON number text; rounded to the output's 18 digits below
DEC = pa.decimal128(38, 18)
MAP = pa.map_(pa.string(), pa.string())
OUT_TYPE = {"date32": pa.date32(), "utf8": pa.string(), "int64": pa.int64(), "decimal128(38,18)": DEC,
            "map<utf8,utf8>": MAP}
READ_TYPE = {"date32": pa.string(), "utf8": pa.string(), "int64": pa.int64(), "decimal128(38,18)": WIDE,
             "map<utf8,utf8>": pa.string()}


class Converter:
    def __init__(self, first_page, enrollment):
        self.spell = bc.field_spellings(first_page)
        self.cols = bc.columns()
        self.enrollment = enrollment
        fields = [pa.field(s, READ_TYPE[typ]) for name, typ, _ in self.cols if name != "extra_fields"
                  for s in self.spell[name]]
        self.parse = pj.ParseOptions(explicit_schema=pa.schema([pa.field("data", pa.list_(pa.struct(fields)))]),
                                     unexpected_field_behavior="ignore")
        self.schema = pa.schema([pa.field(name, OUT_TYPE[typ]) for name, typ, _ in self.cols])
        self.tags_cache = {}  # tags text -> (pairs or None, garbage?)

    def read(self, path):
        """The page's rows as a StructArray (read in C++; the GIL is released)."""
        opts = pj.ReadOptions(use_threads=False, block_size=os.path.getsize(path) + 1)
        data = pj.read_json(path, read_options=opts, parse_options=self.parse).column("data")
        return pa.concat_arrays([c.flatten() for c in data.chunks]) if data.num_chunks != 1 else data.chunk(0).flatten()

    def source(self, rows, name):
        arrs = [rows.field(s) for s in self.spell[name]]
        out = arrs[0]
        for a in arrs[1:]:
            out = pc.coalesce(out, a)
        return out

    def dates(self, s):
        """date32 from the date text: vectorized for the ISO forms, one by one otherwise."""
        if pc.all(pc.match_substring_regex(s, r"^\d{4}-\d\d-\d\d(T|$)")).as_py() is not False:
            try:
                return pc.cast(pc.utf8_slice_codeunits(s, 0, 10), pa.date32())
            except pa.ArrowInvalid:
                pass
        out = []
        for v in s.to_pylist():  # 04/27/2017, or garbage (null here; the archiver keeps it in extra_fields)
            d = None
            for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
                try:
                    d = datetime.datetime.strptime((v or "")[:10], fmt).date()
                    break
                except ValueError:
                    pass
            out.append(d)
        return pa.array(out, pa.date32())

    def tags(self, s):
        """(map array, extra_fields array) from the tags text column."""
        enc = pc.dictionary_encode(s)
        uniq = enc.dictionary.to_pylist()
        parsed = []
        for t in uniq:
            r = self.tags_cache.get(t)
            if r is None:
                r = self.tags_cache[t] = bc.tags_pairs(t)
            parsed.append(r)
        maps = pa.array([p for p, _ in parsed], MAP).take(enc.indices)
        if any(g for _, g in parsed):
            extra = pa.array([[("tags", t)] if g else None for t, (_, g) in zip(uniq, parsed)], MAP).take(enc.indices)
        else:
            extra = pa.nulls(len(s), MAP)
        return maps, extra

    def convert(self, path):
        rows = self.read(path)
        out = {}
        for name, typ, _ in self.cols:
            if name == "extra_fields":
                continue
            v = self.source(rows, name)
            if name == "enrollment_number":
                v = pc.coalesce(v, pa.scalar(self.enrollment))
            elif typ == "date32":
                v = self.dates(v)
            elif typ.startswith("decimal"):
                v = pc.round(v, ndigits=18, round_mode="half_to_even").cast(DEC)
            elif typ.startswith("map"):
                v, out["extra_fields"] = self.tags(v)
            out[name] = v
        return pa.Table.from_arrays([out[f.name] for f in self.schema], schema=self.schema)


def convert_all(files, out_path, enrollment, threads):
    conv = Converter(files[0], enrollment)
    writer = pq.ParquetWriter(out_path, conv.schema, compression="zstd", compression_level=bc.ZSTD_LEVEL,
                              data_page_version="1.0", write_page_index=False)
    rows, buf, nbuf = 0, [], 0

    def flush(final):
        nonlocal buf, nbuf
        t = pa.concat_tables(buf)
        while t.num_rows >= bc.ROW_GROUP_ROWS or (final and t.num_rows):
            writer.write_table(t.slice(0, bc.ROW_GROUP_ROWS), row_group_size=bc.ROW_GROUP_ROWS)
            t = t.slice(bc.ROW_GROUP_ROWS)
        buf, nbuf = ([t] if t.num_rows else []), t.num_rows

    with cf.ThreadPoolExecutor(max_workers=threads) as pool:
        pending = collections.deque()
        it = iter(files)
        for f in it:  # keep at most 2 x threads pages in flight, in order
            pending.append(pool.submit(conv.convert, f))
            if len(pending) >= 2 * threads:
                break
        while pending:
            t = pending.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(conv.convert, nxt))
            buf.append(t)
            nbuf += t.num_rows
            rows += t.num_rows
            if nbuf >= bc.ROW_GROUP_ROWS:
                flush(False)
    if buf:
        flush(True)
    writer.close()
    return rows


def verify(files, out):
    want = sum(len(json.loads(f.read_bytes())["data"]) for f in files)
    t = pq.read_table(out)
    assert t.num_rows == want, f"row count {t.num_rows}, input has {want}"
    assert pa.types.is_map(t.schema.field("tags").type), f"tags is {t.schema.field('tags').type}"
    env = pc.list_element(pc.map_lookup(t["tags"], "env", "all"), 0) if t.num_rows else pa.array([])
    n = len(env) - env.null_count
    assert n > 0, "no row has tags['env']"
    print(f"verify: {t.num_rows} rows = input, tags is {t.schema.field('tags').type}, "
          f"tags['env'] set in {n} rows", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from-dir", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--enrollment", default="1234567")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--verify", action="store_true")
    a = ap.parse_args()
    pa.set_cpu_count(a.threads)
    pa.set_io_thread_count(a.threads)
    files = bc.page_files(a.from_dir)
    t0 = time.perf_counter()
    rows = convert_all(files, a.out, a.enrollment, a.threads)
    print(json.dumps({"rows": rows, "seconds": round(time.perf_counter() - t0, 3)}), flush=True)
    if a.verify:
        verify(files, a.out)


if __name__ == "__main__":
    main()
