"""Judges schemas/focus_view.sql by the FinOps Foundation's own FOCUS validator.

    check_focus.py [--keep DIR]

Builds small lakes with the archiver ($EAUA_BIN) and its built-in simulators: a Cost Details
month of actual cost and one of amortized cost (a lake holds one metric, so two lakes), an
export month of each metric (actual from Parquet parts; amortized, which the simulated
container holds for its current month only), and an EA API month. For each it writes the view
(schemas/ddl/duckdb.sql + schemas/focus_view.sql, ${METRIC} from the lake's _lake/lake.json)
to Parquet with DuckDB, runs focus-validator 2.2.1 on it offline (.cache/focus-venv, made by
scripts/focus-env.sh; --validate-version 1.2 --block-download: the FOCUS 1.2 rules ship in
the package) and fails when a mandatory rule (an id ending in -M) fails beyond the documented
exceptions:
  * an actual-cost lake: EffectiveCost-C-000-M, -003-M and -004-M, and only because
    EffectiveCost is NULL on the usage rows a commitment paid for (checked row by row);
  * the EA API month: exactly the rules README "FOCUS" lists (EA_FAILING below), no more,
    no fewer, so the README stays true.
It also checks the view's numbers against the lake: exact sums, and ListCost and ContractedCost
equal to the exact products rounded once to 18 digits, row by row.
Prints `<lake>: Total: N | Pass: N | Fail: N | Skipped: N` per lake (the validator's own
summary) and ends with `focus: N passed, M failed`. --keep DIR keeps the lakes, view outputs
and validator reports there.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path

from common import ROOT, Checks, sql_statements

BIN = os.environ.get("EAUA_BIN", str(ROOT / "target" / "debug" / "ea-usage-archiver"))
FOCUS_VENV = Path(os.environ.get("EAUA_FOCUS_VENV", ROOT / ".cache" / "focus-venv"))
ENROLLMENT = "1234567"
ROWS = 2500

# Mandatory rules an actual-cost lake may fail, and why (see schemas/focus_view.sql).
ACTUAL_EXCEPTIONS = {"EffectiveCost-C-000-M", "EffectiveCost-C-003-M", "EffectiveCost-C-004-M"}
# Mandatory rules an EA API month fails, as README "FOCUS" lists them with their reasons.
EA_FAILING = {
    "BillingCurrency-C-000-M", "BillingCurrency-C-004-M",  # EA usage rows carry no currency
    "EffectiveCost-C-003-M", "EffectiveCost-C-004-M",      # nor which usage a commitment paid for
    "ListCost-C-003-M", "ListCost-C-004-M",                # nor a list (PayG) price
}

RULE_LINE = re.compile(r"\b([A-Za-z]+-[A-Z]-\d{3}-[MOC]): (PASS|FAIL|SKIPPED)\b")
SUMMARY = re.compile(r"Total: (\d+) \| Pass: (\d+) \| Fail: (\d+) \| Skipped: (\d+)")


def run(cmd, **kw):
    """Runs a command; its stderr is shown only when it fails."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {p.returncode}: {p.stderr[-2000:]}")
    return p.stdout


def build_lakes(work):
    """The lakes, from the simulators: {"<source> <metric> <month>": lake dir}."""
    env = dict(os.environ, EA_API_KEY="somekey")  # the simulator's key; not a secret
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(work / "simulate.log", "w+")
    sim = subprocess.Popen([BIN, "simulate", "--listen", f"127.0.0.1:{port}", "--rows-per-month", str(ROWS)],
                           stdout=subprocess.DEVNULL, stderr=log, env=env)
    try:
        for _ in range(100):
            log.seek(0)
            if "listening on" in log.read():
                break
            if sim.poll() is not None:
                raise RuntimeError(f"simulator exited {sim.returncode}")
            time.sleep(0.1)
        else:
            raise RuntimeError("simulator not ready")
        url = f"http://127.0.0.1:{port}"
        lakes = {}
        for metric in ("actual", "amortized"):
            lake = work / f"cost-details-{metric}"
            run([BIN, "archive", "--source", "cost-details", "--management-url", url, "--metric", metric,
                 "--dest", lake, "--enrollment", ENROLLMENT, "--month", "2024-06"],
                env=dict(env, AZURE_ACCESS_TOKEN="somekey"))
            lakes[f"cost-details {metric} 2024-06"] = lake
        lake = work / "ea-api"
        run([BIN, "archive", "--base-url", url, "--dest", lake, "--enrollment", ENROLLMENT, "--month", "2024-02"],
            env=env)
        lakes["ea-api 2024-02"] = lake
    finally:
        sim.terminate()
        sim.wait()
        log.close()
    # The export container as on day 1 of its sequence: 2024-07 closed (Parquet parts, actual),
    # 2024-09 the current month (its amortized export runs only for the current month).
    exports = work / "exports"
    run([BIN, "simulate-exports", "--out", exports, "--enrollment", ENROLLMENT, "--month", "2024-09",
         "--day", "1", "--rows-per-month", str(ROWS)])
    for metric, month in (("actual", "2024-07"), ("amortized", "2024-09")):
        lake = work / f"exports-{metric}"
        run([BIN, "archive", "--source", "exports", "--exports-root", exports, "--metric", metric,
             "--dest", lake, "--enrollment", ENROLLMENT, "--month", month])
        lakes[f"exports {metric} {month}"] = lake
    return lakes


def connect(lake):
    """DuckDB with usage_details and usage_details_focus over the lake; returns (con, metric)."""
    import duckdb

    metric = json.loads((lake / "_lake" / "lake.json").read_text())["metric"]
    con = duckdb.connect()
    for stmt in sql_statements(ROOT / "schemas" / "ddl" / "duckdb.sql", lake):
        con.execute(stmt)
    for stmt in sql_statements(ROOT / "schemas" / "focus_view.sql", ""):
        con.execute(stmt.replace("${METRIC}", metric))
    return con, metric


def validate(parquet, out_dir):
    """focus-validator on one file, offline: (summary tuple, {rule id: PASS|FAIL|SKIPPED}, text)."""
    validator = FOCUS_VENV / "bin" / "focus-validator"
    if not validator.exists():
        raise RuntimeError(f"no {validator}: run scripts/focus-env.sh")
    pkg = Path(run([FOCUS_VENV / "bin" / "python", "-c",
                    "import focus_validator, os; print(os.path.dirname(focus_validator.__file__))"]).strip())
    # The validator reads its currency list from focus_validator/rules/… relative to the working
    # directory and writes its debug log there: run it in a folder of our own that links to it.
    cwd = out_dir / "validator-cwd"
    cwd.mkdir(exist_ok=True)
    if not (cwd / "focus_validator").exists():
        (cwd / "focus_validator").symlink_to(pkg)
    p = subprocess.run([validator, "--data-file", parquet, "--validate-version", "1.2", "--block-download",
                        "--show-violations"], cwd=cwd, capture_output=True, text=True,
                       env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    text = p.stdout + p.stderr
    m = SUMMARY.search(text)
    if not m:
        raise RuntimeError(f"focus-validator exited {p.returncode} without a summary: {text[-2000:]}")
    rules = dict(RULE_LINE.findall(text))
    failures = text.split("--- Failures ---", 1)[1] if "--- Failures ---" in text else ""
    for rule in re.findall(r"^- ([A-Za-z]+-[A-Z]-\d{3}-[MOC]):", failures, re.M):
        rules[rule] = "FAIL"
    return tuple(int(x) for x in m.groups()), rules, text


def exact_product(q, p):
    """q x p rounded half away from zero to 18 digits (what the view promises), computed with
    100 digits (the default 28 would round the product itself)."""
    ctx = Context(prec=100)
    return ctx.multiply(q, p).quantize(Decimal(10) ** -18, rounding=ROUND_HALF_UP, context=ctx)


def check_numbers(c, name, con, metric):
    """The view's costs against the lake's own columns."""
    lake = con.execute("SELECT count(*), sum(cost) FROM usage_details").fetchone()
    commit = ("(pricing_model IN ('Reservation', 'SavingsPlan') OR nullif(benefit_id, '') IS NOT NULL "
              "OR nullif(reservation_id, '') IS NOT NULL) AND charge_type IN ('Usage', 'UnusedReservation', "
              "'UnusedSavingsPlan')")
    covered = con.execute(f"SELECT count(*), coalesce(sum(cost), 0) FROM usage_details WHERE {commit}").fetchone()
    view = con.execute("SELECT count(*), sum(BilledCost), sum(EffectiveCost), count(EffectiveCost) "
                       "FROM usage_details_focus").fetchone()
    c.equal(f"{name}: view rows = lake rows", view[0], lake[0])
    if metric == "amortized":
        c.equal(f"{name}: sum(EffectiveCost) = the lake's exact sum(cost)", view[2], lake[1])
        c.equal(f"{name}: sum(BilledCost) = sum(cost) less the {covered[0]} commitment-paid usage rows",
                view[1], lake[1] - covered[1])
    else:
        c.equal(f"{name}: sum(BilledCost) = the lake's exact sum(cost)", view[1], lake[1])
        is_ea = con.execute("SELECT count(*) FROM usage_details WHERE charge_type IS NULL").fetchone()[0]
        unknown = covered[0] if not is_ea else lake[0]
        c.equal(f"{name}: EffectiveCost NULL on exactly the rows it cannot be derived for ({unknown})",
                view[0] - view[3], unknown)
        if not is_ea:
            bad = con.execute(f"SELECT count(*) FROM usage_details_focus f WHERE (EffectiveCost IS NULL) <> "
                              f"(PricingCategory = 'Committed' AND ChargeCategory = 'Usage')").fetchone()[0]
            c.equal(f"{name}: ... and those are the usage rows a commitment paid for", bad, 0)
    rows = con.execute("SELECT PricingQuantity, ListUnitPrice, ListCost, ContractedUnitPrice, ContractedCost "
                       "FROM usage_details_focus").fetchall()
    bad_list = [r for r in rows if r[1] is not None and r[0] is not None and r[2] != exact_product(r[0], r[1])]
    bad_con = [r for r in rows if r[3] is not None and r[0] is not None and r[4] != exact_product(r[0], r[3])]
    c.check(f"{name}: ListCost = PayGPrice x quantity, exact ({sum(r[1] is not None for r in rows)} rows)",
            not bad_list, f"{bad_list[:2]}")
    c.check(f"{name}: ContractedCost = ContractedUnitPrice x quantity, exact ({len(rows)} rows)",
            not bad_con, f"{bad_con[:2]}")


def check_lake(c, name, lake, out_dir):
    con, metric = connect(lake)
    out = out_dir / (re.sub(r"\W+", "-", name) + ".parquet")
    con.execute(f"COPY (SELECT * FROM usage_details_focus) TO '{out}' (FORMAT parquet)")
    check_numbers(c, name, con, metric)
    con.close()
    (total, passed, failed, skipped), rules, text = validate(out, out_dir)
    (out_dir / (out.stem + "-validator.txt")).write_text(text)
    print(f"{name}: Total: {total} | Pass: {passed} | Fail: {failed} | Skipped: {skipped}", flush=True)
    c.check(f"{name}: the validator judged every rule ({len(rules)} of {total})", len(rules) == total)
    mandatory = {r for r, s in rules.items() if s == "FAIL" and r.endswith("-M")}
    if name.startswith("ea-api"):
        c.equal(f"{name}: mandatory rules failing = those README lists for EA API months",
                sorted(mandatory), sorted(EA_FAILING))
    else:
        allowed = ACTUAL_EXCEPTIONS if metric == "actual" else set()
        c.check(f"{name}: every mandatory FOCUS 1.2 rule passes"
                + (" but the documented EffectiveCost exception" if allowed else "")
                + f" ({len(mandatory)} failing: {sorted(mandatory)})", mandatory <= allowed,
                f"beyond the exceptions: {sorted(mandatory - allowed)}")
        c.check(f"{name}: no rule of a FOCUS 1.3 column fails (ServiceProviderName, HostProviderName)",
                not any(s == "FAIL" and r.split("-")[0] in ("ServiceProviderName", "HostProviderName")
                        for r, s in rules.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, help="keep lakes, view outputs and validator reports here")
    a = ap.parse_args()
    if not Path(BIN).exists():
        print(f"focus: no archiver binary at {BIN} (set EAUA_BIN)", file=sys.stderr)
        sys.exit(2)
    work = Path(tempfile.mkdtemp(prefix="eaua-focus-")) if not a.keep else a.keep.resolve()
    work.mkdir(parents=True, exist_ok=True)
    c = Checks()
    try:
        lakes = build_lakes(work)
        print(f"== {len(lakes)} lakes built from the simulators in {work}", flush=True)
        for name, lake in lakes.items():
            print(f"== {name}", flush=True)
            c.run(name, check_lake, c, name, lake, work)
    except Exception as e:  # noqa: BLE001 - report and finish
        c.check("lakes built and judged", False, f"{type(e).__name__}: {e}")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(c.finish("focus"))


if __name__ == "__main__":
    main()
