-- Apache DataFusion (SQL CLI / Python SessionContext, 55.x): the lake as a view `usage_details`.
-- Replace ${LAKE} with the lake root, no trailing '/' (a path, or s3://… once an object store
-- is registered for the bucket).
--
-- Two statements on purpose. The partition columns are left untyped in the table, so
-- DataFusion reads them as strings ('1234567', '2024', '02'), and the view casts year and month
-- to INT. Declaring them INT in the table instead (a column list with `year INT, month INT`,
-- or register_parquet(table_partition_cols=[("month", pa.int32())])) gives the right types
-- but silently WRONG results: a filter that pins every partition level, e.g.
--   WHERE enrollment = '1234567' AND year = 2024 AND month = 2,
-- makes DataFusion 55 list the prefix `enrollment=1234567/year=2024/month=2`, which misses the
-- zero-padded `month=02` directory, and the query returns no rows without an error
-- (evaluate_partition_prefix formats the typed literal). Filters on the view still prune
-- partitions, as EXPLAIN's file_groups shows. A typed table column list also cannot name the
-- map columns (DataFusion's SQL has no MAP type), hence no column list at all.
--
-- DataFusion lower-cases unquoted identifiers, so schemas/focus_view.sql's FOCUS names
-- (BilledCost, …) would come out as billedcost. Turning that off keeps them as written; the
-- lake's own column names are lower-case anyway. Column names are then case-sensitive.

SET datafusion.sql_parser.enable_ident_normalization = false;

CREATE EXTERNAL TABLE IF NOT EXISTS usage_details_files
STORED AS PARQUET
PARTITIONED BY (enrollment, year, month)
LOCATION '${LAKE}/';

CREATE OR REPLACE VIEW usage_details AS
SELECT
  * EXCLUDE (enrollment, year, month),
  CAST(enrollment AS VARCHAR) AS enrollment,
  CAST(year AS INT)           AS year,
  CAST(month AS INT)          AS month
FROM usage_details_files;
