-- FinOps FOCUS-style view over the lake table `usage_details` (create it first with
-- schemas/ddl/<engine>.sql). Column names follow FOCUS 1.1; the comment on each line names the
-- EA usage-details field (lake column) that feeds it.
--
-- One file for Spark SQL 3.4+/4.x, DuckDB 1.x/2.x and DataFusion 55: it sticks to functions all
-- three share (split_part with a negative index, make_date, nullif, lower, CASE, CAST, date + 1).
-- Tested by tests/readers/check_ddl.py. Not for Athena/Trino as is: Trino has no make_date, no
-- date + integer, no negative split_part index and no STRING type (untested here).
--
-- Deliberate choices:
-- * (*) A no-op CAST where a lake column feeds a second FOCUS column: DataFusion 55 cannot plan
--   a map lookup such as Tags['env'] in an aggregate over a view that selects one column twice
--   ("push_down_leaf_projections failed: Schema contains duplicate qualified field name").
-- * DataFusion lower-cases unquoted names; schemas/ddl/datafusion.sql turns that off so the
--   FOCUS names keep their case.
-- * Charge and billing periods are DATEs, not timestamps. EA usage is daily and `date` is a UTC
--   calendar day; a portable CAST(date AS TIMESTAMP) would shift with Spark's session time zone.
--   Tools that want FOCUS's datetime form can cast them (start/end are at 00:00:00Z; end is
--   exclusive).
-- * Costs stay DECIMAL(38,18), so sums are exact.
--
-- Months from the Cost Details API (schema version 2) fill more: BillingCurrency,
-- ChargeCategory (from charge_type), PricingCategory (from pricing_model), the commitment
-- discount id (benefit_id, else reservation_id), BillingAccountName, AvailabilityZone,
-- ListUnitPrice (payg_price) and the publisher. For EA API months those columns are NULL (or
-- keep the EA defaults below: usage only, Microsoft), as before.
--
-- FOCUS columns EA usage details cannot fill (NULL here, or left out):
-- * BillingCurrency: EA usage rows carry no currency; it is the enrollment's billing currency
--   (price sheet / balance summary), so set it per enrollment if needed.
-- * EffectiveCost: needs amortised commitment costs. EA usage rows carry no reservation or
--   savings-plan ids and no amortisation, and reservation purchases come from a separate EA API,
--   so it is not derivable. For an enrollment without commitments, EffectiveCost = BilledCost.
-- * ListUnitPrice, ListCost: usage details carry only the EA (contracted) rate, no retail price.
-- * BillingAccountName, AvailabilityZone, ResourceType, SkuPriceId, ChargeClass (no correction
--   flag), PricingCategory: not in the EA data. CommitmentDiscount* columns are left out.
-- Not normalised: ConsumedQuantity/ConsumedUnit are EA's consumedQuantity in unitOfMeasure,
-- which can be a pack ("100 Hours"); ServiceCategory maps meter_category onto FOCUS's allowed
-- values and falls back to 'Other'.

CREATE OR REPLACE VIEW usage_details_focus AS
SELECT
  -- Cost and price
  cost                                        AS BilledCost,          -- cost (v1 rows also keep extendedCost)
  CAST(NULL AS DECIMAL(38,18))                AS EffectiveCost,       -- not derivable, see above
  CAST(cost AS DECIMAL(38,18))                AS ContractedCost,      -- EA cost = quantity x EA rate (*)
  resource_rate                               AS ContractedUnitPrice, -- resourceRate (EA negotiated rate)
  CAST(NULL AS DECIMAL(38,18))                AS ListCost,            -- no list price in EA usage
  payg_price                                  AS ListUnitPrice,       -- PayGPrice (Cost Details); none in EA usage
  billing_currency                            AS BillingCurrency,     -- BillingCurrencyCode (Cost Details); none in EA usage
  consumed_quantity                           AS PricingQuantity,     -- consumedQuantity
  unit_of_measure                             AS PricingUnit,         -- unitOfMeasure
  CAST(consumed_quantity AS DECIMAL(38,18))   AS ConsumedQuantity,    -- consumedQuantity, not normalised (*)
  CAST(unit_of_measure AS STRING)             AS ConsumedUnit,        -- unitOfMeasure (*)
  CASE pricing_model                                                  -- PricingModel (Cost Details); unknown in EA usage
    WHEN 'OnDemand'    THEN 'Standard'
    WHEN 'Spot'        THEN 'Dynamic'
    WHEN 'Reservation' THEN 'Committed'
    WHEN 'SavingsPlan' THEN 'Committed'
    ELSE NULL
  END                                         AS PricingCategory,

  -- Periods (DATE; end exclusive)
  usage_date                                  AS ChargePeriodStart,   -- date
  usage_date + 1                              AS ChargePeriodEnd,     -- date + 1 day
  make_date(CAST(year AS INT), CAST(month AS INT), 1)
                                              AS BillingPeriodStart,  -- path year=/month=
  make_date(CASE WHEN CAST(month AS INT) = 12 THEN CAST(year AS INT) + 1 ELSE CAST(year AS INT) END,
            CASE WHEN CAST(month AS INT) = 12 THEN 1 ELSE CAST(month AS INT) + 1 END, 1)
                                              AS BillingPeriodEnd,    -- first day of the next month

  -- Charge
  CASE charge_type                                                    -- ChargeType (Cost Details); EA usage is usage only
    WHEN 'Purchase'      THEN 'Purchase'
    WHEN 'Refund'        THEN 'Credit'
    WHEN 'Adjustment'    THEN 'Adjustment'
    WHEN 'Tax'           THEN 'Tax'
    WHEN 'UnusedReservation' THEN 'Usage'
    WHEN 'UnusedSavingsPlan' THEN 'Usage'
    ELSE 'Usage'
  END                                         AS ChargeCategory,
  CAST(NULL AS STRING)                        AS ChargeClass,         -- no correction flag in EA
  product                                     AS ChargeDescription,   -- product, e.g. "Data Transfer Out (GB) - JA East"
  'Usage-Based'                               AS ChargeFrequency,

  -- Accounts
  CAST(enrollment AS STRING)                  AS BillingAccountId,    -- path enrollment= (= enrollmentNumber)
  billing_account_name                        AS BillingAccountName,  -- BillingAccountName (Cost Details); not in EA usage
  subscription_guid                           AS SubAccountId,        -- subscriptionGuid
  subscription_name                           AS SubAccountName,      -- subscriptionName
  'Microsoft'                                 AS ProviderName,
  'Microsoft'                                 AS PublisherName,       -- marketplace charges are a separate EA API
  'Microsoft'                                 AS InvoiceIssuerName,

  -- Resource, service, location
  instance_id                                 AS ResourceId,          -- instanceId
  nullif(split_part(instance_id, '/', -1), '') AS ResourceName,       -- last path segment of instanceId
  CAST(NULL AS STRING)                        AS ResourceType,        -- not in EA usage (only inside instanceId, if at all)
  meter_category                              AS ServiceName,         -- meterCategory, e.g. "Virtual Machines"
  CASE meter_category
    WHEN 'Virtual Machines'    THEN 'Compute'
    WHEN 'Azure App Service'   THEN 'Web'
    WHEN 'Functions'           THEN 'Compute'
    WHEN 'SQL Database'        THEN 'Databases'
    WHEN 'Azure Cosmos DB'     THEN 'Databases'
    WHEN 'Storage'             THEN 'Storage'
    WHEN 'Bandwidth'           THEN 'Networking'
    WHEN 'Virtual Network'     THEN 'Networking'
    WHEN 'Log Analytics'       THEN 'Management and Governance'
    WHEN 'Azure Monitor'       THEN 'Management and Governance'
    ELSE 'Other'
  END                                         AS ServiceCategory,     -- meterCategory mapped to FOCUS values
  lower(resource_location)                    AS RegionId,            -- resourceLocation, e.g. "eastus"
  meter_region                                AS RegionName,          -- meterRegion, e.g. "US East"
  availability_zone                           AS AvailabilityZone,    -- AvailabilityZone (Cost Details); not in EA usage
  meter_id                                    AS SkuId,               -- meterId: the EA meter is the priced unit
  CAST(NULL AS STRING)                        AS SkuPriceId,          -- no price-sheet id in usage rows
  tags                                        AS Tags,                -- tags, parsed to map<string,string>
  CASE WHEN benefit_id IS NOT NULL AND benefit_id <> '' THEN benefit_id
       WHEN reservation_id IS NOT NULL AND reservation_id <> '' THEN reservation_id
  END                                         AS CommitmentDiscountId, -- benefitId, else ReservationId (Cost Details)
  CASE WHEN benefit_name IS NOT NULL AND benefit_name <> '' THEN benefit_name
       ELSE reservation_name
  END                                         AS CommitmentDiscountName,

  -- EA extras (FOCUS custom columns are prefixed x_)
  consumed_service                            AS x_ConsumedService,   -- consumedService, e.g. "Microsoft.Compute"
  meter_sub_category                          AS x_MeterSubCategory,  -- meterSubCategory
  meter_name                                  AS x_MeterName,         -- meterName
  account_name                                AS x_AccountName,       -- accountName
  account_owner_email                         AS x_AccountOwnerEmail, -- accountOwnerEmail
  department_name                             AS x_DepartmentName,    -- departmentName
  cost_center                                 AS x_CostCenter,        -- costCenter
  resource_group                              AS x_ResourceGroup,     -- resourceGroup
  additional_info                             AS x_AdditionalInfo     -- additionalInfo (JSON text)
FROM usage_details;
