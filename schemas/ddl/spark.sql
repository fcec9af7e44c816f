-- Spark SQL (3.4+/4.x): the lake as a partitioned table `usage_details`.
-- Replace ${LAKE} with the lake root (a path, file:/…, s3a://…, abfss://…).
-- Columns follow schemas/usage_details.v2.json (version 1 files, which lack the version-2
-- columns, read them as NULL); enrollment/year/month come only from the path.
-- enrollment is a STRING (an identifier, as in athena.sql); year and month are INT, so the
-- zero-padded month=02 directory reads as 2. Without a column list Spark infers all three as int.
-- Partitions are kept in the catalog: run the REPAIR after each archive run adds a month
-- (or read the lake with spark.read.parquet('${LAKE}'), which lists directories every time).

CREATE TABLE IF NOT EXISTS usage_details (
  usage_date               DATE,
  enrollment_number        STRING,
  account_id               BIGINT,
  account_name             STRING,
  account_owner_email      STRING,
  department_id            BIGINT,
  department_name          STRING,
  cost_center              STRING,
  subscription_id          BIGINT,
  subscription_guid        STRING,
  subscription_name        STRING,
  service_administrator_id STRING,
  product_id               BIGINT,
  product                  STRING,
  meter_id                 STRING,
  meter_category           STRING,
  meter_sub_category       STRING,
  meter_region             STRING,
  meter_name               STRING,
  unit_of_measure          STRING,
  consumed_quantity        DECIMAL(38,18),
  resource_rate            DECIMAL(38,18),
  cost                     DECIMAL(38,18),
  extended_cost            DECIMAL(38,18),
  resource_location_id     BIGINT,
  resource_location        STRING,
  consumed_service_id      BIGINT,
  consumed_service         STRING,
  instance_id              STRING,
  resource_group           STRING,
  service_info1            STRING,
  service_info2            STRING,
  additional_info          STRING,
  store_service_identifier STRING,
  tags                     MAP<STRING, STRING>,
  extra_fields             MAP<STRING, STRING>,
  -- schema version 2 (Cost Details columns); NULL in version-1 files
  billing_currency         STRING,
  charge_type              STRING,
  pricing_model            STRING,
  frequency                STRING,
  term                     STRING,
  reservation_id           STRING,
  reservation_name         STRING,
  benefit_id               STRING,
  benefit_name             STRING,
  product_order_id         STRING,
  product_order_name       STRING,
  offer_id                 STRING,
  part_number              STRING,
  plan_name                STRING,
  publisher_name           STRING,
  publisher_type           STRING,
  service_family           STRING,
  resource_name            STRING,
  availability_zone        STRING,
  invoice_section_id       STRING,
  billing_account_id       STRING,
  billing_account_name     STRING,
  billing_profile_id       STRING,
  billing_profile_name     STRING,
  cost_allocation_rule_name STRING,
  unit_price               DECIMAL(38,18),
  payg_price               DECIMAL(38,18),
  is_azure_credit_eligible BOOLEAN,
  billing_period_start     DATE,
  billing_period_end       DATE,
  enrollment               STRING,
  year                     INT,
  month                    INT
)
USING parquet
PARTITIONED BY (enrollment, year, month)
LOCATION '${LAKE}';

-- Registers the enrollment=/year=/month= directories (folders starting with _ are skipped).
MSCK REPAIR TABLE usage_details;
