//! What accounts and organisations are, as values: an e-mail address, a password as typed, a
//! user's kind, a membership role and an organisation's kind. A leaf beside [`crate::ids`] and
//! [`crate::telecom`]: everything above may name them, and they name nothing above.

mod email;
mod password;

pub use email::Email;
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, Password};

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    Person,
    Machine,
}

/// Membership roles (SPEC §3). `Member` is always present in a membership's set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    BillingAdmin,
    Operator,
    Viewer,
    Member,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    Personal,
    Shared,
}

/// A set of membership roles drawn from `allowed`, as `parse_roles` and T4 take it:
/// `billing_admin` only with `owner`.
pub fn role_set(allowed: &[Role]) -> Schema {
    let names: Vec<serde_json::Value> = allowed.iter().map(|role| serde_json::json!(role)).collect();
    let array = ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)))
        .description(Some("`member` is implied; `billing_admin` comes with `owner` (T4)."))
        .build();
    crate::schema::with_keywords(
        array,
        serde_json::json!({ "anyOf": [
            { "not": { "contains": { "const": "billing_admin" } } },
            { "contains": { "const": "owner" } }
        ] }),
    )
}
