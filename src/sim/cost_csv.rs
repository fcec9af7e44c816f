//! The simulator's Cost Details CSV: the same rows as its EA pages (the same dates, meters,
//! quantities and costs, so a month archived from either source sums the same), in the column
//! names of either generation of Cost Details reports, as real exports write them: dates
//! `MM/dd/yyyy`, `Tags` without outer braces, `AdditionalInfo` as JSON in a quoted cell,
//! `IsAzureCreditEligible` as `True`/`TRUE`, and for amortized cost some prices with 28
//! fractional digits. Pure.

use super::data::{
    MonthSpec, ROW0_COST_SCALED, ROW0_COST_TEXT, RowFacts, decimal_text, mix, quantity_and_rate,
    row_cost_scaled, row_day, seed, tags_json,
};

/// Which column names the report uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Generation {
    /// `CostInBillingCurrency`, `BillingCurrencyCode`, `InvoiceSectionName`, `ProductName`.
    #[default]
    Current,
    /// `Cost`, `BillingCurrency`, `InvoiceSection`, `Product` (older EA exports).
    Older,
}

/// Actual or amortized cost, as the simulator serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimMetric {
    /// `ActualCost`: the EA pages' costs.
    Actual,
    /// `AmortizedCost`: every third row's cost carries 28 fractional digits.
    Amortized,
}

/// The header record.
pub fn header(generation: Generation) -> Vec<&'static str> {
    let (cost, currency, section, product) = match generation {
        Generation::Current => (
            "CostInBillingCurrency",
            "BillingCurrencyCode",
            "InvoiceSectionName",
            "ProductName",
        ),
        Generation::Older => ("Cost", "BillingCurrency", "InvoiceSection", "Product"),
    };
    vec![
        "BillingAccountId",
        "BillingAccountName",
        "BillingPeriodStartDate",
        "BillingPeriodEndDate",
        "AccountOwnerId",
        "AccountName",
        "SubscriptionId",
        "SubscriptionName",
        "Date",
        "PartNumber",
        "MeterId",
        "ServiceFamily",
        "MeterCategory",
        "MeterSubCategory",
        "MeterRegion",
        "MeterName",
        "Quantity",
        "EffectivePrice",
        "UnitPrice",
        "PayGPrice",
        cost,
        currency,
        section,
        product,
        "ResourceLocation",
        "ConsumedService",
        "ResourceId",
        "ResourceName",
        "ResourceGroup",
        "ServiceInfo1",
        "ServiceInfo2",
        "AdditionalInfo",
        "Tags",
        "CostCenter",
        "UnitOfMeasure",
        "ChargeType",
        "Frequency",
        "PricingModel",
        "IsAzureCreditEligible",
        "benefitId",
        "benefitName",
        "ReservationId",
    ]
}

/// Whether row `i` carries a long amortized cost.
fn long_amortized(metric: SimMetric, i: u64) -> bool {
    metric == SimMetric::Amortized && i > 0 && i.is_multiple_of(3)
}

/// Cost of row `i` at scale 18, exactly as [`record`] writes it (after the archiver's half-even
/// rounding to 18 digits).
pub fn cost_scaled(spec: &MonthSpec, i: u64, metric: SimMetric) -> i128 {
    let base = row_cost_scaled(spec, i);
    // The 28-digit text is the cost followed by `5000000001` past the 18th digit: rounds up.
    if long_amortized(metric, i) {
        base + 1
    } else {
        base
    }
}

/// Rows and exact cost total of the month in `metric`.
pub fn month_totals(spec: &MonthSpec, metric: SimMetric) -> (u64, i128) {
    let total = (0..spec.rows).map(|i| cost_scaled(spec, i, metric)).sum();
    (spec.rows, total)
}

/// Row `i` of the month as CSV fields, in [`header`] order.
pub fn record(spec: &MonthSpec, i: u64, metric: SimMetric) -> Vec<String> {
    let RowFacts {
        inst,
        form,
        meter: (cat, sub, name, unit, service),
        location: (loc, region, _),
        env,
        dept,
        sub_no,
        sub_guid,
        rg,
    } = RowFacts::of(spec, i);
    let s = seed(&spec.enrollment, spec.year, spec.month);
    let (y, m) = (spec.year, spec.month);
    let day = row_day(spec, i);
    let last = super::data::days_in_month(y, m);
    let (q, rate) = quantity_and_rate(spec, i);
    let cost = if i == 0 {
        debug_assert_eq!(row_cost_scaled(spec, 0), ROW0_COST_SCALED);
        ROW0_COST_TEXT.to_string()
    } else if long_amortized(metric, i) {
        format!("{}00000005000000001", decimal_text(q * rate, 11))
    } else {
        decimal_text(q * rate, 11)
    };
    // Tags as exports write them: the object without its outer braces; no tags, an empty cell.
    let tags = match serde_json::from_str::<Option<String>>(&tags_json(form, env))
        .ok()
        .flatten()
    {
        Some(t) => {
            let t = t.trim();
            match t.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
                Some(inner) if !inner.trim().is_empty() => inner.trim().to_string(),
                _ => t.to_string(),
            }
        }
        None => String::new(),
    };
    let info = if inst.is_multiple_of(3) {
        r#"{  "ImageType": null,  "ServiceType": "Standard_D4_v3"}"#
    } else {
        ""
    };
    let section = ["Engineering", "Finance", "Data Platform", "Sales"][dept as usize];
    let resource = format!("res-{inst}-{form}");
    vec![
        spec.enrollment.clone(),
        "Contoso EA".into(),
        format!("{m:02}/01/{y:04}"),
        format!("{m:02}/{last:02}/{y:04}"),
        format!("owner{dept}@contoso.com"),
        format!("{section} Prod"),
        sub_guid.clone(),
        format!("sub-{env}-{sub_no:02}"),
        format!("{m:02}/{day:02}/{y:04}"),
        format!("N7H-{:05}", 10 + inst),
        format!("{:08x}-1111-4000-8000-{:012x}", mix(inst) as u32, inst),
        if cat == "Virtual Machines" {
            "Compute"
        } else {
            "Other"
        }
        .into(),
        cat.into(),
        sub.into(),
        region.into(),
        name.into(),
        decimal_text(q, 5),
        decimal_text(rate, 6),
        decimal_text(rate, 6),
        decimal_text(rate, 6),
        cost,
        "USD".into(),
        section.into(),
        format!("{name} - {region}"),
        loc.into(),
        service.into(),
        // Real exports upper-case resource ids.
        format!(
            "/SUBSCRIPTIONS/{}/RESOURCEGROUPS/{}/PROVIDERS/{service}/{resource}",
            sub_guid.to_uppercase(),
            rg.to_uppercase()
        ),
        resource,
        rg,
        String::new(),
        String::new(),
        info.into(),
        tags,
        (1000 + dept * 111).to_string(),
        unit.into(),
        "Usage".into(),
        "UsageBased".into(),
        if i.is_multiple_of(5) {
            "Reservation"
        } else {
            "OnDemand"
        }
        .into(),
        if i.is_multiple_of(2) { "True" } else { "TRUE" }.into(),
        if i.is_multiple_of(5) {
            format!(
                "/providers/Microsoft.Capacity/reservationOrders/{:08x}",
                mix(s) as u32
            )
        } else {
            String::new()
        },
        if i.is_multiple_of(5) {
            "RI-D4v3".into()
        } else {
            String::new()
        },
        String::new(),
    ]
}

/// One CSV blob: rows `from..to` of the month, with the header, a byte-order mark when `bom`.
pub fn blob(
    spec: &MonthSpec,
    from: u64,
    to: u64,
    metric: SimMetric,
    generation: Generation,
    bom: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(&mut out);
        w.write_record(header(generation)).expect("in memory");
        for i in from..to {
            w.write_record(record(spec, i, metric)).expect("in memory");
        }
        w.flush().expect("in memory");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiVersion;

    fn spec(rows: u64) -> MonthSpec {
        MonthSpec {
            enrollment: "100".into(),
            year: 2024,
            month: 6,
            version: ApiVersion::V2,
            rows,
            revision: 0,
        }
    }

    #[test]
    fn actual_cost_sums_like_the_ea_pages_and_amortized_rounds_up() {
        let s = spec(300);
        assert_eq!(
            month_totals(&s, SimMetric::Actual),
            super::super::data::month_totals(&s)
        );
        let (_, actual) = month_totals(&s, SimMetric::Actual);
        let (_, amortized) = month_totals(&s, SimMetric::Amortized);
        assert_eq!(
            amortized - actual,
            99,
            "rows 3, 6, … 297 each round up by 1e-18"
        );
        let text = String::from_utf8(blob(
            &s,
            0,
            3,
            SimMetric::Amortized,
            Generation::Older,
            true,
        ))
        .unwrap();
        assert!(text.starts_with("\u{feff}BillingAccountId,"));
        assert!(
            text.lines()
                .next()
                .unwrap()
                .contains(",Cost,BillingCurrency,InvoiceSection,Product,")
        );
        assert_eq!(text.lines().count(), 4);
    }
}
