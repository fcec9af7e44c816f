-- FinOps FOCUS view over the lake table `usage_details` (create it first with
-- schemas/ddl/<engine>.sql). Targets FOCUS 1.2: every mandatory FOCUS 1.2 rule of the FinOps
-- Foundation's validator (focus-validator 2.2.1, --validate-version 1.2) passes on Cost Details
-- and export months of both metrics, except EffectiveCost on the commitment rows of an
-- actual-cost lake (below); tests/readers/check_focus.py runs it. It also carries FOCUS 1.3's
-- ServiceProviderName and HostProviderName (1.3 deprecates ProviderName and PublisherName,
-- 1.4 removes them; both are kept for 1.2). EA API months fill less; README §FOCUS lists the
-- rules they fail and why.
--
-- Replace ${METRIC} with the lake's metric, `actual` or `amortized` (one metric per lake, as
-- `_lake/lake.json` records it). Left as is, the rows it decides (usage covered by a
-- commitment: BilledCost, EffectiveCost) are NULL.
--
-- One file for Spark SQL 3.4+/4.x, DuckDB 1.x/2.x and DataFusion 55, with the same results in
-- each (tests/readers/check_ddl.py): it sticks to functions all three share (split_part with a
-- negative index, make_date, concat, nullif, lower, abs, floor, CASE, CAST, date + 1). Not for
-- Athena/Trino as is: Trino has no make_date, no date + integer, no negative split_part index
-- and no STRING type (untested here).
--
-- No value is invented: each column below is the lake column named beside it, or a rule on
-- the month's own columns written beside it; what the rows cannot tell is NULL.
-- * Which rows are which. EA API rows (EA usage details) carry no ChargeType; Cost Details and
--   export rows always do. A row is covered by a commitment when its PricingModel is
--   Reservation or SavingsPlan, or it names a benefit or reservation; its ChargeType then says
--   whether it is the commitment's purchase or refund, or usage (Usage, UnusedReservation,
--   UnusedSavingsPlan) the commitment paid for.
-- * BilledCost is the row's cost, except usage paid for by a commitment in an amortized lake:
--   that was billed with the commitment's purchase, so 0 (Microsoft's conversion of Cost
--   Management data to FOCUS does the same). In an actual-cost lake such usage keeps its cost.
-- * EffectiveCost is the row's cost for rows with no commitment; 0 for a commitment's purchase
--   or refund (FOCUS: its cost is amortized into the usage it covers); the amortized cost
--   (the row's cost) for usage a commitment covers in an amortized lake. In an actual-cost lake
--   that amortized share is not in the data: NULL, the one documented exception. EA API rows
--   say nothing about commitments: NULL.
-- * ListCost = PayGPrice x Quantity, ContractedCost = ContractedUnitPrice x Quantity (UnitPrice
--   for Cost Details rows, the EA rate for EA API rows), both products exact: the factors are
--   split into integer and fractional parts, the four partial products are exact, and only the
--   fractional x fractional one (up to 36 digits) is rounded, half away from zero, to the lake's
--   18 digits, so the result is the exact product rounded once, identical in all three engines
--   (a plain DECIMAL(38,18) x DECIMAL(38,18) overflows in DuckDB and DataFusion and loses digits
--   in Spark). A credit or adjustment without a unit price takes BilledCost (FOCUS); otherwise
--   a missing factor gives NULL. Prices and quantities are per UnitOfMeasure (a pack such as
--   "100 Hours" counts packs), as the rows' own cost = quantity x price.
-- * Periods are UTC TIMESTAMPs at midnight, built from the text 'YYYY-MM-DDT00:00:00Z', so
--   Spark (whose TIMESTAMP is an instant shown in the session time zone) gets the same instant
--   whatever its spark.sql.session.timeZone; DuckDB's and DataFusion's TIMESTAMP hold the UTC
--   wall time (no zone attached; FOCUS readers, the validator included, read it as UTC).
--   Charge period: the row's UTC day, end exclusive. Billing period: the month of the path.
-- * Costs and prices stay DECIMAL(38,18), so sums are exact.
--
-- Deliberate choices:
-- * (*) A no-op CAST where a lake column feeds a second FOCUS column unchanged: DataFusion 55
--   cannot plan a map lookup such as Tags['env'] in an aggregate over a view that selects one
--   column twice ("push_down_leaf_projections failed: Schema contains duplicate qualified field
--   name").
-- * DataFusion lower-cases unquoted names; schemas/ddl/datafusion.sql turns that off so the
--   FOCUS names keep their case.
--
-- Not in the data (NULL here): InvoiceId (usage rows carry no invoice number), ResourceType,
-- SkuPriceId; for EA API months also BillingCurrency, BillingAccountName, PricingCategory,
-- ListUnitPrice/ListCost (no retail price), EffectiveCost, AvailabilityZone and the commitment
-- columns. ServiceCategory and ServiceSubcategory map meterCategory onto FOCUS's allowed values
-- ('Other' / 'Other (Other)' when unmapped).

CREATE OR REPLACE VIEW usage_details_focus AS
SELECT
  -- Cost and price (the products: see the header)
  billed_cost                                 AS BilledCost,          -- cost; 0 for commitment-paid usage in an amortized lake (below)
  CASE WHEN charge_type IS NULL THEN NULL                             -- EA API row: commitments unknown
       WHEN commitment_purchase = 1 THEN CAST(0 AS DECIMAL(38,18))    -- amortized into usage
       WHEN commitment_usage = 1 THEN
         CASE '${METRIC}' WHEN 'amortized' THEN cost END              -- actual cost: not derivable
       ELSE cost                                                      -- no commitment: what was billed
  END                                         AS EffectiveCost,
  CASE WHEN contracted_price IS NOT NULL AND consumed_quantity IS NOT NULL THEN
         CAST((CAST(q_int * c_int AS DECIMAL(36,18)) + CAST(q_int * c_frac AS DECIMAL(36,18)))
              + (CAST(q_frac * c_int AS DECIMAL(36,18)) + CAST(q_frac * c_frac AS DECIMAL(36,18)))
              AS DECIMAL(38,18))
       WHEN charge_type IS NULL THEN cost                             -- EA API row without a rate: EA's cost is at the EA rate
       WHEN charge_category IN ('Credit', 'Adjustment') THEN billed_cost -- FOCUS: no unit price, unrelated to other charges
  END                                         AS ContractedCost,      -- ContractedUnitPrice x quantity, exact
  contracted_price                            AS ContractedUnitPrice, -- UnitPrice (Cost Details); EA API: resourceRate
  CASE WHEN payg_price IS NOT NULL AND consumed_quantity IS NOT NULL THEN
         CAST((CAST(q_int * l_int AS DECIMAL(36,18)) + CAST(q_int * l_frac AS DECIMAL(36,18)))
              + (CAST(q_frac * l_int AS DECIMAL(36,18)) + CAST(q_frac * l_frac AS DECIMAL(36,18)))
              AS DECIMAL(38,18))
       WHEN charge_category IN ('Credit', 'Adjustment') THEN billed_cost -- FOCUS: no unit price, unrelated to other charges
  END                                         AS ListCost,            -- PayGPrice x quantity, exact; none in EA usage
  CASE WHEN charge_category <> 'Tax' THEN payg_price END
                                              AS ListUnitPrice,       -- PayGPrice (Cost Details); none in EA usage
  billing_currency                            AS BillingCurrency,     -- BillingCurrencyCode (Cost Details); none in EA usage
  CASE WHEN charge_category <> 'Tax' THEN consumed_quantity END
                                              AS PricingQuantity,     -- quantity, in UnitOfMeasure
  CASE WHEN charge_category <> 'Tax' THEN pricing_unit END
                                              AS PricingUnit,         -- unitOfMeasure in FOCUS's unit format, below
  CASE WHEN charge_category = 'Usage' AND unused = 0 THEN consumed_quantity END
                                              AS ConsumedQuantity,    -- quantity, for usage only (not unused commitment)
  CASE WHEN charge_category = 'Usage' AND unused = 0 THEN pricing_unit END
                                              AS ConsumedUnit,        -- as PricingUnit
  CASE WHEN charge_category = 'Tax' THEN NULL
       WHEN commitment_purchase = 1 THEN 'Standard'                   -- buying a commitment is not "Committed"
       WHEN pricing_model = 'OnDemand' THEN 'Standard'                -- PricingModel (Cost Details); unknown in EA usage
       WHEN pricing_model = 'Spot' THEN 'Dynamic'
       WHEN pricing_model IN ('Reservation', 'SavingsPlan') THEN 'Committed'
       WHEN pricing_model IS NOT NULL AND pricing_model <> '' THEN 'Other'
  END                                         AS PricingCategory,

  -- Periods (UTC timestamps at midnight; ends exclusive)
  CAST(concat(CAST(usage_date AS STRING), 'T00:00:00Z') AS TIMESTAMP)
                                              AS ChargePeriodStart,   -- date, 00:00Z
  CAST(concat(CAST(usage_date + 1 AS STRING), 'T00:00:00Z') AS TIMESTAMP)
                                              AS ChargePeriodEnd,     -- date + 1 day, 00:00Z
  CAST(concat(CAST(make_date(CAST(year AS INT), CAST(month AS INT), 1) AS STRING), 'T00:00:00Z') AS TIMESTAMP)
                                              AS BillingPeriodStart,  -- path year=/month=, day 1, 00:00Z
  CAST(concat(CAST(make_date(CASE WHEN CAST(month AS INT) = 12 THEN CAST(year AS INT) + 1 ELSE CAST(year AS INT) END,
                             CASE WHEN CAST(month AS INT) = 12 THEN 1 ELSE CAST(month AS INT) + 1 END, 1)
                   AS STRING), 'T00:00:00Z') AS TIMESTAMP)
                                              AS BillingPeriodEnd,    -- first day of the next month, 00:00Z

  -- Charge
  charge_category                             AS ChargeCategory,      -- ChargeType mapped, below
  CASE WHEN charge_type = 'Refund' THEN 'Correction' END
                                              AS ChargeClass,         -- a refund corrects a purchase
  product                                     AS ChargeDescription,   -- product, e.g. "Data Transfer Out (GB) - JA East"
  CASE WHEN frequency = 'OneTime' THEN 'One-Time'                     -- Frequency (Cost Details)
       WHEN frequency = 'Recurring' THEN 'Recurring'
       WHEN frequency = 'UsageBased' THEN 'Usage-Based'
       WHEN charge_type IS NULL THEN 'Usage-Based'                    -- EA usage is usage
  END                                         AS ChargeFrequency,
  CAST(NULL AS STRING)                        AS InvoiceId,           -- usage rows carry no invoice number

  -- Accounts and providers
  CAST(enrollment AS STRING)                  AS BillingAccountId,    -- path enrollment= (= enrollmentNumber)
  billing_account_name                        AS BillingAccountName,  -- BillingAccountName (Cost Details); not in EA usage
  subscription_guid                           AS SubAccountId,        -- subscriptionGuid
  subscription_name                           AS SubAccountName,      -- subscriptionName
  'Microsoft'                                 AS ProviderName,        -- FOCUS 1.2 (deprecated by 1.3)
  CAST(service_provider AS STRING)            AS PublisherName,       -- FOCUS 1.2 (deprecated by 1.3): as ServiceProviderName (*)
  service_provider                            AS ServiceProviderName, -- FOCUS 1.3: PublisherName (Cost Details) when set, else Microsoft
  CASE WHEN lower(instance_id) LIKE '/subscriptions/%' THEN 'Microsoft' ELSE service_provider END
                                              AS HostProviderName,    -- FOCUS 1.3: Azure for a resource in a subscription, else the service provider
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
  CASE meter_category
    WHEN 'Virtual Machines'    THEN 'Virtual Machines'
    WHEN 'Azure App Service'   THEN 'Application Platforms'
    WHEN 'Functions'           THEN 'Serverless Compute'
    WHEN 'SQL Database'        THEN 'Relational Databases'
    WHEN 'Azure Cosmos DB'     THEN 'NoSQL Databases'
    WHEN 'Storage'             THEN 'Storage Platforms'
    WHEN 'Bandwidth'           THEN 'Network Connectivity'
    WHEN 'Virtual Network'     THEN 'Network Infrastructure'
    WHEN 'Log Analytics'       THEN 'Observability'
    WHEN 'Azure Monitor'       THEN 'Observability'
    ELSE 'Other (Other)'
  END                                         AS ServiceSubcategory,  -- meterCategory mapped, one per ServiceName
  lower(resource_location)                    AS RegionId,            -- resourceLocation, e.g. "eastus"
  meter_region                                AS RegionName,          -- meterRegion, e.g. "US East"
  availability_zone                           AS AvailabilityZone,    -- AvailabilityZone (Cost Details); not in EA usage
  meter_id                                    AS SkuId,               -- meterId: the EA meter is the priced unit
  CAST(NULL AS STRING)                        AS SkuPriceId,          -- no price-sheet id in usage rows
  tags                                        AS Tags,                -- tags, parsed to map<string,string>
  commitment_id                               AS CommitmentDiscountId, -- benefitId, else ReservationId (Cost Details)
  CASE WHEN commitment_id IS NOT NULL THEN
         CASE WHEN benefit_name IS NOT NULL AND benefit_name <> '' THEN benefit_name ELSE reservation_name END
  END                                         AS CommitmentDiscountName, -- benefitName, else ReservationName

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
FROM (
  -- Each row with the integer part (truncated toward zero) and fractional part (same sign) of
  -- its quantity, list price and contracted price, all exact: every partial product of the
  -- products above then has the sign of the whole (see the header). |values| < 10^18.
  SELECT
    f.*,
    -- BilledCost: the row's cost, but usage a commitment paid for was billed with the
    -- commitment's purchase: 0 in an amortized lake (an actual-cost lake has it at its cost).
    CASE WHEN f.commitment_usage = 1 THEN
           CASE '${METRIC}' WHEN 'actual' THEN f.cost WHEN 'amortized' THEN CAST(0 AS DECIMAL(38,18)) END
         ELSE f.cost
    END AS billed_cost,
    CAST(CASE WHEN f.consumed_quantity < 0 THEN -floor(abs(CAST(f.consumed_quantity AS DECIMAL(36,18)))) ELSE floor(abs(CAST(f.consumed_quantity AS DECIMAL(36,18)))) END AS DECIMAL(18,0)) AS q_int,
    CAST(CAST(f.consumed_quantity AS DECIMAL(36,18)) - CAST(CASE WHEN f.consumed_quantity < 0 THEN -floor(abs(CAST(f.consumed_quantity AS DECIMAL(36,18)))) ELSE floor(abs(CAST(f.consumed_quantity AS DECIMAL(36,18)))) END AS DECIMAL(18,0)) AS DECIMAL(18,18)) AS q_frac,
    CAST(CASE WHEN f.payg_price < 0 THEN -floor(abs(CAST(f.payg_price AS DECIMAL(36,18)))) ELSE floor(abs(CAST(f.payg_price AS DECIMAL(36,18)))) END AS DECIMAL(18,0)) AS l_int,
    CAST(CAST(f.payg_price AS DECIMAL(36,18)) - CAST(CASE WHEN f.payg_price < 0 THEN -floor(abs(CAST(f.payg_price AS DECIMAL(36,18)))) ELSE floor(abs(CAST(f.payg_price AS DECIMAL(36,18)))) END AS DECIMAL(18,0)) AS DECIMAL(18,18)) AS l_frac,
    CAST(CASE WHEN f.contracted_price < 0 THEN -floor(abs(CAST(f.contracted_price AS DECIMAL(36,18)))) ELSE floor(abs(CAST(f.contracted_price AS DECIMAL(36,18)))) END AS DECIMAL(18,0)) AS c_int,
    CAST(CAST(f.contracted_price AS DECIMAL(36,18)) - CAST(CASE WHEN f.contracted_price < 0 THEN -floor(abs(CAST(f.contracted_price AS DECIMAL(36,18)))) ELSE floor(abs(CAST(f.contracted_price AS DECIMAL(36,18)))) END AS DECIMAL(18,0)) AS DECIMAL(18,18)) AS c_frac
  FROM (
    -- Each lake row with the facts the rules above share, computed once.
    SELECT
      r.*,
      -- ChargeCategory: EA API rows are usage; Refund is a purchase's correction (ChargeClass);
      -- UnusedReservation/UnusedSavingsPlan are usage of the commitment; other types: Adjustment.
      CASE WHEN r.charge_type IS NULL THEN 'Usage'
           WHEN r.charge_type IN ('Usage', 'UnusedReservation', 'UnusedSavingsPlan') THEN 'Usage'
           WHEN r.charge_type IN ('Purchase', 'Refund') THEN 'Purchase'
           WHEN r.charge_type = 'Tax' THEN 'Tax'
           WHEN r.charge_type = 'Credit' THEN 'Credit'
           ELSE 'Adjustment'
      END AS charge_category,
      CASE WHEN r.charge_type IN ('UnusedReservation', 'UnusedSavingsPlan') THEN 1 ELSE 0 END AS unused,
      CASE WHEN nullif(r.benefit_id, '') IS NOT NULL THEN r.benefit_id
           WHEN nullif(r.reservation_id, '') IS NOT NULL THEN r.reservation_id
      END AS commitment_id,
      -- A commitment's purchase or refund, and usage a commitment paid for.
      CASE WHEN r.charge_type IN ('Purchase', 'Refund')
                AND (r.pricing_model IN ('Reservation', 'SavingsPlan')
                     OR nullif(r.benefit_id, '') IS NOT NULL OR nullif(r.reservation_id, '') IS NOT NULL)
           THEN 1 ELSE 0 END AS commitment_purchase,
      CASE WHEN r.charge_type IN ('Usage', 'UnusedReservation', 'UnusedSavingsPlan')
                AND (r.pricing_model IN ('Reservation', 'SavingsPlan')
                     OR nullif(r.benefit_id, '') IS NOT NULL OR nullif(r.reservation_id, '') IS NOT NULL)
           THEN 1 ELSE 0 END AS commitment_usage,
      coalesce(nullif(r.publisher_name, ''), 'Microsoft') AS service_provider,
      -- unitOfMeasure in FOCUS's unit format where EA's is not: a rate with a pack of one loses
      -- the pack ("1/Day" -> "Units/Day", "1 GB/Month" -> "GB/Month"); the rest is kept as is
      -- ("1 Hour", "100 Hours", "1 GB" already conform: a pack is a count, "<n> <unit>").
      CASE WHEN r.unit_of_measure LIKE '1/%' THEN concat('Units/', substr(r.unit_of_measure, 3))
           WHEN r.unit_of_measure LIKE '1 %/%' THEN substr(r.unit_of_measure, 3)
           ELSE r.unit_of_measure
      END AS pricing_unit,
      -- ContractedUnitPrice: UnitPrice (the enrollment's price) for Cost Details rows; the EA
      -- rate (resourceRate) for EA API rows.
      CASE WHEN r.charge_type IS NULL THEN r.resource_rate ELSE r.unit_price END AS contracted_price
    FROM usage_details r
  ) f
) u;
