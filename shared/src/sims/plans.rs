//! Plans of roots and companies (SPEC §6): a catalogue entry ([`crate::catalogue`]) with its
//! allowances, prices and billing period; never deleted, since SIMs keep referring to them.

use crate::catalogue::{CatalogueApi, CatalogueEntry, StoreAndClock};
use crate::ids::{OrganisationId, PlanId};
use crate::store::Key;
use crate::tenancy::ManageSims;
use crate::time::Timestamp;
use crate::validation::{Collector, MAX_NAME_CHARS, ValidationErrors, free_text};
use crate::{keys, schema};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Object;

/// A plan's billing period; usage totals are per period, in UTC calendar terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillingPeriod {
    Monthly,
    Quarterly,
    Yearly,
}

impl BillingPeriod {
    /// The first day of the period `day` falls in.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        use chrono::Datelike;
        let month = match self {
            BillingPeriod::Monthly => day.month(),
            BillingPeriod::Quarterly => (day.month() - 1) / 3 * 3 + 1,
            BillingPeriod::Yearly => 1,
        };
        NaiveDate::from_ymd_opt(day.year(), month, 1).expect("the first of a month exists")
    }
}

/// A plan as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Plan)]
pub struct PlanView {
    pub id: PlanId,
    /// The root organisation or company that offers it.
    pub organisation_id: OrganisationId,
    pub name: String,
    pub data_mb: u64,
    pub sms: u64,
    pub voice_minutes: u64,
    pub billing_period: BillingPeriod,
    /// The price per period in the currency's minor unit (cents).
    pub price_minor: u64,
    /// ISO 4217, upper case.
    pub currency: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `POST …/plans`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanRequest)]
pub struct PlanPayload {
    #[schema(schema_with = schema::name_text)]
    pub name: String,
    #[serde(deserialize_with = "crate::schema::whole_number")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub data_mb: u64,
    #[serde(deserialize_with = "crate::schema::whole_number")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub sms: u64,
    #[serde(deserialize_with = "crate::schema::whole_number")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub voice_minutes: u64,
    pub billing_period: BillingPeriod,
    /// The price per period in the currency's minor unit (cents).
    #[serde(deserialize_with = "crate::schema::whole_number")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000i64)]
    pub price_minor: u64,
    #[schema(schema_with = currency)]
    pub currency: String,
}

/// `PATCH …/plans/{plan_id}`: the fields to change.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanPatch)]
pub struct PlanPatch {
    #[schema(schema_with = schema::optional_name)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "optional_whole_number")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub data_mb: Option<u64>,
    #[serde(default, deserialize_with = "optional_whole_number")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub sms: Option<u64>,
    #[serde(default, deserialize_with = "optional_whole_number")]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub voice_minutes: Option<u64>,
    pub billing_period: Option<BillingPeriod>,
    #[serde(default, deserialize_with = "optional_whole_number")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000i64)]
    pub price_minor: Option<u64>,
    #[schema(schema_with = optional_currency)]
    pub currency: Option<String>,
}

impl From<PlanPayload> for PlanPatch {
    fn from(payload: PlanPayload) -> Self {
        PlanPatch {
            name: Some(payload.name),
            data_mb: Some(payload.data_mb),
            sms: Some(payload.sms),
            voice_minutes: Some(payload.voice_minutes),
            billing_period: Some(payload.billing_period),
            price_minor: Some(payload.price_minor),
            currency: Some(payload.currency),
        }
    }
}

fn currency() -> Object {
    let codes: Vec<String> = CURRENCIES
        .split_ascii_whitespace()
        .map(|code| {
            code.chars()
                .map(|c| format!("[{}{}]", c, c.to_ascii_lowercase()))
                .collect()
        })
        .collect();
    schema::pattern(&format!("^\\s*(?:{})\\s*$", codes.join("|")), "ISO 4217, any case")
}

fn optional_currency() -> utoipa::openapi::schema::Schema {
    schema::nullable(currency())
}

const MAX_ALLOWANCE: u64 = 1_000_000_000;

const MAX_PRICE: u64 = 1_000_000_000_000;

fn optional_whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "crate::schema::whole_number")] u64);
    Option::<Whole>::deserialize(deserializer).map(|whole| whole.map(|Whole(n)| n))
}

impl CatalogueEntry for PlanView {
    type Id = PlanId;
    type Payload = PlanPayload;
    type Patch = PlanPatch;
    type Service = StoreAndClock;
    type Manage = ManageSims;
    const KIND: &'static str = "plan";
    const PREFIX: &'static str = keys::PLANS_PREFIX;
    const COMPANIES_TOO: bool = true;
    const API: CatalogueApi = CatalogueApi {
        collection: "plans",
        id: "plan_id",
        name: "Plan",
        tag: "sims",
        create: "Add a plan (owners and billing admins; roots and companies)",
        list: "The organisation's (or company's) plans",
        get: "A plan",
        update: "Change a plan",
        delete: "",
    };

    fn key(organisation: OrganisationId, id: PlanId) -> Key {
        keys::plan(organisation, id)
    }

    fn new_id() -> PlanId {
        PlanId::generate()
    }

    fn blank(id: PlanId, organisation: OrganisationId, now: Timestamp) -> Self {
        PlanView {
            id,
            organisation_id: organisation,
            name: String::new(),
            data_mb: 0,
            sms: 0,
            voice_minutes: 0,
            billing_period: BillingPeriod::Monthly,
            price_minor: 0,
            currency: String::new(),
            created_at: now,
            updated_at: now,
        }
    }

    fn patched(&self, payload: PlanPatch, _: &StoreAndClock, now: Timestamp) -> Result<Self, ValidationErrors> {
        let mut errors = Collector::new();
        let mut next = self.clone();
        if let Some(name) = payload.name.as_deref() {
            next.name = errors
                .check(free_text("name", name, MAX_NAME_CHARS))
                .unwrap_or_default();
        }
        let mut bounded = |field: &str, value: Option<u64>, max: u64, into: &mut u64| {
            if let Some(value) = value {
                if value > max {
                    errors.push(field, "out_of_range", format!("{field} is at most {max}"));
                }
                *into = value;
            }
        };
        bounded("data_mb", payload.data_mb, MAX_ALLOWANCE, &mut next.data_mb);
        bounded("sms", payload.sms, MAX_ALLOWANCE, &mut next.sms);
        bounded(
            "voice_minutes",
            payload.voice_minutes,
            MAX_ALLOWANCE,
            &mut next.voice_minutes,
        );
        bounded("price_minor", payload.price_minor, MAX_PRICE, &mut next.price_minor);
        if let Some(period) = payload.billing_period {
            next.billing_period = period;
        }
        if let Some(currency) = payload.currency.as_deref() {
            let code = currency.trim().to_ascii_uppercase();
            if is_currency_code(&code) {
                next.currency = code;
            } else {
                errors.push("currency", "invalid_currency", "an ISO 4217 code, like EUR");
            }
        }
        next.updated_at = now;
        errors.finish(|| next)
    }
}

/// ISO 4217 codes of currencies in use (2025 list; funds and metals left out).
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP \
     BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF \
     GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD \
     LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR \
     PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY \
     TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG";

pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && CURRENCIES.split_ascii_whitespace().any(|known| known == code)
}

pub(crate) type Plan = PlanView;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_periods_start_on_calendar_boundaries() {
        let day = NaiveDate::from_ymd_opt(2026, 8, 17).unwrap();
        assert_eq!(BillingPeriod::Monthly.start_of(day).to_string(), "2026-08-01");
        assert_eq!(BillingPeriod::Quarterly.start_of(day).to_string(), "2026-07-01");
        assert_eq!(BillingPeriod::Yearly.start_of(day).to_string(), "2026-01-01");
    }

    #[test]
    fn currencies_are_iso_4217_codes() {
        assert!(is_currency_code("EUR"));
        assert!(is_currency_code("AED"));
        assert!(!is_currency_code("EURO"));
        assert!(!is_currency_code("XXX"));
    }
}
