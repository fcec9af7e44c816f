"""Runs schemas/ddl/*.sql and schemas/focus_view.sql against the test lake and checks results.

    check_ddl.py LAKE_DIR EXPECTED_JSON [--engines spark,datafusion,duckdb]

Spark, DataFusion and DuckDB each run their DDL (with ${LAKE} replaced) and the FOCUS view
(${METRIC} from the lake's _lake/lake.json), then the view again over a one-partition lake of
hand-made rows (FOCUS_CASES) for each metric and with ${METRIC} left as is; athena.sql is checked as text (no Athena here): columns against schemas/usage_details.v2.json,
partition projection, and the location template against the lake's real directories.
Ends with `ddl: N passed, M failed`.
"""

import calendar
import json
import re
import sys
import tempfile
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path

from common import DATE_TYPES, INT_TYPES, ROOT, SQL_ENGINES, Checks, load_expected, parse_args, sql_statements

DDL = ROOT / "schemas" / "ddl"
FOCUS = ROOT / "schemas" / "focus_view.sql"
SCHEMA = [(c["name"], c["type"]) for c in json.loads((ROOT / "schemas" / "usage_details.v2.json").read_text())["columns"]]
PARTITION_COLS = ["enrollment", "year", "month"]
STRING_TYPES = {"string", "VARCHAR", "string_view", "large_string"}
FOCUS_CATEGORIES = {"Compute", "Databases", "Networking", "Storage", "Web", "Management and Governance", "Other"}
TIMESTAMP_TYPES = {"timestamp", "TIMESTAMP", "timestamp[ns]", "timestamp[us]"}
# FOCUS 1.2 ServiceSubcategory values the view uses, with their parent ServiceCategory.
FOCUS_SUBCATEGORIES = {
    "Virtual Machines": "Compute", "Serverless Compute": "Compute", "Application Platforms": "Web",
    "Relational Databases": "Databases", "NoSQL Databases": "Databases", "Storage Platforms": "Storage",
    "Network Connectivity": "Networking", "Network Infrastructure": "Networking",
    "Observability": "Management and Governance", "Other (Other)": "Other",
}
# Seconds since the epoch of a TIMESTAMP, per engine (the instant, whatever the session zone).
EPOCH = {"spark": "unix_timestamp({})", "duckdb": "CAST(epoch({}) AS BIGINT)", "datafusion": "to_unixtime({})"}


def exact_product(q, p):
    """q x p rounded half away from zero to 18 digits, computed with 100 digits (the default
    28 would round the product itself)."""
    ctx = Context(prec=100)
    return ctx.multiply(Decimal(q), Decimal(p)).quantize(Decimal(10) ** -18, rounding=ROUND_HALF_UP, context=ctx)


def check_table(c, engine, expected):
    name = engine.name
    types = engine.types("usage_details")
    c.equal(f"{name}: usage_details columns = schema columns + enrollment, year, month",
            list(types), [n for n, _ in SCHEMA] + PARTITION_COLS)
    c.check(f"{name}: enrollment is a string ({types.get('enrollment')})", types.get("enrollment") in STRING_TYPES)
    for col in ("year", "month"):
        c.check(f"{name}: {col} is an integer ({types.get(col)})", types.get(col) in INT_TYPES)
    c.check(f"{name}: usage_date is a date ({types.get('usage_date')})", types.get("usage_date") in DATE_TYPES)

    got = {(r["e"], r["y"], r["m"]): (r["n"], r["cost"]) for r in engine.rows(
        "SELECT enrollment AS e, year AS y, month AS m, count(*) AS n, sum(cost) AS cost "
        "FROM usage_details GROUP BY 1, 2, 3")}
    c.equal(f"{name}: rows and exact sum(cost) per partition", got, expected)

    where = "enrollment = '1234567' AND year = 2024 AND month = 2"
    n = engine.rows(f"SELECT count(*) AS n FROM usage_details WHERE {where}")[0]["n"]
    c.equal(f"{name}: WHERE {where} rows", n, expected[("1234567", 2024, 2)][0])
    count, files = engine.files_read(f"SELECT sum(cost) AS c FROM usage_details WHERE {where}")
    c.check(f"{name}: ... scans 1 file ({count})",
            count == 1 and all("enrollment=1234567/year=2024/month=02/" in f for f in files), f"{files}")


def lake_products(lake):
    """Per partition, the exact sums the view must give: ListCost (PayGPrice x quantity) and
    ContractedCost (UnitPrice x quantity; EA API rows: resourceRate x quantity, else cost), each
    row's product rounded half away from zero to 18 digits, computed here from the files."""
    import pyarrow.parquet as pq

    out = {}
    for f in sorted(lake.glob("enrollment=*/year=*/month=*/*.parquet")):
        parts = dict(p.split("=", 1) for p in f.parent.relative_to(lake).parts)
        t = pq.read_table(f).to_pylist()
        lst, con, n = Decimal(0), Decimal(0), 0
        for r in t:
            q, payg = r["consumed_quantity"], r.get("payg_price")
            if payg is not None and q is not None:
                lst += exact_product(q, payg)
                n += 1
            price = r.get("unit_price") if r.get("charge_type") is not None else r["resource_rate"]
            if price is not None and q is not None:
                con += exact_product(q, price)
            elif r.get("charge_type") is None:
                con += r["cost"]
        out[(parts["enrollment"], int(parts["year"]), int(parts["month"]))] = (n, lst, con)
    return out


def check_focus(c, engine, expected, lake):
    name = engine.name
    metric = json.loads((lake / "_lake" / "lake.json").read_text())["metric"]
    for stmt in sql_statements(FOCUS, ""):
        engine.execute(stmt.replace("${METRIC}", metric))
    types = engine.types("usage_details_focus")
    for col in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd"):
        c.check(f"{name}: focus {col} is a timestamp ({types.get(col)})", types.get(col) in TIMESTAMP_TYPES)
    for col in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        c.check(f"{name}: focus {col} is decimal(38,18) ({types.get(col)})",
                "38" in str(types.get(col)) and "18" in str(types.get(col)))

    got = {}
    for r in engine.rows("SELECT BillingAccountId AS a, BillingPeriodStart AS p, count(*) AS n, "
                         "sum(BilledCost) AS cost FROM usage_details_focus GROUP BY 1, 2"):
        got[(r["a"], r["p"].year, r["p"].month)] = (r["n"], r["cost"])
    c.equal(f"{name}: focus rows and exact sum(BilledCost) per BillingAccountId, BillingPeriodStart", got, expected)

    # The periods as instants (seconds since the epoch): UTC midnights, whatever Spark's session
    # time zone (checked in UTC and in New York).
    epoch = EPOCH[name]
    zones = ["UTC", "America/New_York"] if name == "spark" else [None]
    for zone in zones:
        if zone:
            engine.spark.conf.set("spark.sql.session.timeZone", zone)
        periods = engine.rows(
            f"SELECT DISTINCT {epoch.format('ChargePeriodStart')} AS s, {epoch.format('ChargePeriodEnd')} AS e, "
            f"{epoch.format('BillingPeriodStart')} AS bs, {epoch.format('BillingPeriodEnd')} AS be "
            "FROM usage_details_focus")
        where = f" (session time zone {zone})" if zone else ""
        bad = [p for p in periods if p["e"] != p["s"] + 86400 or p["s"] % 86400]
        c.check(f"{name}: focus ChargePeriodStart is a UTC midnight, ChargePeriodEnd one day later "
                f"({len(periods)} periods){where}", periods and not bad, f"{bad[:3]}")

        def month_start(t, months=0):
            d = date(1970, 1, 1) + timedelta(seconds=t)
            y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
            return calendar.timegm((y, m + 1, 1, 0, 0, 0))

        bad = [p for p in periods if not (p["bs"] == month_start(p["bs"]) and p["bs"] <= p["s"] < p["be"]
                                          and p["be"] == month_start(p["bs"], 1))]
        c.check(f"{name}: focus charge period inside [BillingPeriodStart, BillingPeriodEnd), a whole UTC "
                f"month{where}", periods and not bad, f"{bad[:3]}")
    if name == "spark":
        engine.spark.conf.set("spark.sql.session.timeZone", "UTC")

    names = engine.rows("SELECT DISTINCT ResourceId AS i, ResourceName AS n FROM usage_details_focus")
    bad = [r for r in names if not r["n"] or r["n"] != r["i"].rsplit("/", 1)[-1]]
    c.check(f"{name}: focus ResourceName = last segment of ResourceId, non-empty ({len(names)} resources)",
            names and not bad, f"{bad[:3]}")

    r = engine.rows("SELECT count(*) AS n, "
                    "sum(CASE WHEN Tags['env'] IS NOT NULL THEN 1 ELSE 0 END) AS tagged, "
                    "sum(CASE WHEN RegionId = lower(RegionId) AND RegionName IS NOT NULL THEN 1 ELSE 0 END) AS region, "
                    "sum(CASE WHEN SubAccountId IS NOT NULL AND ServiceName IS NOT NULL THEN 1 ELSE 0 END) AS named "
                    "FROM usage_details_focus")[0]
    want_tagged = engine.rows("SELECT count(*) AS n FROM usage_details WHERE tags['env'] IS NOT NULL")[0]["n"]
    c.equal(f"{name}: focus rows with Tags['env'] = lake rows with tags['env']", r["tagged"], want_tagged)
    c.equal(f"{name}: focus RegionId lower-case, RegionName, SubAccountId, ServiceName set",
            (r["region"], r["named"]), (r["n"], r["n"]))
    total = sum(cost for _, cost in expected.values())
    by_env = engine.rows("SELECT Tags['env'] AS env, sum(BilledCost) AS c FROM usage_details_focus GROUP BY 1")
    c.equal(f"{name}: focus sum(BilledCost) GROUP BY Tags['env'] adds up to the lake total",
            sum(r["c"] for r in by_env), total)
    cats = {x["c"] for x in engine.rows("SELECT DISTINCT ServiceCategory AS c FROM usage_details_focus")}
    c.check(f"{name}: focus ServiceCategory values are FOCUS categories ({sorted(cats)})",
            cats <= FOCUS_CATEGORIES and "Other" not in cats, "'Other' means a meter_category is unmapped")
    # Cost Details months fill the columns EA usage cannot: currency, pricing category,
    # commitment discounts; EA months leave them NULL.
    cd = engine.rows(
        "SELECT BillingPeriodStart AS bs, count(BillingCurrency) AS cur, "
        "sum(CASE WHEN PricingCategory = 'Committed' THEN 1 ELSE 0 END) AS committed, "
        "sum(CASE WHEN PricingCategory = 'Standard' THEN 1 ELSE 0 END) AS standard, "
        "count(CommitmentDiscountId) AS cdi, count(ListUnitPrice) AS lup "
        "FROM usage_details_focus GROUP BY 1")
    by_month = {(r["bs"].year, r["bs"].month): r for r in cd}
    june = by_month.get((2024, 6), {})
    cd_rows = expected.get(("1234567", 2024, 6), (0,))[0]
    c.equal(f"{name}: focus BillingCurrency and ListUnitPrice set on every Cost Details row",
            (june.get("cur"), june.get("lup")), (cd_rows, cd_rows))
    c.check(f"{name}: focus PricingCategory Committed rows carry a CommitmentDiscountId "
            f"({june.get('committed')}, {june.get('cdi')})",
            june.get("committed", 0) > 0 and june.get("committed") == june.get("cdi")
            and june.get("committed") + june.get("standard") == cd_rows)
    # The export months (2024-07 from Parquet parts, 2024-08 from gzip CSV) carry the report's
    # columns too.
    reports = [(2024, 6), (2024, 7), (2024, 8)]
    for ym in reports[1:]:
        rows = expected.get(("1234567", *ym), (0,))[0]
        got = by_month.get(ym, {})
        c.equal(f"{name}: focus BillingCurrency and ListUnitPrice set on every export row of {ym[0]}-{ym[1]:02d}",
                (got.get("cur"), got.get("lup")), (rows, rows))
    c.equal(f"{name}: focus EA months have no BillingCurrency",
            sum(r["cur"] for k, r in by_month.items() if k not in reports), 0)

    # The derived costs. This lake is actual cost: EffectiveCost = BilledCost where the row has no
    # commitment, NULL on usage a commitment paid for (Cost Details and export months) and on
    # every EA API row (no commitment data); ListCost and ContractedCost are the exact products.
    cost = engine.rows(
        "SELECT BillingAccountId AS a, BillingPeriodStart AS p, count(EffectiveCost) AS eff_n, "
        "sum(CASE WHEN EffectiveCost = BilledCost THEN 1 ELSE 0 END) AS eff_eq, "
        "sum(CASE WHEN PricingCategory = 'Committed' AND ChargeCategory = 'Usage' THEN 1 ELSE 0 END) AS covered, "
        "count(ListCost) AS list_n, sum(ListCost) AS list, sum(ContractedCost) AS con, "
        "count(ContractedCost) AS con_n FROM usage_details_focus GROUP BY 1, 2")
    cost = {(r["a"], r["p"].year, r["p"].month): r for r in cost}
    bad = {k: (r["eff_n"], r["eff_eq"], r["covered"]) for k, r in cost.items()
           if (k[1:] in reports and not (r["eff_n"] == r["eff_eq"] == expected[k][0] - r["covered"] and r["covered"]))
           or (k[1:] not in reports and r["eff_n"] != 0)}
    c.check(f"{name}: focus EffectiveCost = BilledCost but on commitment-paid usage (NULL) and EA API months "
            f"(NULL)", cost and not bad, f"{bad}")
    products = lake_products(lake)
    got = {k: (r["list_n"], r["list"] or Decimal(0), r["con"]) for k, r in cost.items()}
    want = {k: (n, lst, con) for k, (n, lst, con) in products.items()}
    c.equal(f"{name}: focus exact sum(ListCost), sum(ContractedCost) per partition (PayGPrice, UnitPrice or EA "
            f"rate x quantity, each rounded once to 18 digits)", got, want)
    c.equal(f"{name}: focus ContractedCost set on every row", sum(r["con_n"] for r in cost.values()),
            sum(n for n, _ in expected.values()))

    subs = engine.rows("SELECT DISTINCT ServiceName AS n, ServiceCategory AS c, ServiceSubcategory AS s "
                       "FROM usage_details_focus")
    bad = [r for r in subs if FOCUS_SUBCATEGORIES.get(r["s"]) != r["c"]]
    per_name = {}
    for r in subs:
        per_name.setdefault(r["n"], set()).add(r["s"])
    c.check(f"{name}: focus ServiceSubcategory a FOCUS value under its ServiceCategory, one per ServiceName "
            f"({len(per_name)} services)", subs and not bad and all(len(v) == 1 for v in per_name.values())
            and "Other (Other)" not in {r["s"] for r in subs}, f"{bad[:3]} {per_name}")
    units = {r["u"] for r in engine.rows("SELECT DISTINCT PricingUnit AS u FROM usage_details_focus")}
    c.check(f"{name}: focus PricingUnit in FOCUS unit format ({sorted(units)})",
            units and all(re.fullmatch(r"([0-9]+ )?[A-Za-z][A-Za-z ]*(/[A-Za-z]+)?", u) for u in units))
    prov = engine.rows("SELECT DISTINCT ProviderName AS p, PublisherName AS pub, ServiceProviderName AS sp, "
                       "HostProviderName AS hp, InvoiceIssuerName AS ii, InvoiceId AS inv FROM usage_details_focus")
    c.equal(f"{name}: focus ProviderName, PublisherName, ServiceProviderName, HostProviderName, InvoiceIssuerName, "
            f"InvoiceId", [tuple(r.values()) for r in prov], [("Microsoft",) * 5 + (None,)])


# Hand-made rows for the view's rules where the simulators' data is too tame: products whose
# exact value has 20-36 fractional digits, a tie at the 19th, negative quantities, values near
# 10^14, commitments (usage, purchase, refund, unused), a credit, an EA API row without a rate.
# (SkuId, ChargeType, PricingModel, commitment, quantity, PayGPrice, UnitPrice, resourceRate, cost)
RI = "/providers/Microsoft.Capacity/reservationOrders/00000001"
FOCUS_CASES = [
    ("a", "Usage", "OnDemand", None, "123456.123456789012345678", "0.000000000123456789",
     "98765.432109876543210987", "1", "1.5"),
    ("b", "Usage", "OnDemand", None, "0.5", "0.000000000000000001", "0.000000000000000003", "1", "0.1"),
    ("c", "Usage", "OnDemand", None, "-0.5", "0.000000000000000003", "0.000000000000000001", "1", "-0.1"),
    ("d", "Usage", "OnDemand", None, "9999999999.999999999999999999", "12345.678901234567890123",
     "0.000000000000000001", "1", "2"),
    ("e", "Usage", "OnDemand", None, "0.000000000000000001", "0.000000000000000001", None, "1", "0"),
    ("f", "Usage", "Reservation", RI, "10", "1.2", "1.0", "0.7", "7"),
    ("g", "Purchase", "Reservation", RI, "1", "5000", "5000", "5000", "5000"),
    ("h", "Credit", "", None, None, None, None, None, "-3"),
    ("i", "Refund", "Reservation", RI, "-1", "5000", "5000", "5000", "-5000"),
    ("j", None, None, None, "2", None, None, None, "4.4"),
    ("k", "UnusedReservation", "Reservation", RI, "5", "1.2", "1.0", "0.4", "2"),
]


def make_cases_lake(lake, work):
    """A one-partition lake of FOCUS_CASES in the lake's own (version 2) file schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(next(lake.glob("enrollment=1234567/year=2024/month=06/*.parquet"))).remove_metadata()
    rows = []
    for sku, ct, pm, ri, q, payg, unit, rate, cost in FOCUS_CASES:
        d = lambda x: None if x is None else Decimal(x)  # noqa: E731
        rows.append({"usage_date": date(2024, 6, 15), "meter_id": sku, "meter_category": "Virtual Machines",
                     "unit_of_measure": "1 Hour", "charge_type": ct, "pricing_model": pm, "benefit_id": ri,
                     "consumed_quantity": d(q), "payg_price": d(payg), "unit_price": d(unit),
                     "resource_rate": d(rate), "cost": d(cost), "tags": [], "extra_fields": []})
    path = work / "enrollment=1234567" / "year=2024" / "month=06"
    path.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path / "usage-details.parquet")
    return work


def case_expected(metric):
    """{SkuId: (BilledCost, EffectiveCost, ListCost, ContractedCost, ChargeCategory, ChargeClass)}
    as the view's header states the rules; products rounded half away from zero to 18 digits."""
    def product(q, p):
        return None if q is None or p is None else exact_product(q, p)

    out = {}
    for sku, ct, pm, ri, q, payg, unit, rate, cost in FOCUS_CASES:
        cost = Decimal(cost)
        covered = ct in ("Usage", "UnusedReservation") and ri is not None
        bought = ct in ("Purchase", "Refund") and ri is not None
        billed = ({"actual": cost, "amortized": Decimal(0)}.get(metric) if covered else cost)
        effective = (None if ct is None else Decimal(0) if bought
                     else {"amortized": cost}.get(metric) if covered else cost)
        listed = product(q, payg) if payg is not None else (billed if ct == "Credit" else None)
        contracted = (product(q, rate if ct is None else unit)
                      if (rate if ct is None else unit) is not None and q is not None
                      else cost if ct is None else billed if ct == "Credit" else None)
        category = {None: "Usage", "UnusedReservation": "Usage", "Refund": "Purchase"}.get(ct, ct)
        out[sku] = (billed, effective, listed, contracted, category, "Correction" if ct == "Refund" else None)
    return out


def check_focus_cases(c, engine, cases_lake):
    """The view over FOCUS_CASES, for each metric and with ${METRIC} left unreplaced."""
    name = engine.name
    # Replace the engine's usage_details with the cases' lake.
    if name == "spark":
        engine.execute("DROP TABLE IF EXISTS usage_details")
    if name == "datafusion":
        engine.execute("DROP TABLE IF EXISTS usage_details_files")
    for stmt in sql_statements(DDL / f"{name}.sql", cases_lake):
        engine.execute(stmt)
    for metric in ("actual", "amortized", None):
        for stmt in sql_statements(FOCUS, ""):
            engine.execute(stmt.replace("${METRIC}", metric) if metric else stmt)
        got = {r["s"]: (r["b"], r["e"], r["l"], r["k"], r["cc"], r["cl"]) for r in engine.rows(
            "SELECT SkuId AS s, BilledCost AS b, EffectiveCost AS e, ListCost AS l, ContractedCost AS k, "
            "ChargeCategory AS cc, ChargeClass AS cl FROM usage_details_focus")}
        want = case_expected(metric)
        bad = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
        c.check(f"{name}: focus costs of {len(want)} hand-made rows, metric "
                f"{metric or 'left as ${METRIC}'} (exact products, ties, negatives, commitments, credit, EA)",
                not bad, f"got/want {bad}")


def athena_column_type(t):
    return {"date32": "date", "utf8": "string", "int64": "bigint",
            "decimal128(38,18)": "decimal(38,18)", "map<utf8,utf8>": "map<string,string>",
            "boolean": "boolean"}[t]


def check_athena(c, lake, expected):
    text = (DDL / "athena.sql").read_text()
    stmts = sql_statements(DDL / "athena.sql", "s3://bucket/usage")
    c.equal("athena: one statement", len(stmts), 1)
    sql = stmts[0]
    c.check("athena: balanced parentheses", sql.count("(") == sql.count(")"))
    m = re.search(r"CREATE EXTERNAL TABLE IF NOT EXISTS usage_details \((.*?)\)\s*PARTITIONED BY", sql, re.S)
    cols = [tuple(line.strip().rstrip(",").split(None, 1)) for line in m.group(1).strip().splitlines()] if m else []
    c.equal("athena: columns and types = schemas/usage_details.v2.json",
            cols, [(n, athena_column_type(t)) for n, t in SCHEMA])
    c.check("athena: PARTITIONED BY (enrollment string, year int, month int)",
            re.search(r"PARTITIONED BY \(enrollment string, year int, month int\)", sql) is not None)
    c.check("athena: STORED AS PARQUET, LOCATION '${LAKE}/'",
            "STORED AS PARQUET" in sql and "LOCATION '${LAKE}/'" in text)
    props = dict(re.findall(r"'([\w.]+)'\s*=\s*'([^']*)'", sql))
    want = {"projection.enabled": "true", "projection.enrollment.type": "injected",
            "projection.year.type": "integer", "projection.month.type": "integer",
            "projection.month.range": "1,12", "projection.month.digits": "2"}
    c.equal("athena: partition projection properties", {k: props.get(k) for k in want}, want)
    # Render the location template the way Athena's projection does, for every test partition.
    template = props.get("storage.location.template", "")
    digits = int(props.get("projection.month.digits", "1"))
    missing = []
    for enrollment, year, month in expected:
        path = (template.replace("s3://bucket/usage", str(lake)).replace("${enrollment}", enrollment)
                .replace("${year}", str(year)).replace("${month}", f"{month:0{digits}d}"))
        if not any(Path(path).glob("*.parquet")):
            missing.append(path)
    c.check(f"athena: storage.location.template hits the lake's directories ({len(expected)} partitions)",
            template and not missing, f"missing {missing}")


def main():
    lake, expected_path, engines = parse_args(__doc__, list(SQL_ENGINES))
    expected = load_expected(expected_path)
    c = Checks()
    cases_dir = tempfile.TemporaryDirectory(prefix="eaua-focus-cases-")
    cases_lake = make_cases_lake(lake, Path(cases_dir.name))
    for name in engines:
        print(f"== {name}: schemas/ddl/{name}.sql + schemas/focus_view.sql", flush=True)
        engine = None
        try:
            engine = SQL_ENGINES[name]()
            for stmt in sql_statements(DDL / f"{name}.sql", lake):
                engine.execute(stmt)
            c.run(f"{name} ddl", check_table, c, engine, expected)
            c.run(f"{name} focus", check_focus, c, engine, expected, lake)
            c.run(f"{name} focus cases", check_focus_cases, c, engine, cases_lake)
        except Exception as e:  # noqa: BLE001 - the engine or the DDL failed
            c.check(f"{name}: engine starts and runs {name}.sql", False, f"{type(e).__name__}: {e}")
        finally:
            if engine:
                engine.close()
    print("== athena: schemas/ddl/athena.sql (text only)", flush=True)
    c.run("athena", check_athena, c, lake, expected)
    sys.exit(c.finish("ddl"))


if __name__ == "__main__":
    main()
