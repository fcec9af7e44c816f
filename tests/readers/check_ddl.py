"""Runs schemas/ddl/*.sql and schemas/focus_view.sql against the test lake and checks results.

    check_ddl.py LAKE_DIR EXPECTED_JSON [--engines spark,datafusion,duckdb]

Spark, DataFusion and DuckDB each run their DDL (with ${LAKE} replaced) and the FOCUS view;
athena.sql is checked as text (no Athena here): columns against schemas/usage_details.v2.json,
partition projection, and the location template against the lake's real directories.
Ends with `ddl: N passed, M failed`.
"""

import json
import re
import sys
from datetime import timedelta
from pathlib import Path

from common import DATE_TYPES, INT_TYPES, ROOT, SQL_ENGINES, Checks, load_expected, parse_args, sql_statements

DDL = ROOT / "schemas" / "ddl"
FOCUS = ROOT / "schemas" / "focus_view.sql"
SCHEMA = [(c["name"], c["type"]) for c in json.loads((ROOT / "schemas" / "usage_details.v2.json").read_text())["columns"]]
PARTITION_COLS = ["enrollment", "year", "month"]
STRING_TYPES = {"string", "VARCHAR", "string_view", "large_string"}
FOCUS_CATEGORIES = {"Compute", "Databases", "Networking", "Storage", "Web", "Management and Governance", "Other"}


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


def check_focus(c, engine, expected):
    name = engine.name
    for stmt in sql_statements(FOCUS, ""):
        engine.execute(stmt)
    types = engine.types("usage_details_focus")
    for col in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd"):
        c.check(f"{name}: focus {col} is a date ({types.get(col)})", types.get(col) in DATE_TYPES)
    c.check(f"{name}: focus BilledCost is decimal(38,18) ({types.get('BilledCost')})",
            "38" in str(types.get("BilledCost")) and "18" in str(types.get("BilledCost")))

    got = {}
    for r in engine.rows("SELECT BillingAccountId AS a, BillingPeriodStart AS p, count(*) AS n, "
                         "sum(BilledCost) AS cost FROM usage_details_focus GROUP BY 1, 2"):
        got[(r["a"], r["p"].year, r["p"].month)] = (r["n"], r["cost"])
    c.equal(f"{name}: focus rows and exact sum(BilledCost) per BillingAccountId, BillingPeriodStart", got, expected)

    periods = engine.rows("SELECT DISTINCT ChargePeriodStart AS s, ChargePeriodEnd AS e, "
                          "BillingPeriodStart AS bs, BillingPeriodEnd AS be FROM usage_details_focus")
    bad = [p for p in periods if p["e"] != p["s"] + timedelta(days=1)]
    c.check(f"{name}: focus ChargePeriodEnd = ChargePeriodStart + 1 day ({len(periods)} periods)",
            periods and not bad, f"{bad[:3]}")
    bad = [p for p in periods if not (p["bs"].day == 1 and p["bs"] <= p["s"] < p["be"]
                                      and p["be"] == (p["bs"] + timedelta(days=31)).replace(day=1))]
    c.check(f"{name}: focus charge period inside [BillingPeriodStart, BillingPeriodEnd), a whole month",
            periods and not bad, f"{bad[:3]}")

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
    for name in engines:
        print(f"== {name}: schemas/ddl/{name}.sql + schemas/focus_view.sql", flush=True)
        engine = None
        try:
            engine = SQL_ENGINES[name]()
            for stmt in sql_statements(DDL / f"{name}.sql", lake):
                engine.execute(stmt)
            c.run(f"{name} ddl", check_table, c, engine, expected)
            c.run(f"{name} focus", check_focus, c, engine, expected)
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
