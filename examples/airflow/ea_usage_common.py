"""What the ea-usage-archiver DAGs share (ea_usage_archiver_dags.py: ea_usage_daily and
ea_usage_backfill; ea_usage_exports_sync_dag.py: ea_usage_exports_sync): the enrollments, the
lake, the default arguments, the exit-code policy, and run_archiver(), which runs the archiver
for a task. A plain module with no DAG in it, so importing it registers no DAG (importing a DAG
file would register its DAGs a second time); DagBag parses it and finds none, which is fine.
Keep it next to the DAG files at the top of the dags folder: Airflow puts that folder on
sys.path (Airflow 3: the dags-folder bundle's root, in the DAG processor and the task runner;
Airflow 2: when airflow is imported), so they import it by name.

Exit codes (the archiver's): 1 (internal), 4 (API failure), 5 (storage failure), 8 (another
run holds the month's lease), 9 (a much smaller answer than the month holds was refused), 130
and 143 (stopped by a signal) raise AirflowException and are retried; 2 (bad arguments), 3 (key
refused) and 6 (unreadable data) raise AirflowFailException, which fails the task at once:
retrying cannot fix them. Whenever the task ends early (execution_timeout, a mark-failed, a
worker's SIGTERM), the archiver gets SIGTERM, up to STOP_GRACE seconds to abort its upload and
release its leases, and then SIGKILL, so the child is gone before the task is.
"""

import json
import os
import subprocess
from datetime import timedelta

try:  # Airflow 3
    from airflow.sdk.exceptions import AirflowException, AirflowFailException
except ImportError:  # Airflow 2.x
    from airflow.exceptions import AirflowException, AirflowFailException

ENROLLMENTS = ["1234567", "7654321"]  # the daily DAG's enrollments, the backfill's default, the exports sync's
LAKE = "{{ var.value.ea_usage_lake }}"
NO_RETRY = {2: "bad arguments", 3: "API key refused", 6: "unreadable data"}
RETRIED = {1: "internal error", 4: "API failure", 5: "storage failure", 8: "month leased by another run",
           9: "shrink refused", 130: "interrupted", 143: "terminated"}
STOP_GRACE = 30  # seconds the archiver gets to clean up after SIGTERM before it is killed

DEFAULT_ARGS = {
    "owner": "finops",
    "retries": 3,
    "retry_delay": timedelta(minutes=10),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(hours=2),
}


def run_archiver(args, env=None) -> dict:
    """Runs `ea-usage-archiver ARGS --log-format json` (EA_USAGE_ARCHIVER, default on PATH),
    its JSON log lines streamed into the task log; returns its JSON run summary on exit 0, and
    otherwise raises as NO_RETRY and RETRIED say. `env` is the child's whole environment (None:
    the worker's); a secret goes there, never into `args`, which are printed."""
    cmd = [os.environ.get("EA_USAGE_ARCHIVER", "ea-usage-archiver"), *args, "--log-format", "json"]
    print("running:", " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # JSON log lines, streamed into the task log
            print(line, end="", flush=True)
        summary = proc.stdout.read()  # the run summary: a few hundred bytes per month
        code = proc.wait()
    finally:
        stop(proc)  # a timeout or a kill of the task must not leave the archiver running
    print(summary, flush=True)
    if code == 0:
        return json.loads(summary)
    if code in NO_RETRY:
        raise AirflowFailException(f"ea-usage-archiver exit {code} ({NO_RETRY[code]}): not retried")
    raise AirflowException(f"ea-usage-archiver exit {code} ({RETRIED.get(code, 'unexpected')}): will be retried")


def stop(proc, grace=None):
    """Ends the archiver if it still runs: SIGTERM (it aborts, releases its leases, exits 143),
    then SIGKILL after `grace` seconds (default STOP_GRACE). Returns once the process is gone."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_GRACE if grace is None else grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
