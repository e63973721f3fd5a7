//! Operator contracts (root organisations) and plans (roots and companies): records in their
//! organisation's partition, created, listed, read and changed by the same code
//! ([`crate::catalogue`]). Neither is ever deleted: SIMs keep referring to them, and a contract
//! or plan that ends says so by its validity.

use super::Sims;
use crate::catalogue::{CatalogueApi, CatalogueEntry};
use crate::ids::{ContractId, OrganisationId};
use crate::store::Key;
use crate::telecom::{Mcc, Mnc};
use crate::tenancy::ManageSims;
use crate::time::Timestamp;
use crate::validation::{Collector, MAX_NAME_CHARS, ValidationErrors, free_text};
use crate::{keys, schema};

/// The id of the connector that stores state and talks to no operator: a contract's
/// integration when it names none.
pub const NO_INTEGRATION: &str = "none";

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Object;

const MAX_REFERENCE_CHARS: usize = 100;

/// An operator contract as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = OperatorContract)]
pub struct Contract {
    pub id: ContractId,
    pub organisation_id: OrganisationId,
    pub operator_name: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    pub mcc: Mcc,
    pub mnc: Mnc,
    pub contract_reference: String,
    #[schema(schema_with = optional_date)]
    pub valid_from: Option<NaiveDate>,
    #[schema(schema_with = optional_date)]
    pub valid_to: Option<NaiveDate>,
    /// `none` (store state only) or the id of an operator connector.
    pub integration: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub type ContractView = Contract;

/// How SIM state reaches the operator: `none`, or a configured connector's id.
pub type Integration = String;

/// `POST …/operator-contracts`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OperatorContractRequest)]
pub struct ContractPayload {
    #[schema(schema_with = schema::name_text)]
    pub operator_name: String,
    /// ISO 3166-1 alpha-2, any case (`de`, `AE`).
    #[schema(schema_with = country)]
    pub country: String,
    #[schema(value_type = Mcc)]
    pub mcc: String,
    #[schema(value_type = Mnc)]
    pub mnc: String,
    #[schema(schema_with = reference_text)]
    pub contract_reference: String,
    #[schema(schema_with = optional_date)]
    pub valid_from: Option<String>,
    #[schema(schema_with = optional_date)]
    pub valid_to: Option<String>,
    /// `none` (store state only; the default) or the id of a configured operator connector
    /// (an unknown one is a 422 `unknown_connector`).
    #[schema(schema_with = optional_reference)]
    pub integration: Option<String>,
}

/// `PATCH …/operator-contracts/{contract_id}`: the fields to change.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OperatorContractPatch)]
pub struct ContractPatch {
    #[schema(schema_with = schema::optional_name)]
    pub operator_name: Option<String>,
    #[schema(schema_with = optional_country)]
    pub country: Option<String>,
    #[schema(schema_with = optional_mcc)]
    pub mcc: Option<String>,
    #[schema(schema_with = optional_mnc)]
    pub mnc: Option<String>,
    #[schema(schema_with = optional_reference)]
    pub contract_reference: Option<String>,
    #[schema(schema_with = optional_date)]
    pub valid_from: Option<String>,
    #[schema(schema_with = optional_date)]
    pub valid_to: Option<String>,
    #[schema(schema_with = optional_reference)]
    pub integration: Option<String>,
}

impl From<ContractPayload> for ContractPatch {
    fn from(payload: ContractPayload) -> Self {
        ContractPatch {
            operator_name: Some(payload.operator_name),
            country: Some(payload.country),
            mcc: Some(payload.mcc),
            mnc: Some(payload.mnc),
            contract_reference: Some(payload.contract_reference),
            valid_from: payload.valid_from,
            valid_to: payload.valid_to,
            integration: payload.integration.or(Some(NO_INTEGRATION.to_owned())),
        }
    }
}

fn country() -> Object {
    schema::pattern(&crate::tenancy::country_code_pattern(), "ISO 3166-1 alpha-2, any case")
}

fn optional_country() -> utoipa::openapi::schema::Schema {
    schema::nullable(country())
}

fn optional_mcc() -> utoipa::openapi::schema::Schema {
    schema::nullable(<Mcc as utoipa::PartialSchema>::schema())
}

fn optional_mnc() -> utoipa::openapi::schema::Schema {
    schema::nullable(<Mnc as utoipa::PartialSchema>::schema())
}

fn optional_reference() -> utoipa::openapi::schema::Schema {
    schema::nullable(reference_text())
}

fn optional_date() -> utoipa::openapi::schema::Schema {
    schema::nullable(schema::formatted(utoipa::openapi::schema::KnownFormat::Date))
}

fn reference_text() -> Object {
    schema::free_text(MAX_REFERENCE_CHARS)
}

fn parse_date(errors: &mut Collector, field: &str, text: Option<&str>) -> Option<Option<NaiveDate>> {
    match text.map(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d")) {
        None => Some(None),
        Some(Ok(date)) => Some(Some(date)),
        Some(Err(_)) => {
            errors.push(field, "invalid_date", "a date like 2027-01-31");
            None
        }
    }
}

fn parse_country(errors: &mut Collector, text: &str) -> Option<String> {
    let code = text.trim().to_ascii_uppercase();
    if crate::tenancy::is_country_code(&code.to_ascii_lowercase()) {
        Some(code)
    } else {
        errors.push("country", "invalid_country", "an ISO 3166-1 alpha-2 code, like DE");
        None
    }
}

fn parse_integration(errors: &mut Collector, sims: &Sims, text: &str) -> Option<String> {
    if sims.connectors.knows(text) {
        Some(text.to_owned())
    } else {
        errors.push(
            "integration",
            "unknown_connector",
            "`none`, or the id of a configured operator connector",
        );
        None
    }
}

impl CatalogueEntry for Contract {
    type Id = ContractId;
    type Payload = ContractPayload;
    type Patch = ContractPatch;
    type Service = Sims;
    type Manage = ManageSims;
    const KIND: &'static str = "contract";
    const PREFIX: &'static str = keys::CONTRACTS_PREFIX;
    const COMPANIES_TOO: bool = false;
    const API: CatalogueApi = CatalogueApi {
        collection: "operator-contracts",
        id: "contract_id",
        name: "Contract",
        tag: "sims",
        create: "Add an operator contract (owners of a root organisation)",
        list: "The organisation's operator contracts",
        get: "An operator contract",
        update: "Change an operator contract",
        delete: "",
    };

    fn key(organisation: OrganisationId, id: ContractId) -> Key {
        keys::contract(organisation, id)
    }

    fn new_id() -> ContractId {
        ContractId::generate()
    }

    fn blank(id: ContractId, organisation: OrganisationId, now: Timestamp) -> Self {
        Contract {
            id,
            organisation_id: organisation,
            operator_name: String::new(),
            country: String::new(),
            mcc: Mcc::parse("001", "mcc").expect("a valid placeholder"),
            mnc: Mnc::parse("01", "mnc").expect("a valid placeholder"),
            contract_reference: String::new(),
            valid_from: None,
            valid_to: None,
            integration: NO_INTEGRATION.to_owned(),
            created_at: now,
            updated_at: now,
        }
    }

    fn patched(&self, payload: ContractPatch, sims: &Sims, now: Timestamp) -> Result<Self, ValidationErrors> {
        let mut errors = Collector::new();
        let mut next = self.clone();
        if let Some(name) = payload.operator_name.as_deref() {
            next.operator_name = errors
                .check(free_text("operator_name", name, MAX_NAME_CHARS))
                .unwrap_or_default();
        }
        if let Some(country) = payload.country.as_deref() {
            next.country = parse_country(&mut errors, country).unwrap_or_default();
        }
        if let Some(mcc) = payload.mcc.as_deref()
            && let Some(mcc) = errors.check(Mcc::parse(mcc, "mcc"))
        {
            next.mcc = mcc;
        }
        if let Some(mnc) = payload.mnc.as_deref()
            && let Some(mnc) = errors.check(Mnc::parse(mnc, "mnc"))
        {
            next.mnc = mnc;
        }
        if let Some(reference) = payload.contract_reference.as_deref() {
            next.contract_reference = errors
                .check(free_text("contract_reference", reference, MAX_REFERENCE_CHARS))
                .unwrap_or_default();
        }
        if let Some(from) = parse_date(&mut errors, "valid_from", payload.valid_from.as_deref()) {
            next.valid_from = from.or(next.valid_from);
        }
        if let Some(to) = parse_date(&mut errors, "valid_to", payload.valid_to.as_deref()) {
            next.valid_to = to.or(next.valid_to);
        }
        if let (Some(from), Some(to)) = (next.valid_from, next.valid_to)
            && to < from
        {
            errors.push("valid_to", "before_valid_from", "a contract ends after it starts");
        }
        if let Some(integration) = payload.integration.as_deref()
            && let Some(integration) = parse_integration(&mut errors, sims, integration)
        {
            next.integration = integration;
        }
        next.updated_at = now;
        errors.finish(|| next)
    }
}
