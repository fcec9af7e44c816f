"""Checks examples/airflow/ea_usage_archiver_dags.py with a real Airflow.

    bash scripts/airflow-env.sh && .cache/airflow-venv/bin/python tests/readers/check_dags.py

1. Parsed alone in a fresh process, as Airflow's DAG processor parses each file, the file has
   ea_usage_daily and ea_usage_backfill and no import error, and ea_usage_common.py (the module
   the DAG files share, no DAG in it) neither a DAG nor an error; the dags folder was not on
   sys.path before Airflow put it there. DagBag: ea_usage_daily has one task per (enrollment,
   this/previous month), ea_usage_backfill maps `archive` over partitions() with expand_kwargs;
   ENROLLMENTS, LAKE, DEFAULT_ARGS and run_archiver are ea_usage_common's.
2. The wrapper task on a stand-in binary: exit 0 returns the summary; 2, 3 and 6 raise
   AirflowFailException (never retried), 1, 4, 5, 8, 9, 130, 143 and others AirflowException
   (retried); the key is in the child's environment, never on its command line; a task that
   ends early (its timeout) leaves no archiver running: SIGTERM, then SIGKILL after the grace.
3. partitions(): each (enrollment, month) once; the daily DAG's recent months refused.
4. With the archiver ($EAUA_BIN, default target/debug/ea-usage-archiver; skipped if missing),
   dag.test() against its simulator: the daily run of 2024-02-01 archives 2024-01 and 2023-12 of
   every enrollment; the backfill archives its params' pairs; with retries=1, a 401 (exit 3)
   fails each task after one try and a 500 (exit 4) after two.
Runs in a temporary AIRFLOW_HOME (SQLite). Ends with `dags: N passed, M failed`.
Helpers shared with check_exports_dag.py are in dag_common.py.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ next to the DAG files
from common import ROOT, Checks  # noqa: E402
from dag_common import (  # noqa: E402
    COMMON_FILE, DAG_DIR, KEY, airflow_home, dag_modules, dagbag, exit_policy, fast_retries, outcome, parse_fresh,
    schedule_of, stopping, test_date)

DAG_FILE = DAG_DIR / "ea_usage_archiver_dags.py"


def parsing(c, tmp):
    """Each file parsed alone in a fresh process, as Airflow 3's DAG processor parses it."""
    for path, dags in ((DAG_FILE, {"ea_usage_backfill": DAG_FILE.name, "ea_usage_daily": DAG_FILE.name}),
                       (COMMON_FILE, {})):
        c.equal(f"fresh parse: {path.name} alone: {', '.join(dags) or 'no DAG'}, no import error; the dags "
                "folder was on sys.path only once Airflow put it there", parse_fresh(tmp, path),
                {"on_path_before": False, "dags": dags, "errors": {}})


def structure(c, common, mod, bag):
    c.equal("DagBag: import errors", dict(bag.import_errors), {})
    c.equal("DagBag: DAG ids", sorted(bag.dag_ids), ["ea_usage_backfill", "ea_usage_daily"])
    daily, back = bag.dags["ea_usage_daily"], bag.dags["ea_usage_backfill"]
    c.equal("daily: schedule @daily, no catchup, one run at a time",
            (str(schedule_of(daily)), daily.catchup, daily.max_active_runs), ("@daily", False, 1))
    want = {f"archive_{e}_{which}": (e, month) for e in mod.ENROLLMENTS
            for which, month in (("this_month", mod.THIS_MONTH), ("previous_month", mod.PREVIOUS_MONTH))}
    c.equal("daily: one task per (enrollment, this/previous month)", sorted(daily.task_ids), sorted(want))
    for task_id, (enrollment, month) in want.items():
        t = daily.get_task(task_id)
        c.equal(f"daily: {task_id}: templated kwargs, max_active_tis_per_dag, retries",
                (t.op_kwargs, t.max_active_tis_per_dag, t.retries),
                ({"enrollment": enrollment, "month": month, "dest": mod.LAKE}, 1, 3))
    c.equal("backfill: manual (schedule None), one run at a time, params",
            (schedule_of(back), back.max_active_runs, sorted(back.params.keys())), (None, 1, ["enrollments", "months"]))
    t = back.get_task("archive")
    c.equal("backfill: archive is mapped with expand_kwargs over partitions()",
            (type(t.op_kwargs_expand_input).__name__, [u.task_id for u in t.upstream_list]),
            ("ListOfDictsExpandInput", ["partitions"]))
    c.equal("backfill: archive's fixed dest", t.partial_kwargs["op_kwargs"], {"dest": mod.LAKE})
    shared = ("ENROLLMENTS", "LAKE", "DEFAULT_ARGS", "run_archiver")
    c.equal(f"shared: {', '.join(shared)} are ea_usage_common's",
            [n for n in shared if getattr(mod, n) is not getattr(common, n)], [])


def wrapper(c, mod, tmp):
    lake = str(tmp / "lake")

    def run():
        return mod.archive.function(enrollment="1234567", month="2024-01", dest=lake)

    exit_policy(c, tmp, run)
    argv = (tmp / "record.argv").read_text()
    c.check("wrapper: command line is the documented one, without the key",
            KEY not in argv and argv.split()[1:] == ["archive", "--enrollment", "1234567", "--month", "2024-01",
                                                     "--dest", lake, "--log-format", "json"], argv)
    c.equal("wrapper: EA_API_KEY in the child's environment", (tmp / "record.key").read_text(), KEY)
    key = os.environ.pop("AIRFLOW_VAR_EA_API_KEY")
    try:
        c.equal("wrapper: no ea_api_key Variable: fails, not retried", outcome(run), "AirflowFailException (no retry)")
    finally:
        os.environ["AIRFLOW_VAR_EA_API_KEY"] = key


def partitions(c, mod):
    got = mod.partitions.function(params={"enrollments": ["7654321", "1234567", "1234567"],
                                          "months": ["2023-02", "2023-01", "2023-02"]})
    c.equal("partitions: each pair once, sorted", got,
            [{"enrollment": e, "month": m} for e in ("1234567", "7654321") for m in ("2023-01", "2023-02")])
    now = datetime.now(timezone.utc).strftime("%Y-%m")
    try:
        mod.partitions.function(params={"enrollments": ["1234567"], "months": ["2023-01", now]})
        refused = False
    except mod.AirflowFailException:
        refused = True
    c.check(f"partitions: refuses {now}, a month ea_usage_daily archives", refused)


class Simulator:
    """The archiver's simulator on a free loopback port, with optional faults."""

    def __init__(self, binary, tmp, *faults):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = tmp / f"sim-{self.port}.log"
        args = [binary, "simulate", "--listen", f"127.0.0.1:{self.port}", "--rows-per-month", "300"]
        for f in faults:
            args += ["--fault", f]
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(args, stderr=log, env={**os.environ, "EA_API_KEY": KEY})
        for _ in range(100):
            if "listening on" in self.log.read_text() or self.proc.poll() is not None:
                break
            time.sleep(0.1)
        if "listening on" not in self.log.read_text():
            self.stop()
            raise RuntimeError(f"simulator did not start: {self.log.read_text()}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def end_to_end(c, mod, binary, tmp):
    """dag.test() runs, the archiver pointed at the simulator by a wrapper adding --base-url."""
    lake = tmp / "e2e-lake"
    wrapper_sh = tmp / "archiver.sh"
    os.environ.update(EA_USAGE_ARCHIVER=str(wrapper_sh), AIRFLOW_VAR_EA_USAGE_LAKE=str(lake))

    def run(dag_id, faults=(), retries=None, **test_kwargs):
        sim = Simulator(binary, tmp, *faults)
        wrapper_sh.write_text(f'#!/bin/sh\nexec "{binary}" "$@" --base-url http://127.0.0.1:{sim.port} --max-retries 0\n')
        wrapper_sh.chmod(0o755)
        try:
            dag = dagbag(DAG_FILE).dags[dag_id]
            if retries is not None:
                fast_retries(dag, retries)
            dr = dag.test(**test_kwargs)
            return dr.state, {(ti.task_id, ti.map_index): (ti.state, ti.try_number) for ti in dr.get_task_instances()}
        finally:
            sim.stop()

    def files():
        return sorted(str(p.relative_to(lake).parent) for p in lake.glob("enrollment=*/year=*/month=*/*.parquet"))

    feb1 = test_date(datetime(2024, 2, 1, tzinfo=timezone.utc))  # the daily run that starts at 2024-02-01 00:00
    state, tis = run("ea_usage_daily", **feb1)
    c.equal("e2e daily 2024-02-01: run state", state, "success")
    c.equal("e2e daily 2024-02-01: 2024-01 and 2023-12 of every enrollment archived", files(),
            sorted(f"enrollment={e}/year={y}/month={m}" for e in mod.ENROLLMENTS for y, m in (("2024", "01"), ("2023", "12"))))

    for p in lake.rglob("*.parquet"):
        p.unlink()
    state, tis = run("ea_usage_backfill", run_conf={"enrollments": ["1234567", "1234567"], "months": ["2023-06", "2023-07"]})
    c.equal("e2e backfill: run state, mapped instances", (state, sorted(k for k in tis if k[0] == "archive")),
            ("success", [("archive", 0), ("archive", 1)]))
    c.equal("e2e backfill: its pairs archived", files(),
            ["enrollment=1234567/year=2023/month=06", "enrollment=1234567/year=2023/month=07"])

    for fault, tries, what in (("status=401@1", 1, "401 (exit 3): failed after 1 try"),
                               ("status=500@1", 2, "500 (exit 4): failed after 2 tries")):
        state, tis = run("ea_usage_daily", faults=[fault], retries=1, **feb1)
        c.equal(f"e2e daily, retries=1, {what}", (state, sorted(set(tis.values()))), ("failed", [("failed", tries)]))


def main():
    c = Checks()
    binary = os.environ.get("EAUA_BIN", str(ROOT / "target/debug/ea-usage-archiver"))
    with tempfile.TemporaryDirectory(prefix="eaua-airflow-") as tmp:
        tmp = Path(tmp)
        if not airflow_home(c, tmp):
            sys.exit(c.finish("dags"))
        c.run("parsing", parsing, c, tmp)
        if not (mods := dag_modules(c, DAG_FILE)):
            sys.exit(c.finish("dags"))
        common, mod = mods
        c.run("structure", lambda: structure(c, common, mod, dagbag(DAG_FILE)))
        c.run("wrapper", wrapper, c, mod, tmp)
        c.run("stopping", stopping, c, common, tmp,
              lambda: mod.archive.function(enrollment="1234567", month="2024-01", dest=str(tmp / "lake")))
        c.run("partitions", partitions, c, mod)
        if Path(binary).is_file():
            c.run("e2e", end_to_end, c, mod, binary, tmp)
        else:
            print(f"skip end-to-end: no archiver binary at {binary} (set EAUA_BIN)", flush=True)
    sys.exit(c.finish("dags"))


if __name__ == "__main__":
    main()
