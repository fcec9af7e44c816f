"""Checks examples/airflow/ea_usage_archiver_dags.py with a real Airflow.

    bash scripts/airflow-env.sh && .cache/airflow-venv/bin/python tests/readers/check_dags.py

1. airflow.models.DagBag loads the file without import errors; ea_usage_daily has one task per
   (enrollment, this/previous month), ea_usage_backfill maps `archive` over partitions() with
   expand_kwargs.
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
"""

import importlib.util
import inspect
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ next to the DAG file
from common import ROOT, Checks  # noqa: E402

DAG_FILE = ROOT / "examples/airflow/ea_usage_archiver_dags.py"
KEY = "test-key-not-secret-0123456789"
STAND_IN = """#!/bin/sh
printf '%s\\n' "$0 $*" >"$FAKE_RECORD.argv"
printf '%s' "$EA_API_KEY" >"$FAKE_RECORD.key"
echo '{"level":"INFO","message":"stand-in"}' >&2
echo '{"run_id":"stand-in","partitions":[]}'
exit "$FAKE_EXIT"
"""


def load_dag_module():
    spec = importlib.util.spec_from_file_location("ea_usage_archiver_dags", DAG_FILE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def dagbag():
    from airflow.models import DagBag

    kwargs = {"dag_folder": str(DAG_FILE)}
    if "include_examples" in inspect.signature(DagBag.__init__).parameters:  # Airflow 2.x
        kwargs["include_examples"] = False
    return DagBag(**kwargs)


def structure(c, mod, bag):
    c.equal("DagBag: import errors", dict(bag.import_errors), {})
    c.equal("DagBag: DAG ids", sorted(bag.dag_ids), ["ea_usage_backfill", "ea_usage_daily"])
    daily, back = bag.dags["ea_usage_daily"], bag.dags["ea_usage_backfill"]
    schedule = daily.schedule if hasattr(daily, "schedule") else daily.schedule_interval  # 3 / 2
    c.equal("daily: schedule @daily, no catchup, one run at a time",
            (str(schedule), daily.catchup, daily.max_active_runs), ("@daily", False, 1))
    want = {f"archive_{e}_{which}": (e, month) for e in mod.ENROLLMENTS
            for which, month in (("this_month", mod.THIS_MONTH), ("previous_month", mod.PREVIOUS_MONTH))}
    c.equal("daily: one task per (enrollment, this/previous month)", sorted(daily.task_ids), sorted(want))
    for task_id, (enrollment, month) in want.items():
        t = daily.get_task(task_id)
        c.equal(f"daily: {task_id}: templated kwargs, max_active_tis_per_dag, retries",
                (t.op_kwargs, t.max_active_tis_per_dag, t.retries),
                ({"enrollment": enrollment, "month": month, "dest": mod.LAKE}, 1, 3))
    schedule = back.schedule if hasattr(back, "schedule") else back.schedule_interval
    c.equal("backfill: manual (schedule None), one run at a time, params",
            (schedule, back.max_active_runs, sorted(back.params.keys())), (None, 1, ["enrollments", "months"]))
    t = back.get_task("archive")
    c.equal("backfill: archive is mapped with expand_kwargs over partitions()",
            (type(t.op_kwargs_expand_input).__name__, [u.task_id for u in t.upstream_list]),
            ("ListOfDictsExpandInput", ["partitions"]))
    c.equal("backfill: archive's fixed dest", t.partial_kwargs["op_kwargs"], {"dest": mod.LAKE})


def wrapper(c, mod, tmp):
    binary = tmp / "stand-in.sh"
    binary.write_text(STAND_IN)
    binary.chmod(0o755)
    record = tmp / "record"
    os.environ.update(EA_USAGE_ARCHIVER=str(binary), FAKE_RECORD=str(record))
    for code in list(range(10)) + [130, 143]:
        os.environ["FAKE_EXIT"] = str(code)
        try:
            got = mod.archive.function(enrollment="1234567", month="2024-01", dest=str(tmp / "lake"))
        except mod.AirflowFailException:
            got = "AirflowFailException (no retry)"
        except mod.AirflowException:
            got = "AirflowException (retried)"
        want = {0: {"run_id": "stand-in", "partitions": []}}.get(
            code, "AirflowFailException (no retry)" if code in (2, 3, 6) else "AirflowException (retried)")
        c.equal(f"wrapper: exit {code}", got, want)
    argv = (tmp / "record.argv").read_text()
    c.check("wrapper: command line is the documented one, without the key",
            KEY not in argv and argv.split()[1:] == ["archive", "--enrollment", "1234567", "--month", "2024-01",
                                                     "--dest", str(tmp / "lake"), "--log-format", "json"], argv)
    c.equal("wrapper: EA_API_KEY in the child's environment", (tmp / "record.key").read_text(), KEY)


SLOW_STAND_IN = """#!/bin/sh
echo $$ >"$FAKE_RECORD.pid"
trap 'echo terminated >"$FAKE_RECORD.term"; exit 143' TERM
sleep 60 & wait
"""
STUBBORN_STAND_IN = """#!/bin/sh
trap '' TERM
echo $$ >"$FAKE_RECORD.pid"
sleep 60 & wait
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited: only its exit status is left.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def stopping(c, mod, tmp):
    """A task that ends early (here its timeout, raised the way Airflow raises it: an exception
    from a SIGALRM handler inside the task) stops the archiver before it returns."""
    import signal

    record = tmp / "slow"
    os.environ["FAKE_RECORD"] = str(record)
    for name, script, grace in (("SIGTERM honoured", SLOW_STAND_IN, None), ("SIGTERM ignored", STUBBORN_STAND_IN, 1)):
        binary = tmp / f"stand-in-{grace}.sh"
        binary.write_text(script)
        binary.chmod(0o755)
        os.environ["EA_USAGE_ARCHIVER"] = str(binary)
        old_grace = mod.STOP_GRACE
        if grace is not None:
            mod.STOP_GRACE = grace

        class TaskTimeout(Exception):
            pass

        def on_alarm(*_):
            raise TaskTimeout()

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(2)
        started = time.monotonic()
        try:
            mod.archive.function(enrollment="1234567", month="2024-01", dest=str(tmp / "lake"))
            timed_out = False
        except TaskTimeout:
            timed_out = True
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
            mod.STOP_GRACE = old_grace
        pid = int((tmp / "slow.pid").read_text())
        c.check(f"timeout, {name}: the task ended by its timeout", timed_out)
        c.check(f"timeout, {name}: the archiver is gone when the task ends", not alive(pid), pid)
        c.check(f"timeout, {name}: within the grace", time.monotonic() - started < 2 + (grace or 30) + 5)
        if grace is None:
            c.check("timeout, SIGTERM honoured: the archiver got SIGTERM", (tmp / "slow.term").exists())


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
            dag = dagbag().dags[dag_id]
            if retries is not None:  # fast retries instead of 10 minutes apart
                for t in dag.tasks:
                    t.retries, t.retry_delay, t.retry_exponential_backoff = retries, timedelta(0), False
            dr = dag.test(**test_kwargs)
            return dr.state, {(ti.task_id, ti.map_index): (ti.state, ti.try_number) for ti in dr.get_task_instances()}
        finally:
            sim.stop()

    def files():
        return sorted(str(p.relative_to(lake).parent) for p in lake.glob("enrollment=*/year=*/month=*/*.parquet"))

    # The daily run that starts at 2024-02-01 00:00: Airflow 3 names it by that time, Airflow 2
    # by the start of the interval it follows.
    feb1 = datetime(2024, 2, 1, tzinfo=timezone.utc)
    from airflow.models import DAG

    if "logical_date" in inspect.signature(DAG.test).parameters:
        feb1 = {"logical_date": feb1}
    else:
        feb1 = {"execution_date": feb1 - timedelta(days=1)}
        import airflow.providers.fab.auth_manager.models  # noqa: F401 - dag_run_note's user table
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
        # Before airflow is imported: its home, the DAG folder (dag.test syncs it), the key.
        os.environ.update(
            AIRFLOW_HOME=str(tmp / "home"),
            AIRFLOW__CORE__DAGS_FOLDER=str(DAG_FILE.parent),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
            AIRFLOW_VAR_EA_API_KEY=KEY,
            PYTHONDONTWRITEBYTECODE="1",
        )
        migrate = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True)
        if not c.check("airflow db migrate", migrate.returncode == 0, migrate.stderr[-2000:]):
            sys.exit(c.finish("dags"))
        import airflow

        print(f"== airflow {airflow.__version__}", flush=True)
        mod = load_dag_module()
        c.run("structure", lambda: structure(c, mod, dagbag()))
        c.run("wrapper", wrapper, c, mod, tmp)
        c.run("stopping", stopping, c, mod, tmp)
        c.run("partitions", partitions, c, mod)
        if Path(binary).is_file():
            c.run("e2e", end_to_end, c, mod, binary, tmp)
        else:
            print(f"skip end-to-end: no archiver binary at {binary} (set EAUA_BIN)", flush=True)
    sys.exit(c.finish("dags"))


if __name__ == "__main__":
    main()
