"""Checks examples/airflow/ea_usage_exports_sync_dag.py with a real Airflow, as check_dags.py
checks ea_usage_archiver_dags.py (helpers shared in dag_common.py).

    bash scripts/airflow-env.sh && EAUA_BIN=PATH .cache/airflow-venv/bin/python tests/readers/check_exports_dag.py

1. Parsed in a fresh process, as Airflow's DAG processor parses it, the file alone has
   ea_usage_exports_sync and no import error; the whole dags folder (both DAG files and
   ea_usage_common.py, the module they share, with no DAG) has no import error and each DAG
   once, from its own file. @daily, no catchup, one run at a time.
2. ENROLLMENTS, LAKE, DEFAULT_ARGS and run_archiver are ea_usage_common's, as in
   ea_usage_archiver_dags.py; one task per enrollment, no upstream, templated kwargs (exports
   root, lake), max_active_tis_per_dag 1, and the retries, delay, backoff and timeout of
   ea_usage_daily's tasks.
3. The wrapper on a stand-in binary: the command line is `archive --source exports
   --exports-root ROOT --enrollment E --dest LAKE --log-format json` (no --month, no period
   flag, no key), with no ea_api_key Variable; every exit code (0-9, 130, 143, 255) ends as in
   ea_usage_daily: 2, 3, 6 AirflowFailException, the others AirflowException; a task ending
   early stops the archiver (SIGTERM, then SIGKILL after the grace).
4. With the archiver ($EAUA_BIN, default target/debug/ea-usage-archiver; 4 and 5 skipped only
   when there is no binary at all, as in check_dags.py): `archive --help` has `--source
   exports`, `--exports-root`, `--export-name` and an optional --enrollment (a binary without
   them fails these checks, and 5).
5. dag.test() on a container written by `simulate-exports` for the first enrollment, days 1, 2
   and 3: that enrollment's task succeeds when every month's newest run is complete and fails
   after one try (exit 6, not retried) when one is not; the other enrollments' tasks fail after
   one try (nothing exported for them: exit 6); the lake then holds each complete month as
   expected (rows, exact cost) and leaves an incomplete one as it was. After day 1, the same
   command again reports every month `unchanged`, naming its run in `export`, and writes nothing.
Runs in a temporary AIRFLOW_HOME (SQLite). Ends with `exports-dag: N passed, M failed`.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ next to the DAG files or the checks
from common import ROOT, Checks  # noqa: E402
from dag_common import (  # noqa: E402
    COMMON_FILE, DAG_DIR, KEY, airflow_home, dag_modules, dagbag, exit_policy, fast_retries, outcome, parse_fresh,
    schedule_of, stopping, test_date)

DAG_FILE = DAG_DIR / "ea_usage_exports_sync_dag.py"
DAILY_FILE = DAG_DIR / "ea_usage_archiver_dags.py"
DAG_ID = "ea_usage_exports_sync"
SHARED = ("ENROLLMENTS", "LAKE", "DEFAULT_ARGS", "run_archiver")


def parsing(c, tmp):
    """The file alone, then the whole dags folder, each parsed in a fresh process as Airflow does."""
    c.equal(f"fresh parse: {DAG_FILE.name} alone: {DAG_ID}, no import error; the dags folder was on "
            "sys.path only once Airflow put it there", parse_fresh(tmp, DAG_FILE),
            {"on_path_before": False, "dags": {DAG_ID: DAG_FILE.name}, "errors": {}})
    c.equal(f"fresh parse of the dags folder (both DAG files, {COMMON_FILE.name}): no import errors, each DAG "
            "once, from its own file", parse_fresh(tmp, DAG_DIR),
            {"on_path_before": False, "errors": {},
             "dags": {"ea_usage_backfill": DAILY_FILE.name, "ea_usage_daily": DAILY_FILE.name, DAG_ID: DAG_FILE.name}})


def structure(c, common, mod, daily_mod):
    bag = dagbag(DAG_FILE)
    c.equal("DagBag: import errors", dict(bag.import_errors), {})
    c.equal("DagBag: DAG ids", sorted(bag.dag_ids), [DAG_ID])
    dag = bag.dags[DAG_ID]
    c.equal("exports: schedule @daily, no catchup, one run at a time",
            (str(schedule_of(dag)), dag.catchup, dag.max_active_runs), ("@daily", False, 1))
    c.equal(f"exports: {', '.join(SHARED)} are ea_usage_common's, as in {DAILY_FILE.name}",
            [(n, m.__name__) for n in SHARED for m in (mod, daily_mod) if getattr(m, n) is not getattr(common, n)], [])
    want = {f"sync_exports_{e}": e for e in common.ENROLLMENTS}
    c.equal("exports: one task per enrollment, none upstream of another",
            (sorted(dag.task_ids), sorted(u.task_id for t in dag.tasks for u in t.upstream_list)), (sorted(want), []))
    daily_task = dagbag(DAILY_FILE).dags["ea_usage_daily"].tasks[0]
    retry = ("retries", "retry_delay", "retry_exponential_backoff", "execution_timeout")
    for task_id, enrollment in want.items():
        t = dag.get_task(task_id)
        c.equal(f"exports: {task_id}: templated kwargs, max_active_tis_per_dag",
                (t.op_kwargs, t.max_active_tis_per_dag),
                ({"enrollment": enrollment, "exports_root": "{{ var.value.ea_usage_exports_root }}",
                  "dest": "{{ var.value.ea_usage_lake }}"}, 1))
        c.equal(f"exports: {task_id}: retries, delay, backoff and timeout of ea_usage_daily's tasks",
                tuple(getattr(t, a) for a in retry), tuple(getattr(daily_task, a) for a in retry))


def wrapper(c, mod, tmp):
    root, lake = str(tmp / "exports"), str(tmp / "lake")
    record = tmp / "record"

    def run():
        return mod.sync_exports.function(enrollment="1234567", exports_root=root, dest=lake)

    key = os.environ.pop("AIRFLOW_VAR_EA_API_KEY")  # the exports task needs no key
    try:
        exit_policy(c, tmp, run)  # as ea_usage_daily's (check_dags.py)
        argv = record.with_suffix(".argv").read_text().split()[1:]
        c.equal("wrapper: the command line, with no ea_api_key Variable", argv,
                ["archive", "--source", "exports", "--exports-root", root, "--enrollment", "1234567",
                 "--dest", lake, "--log-format", "json"])
        c.check("wrapper: no --month, no other period flag, no key added",
                not {"--month", "--billing-period", "--from", "--to", "--from-dir", "--api-key-file"} & set(argv)
                and KEY not in " ".join(argv)
                and record.with_suffix(".key").read_text() == os.environ.get("EA_API_KEY", ""), " ".join(argv))
    finally:
        os.environ["AIRFLOW_VAR_EA_API_KEY"] = key


def binary_flags(c, binary):
    """The binary has the exports source's flags; --enrollment is optional."""
    help_text = subprocess.run([binary, "archive", "--help"], capture_output=True, text=True).stdout
    usage = next((line for line in help_text.splitlines() if line.startswith("Usage:")), "")
    missing = [flag for flag, there in (("--source exports", re.search(r"^\s*- exports:", help_text, re.M)),
                                         ("--exports-root", "--exports-root" in help_text),
                                         ("--export-name", "--export-name" in help_text)) if not there]
    c.check("binary: archive --help has --source exports, --exports-root, --export-name", not missing,
            f"missing: {', '.join(missing)}")
    c.check("binary: --enrollment is optional (required only by the API sources)", "--enrollment" not in usage, usage)


def end_to_end(c, mod, binary, tmp):
    """dag.test() against containers written by `simulate-exports`, the real binary, no stand-in."""
    root, lake = tmp / "e2e-exports", tmp / "e2e-lake"
    first, others = mod.ENROLLMENTS[0], mod.ENROLLMENTS[1:]
    os.environ.update(EA_USAGE_ARCHIVER=str(binary), AIRFLOW_VAR_EA_USAGE_EXPORTS_ROOT=str(root),
                      AIRFLOW_VAR_EA_USAGE_LAKE=str(lake))

    def snapshot():
        return {str(p.relative_to(lake)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in lake.glob("enrollment=*/year=*/month=*/*.parquet")}

    def current():
        out = subprocess.run([binary, "verify", "--dest", str(lake), "--enrollment", first, "--format", "json"],
                             capture_output=True, text=True)
        parts = json.loads(out.stdout)["partitions"] if out.stdout.strip() else []
        return {p["month"]: (p["rows"], p["cost_total"]) for p in parts if p.get("history_version") is None}

    def part(month):
        return f"enrollment={first}/year={month[:4]}/month={month[5:]}/usage-details.parquet"

    for day in (1, 2, 3):
        made = subprocess.run([binary, "simulate-exports", "--out", str(root), "--enrollment", first,
                               "--month", "2025-03", "--day", str(day)], capture_output=True, text=True)
        if not c.check(f"e2e day {day}: simulate-exports", made.returncode == 0, made.stderr[-1000:]):
            return
        expected = json.loads(made.stdout)
        before = snapshot()
        dag = dagbag(DAG_FILE).dags[DAG_ID]
        fast_retries(dag, 1)
        dr = dag.test(**test_date(datetime(2025, 3, day, 6, tzinfo=timezone.utc)))
        tis = {ti.task_id: (ti.state, ti.try_number) for ti in dr.get_task_instances()}
        complete = all(m["complete"] for m in expected)
        c.equal(f"e2e day {day}: {first}'s task {'succeeds' if complete else 'fails after one try (exit 6)'}, "
                "the others' fail after one try (nothing exported for them: exit 6)", tis,
                {f"sync_exports_{first}": ("success", 1) if complete else ("failed", 1),
                 **{f"sync_exports_{e}": ("failed", 1) for e in others}})
        after, now = snapshot(), current()
        for m in expected:
            if m["complete"]:
                c.equal(f"e2e day {day}: {m['month']} archived from {m['run_id']}", now.get(m["month"]),
                        (m["rows"], m["cost_total"]))
            else:
                c.equal(f"e2e day {day}: {m['month']} (run {m['run_id']} incomplete) left as it was",
                        after.get(part(m["month"])), before.get(part(m["month"])))
        if day == 1:
            summary = outcome(mod.sync_exports.function, enrollment=first, exports_root=str(root), dest=str(lake))
            got = sorted((p["month"], p["status"], (p.get("export") or {}).get("run_id"))
                         for p in summary["partitions"]) if isinstance(summary, dict) else summary
            c.equal("e2e day 1, the same command again: every month unchanged, naming its run", got,
                    sorted((m["month"], "unchanged", m["run_id"]) for m in expected))
            c.equal("e2e day 1, the same command again: nothing written", snapshot(), after)


def main():
    c = Checks()
    binary = os.environ.get("EAUA_BIN", str(ROOT / "target/debug/ea-usage-archiver"))
    with tempfile.TemporaryDirectory(prefix="eaua-airflow-exports-") as tmp:
        tmp = Path(tmp)
        if not airflow_home(c, tmp):
            sys.exit(c.finish("exports-dag"))
        c.run("parsing", parsing, c, tmp)
        if not (mods := dag_modules(c, DAG_FILE, DAILY_FILE)):
            sys.exit(c.finish("exports-dag"))
        common, mod, daily_mod = mods
        c.run("structure", structure, c, common, mod, daily_mod)
        c.run("wrapper", wrapper, c, mod, tmp)
        c.run("stopping", stopping, c, common, tmp,
              lambda: mod.sync_exports.function(enrollment="1234567", exports_root=str(tmp / "exports"),
                                                dest=str(tmp / "lake")))
        if Path(binary).is_file():
            c.run("binary", binary_flags, c, binary)
            c.run("e2e", end_to_end, c, mod, binary, tmp)
        else:
            print(f"skip binary checks and end-to-end: no archiver binary at {binary} (set EAUA_BIN)", flush=True)
    sys.exit(c.finish("exports-dag"))


if __name__ == "__main__":
    main()
