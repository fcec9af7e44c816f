#!/usr/bin/env python3
"""The benchmark's report: machine, versions, and a Markdown table of the medians.

    bench_report.py machine [--info KEY=VALUE ...]                 prints the machine/versions header
    bench_report.py record --tool T --round R --rows N --measure JSON --stdout-file F --runs-file RUNS.jsonl
                                     checks the rows a run reports, appends it to RUNS.jsonl
    bench_report.py table --runs RUNS.jsonl --rows N --md OUT.md --json OUT.json [--info KEY=VALUE ...]

RUNS.jsonl has one bench_measure.py line per run, with "tool", "round" and "rows" added (and
"convert_s" for the Python tools: their time without interpreter start-up and imports).
The table has, per tool: runs, median wall s (min-max), median CPU s, median peak RSS MiB,
rows/s (rows / median wall), and the archiver's median wall divided by the tool's.
"""

import argparse
import json
import os
import platform
import re
import statistics
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

TOOLS = [  # (key, label)
    ("archiver", "ea-usage-archiver archive --from-dir"),
    ("duckdb", "DuckDB (Python, 2 threads)"),
    ("duckdb_plain", "DuckDB plain read_json + unnest, costs DOUBLE (2 threads)"),
    ("pyarrow", "pyarrow (2 threads)"),
    ("floor", "typed-parse floor (bench-parse, 1 thread)"),
]


def machine(extra):
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass

    def ver(p):
        try:
            return version(p)
        except PackageNotFoundError:
            return "not installed"

    info = {
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "loadavg_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "duckdb": ver("duckdb"),
        "pyarrow": ver("pyarrow"),
    }
    info.update(extra)
    return info


def header_lines(info):
    return [f"- {k}: {v}" for k, v in info.items()]


def fmt(x, nd=2):
    return "–" if x is None else f"{x:,.{nd}f}"


def table(runs, rows, info):
    by_tool = {}
    for r in runs:
        by_tool.setdefault(r["tool"], []).append(r)
    med = {}
    for key, _ in TOOLS:
        rs = by_tool.get(key, [])
        if not rs:
            continue
        walls = [r["wall_s"] for r in rs]
        med[key] = {
            "runs": len(rs),
            "wall_s": statistics.median(walls),
            "wall_min_s": min(walls),
            "wall_max_s": max(walls),
            "cpu_s": statistics.median(r["cpu_s"] for r in rs),
            "max_rss_mib": statistics.median(r["max_rss_kib"] for r in rs) / 1024,
            "rows_per_s": rows / statistics.median(walls),
        }
        conv = [r["convert_s"] for r in rs if r.get("convert_s") is not None]
        if conv:
            med[key]["startup_s"] = statistics.median(walls) - statistics.median(conv)
    arch = med.get("archiver", {}).get("wall_s")
    lines = [
        f"| tool | runs | median wall s (min–max) | median CPU s | median peak RSS MiB | rows/s | archiver wall ÷ tool wall |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, label in TOOLS:
        m = med.get(key)
        if m is None:
            skipped = info.get(f"{key}_skipped")
            if skipped:
                lines.append(f"| {label} | 0 | skipped: {skipped} | | | | |")
            continue
        ratio = arch / m["wall_s"] if arch else None
        lines.append(f"| {label} | {m['runs']} | {fmt(m['wall_s'])} ({fmt(m['wall_min_s'])}–{fmt(m['wall_max_s'])}) "
                     f"| {fmt(m['cpu_s'])} | {fmt(m['max_rss_mib'], 1)} | {fmt(m['rows_per_s'], 0)} | {fmt(ratio)} |")
    notes = []
    for key, name in (("duckdb", "DuckDB"), ("duckdb_plain", "DuckDB plain"), ("pyarrow", "pyarrow"),
                      ("floor", "the typed-parse floor")):
        if arch and key in med:
            r = arch / med[key]["wall_s"]
            how = f"{1 / r:.2f}x faster" if r < 1 else f"{r:.2f}x slower"
            notes.append(f"- archiver wall / {name} wall = {r:.3f} (the archiver is {how})")
    for key, name in (("duckdb", "DuckDB"), ("duckdb_plain", "DuckDB plain"), ("pyarrow", "pyarrow")):
        if "startup_s" in med.get(key, {}):
            notes.append(f"- {name}'s wall includes ~{med[key]['startup_s']:.2f} s of Python start-up and imports")
    return med, lines, notes


def reported_rows(tool, text):
    """(rows, conversion seconds or None) from a tool's stdout.

    archiver: its JSON run summary; duckdb/pyarrow: a first line {"rows", "seconds"};
    floor (bench-parse): JSON {"rows": N}, a bare number, or else the last number in the text.
    """
    try:
        if tool == "archiver":
            return sum(p["rows"] for p in json.loads(text)["partitions"]), None
        doc = json.loads(text.strip().splitlines()[0])
        if isinstance(doc, dict):
            return int(doc["rows"]), doc.get("seconds")
        return int(doc), None
    except (ValueError, IndexError, KeyError, TypeError):
        nums = re.findall(r"\d[\d,_]*", text)
        return (int(re.sub(r"[,_]", "", nums[-1])) if nums else None), None


def record(a):
    m = json.loads(a.measure)
    rows, conv = reported_rows(a.tool, a.stdout_file.read_text(errors="replace"))
    if rows != a.rows:
        sys.exit(f"bench: {a.tool} reported {rows} rows in round {a.round}, want {a.rows} (stdout: {a.stdout_file})")
    m.update({"tool": a.tool, "round": a.round, "rows": rows, "convert_s": conv})
    with a.runs_file.open("a") as f:
        f.write(json.dumps(m) + "\n")
    print(f"   round {a.round} {a.tool:<8} wall {m['wall_s']:8.2f} s   cpu {m['cpu_s']:8.2f} s   "
          f"peak rss {m['max_rss_kib'] / 1024:8.1f} MiB", flush=True)


def parse_info(items):
    out = {}
    for it in items or []:
        k, _, v = it.partition("=")
        out[k] = v
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("machine")
    m.add_argument("--info", action="append")
    t = sub.add_parser("table")
    t.add_argument("--runs", required=True, type=Path)
    t.add_argument("--rows", required=True, type=int)
    t.add_argument("--md", required=True, type=Path)
    t.add_argument("--json", required=True, type=Path)
    t.add_argument("--info", action="append")
    r = sub.add_parser("record")
    r.add_argument("--tool", required=True)
    r.add_argument("--round", required=True, type=int)
    r.add_argument("--rows", required=True, type=int)
    r.add_argument("--measure", required=True)
    r.add_argument("--stdout-file", required=True, type=Path)
    r.add_argument("--runs-file", required=True, type=Path)
    a = ap.parse_args()
    if a.cmd == "record":
        record(a)
        return
    info = machine(parse_info(a.info))
    if a.cmd == "machine":
        print("\n".join(header_lines(info)))
        return
    runs = [json.loads(line) for line in a.runs.read_text().splitlines() if line.strip()]
    med, lines, notes = table(runs, a.rows, info)
    md = [f"## ea-usage-archiver replay benchmark: {a.rows:,} rows", "", *header_lines(info), "", *lines, "", *notes]
    text = "\n".join(md) + "\n"
    a.md.write_text(text)
    a.json.write_text(json.dumps({"rows": a.rows, "machine": info, "medians": med, "runs": runs}, indent=2) + "\n")
    sys.stdout.write("\n".join(lines + [""] + notes) + "\n")


if __name__ == "__main__":
    main()
