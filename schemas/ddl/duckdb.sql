-- DuckDB (1.1+/2.x): the lake as a view `usage_details`. Replace ${LAKE} with the lake root
-- (a path; s3://… or az://… need the httpfs/azure extension).
-- hive_types makes month an INTEGER (by default DuckDB infers month=02 as VARCHAR '02') and
-- keeps enrollment a VARCHAR identifier, as in athena.sql. The glob names the partition levels,
-- so _raw/ and _staging/ are never read. Filters on enrollment/year/month prune files.
-- DuckDB appends hive columns in name order (enrollment, month, year); the view restores
-- enrollment, year, month as in the other engines. union_by_name reads a lake that mixes
-- schema version 1 and 2 files as one table (the version-2 columns NULL in version-1 files).

CREATE OR REPLACE VIEW usage_details AS
SELECT * EXCLUDE (enrollment, year, month), enrollment, year, month
FROM read_parquet(
  '${LAKE}/enrollment=*/year=*/month=*/*.parquet',
  hive_partitioning = true,
  union_by_name = true,
  hive_types = {'enrollment': VARCHAR, 'year': INTEGER, 'month': INTEGER}
);
