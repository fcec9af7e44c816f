"""Shared helpers for the Airflow DAG checks (check_dags.py, check_exports_dag.py).

A temporary Airflow home (SQLite, migrated); DagBags built the way Airflow builds them; a parse
of DAG files in a fresh process, as the DAG processor does; the DAG files as modules (sharing
one ea_usage_common with the DagBags); stand-in archivers; the exit-code policy and the
stop-on-timeout checks, which both DAG files get from ea_usage_common.run_archiver; dag.test()'s
date argument on Airflow 3 and 2.
"""

import importlib
import importlib.util
import inspect
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from common import ROOT

DAG_DIR = ROOT / "examples/airflow"  # the dags folder: the DAG files and ea_usage_common.py
COMMON_FILE = DAG_DIR / "ea_usage_common.py"
KEY = "test-key-not-secret-0123456789"
EXIT_CODES = list(range(10)) + [130, 143, 255]
STAND_IN = """#!/bin/sh
printf '%s\\n' "$0 $*" >"$FAKE_RECORD.argv"
printf '%s' "$EA_API_KEY" >"$FAKE_RECORD.key"
echo '{"level":"INFO","message":"stand-in"}' >&2
echo '{"run_id":"stand-in","partitions":[]}'
exit "$FAKE_EXIT"
"""
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


def airflow_home(c, tmp):
    """Points Airflow at a fresh home under `tmp` and the dags folder, migrates its database and
    imports airflow. Call before anything imports airflow. False if the migration failed."""
    os.environ.update(
        AIRFLOW_HOME=str(tmp / "home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAG_DIR),  # dag.test() syncs this folder
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        AIRFLOW_VAR_EA_API_KEY=KEY,
        PYTHONDONTWRITEBYTECODE="1",
    )
    migrate = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], capture_output=True, text=True)
    if not c.check("airflow db migrate", migrate.returncode == 0, migrate.stderr[-2000:]):
        return False
    import airflow

    print(f"== airflow {airflow.__version__}", flush=True)
    return True


def dagbag(path):
    """A DagBag of `path` (a file or the dags folder), built as Airflow 3's DAG processor and task
    runner build it (a BundleDagBag, which puts the dags folder on sys.path), or on Airflow 2 as a
    DagBag (`import airflow` put the dags folder on sys.path)."""
    try:
        from airflow.dag_processing.dagbag import BundleDagBag
    except ImportError:  # Airflow 2.x
        from airflow.models import DagBag

        kwargs = {"dag_folder": str(path)}
        if "include_examples" in inspect.signature(DagBag.__init__).parameters:
            kwargs["include_examples"] = False
        return DagBag(**kwargs)
    return BundleDagBag(dag_folder=str(path), bundle_path=DAG_DIR, bundle_name="dags-folder")


PARSE = r"""
import json, sys
from pathlib import Path

on_path_before = sys.argv[1] in sys.path  # the dags folder
sys.path.insert(0, sys.argv[2])  # dag_common, for dagbag(); not the dags folder
from dag_common import dagbag

bag = dagbag(sys.argv[3])
print(json.dumps({
    "on_path_before": on_path_before,
    "dags": {d: Path(bag.dags[d].fileloc).name for d in sorted(bag.dag_ids)},
    "errors": {Path(f).name: " ".join(str(e).split())[:300] for f, e in bag.import_errors.items()},
}))
"""


def parse_fresh(tmp, path):
    """Parses `path` (a DAG file, or the dags folder) with dagbag() in a Python of its own, as
    Airflow 3's DAG processor parses each file: started outside the dags folder and without
    PYTHONPATH, so only Airflow can put that folder on its sys.path, and nothing is imported yet.
    {"on_path_before": bool, "dags": {dag_id: file name}, "errors": {file name: error}}."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", PARSE, str(DAG_DIR), str(Path(__file__).parent), str(path)],
                         capture_output=True, text=True, cwd=tmp, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"parsing {path.name} in a fresh process exited {out.returncode}: {out.stderr[-1500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def dag_modules(c, *files):
    """[ea_usage_common, *the DAG files] as modules, or None (one failed check) if one does not
    import. The DAG files are imported by path (each under its own name, as a DagBag does),
    ea_usage_common by name from the dags folder (on sys.path, as Airflow puts it), so these
    modules, the DagBags and the tasks share that one instance."""
    if str(DAG_DIR) not in sys.path:
        sys.path.append(str(DAG_DIR))
    try:
        mods = [importlib.import_module("ea_usage_common")]
        for path in files:
            spec = importlib.util.spec_from_file_location(path.stem, path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            mods.append(mod)
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        c.check("import ea_usage_common and the DAG files", False, f"{type(e).__name__}: {e}")
        return None
    return mods


def schedule_of(dag):
    return dag.schedule if hasattr(dag, "schedule") else dag.schedule_interval  # Airflow 3 / 2


def stand_in(tmp, name, script):
    path = tmp / name
    path.write_text(script)
    path.chmod(0o755)
    return path


def outcome(fn, **kwargs):
    """What a task function ends with: its return value, or how Airflow treats its exception."""
    try:
        return fn(**kwargs)
    except Exception as e:  # noqa: BLE001 - the exception's class is the outcome
        name = type(e).__name__
        if name not in ("AirflowFailException", "AirflowException"):
            raise
        return name + (" (no retry)" if name == "AirflowFailException" else " (retried)")


def exit_policy(c, tmp, run_task):
    """`run_task()` on STAND_IN exiting with each of EXIT_CODES: 0 returns the summary; 2, 3 and 6
    raise AirflowFailException (never retried); the others, unknown codes too, AirflowException."""
    os.environ.update(EA_USAGE_ARCHIVER=str(stand_in(tmp, "stand-in.sh", STAND_IN)), FAKE_RECORD=str(tmp / "record"))
    for code in EXIT_CODES:
        os.environ["FAKE_EXIT"] = str(code)
        want = {0: {"run_id": "stand-in", "partitions": []}}.get(
            code, "AirflowFailException (no retry)" if code in (2, 3, 6) else "AirflowException (retried)")
        c.equal(f"wrapper: exit {code}", outcome(run_task), want)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited: only its exit status is left.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def stopping(c, common_mod, tmp, run_task):
    """A task that ends early (here its timeout, raised the way Airflow raises it: an exception
    from a SIGALRM handler inside the task) stops the archiver before it returns: SIGTERM, and
    SIGKILL after the grace (common_mod.STOP_GRACE, here 1 s) when SIGTERM is ignored."""
    record = tmp / "slow"
    os.environ["FAKE_RECORD"] = str(record)
    for name, script, grace in (("SIGTERM honoured", SLOW_STAND_IN, None), ("SIGTERM ignored", STUBBORN_STAND_IN, 1)):
        os.environ["EA_USAGE_ARCHIVER"] = str(stand_in(tmp, f"slow-stand-in-{grace}.sh", script))
        old_grace = common_mod.STOP_GRACE
        if grace is not None:
            common_mod.STOP_GRACE = grace

        class TaskTimeout(Exception):
            pass

        def on_alarm(*_):
            raise TaskTimeout()

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(2)
        started = time.monotonic()
        try:
            run_task()
            timed_out = False
        except TaskTimeout:
            timed_out = True
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
            common_mod.STOP_GRACE = old_grace
        pid = int(record.with_suffix(".pid").read_text())
        c.check(f"timeout, {name}: the task ended by its timeout", timed_out)
        c.check(f"timeout, {name}: the archiver is gone when the task ends", not alive(pid), f"pid {pid}")
        c.check(f"timeout, {name}: within the grace", time.monotonic() - started < 2 + (grace or old_grace) + 5)
        if grace is None:
            c.check("timeout, SIGTERM honoured: the archiver got SIGTERM", record.with_suffix(".term").exists())


def test_date(when):
    """dag.test()'s keyword for the run that starts at `when`: Airflow 3 names it by that time,
    Airflow 2 by the start of the (daily) interval it follows."""
    from airflow.models import DAG

    if "logical_date" in inspect.signature(DAG.test).parameters:
        return {"logical_date": when}
    import airflow.providers.fab.auth_manager.models  # noqa: F401 - dag_run_note's user table

    return {"execution_date": when - timedelta(days=1)}


def fast_retries(dag, retries):
    """`retries` retries per task, at once instead of 10 minutes apart."""
    for t in dag.tasks:
        t.retries, t.retry_delay, t.retry_exponential_backoff = retries, timedelta(0), False
