-- Amazon Athena (engine v3, Trino-based; Hive DDL): the lake as table `usage_details`.
-- Replace ${LAKE} with the lake root as an s3:// URL, no trailing '/'.
-- Partition projection: no MSCK REPAIR / Glue crawler needed. month is an int projected with
-- two digits, matching the zero-padded month=01..12 directories; year is an int. enrollment
-- is a string of type `injected`: every query must pin it (WHERE enrollment = '1234567').
-- For cross-enrollment queries use instead
--   'projection.enrollment.type'='enum', 'projection.enrollment.values'='1234567,7654321'.
-- ${enrollment}/${year}/${month} in the template are Athena's own placeholders.

CREATE EXTERNAL TABLE IF NOT EXISTS usage_details (
  usage_date               date,
  enrollment_number        string,
  account_id               bigint,
  account_name             string,
  account_owner_email      string,
  department_id            bigint,
  department_name          string,
  cost_center              string,
  subscription_id          bigint,
  subscription_guid        string,
  subscription_name        string,
  service_administrator_id string,
  product_id               bigint,
  product                  string,
  meter_id                 string,
  meter_category           string,
  meter_sub_category       string,
  meter_region             string,
  meter_name               string,
  unit_of_measure          string,
  consumed_quantity        decimal(38,18),
  resource_rate            decimal(38,18),
  cost                     decimal(38,18),
  extended_cost            decimal(38,18),
  resource_location_id     bigint,
  resource_location        string,
  consumed_service_id      bigint,
  consumed_service         string,
  instance_id              string,
  resource_group           string,
  service_info1            string,
  service_info2            string,
  additional_info          string,
  store_service_identifier string,
  tags                     map<string,string>,
  extra_fields             map<string,string>,
  billing_currency         string,
  charge_type              string,
  pricing_model            string,
  frequency                string,
  term                     string,
  reservation_id           string,
  reservation_name         string,
  benefit_id               string,
  benefit_name             string,
  product_order_id         string,
  product_order_name       string,
  offer_id                 string,
  part_number              string,
  plan_name                string,
  publisher_name           string,
  publisher_type           string,
  service_family           string,
  resource_name            string,
  availability_zone        string,
  invoice_section_id       string,
  billing_account_id       string,
  billing_account_name     string,
  billing_profile_id       string,
  billing_profile_name     string,
  cost_allocation_rule_name string,
  unit_price               decimal(38,18),
  payg_price               decimal(38,18),
  is_azure_credit_eligible boolean,
  billing_period_start     date,
  billing_period_end       date
)
PARTITIONED BY (enrollment string, year int, month int)
STORED AS PARQUET
LOCATION '${LAKE}/'
TBLPROPERTIES (
  'projection.enabled'          = 'true',
  'projection.enrollment.type'  = 'injected',
  'projection.year.type'        = 'integer',
  'projection.year.range'       = '2014,2099',
  'projection.month.type'       = 'integer',
  'projection.month.range'      = '1,12',
  'projection.month.digits'     = '2',
  'storage.location.template'   = '${LAKE}/enrollment=${enrollment}/year=${year}/month=${month}/'
);
