//! The request fields several routes share, as the document states them: a password as typed,
//! an e-mailed token (checked for length before it is looked up), and an optional name.

use serde::Deserialize;
use stratum_infra::http::RequestBody;
use stratum_shared::accounts::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use stratum_shared::identity::MAX_TOKEN_CHARS;
use stratum_shared::schema;
use stratum_shared::validation::ValidationErrors;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};

/// A password as typed: 8 to 1,024 characters, refused (422 `weak_password`) when common or
/// easy to guess — a rule no schema states.
pub(crate) fn password() -> impl Into<RefOr<Schema>> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(MIN_PASSWORD_CHARS))
        .max_length(Some(MAX_PASSWORD_CHARS))
        .description(Some(
            "Taken exactly as typed; refused (422 `weak_password`) when common or easy to guess.",
        ))
}

pub(crate) fn token() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_TOKEN_CHARS))
        .build()
}

pub(crate) fn optional_token() -> impl Into<RefOr<Schema>> {
    schema::nullable(token())
}

pub(crate) fn optional_name() -> impl Into<RefOr<Schema>> {
    schema::nullable(schema::name_text())
}

/// A token as the document states it: 1 to [`MAX_TOKEN_CHARS`] characters. Anything else was
/// never issued, and says so as a 422 rather than as an unknown token.
pub(crate) fn check_token(field: &str, token: &str) -> std::result::Result<(), ValidationErrors> {
    if token.is_empty() || token.chars().count() > MAX_TOKEN_CHARS {
        return Err(ValidationErrors::single(
            field,
            "invalid_token",
            format!("a token has 1 to {MAX_TOKEN_CHARS} characters"),
        ));
    }
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TokenRequest)]
pub(crate) struct TokenAndPassword {
    #[schema(schema_with = token)]
    pub(crate) token: String,
    #[schema(schema_with = password)]
    pub(crate) password: String,
}

/// An e-mailed token with a password: the one registered with (confirmation), or a new one
/// (reset).
pub(crate) struct TokenWithPassword(pub(crate) TokenAndPassword);

impl RequestBody for TokenWithPassword {
    type Raw = TokenAndPassword;

    fn parse(raw: TokenAndPassword) -> std::result::Result<Self, ValidationErrors> {
        check_token("token", &raw.token)?;
        Ok(TokenWithPassword(raw))
    }
}
