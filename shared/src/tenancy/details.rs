//! Seed 002's organisation payload, parsed: every field checked, every problem reported.

use super::countries::is_country_code;
use crate::accounts::Email;
use crate::identity::OrganisationDetails;
use crate::ids::OrganisationId;
use crate::schema;
use crate::time::Timestamp;
use crate::validation::{Collector, MAX_NAME_CHARS, ValidationErrors, free_text};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

const MAX_TYPE_CHARS: usize = 100;
const MAX_ADDRESS_CHARS: usize = 500;

/// The JSON shape of `POST /api/organisations`, `…/suborganisations` and `PATCH` (seed 002).
/// Every field may be absent or null (unchanged, for a patch); a new organisation needs a name
/// ([`NewOrganisationPayload`] is its schema).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OrganisationPayload, examples(json!({"name": "ABC Holdings", "type": "computer_services", "company_registered_date": "2020-11-01T00:00:00", "address": "34 Webings Road", "email": "hello@abc.com", "phone": "1238129038290", "country_code": "ae"})))]
pub struct OrganisationPayload {
    #[schema(schema_with = schema::optional_name)]
    pub name: Option<String>,
    #[serde(rename = "type")]
    #[schema(schema_with = optional_type)]
    pub organisation_type: Option<String>,
    /// A date (`2020-11-01`), an RFC 3339 date-time, or (as seed 002 sends it) a date-time
    /// without an offset, taken as UTC.
    #[schema(schema_with = optional_date)]
    pub company_registered_date: Option<String>,
    #[schema(schema_with = optional_address)]
    pub address: Option<String>,
    #[schema(schema_with = optional_email)]
    pub email: Option<String>,
    #[schema(schema_with = optional_phone)]
    pub phone: Option<String>,
    #[schema(schema_with = optional_country_code)]
    pub country_code: Option<String>,
    /// Days the organisation's telemetry points are kept (1 to 3,650; 90 until set). A
    /// company's devices are kept as their root says.
    #[serde(default, deserialize_with = "optional_days")]
    #[schema(minimum = 1, maximum = 3650)]
    pub telemetry_retention_days: Option<u32>,
    /// Seed 002 repeats the parent in the body of `…/suborganisations`; it must match the path.
    #[schema(schema_with = schema::optional_uuid)]
    pub parent_organisation_id: Option<String>,
    /// Platform admins only: who will own the new organisation.
    #[schema(schema_with = optional_email)]
    pub initial_owner_email: Option<String>,
}

/// The schemas of [`OrganisationPayload`] per route: a new root needs a name and names no
/// parent; a new company needs a name and names no owner; a patch changes neither.
fn payload_schema(name_required: bool, without: &[&str]) -> RefOr<Schema> {
    let RefOr::T(Schema::Object(mut object)) = <OrganisationPayload as utoipa::PartialSchema>::schema() else {
        unreachable!("a struct's schema is an object")
    };
    for field in without {
        object.properties.remove(*field);
    }
    if name_required {
        object.properties.insert("name".to_owned(), schema::name_text().into());
        object.required = vec!["name".to_owned()];
    }
    object.into()
}

macro_rules! payload_schema {
    ($(#[$doc:meta])* $type:ident, $name:literal, $required:expr, $without:expr) => {
        $(#[$doc])*
        pub struct $type;

        impl utoipa::PartialSchema for $type {
            fn schema() -> RefOr<Schema> {
                payload_schema($required, $without)
            }
        }

        impl utoipa::ToSchema for $type {
            fn name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }
        }
    };
}

payload_schema!(
    /// `POST /api/organisations`: seed 002's payload, a name required.
    NewOrganisationPayload, "OrganisationRequest", true, &["parent_organisation_id"]
);
payload_schema!(
    /// `POST …/suborganisations`: seed 002 repeats the parent, which must be the path's.
    NewCompanyPayload, "CompanyRequest", true, &["initial_owner_email", "telemetry_retention_days"]
);
payload_schema!(
    /// `PATCH /api/organisations/{id}`: any detail, none required.
    OrganisationPatchPayload, "OrganisationPatch", false, &["parent_organisation_id", "initial_owner_email"]
);

fn optional_days<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "crate::schema::whole_number")] u32);
    Option::<Whole>::deserialize(deserializer).map(|whole| whole.map(|Whole(days)| days))
}

/// The longest telemetry is kept: ten years.
pub const MAX_RETENTION_DAYS: u32 = 3_650;

fn optional_type() -> impl Into<RefOr<Schema>> {
    schema::nullable(schema::free_text(MAX_TYPE_CHARS))
}
fn optional_date() -> impl Into<RefOr<Schema>> {
    schema::nullable(schema::date_or_date_time())
}
fn optional_address() -> impl Into<RefOr<Schema>> {
    schema::nullable(schema::free_text(MAX_ADDRESS_CHARS))
}
fn optional_email() -> impl Into<RefOr<Schema>> {
    schema::nullable(schema::email_input())
}
fn optional_phone() -> impl Into<RefOr<Schema>> {
    schema::nullable(schema::pattern(
        PHONE_PATTERN,
        "5 to 20 digits, optionally a leading +, with spaces, dots, dashes or brackets between",
    ))
}
fn optional_country_code() -> impl Into<RefOr<Schema>> {
    schema::nullable(schema::pattern(&country_code_pattern(), "ISO 3166-1 alpha-2, any case"))
}

/// What [`is_phone_number`] accepts, after trimming.
const PHONE_PATTERN: &str = r"^\s*\+?[ ().\-]*(?:[0-9][ ().\-]*){5,20}\s*$";

/// What [`is_country_code`] accepts, after trimming: every assigned code, in any case.
pub(crate) fn country_code_pattern() -> String {
    let codes: Vec<String> = super::countries::codes()
        .map(|code| {
            code.chars()
                .map(|c| format!("[{}{}]", c, c.to_ascii_uppercase()))
                .collect()
        })
        .collect();
    format!(r"^\s*(?:{})\s*$", codes.join("|"))
}

/// A valid organisation payload. Absent fields are `None` (for a patch: unchanged).
#[derive(Debug, Clone, PartialEq)]
pub struct OrganisationInput {
    pub name: Option<String>,
    pub details: OrganisationDetails,
    pub parent_organisation_id: Option<OrganisationId>,
    pub initial_owner_email: Option<Email>,
}

impl OrganisationInput {
    /// Parses a payload; `name` is required when `creating`.
    pub fn parse(payload: OrganisationPayload, creating: bool) -> Result<Self, ValidationErrors> {
        let mut errors = Collector::new();
        let name = match payload.name.as_deref() {
            None if creating => {
                errors.push("name", "required", "a name is required");
                None
            }
            None => None,
            Some(name) => errors.check(free_text("name", name, MAX_NAME_CHARS)),
        };
        let organisation_type = payload
            .organisation_type
            .as_deref()
            .and_then(|t| errors.check(free_text("type", t, MAX_TYPE_CHARS)));
        let company_registered_date = payload.company_registered_date.as_deref().and_then(|date| {
            let parsed = parse_date(date);
            if parsed.is_none() {
                errors.push(
                    "company_registered_date",
                    "invalid_date",
                    "a date like 2020-11-01 or 2020-11-01T00:00:00Z",
                );
            }
            parsed
        });
        let address = payload
            .address
            .as_deref()
            .and_then(|a| errors.check(free_text("address", a, MAX_ADDRESS_CHARS)));
        let email = payload
            .email
            .as_deref()
            .and_then(|email| errors.check(Email::parse(email)));
        let phone = payload.phone.map(|p| p.trim().to_owned());
        if phone.as_deref().is_some_and(|p| !is_phone_number(p)) {
            errors.push(
                "phone",
                "invalid_phone",
                "a phone number has 5 to 20 digits, optionally a leading +",
            );
        }
        let country_code = payload.country_code.map(|c| c.trim().to_ascii_lowercase());
        if country_code.as_deref().is_some_and(|c| !is_country_code(c)) {
            errors.push(
                "country_code",
                "invalid_country_code",
                "an ISO 3166-1 alpha-2 code, such as ae or gb",
            );
        }
        let telemetry_retention_days = payload.telemetry_retention_days;
        if telemetry_retention_days.is_some_and(|days| !(1..=MAX_RETENTION_DAYS).contains(&days)) {
            errors.push("telemetry_retention_days", "out_of_range", "1 to 3,650 days");
        }
        let parent = payload
            .parent_organisation_id
            .as_deref()
            .and_then(|id| errors.check(OrganisationId::parse(id, "parent_organisation_id")));
        let initial_owner_email = payload.initial_owner_email.as_deref().and_then(|email| {
            errors.check(Email::parse(email).map_err(|_| {
                ValidationErrors::single(
                    "initial_owner_email",
                    "invalid_email",
                    "an e-mail address like name@example.com",
                )
            }))
        });
        errors.finish(|| OrganisationInput {
            name,
            details: OrganisationDetails {
                organisation_type,
                company_registered_date,
                address,
                email,
                phone,
                country_code,
                telemetry_retention_days,
            },
            parent_organisation_id: parent,
            initial_owner_email,
        })
    }
}

/// A date as clients send it: RFC 3339, a zone-less date-time (taken as UTC, as seed 002
/// sends `2020-11-01T00:00:00`), or a plain date.
fn parse_date(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let at = chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|at| Utc.from_utc_datetime(&at))
        })
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|at| Utc.from_utc_datetime(&at))
        })?;
    (1..=9999)
        .contains(&chrono::Datelike::year(&at))
        .then(|| Timestamp::new(at))
}

fn is_phone_number(text: &str) -> bool {
    let digits = text.strip_prefix('+').unwrap_or(text);
    let allowed = digits.chars().all(|c| c.is_ascii_digit() || " -().".contains(c));
    let count = digits.chars().filter(char::is_ascii_digit).count();
    allowed && (5..=20).contains(&count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_002() -> OrganisationPayload {
        OrganisationPayload {
            name: Some("ABC Holdings".into()),
            organisation_type: Some("computer_services".into()),
            company_registered_date: Some("2020-11-01T00:00:00".into()),
            address: Some("34 Webings Road".into()),
            email: Some("hello@abc.com".into()),
            phone: Some("1238129038290".into()),
            country_code: Some("ae".into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_seed_002_payload_parses() {
        let input = OrganisationInput::parse(seed_002(), true).unwrap();
        assert_eq!(input.name.as_deref(), Some("ABC Holdings"));
        assert_eq!(
            input.details.company_registered_date.unwrap().to_string(),
            "2020-11-01T00:00:00.000Z"
        );
        assert_eq!(input.details.country_code.as_deref(), Some("ae"));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let payload = OrganisationPayload {
            name: None,
            company_registered_date: Some("yesterday".into()),
            email: Some("hello-at-abc".into()),
            phone: Some("call me".into()),
            country_code: Some("uk".into()),
            ..Default::default()
        };
        let errors = OrganisationInput::parse(payload, true).unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "company_registered_date", "email", "phone", "country_code"]
        );
    }

    #[test]
    fn dates_come_in_three_forms() {
        for text in [
            "2020-11-01",
            "2020-11-01T00:00:00",
            "2020-11-01T00:00:00Z",
            "2020-11-01T04:00:00+04:00",
        ] {
            assert_eq!(
                parse_date(text).unwrap().to_string(),
                "2020-11-01T00:00:00.000Z",
                "{text}"
            );
        }
        // Every date the OpenAPI `date` format allows (years 1 to 9999), and no other.
        assert!(parse_date("0001-01-01").is_some());
        assert!(parse_date("0000-01-01").is_none());
        assert!(parse_date("2021-02-29").is_none());
    }

    #[test]
    fn a_patch_needs_no_name() {
        assert!(OrganisationInput::parse(OrganisationPayload::default(), false).is_ok());
    }
}
