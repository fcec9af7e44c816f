"""Airflow DAGs for ea-usage-archiver (Airflow 3.x, and 2.6+ through the fallback imports;
checked with 3.3 and 2.11 by tests/readers/check_dags.py).

Scale-out model
---------------
One task archives one (enrollment, month): `ea-usage-archiver archive --enrollment E --month
YYYY-MM --dest $LAKE`. Many such tasks run at once, on different workers. Each task writes only
its own partition object, <lake>/enrollment=E/year=YYYY/month=MM/usage-details.parquet (on local
disk staged under _staging/ with its own run id, on S3/Azure a single PUT or multipart upload),
so the tasks share nothing that could conflict: no global manifest, no lock, no coordinator.
A re-run replaces the month's object atomically; a failed run leaves the previous one in place.

What must not happen is the same (enrollment, month) running twice at once (both would pull
the API, and the older pull could commit last). That is kept out by:
  * one task per (enrollment, month) in a run: fixed task ids in ea_usage_daily, de-duplicated
    pairs in ea_usage_backfill;
  * max_active_runs=1 on both DAGs, so two runs of one DAG never overlap, and
    max_active_tis_per_dag=1 on each daily task (it never runs in two runs at once);
  * ea_usage_backfill refusing the months ea_usage_daily owns (the latest RECENT_MONTHS): to
    re-pull those, clear the daily task. (max_active_tis_per_dagrun=1 on the mapped task would
    serialise the whole backfill; a pool caps concurrency but does not key it by partition.)
Should they overlap anyway (a retry of a slow attempt, a manual run), the archiver's lease on
the month turns the second run away with exit 8, which is retried later.
max_active_tasks caps how many archiver processes (API pulls) a DAG runs at once.

Retries follow the archiver's exit codes: 1 (internal), 4 (API failure), 5 (storage failure),
8 (another run holds the month's lease: an overlapping attempt, or one killed with SIGKILL
whose lease expires within --lease-ttl), 9 (a much smaller answer than the month holds was
refused: a transient empty answer is fixed by a later try; a real shrink needs a person and
--allow-shrink, and fails loudly once the retries are spent), 130 and 143 (the run was
stopped by a signal: a worker shutting down, a timeout) raise AirflowException and are
retried; 2 (bad arguments), 3 (key refused) and 6 (unreadable data) raise
AirflowFailException, which fails the task at once: retrying cannot fix them. The archiver
already retries 408/429/5xx itself (--max-retries); Airflow's retries are the slower second
layer.

A retry never overlaps the attempt before it: whenever the task ends early (execution_timeout,
a mark-failed, a worker's SIGTERM), the wrapper sends the archiver SIGTERM, waits up to
STOP_GRACE seconds for it to abort its upload and release its lease, and then kills it, so the
child is gone before the task is. (Airflow allows killed_task_cleanup_time, 60 s by default.)

Configuration: the Airflow Variable `ea_api_key` holds the EA API key (Airflow masks variables
whose name contains "api_key"); it reaches the archiver only as the EA_API_KEY environment
variable, never on its command line. The Variable `ea_usage_lake` is the lake root (path,
s3://bucket/prefix or az://container/prefix; the store's AWS_*/AZURE_* credentials come from
the worker's environment). EA_USAGE_ARCHIVER (worker env) is the binary, default on PATH.

The daily sync of Cost Management exports (`archive --source exports`, one task per
enrollment, no --month) is the DAG ea_usage_exports_sync, in ea_usage_exports_sync_dag.py.
ENROLLMENTS, LAKE, DEFAULT_ARGS, the exit-code policy and the wrapper that runs the archiver
(run_archiver: exit codes, SIGTERM then SIGKILL after STOP_GRACE) are shared by all three DAGs
in ea_usage_common.py, a module with no DAG that must sit next to this file in the dags folder.

On Kubernetes, the same command can run in a KubernetesPodOperator (an image with the binary;
EA_API_KEY from a Secret: secrets=[Secret("env", "EA_API_KEY", "ea-api", "key")]). It fails
every non-zero exit alike, so the no-retry rule above is lost there; under the
KubernetesExecutor this @task already runs in a pod of its own and keeps it.
"""

import os
from datetime import datetime, timezone

try:  # Airflow 3
    from airflow.sdk import Param, Variable, dag, task
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # Airflow 2.x
    from airflow.decorators import dag, task
    from airflow.exceptions import AirflowFailException
    from airflow.models import Variable
    from airflow.models.param import Param

# Shared with ea_usage_exports_sync: ea_usage_common.py, a module with no DAG, next to this file.
from ea_usage_common import DEFAULT_ARGS, ENROLLMENTS, LAKE, run_archiver

RECENT_MONTHS = 3  # months (current month included) that only ea_usage_daily archives

# The month of the run's last day (its data interval's end, minus a day) and the month before,
# as YYYY-MM: the run at 2024-12-01 00:00 pulls 2024-11 and 2024-10. The same on Airflow 2
# (interval [Nov 30, Dec 1)) and 3 (@daily is a CronTriggerTimetable: start = end = Dec 1).
LAST_DAY = "{% set last_day = data_interval_end - macros.timedelta(days=1) %}"
THIS_MONTH = LAST_DAY + "{{ last_day.strftime('%Y-%m') }}"
PREVIOUS_MONTH = LAST_DAY + "{{ (last_day.replace(day=1) - macros.timedelta(days=1)).strftime('%Y-%m') }}"


@task
def archive(enrollment: str, month: str, dest: str) -> dict:
    """Runs the archiver for one (enrollment, month); returns its JSON run summary (XCom)."""
    key = Variable.get("ea_api_key", None)
    if not key:
        raise AirflowFailException("Airflow Variable ea_api_key is not set")
    # The key only in the child's environment: run_archiver prints the command line.
    return run_archiver(["archive", "--enrollment", str(enrollment), "--month", month, "--dest", dest],
                        env={**os.environ, "EA_API_KEY": key})


@dag(
    dag_id="ea_usage_daily",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    max_active_tasks=8,
    default_args=DEFAULT_ARGS,
    tags=["ea-usage"],
)
def ea_usage_daily():
    """Re-pulls this month and the previous one (EA usage keeps changing after a month closes).

    Early in a month the API may answer 404 for the new month (no data yet): exit 4, retried,
    and otherwise fixed by the next day's run.
    """
    for enrollment in ENROLLMENTS:
        for which, month in (("this_month", THIS_MONTH), ("previous_month", PREVIOUS_MONTH)):
            archive.override(task_id=f"archive_{enrollment}_{which}", max_active_tis_per_dag=1)(
                enrollment=enrollment, month=month, dest=LAKE
            )


@task
def partitions(params=None) -> list:
    """The (enrollment, month) pairs to archive, each once, none of ea_usage_daily's months."""
    today = datetime.now(timezone.utc)
    recent = set()
    for back in range(RECENT_MONTHS):
        year, month0 = divmod(today.year * 12 + today.month - 1 - back, 12)
        recent.add(f"{year}-{month0 + 1:02d}")
    pairs = sorted({(str(e), m) for e in params["enrollments"] for m in params["months"]})
    if owned := sorted({m for _, m in pairs} & recent):
        raise AirflowFailException(f"{owned}: ea_usage_daily archives these; clear its tasks instead")
    return [{"enrollment": e, "month": m} for e, m in pairs]


@dag(
    dag_id="ea_usage_backfill",
    schedule=None,  # manual trigger, with params
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    max_active_tasks=8,
    default_args=DEFAULT_ARGS,
    params={
        "enrollments": Param(ENROLLMENTS, type="array", items={"type": "string", "pattern": r"^\d+$"}),
        "months": Param(["2024-01"], type="array",
                        items={"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"},
                        description="billing months YYYY-MM; one task per enrollment and month"),
    },
    tags=["ea-usage"],
)
def ea_usage_backfill():
    """Archives enrollments x months, one mapped task instance per pair."""
    archive.partial(dest=LAKE).expand_kwargs(partitions())


ea_usage_daily()
ea_usage_backfill()
