"""Airflow DAG ea_usage_exports_sync: archives Cost Management exports every day (Airflow 3.x,
and 2.6+ through the fallback imports; checked by tests/readers/check_exports_dag.py).

One task per enrollment runs

    ea-usage-archiver archive --source exports --exports-root ROOT --enrollment E --dest LAKE

with no --month: every month of E with an ActualCost export run under ROOT is archived from its
newest run. A month whose newest run is already in the lake costs one footer read (the archiver
lists the root once, reads the manifests, and downloads no part), so the daily run is cheap; a
newer run replaces the month (the previous version kept in _history/), or, when its rows are
the same, only renews the footer.

It shares ENROLLMENTS, LAKE, DEFAULT_ARGS, the exit-code policy (NO_RETRY, RETRIED) and the
wrapper that runs the archiver (run_archiver, with STOP_GRACE) with ea_usage_archiver_dags.py:
both import them from ea_usage_common.py, a module with no DAG next to them in the dags folder
(importing ea_usage_archiver_dags.py here would register its DAGs a second time, under this
file). So the enrollments are listed once, and retries follow the archiver's exit codes exactly
as in ea_usage_daily: 1, 4, 5, 8, 9, 130 and 143 raise AirflowException (retried); 2 (bad
arguments, or two exports of the same type for one month), 3 (never here: no key) and 6 (an
unreadable manifest, an incomplete run, a refused scope or span, nothing exported for the
enrollment) raise AirflowFailException: retrying cannot fix them; a person can, or a later
export run, which the next day's sync takes. As there, a task that ends early stops the
archiver (SIGTERM, then SIGKILL after STOP_GRACE seconds) before it returns.

Configuration: the Variable `ea_usage_exports_root` is where the exports land (a folder, or a
URL of the container or of a folder in it: az://, azure://, abfs[s]://, s3://,
https://<account>.blob.core.windows.net/...); `ea_usage_lake` is the lake, as for the other
DAGs, and must be another place. Credentials for both come from the worker's AWS_*/AZURE_*
environment; no API key is needed. EA_USAGE_ARCHIVER (worker env) is the binary, default on PATH.

The same (enrollment, month) never runs twice at once within this DAG (one task per
enrollment, max_active_runs=1, max_active_tis_per_dag=1); against ea_usage_daily writing the
same month of the same lake, the month's lease turns the second run away with exit 8, retried.
Do not let both sources own the same months: each would replace the other's version.
"""

from datetime import datetime

try:  # Airflow 3
    from airflow.sdk import dag, task
except ImportError:  # Airflow 2.x
    from airflow.decorators import dag, task

from ea_usage_common import DEFAULT_ARGS, ENROLLMENTS, LAKE, run_archiver

EXPORTS_ROOT = "{{ var.value.ea_usage_exports_root }}"


@task
def sync_exports(enrollment: str, exports_root: str, dest: str) -> dict:
    """Archives every month of `enrollment` with an export run under `exports_root` (no --month);
    returns the archiver's JSON run summary (XCom), each partition with its `export` object."""
    # No secret: the stores' credentials are in the worker's environment, which the child inherits.
    return run_archiver(["archive", "--source", "exports", "--exports-root", exports_root,
                         "--enrollment", str(enrollment), "--dest", dest])


@dag(
    dag_id="ea_usage_exports_sync",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    max_active_tasks=8,
    default_args=DEFAULT_ARGS,
    tags=["ea-usage"],
)
def ea_usage_exports_sync():
    """Archives each enrollment's months from their newest export runs; unchanged ones cost a
    footer read each."""
    for enrollment in ENROLLMENTS:
        sync_exports.override(task_id=f"sync_exports_{enrollment}", max_active_tis_per_dag=1)(
            enrollment=enrollment, exports_root=EXPORTS_ROOT, dest=LAKE
        )


ea_usage_exports_sync()
