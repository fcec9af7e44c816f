"""Checks examples/airflow/ea_usage_exports_sync_dag.py with a real Airflow, as
tests/readers/check_dags.py checks ea_usage_archiver_dags.py (whose helpers it reuses).

    bash scripts/airflow-env.sh && EAUA_BIN=PATH .cache/airflow-venv/bin/python scripts/check_exports_sync_dag.py

1. DagBag loads the file without import errors and finds ea_usage_exports_sync alone in it; the
   whole DAG folder loads too, each DAG once, from its own file (the exports DAG reads the other
   file's constants from its source, never imports it). @daily, no catchup, one run at a time.
2. ENROLLMENTS, LAKE, DEFAULT_ARGS, NO_RETRY, RETRIED and STOP_GRACE are the other file's; one
   task per enrollment, no upstream, templated kwargs (exports root, lake), max_active_tis_per_dag
   1, and the retries, delay, backoff and timeout of ea_usage_daily's tasks.
3. The wrapper on a stand-in binary: the command line is `archive --source exports
   --exports-root ROOT --enrollment E --dest LAKE --log-format json` (no --month, no period
   flag, no key), with no ea_api_key Variable; every exit code (0-9, 130, 143, 255) ends as in
   ea_usage_daily's wrapper: 2, 3, 6 AirflowFailException, the others AirflowException; a task
   ending early stops the archiver (SIGTERM, then SIGKILL after the grace).
4. With the archiver ($EAUA_BIN, default target/debug/ea-usage-archiver): `archive --help` has
   `--source exports`, `--exports-root`, `--export-name` and an optional --enrollment. A binary
   without them that is older than a file of src/ (or Cargo.toml/Cargo.lock) predates the exports
   source: that check and 5 are skipped, saying so; a newer one fails.
5. dag.test() on a container written by `simulate-exports` for the first enrollment, days 1, 2
   and 3: that enrollment's task succeeds when every month's newest run is complete and fails
   after one try (exit 6, not retried) when one is not; the other enrollments' tasks fail after
   one try (nothing exported for them: exit 6); the lake then holds each complete month as
   expected (rows, exact cost) and leaves an incomplete one as it was. After day 1, the same
   command again reports every month `unchanged`, naming its run in `export`, and writes nothing.
Runs in a temporary AIRFLOW_HOME (SQLite). Ends with `exports-dag: N passed, M failed`.
"""

import hashlib
import importlib.util
import inspect
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ next to the DAG files or the checks
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests/readers"))
from check_dags import KEY, SLOW_STAND_IN, STAND_IN, STUBBORN_STAND_IN, alive  # noqa: E402
from common import ROOT, Checks  # noqa: E402

DAG_DIR = ROOT / "examples/airflow"
DAG_FILE = DAG_DIR / "ea_usage_exports_sync_dag.py"
SHARED_FILE = DAG_DIR / "ea_usage_archiver_dags.py"
DAG_ID = "ea_usage_exports_sync"
SHARED = ("ENROLLMENTS", "LAKE", "DEFAULT_ARGS", "NO_RETRY", "RETRIED", "STOP_GRACE")
EXIT_CODES = list(range(10)) + [130, 143, 255]


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def dagbag(path):
    from airflow.models import DagBag

    kwargs = {"dag_folder": str(path)}
    if "include_examples" in inspect.signature(DagBag.__init__).parameters:  # Airflow 2.x
        kwargs["include_examples"] = False
    return DagBag(**kwargs)


def structure(c, mod, daily_mod):
    bag = dagbag(DAG_FILE)
    c.equal("DagBag: import errors", dict(bag.import_errors), {})
    c.equal("DagBag: DAG ids", sorted(bag.dag_ids), [DAG_ID])
    folder = dagbag(DAG_DIR)
    c.equal("DagBag of the folder: no import errors, each DAG once, from its own file",
            (dict(folder.import_errors), {d: Path(folder.dags[d].fileloc).name for d in folder.dag_ids}),
            ({}, {"ea_usage_daily": SHARED_FILE.name, "ea_usage_backfill": SHARED_FILE.name, DAG_ID: DAG_FILE.name}))
    dag = bag.dags[DAG_ID]
    schedule = dag.schedule if hasattr(dag, "schedule") else dag.schedule_interval  # 3 / 2
    c.equal("exports: schedule @daily, no catchup, one run at a time",
            (str(schedule), dag.catchup, dag.max_active_runs), ("@daily", False, 1))
    for name in SHARED:
        c.equal(f"exports: {name} is ea_usage_archiver_dags.py's", getattr(mod, name), getattr(daily_mod, name))
    want = {f"sync_exports_{e}": e for e in daily_mod.ENROLLMENTS}
    c.equal("exports: one task per enrollment, none upstream of another",
            (sorted(dag.task_ids), sorted(u.task_id for t in dag.tasks for u in t.upstream_list)), (sorted(want), []))
    daily_task = dagbag(SHARED_FILE).dags["ea_usage_daily"].tasks[0]
    retry = ("retries", "retry_delay", "retry_exponential_backoff", "execution_timeout")
    for task_id, enrollment in want.items():
        t = dag.get_task(task_id)
        c.equal(f"exports: {task_id}: templated kwargs, max_active_tis_per_dag",
                (t.op_kwargs, t.max_active_tis_per_dag),
                ({"enrollment": enrollment, "exports_root": "{{ var.value.ea_usage_exports_root }}",
                  "dest": daily_mod.LAKE}, 1))
        c.equal(f"exports: {task_id}: retries, delay, backoff and timeout of ea_usage_daily's tasks",
                tuple(getattr(t, a) for a in retry), tuple(getattr(daily_task, a) for a in retry))


def outcome(fn, **kwargs):
    try:
        return fn(**kwargs)
    except Exception as e:  # noqa: BLE001 - the exception's class is the outcome
        name = type(e).__name__
        if name not in ("AirflowFailException", "AirflowException"):
            raise
        return name + (" (no retry)" if name == "AirflowFailException" else " (retried)")


def wrapper(c, mod, daily_mod, tmp):
    binary = tmp / "stand-in.sh"
    binary.write_text(STAND_IN)
    binary.chmod(0o755)
    record = tmp / "record"
    os.environ.update(EA_USAGE_ARCHIVER=str(binary), FAKE_RECORD=str(record))
    root, lake = str(tmp / "exports"), str(tmp / "lake")
    key = os.environ.pop("AIRFLOW_VAR_EA_API_KEY")  # the exports task needs no key
    try:
        os.environ["FAKE_EXIT"] = "0"
        got = outcome(mod.sync_exports.function, enrollment="1234567", exports_root=root, dest=lake)
        c.equal("wrapper: exit 0 returns the summary, with no ea_api_key Variable", got,
                {"run_id": "stand-in", "partitions": []})
        argv = (record.with_suffix(".argv")).read_text().split()[1:]
        c.equal("wrapper: the command line", argv,
                ["archive", "--source", "exports", "--exports-root", root, "--enrollment", "1234567",
                 "--dest", lake, "--log-format", "json"])
        c.check("wrapper: no --month, no other period flag, no key added",
                not {"--month", "--billing-period", "--from", "--to", "--from-dir", "--api-key-file"} & set(argv)
                and KEY not in " ".join(argv)
                and record.with_suffix(".key").read_text() == os.environ.get("EA_API_KEY", ""), " ".join(argv))
        for code in EXIT_CODES:
            os.environ["FAKE_EXIT"] = str(code)
            got = outcome(mod.sync_exports.function, enrollment="1234567", exports_root=root, dest=lake)
            os.environ["AIRFLOW_VAR_EA_API_KEY"] = key
            daily = outcome(daily_mod.archive.function, enrollment="1234567", month="2024-01", dest=lake)
            os.environ.pop("AIRFLOW_VAR_EA_API_KEY")
            want = got if code == 0 else ("AirflowFailException (no retry)" if code in (2, 3, 6)
                                          else "AirflowException (retried)")
            c.equal(f"wrapper: exit {code} ends as in ea_usage_daily", (got, daily), (want, want))
    finally:
        os.environ["AIRFLOW_VAR_EA_API_KEY"] = key


def stopping(c, mod, tmp):
    """A task ended by its timeout (an exception from a SIGALRM handler, as Airflow raises it)
    stops the archiver before it returns."""
    record = tmp / "slow"
    os.environ["FAKE_RECORD"] = str(record)
    for name, script, grace in (("SIGTERM honoured", SLOW_STAND_IN, None), ("SIGTERM ignored", STUBBORN_STAND_IN, 1)):
        binary = tmp / f"slow-stand-in-{grace}.sh"
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
            mod.sync_exports.function(enrollment="1234567", exports_root=str(tmp / "exports"), dest=str(tmp / "lake"))
            timed_out = False
        except TaskTimeout:
            timed_out = True
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
            mod.STOP_GRACE = old_grace
        pid = int((tmp / "slow.pid").read_text())
        c.check(f"timeout, {name}: the task ended by its timeout", timed_out)
        c.check(f"timeout, {name}: the archiver is gone when the task ends", not alive(pid), f"pid {pid}")
        c.check(f"timeout, {name}: within the grace", time.monotonic() - started < 2 + (grace or mod.STOP_GRACE) + 5)
        if grace is None:
            c.check("timeout, SIGTERM honoured: the archiver got SIGTERM", (tmp / "slow.term").exists())


def binary_knows_exports(c, binary):
    """True when the binary has the exports source; None when it predates it (skipped)."""
    help_text = subprocess.run([binary, "archive", "--help"], capture_output=True, text=True).stdout
    usage = next((line for line in help_text.splitlines() if line.startswith("Usage:")), "")
    missing = [flag for flag, there in (("--source exports", re.search(r"^\s*- exports:", help_text, re.M)),
                                         ("--exports-root", "--exports-root" in help_text),
                                         ("--export-name", "--export-name" in help_text)) if not there]
    knows = "--source exports" not in missing and "--exports-root" not in missing
    if not knows:
        built = Path(binary).stat().st_mtime
        sources = [ROOT / "Cargo.toml", ROOT / "Cargo.lock", *(ROOT / "src").rglob("*.rs")]
        newer = sorted(str(p.relative_to(ROOT)) for p in sources if p.stat().st_mtime > built)
        if newer:
            print(f"skip binary checks: {binary} has no `--source exports` and is older than "
                  f"{len(newer)} source file(s) ({', '.join(newer[:3])}{', …' if len(newer) > 3 else ''}): "
                  "rebuild it (or let scripts/test.sh build the wheel) to check its flags and run the DAG",
                  flush=True)
            return None
    ok = c.check("binary: archive --help has --source exports, --exports-root, --export-name", not missing,
                 f"missing: {', '.join(missing)}")
    c.check("binary: --enrollment is optional (required only by the API sources)", "--enrollment" not in usage, usage)
    return ok


def end_to_end(c, mod, binary, tmp):
    """dag.test() against containers written by `simulate-exports`, the real binary, no stand-in."""
    root, lake = tmp / "e2e-exports", tmp / "e2e-lake"
    first, others = mod.ENROLLMENTS[0], mod.ENROLLMENTS[1:]
    os.environ.update(EA_USAGE_ARCHIVER=str(binary), AIRFLOW_VAR_EA_USAGE_EXPORTS_ROOT=str(root),
                      AIRFLOW_VAR_EA_USAGE_LAKE=str(lake))
    from airflow.models import DAG

    def test_kwargs(day):
        when = datetime(2025, 3, day, 6, tzinfo=timezone.utc)
        if "logical_date" in inspect.signature(DAG.test).parameters:
            return {"logical_date": when}
        import airflow.providers.fab.auth_manager.models  # noqa: F401 - dag_run_note's user table
        return {"execution_date": when - timedelta(days=1)}

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
        for t in dag.tasks:  # a retried exit retries at once instead of 10 minutes later
            t.retries, t.retry_delay, t.retry_exponential_backoff = 1, timedelta(0), False
        dr = dag.test(**test_kwargs(day))
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
        # Before airflow is imported: its home, the DAG folder (dag.test syncs it), the key.
        os.environ.update(
            AIRFLOW_HOME=str(tmp / "home"),
            AIRFLOW__CORE__DAGS_FOLDER=str(DAG_DIR),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
            AIRFLOW_VAR_EA_API_KEY=KEY,
            PYTHONDONTWRITEBYTECODE="1",
        )
        migrate = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True)
        if not c.check("airflow db migrate", migrate.returncode == 0, migrate.stderr[-2000:]):
            sys.exit(c.finish("exports-dag"))
        import airflow

        print(f"== airflow {airflow.__version__}", flush=True)
        mod = load(DAG_FILE, "ea_usage_exports_sync_dag")
        daily_mod = load(SHARED_FILE, "ea_usage_archiver_dags")
        c.run("structure", structure, c, mod, daily_mod)
        c.run("wrapper", wrapper, c, mod, daily_mod, tmp)
        c.run("stopping", stopping, c, mod, tmp)
        if not Path(binary).is_file():
            print(f"skip binary checks and end-to-end: no archiver binary at {binary} (set EAUA_BIN)", flush=True)
        elif binary_knows_exports(c, binary):
            c.run("e2e", end_to_end, c, mod, binary, tmp)
    sys.exit(c.finish("exports-dag"))


if __name__ == "__main__":
    main()
