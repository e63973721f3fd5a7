//! Typed JSON request bodies: deserialised into a raw shape, then parsed into a valid domain
//! request, with every problem reported per field as a 422.

use super::problem::ApiError;
use super::shape::BodyShape;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use http::header;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use stratum_shared::rows::{RowFile, parse_csv};
use stratum_shared::validation::ValidationErrors;

/// A request body type. `Raw` is the wire shape (plain strings and numbers); `parse` turns it
/// into a value that can only hold valid data, collecting every field error on the way.
pub trait RequestBody: Sized {
    type Raw: DeserializeOwned;
    fn parse(raw: Self::Raw) -> Result<Self, ValidationErrors>;
}

/// A body whose JSON shape is all there is to check (fields of plain strings, say).
#[derive(Debug)]
pub struct Shape<T>(pub T);

impl<T: DeserializeOwned> RequestBody for Shape<T> {
    type Raw = T;

    fn parse(raw: T) -> Result<Self, ValidationErrors> {
        Ok(Shape(raw))
    }
}

/// Extracts and parses a [`RequestBody`].
#[derive(Debug)]
pub struct Valid<T>(pub T);

impl<S: Send + Sync, T: RequestBody> FromRequest<S> for Valid<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let shape = request.extensions().get::<BodyShape>().cloned();
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::Validation(ValidationErrors::single("", "unreadable_body", rejection.body_text()))
            }
        })?;
        let raw = deserialize::<T::Raw>(&bytes, shape.as_ref())?;
        Ok(Valid(T::parse(raw)?))
    }
}

fn is_json(content_type: Option<&http::HeaderValue>) -> bool {
    let Some(essence) = content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
    else {
        return false;
    };
    let essence = essence.trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Deserialises JSON, turning a failure into a field error at the dotted path where it
/// happened. With the body's declared schema (`shape`), the JSON is first held against the
/// types the schema states: serde reads a struct from a JSON array of its fields in order as
/// readily as from an object, so without it `"recipients": [null, null]` would be read as
/// recipients, where the document says an object.
pub(crate) fn deserialize<T: DeserializeOwned>(bytes: &[u8], shape: Option<&BodyShape>) -> Result<T, ValidationErrors> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|error| ValidationErrors::single("", "malformed_json", strip_position(&error.to_string())))?;
    match shape {
        Some(shape) => shape.check(&value)?,
        // Every body the API takes is an object, as its document says.
        None if value.is_array() => {
            return Err(ValidationErrors::single(
                "",
                "invalid_type",
                "the body is a JSON object",
            ));
        }
        None => {}
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut field: Vec<String> = error
            .path()
            .iter()
            .filter_map(|segment| match segment {
                Segment::Seq { index } => Some(index.to_string()),
                Segment::Map { key } => Some(key.clone()),
                Segment::Enum { variant } => Some(variant.clone()),
                Segment::Unknown => None,
            })
            .collect();
        let inner = error.into_inner();
        let message = inner.to_string();
        let code = if let Some(missing) = quoted_after(&message, "missing field ") {
            field.push(missing.to_owned());
            "required"
        } else if message.starts_with("unknown field ") {
            // The path already ends at the unknown key.
            "unknown_field"
        } else {
            "invalid_type"
        };
        ValidationErrors::single(field.join("."), code, strip_position(&message))
    })
}

/// The name between backticks after `marker` in a serde message (`missing field `name``).
fn quoted_after<'a>(message: &'a str, marker: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(marker)?.strip_prefix('`')?;
    rest.split('`').next()
}

/// serde_json appends "at line 1 column 12"; the field path says more to a client.
fn strip_position(message: &str) -> String {
    message.split(" at line ").next().unwrap_or(message).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Address {
        country_code: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Form {
        name: String,
        roles: Vec<String>,
        address: Option<Address>,
    }

    fn error_of(json: &str) -> (String, &'static str) {
        let errors = deserialize::<Form>(json.as_bytes(), None).unwrap_err();
        let error = &errors.errors()[0];
        (error.field.clone(), error.code)
    }

    #[test]
    fn bad_bodies_are_reported_at_the_offending_field() {
        let cases = [
            (
                r#"{"name": 1, "roles": []}"#,
                ("name", "invalid_type"),
                "wrong type at the top level",
            ),
            (
                r#"{"name": "a", "roles": ["x", 2]}"#,
                ("roles.1", "invalid_type"),
                "wrong type inside an array",
            ),
            (
                r#"{"name": "a", "roles": [], "address": {}}"#,
                ("address.country_code", "required"),
                "missing nested field",
            ),
            (r#"{"roles": []}"#, ("name", "required"), "missing top-level field"),
            (
                r#"{"name": "a", "roles": [], "nickname": "b"}"#,
                ("nickname", "unknown_field"),
                "unknown field",
            ),
            (r#"{"name": "a", "roles": ["#, ("", "malformed_json"), "truncated JSON"),
            (r#"["a", []]"#, ("", "invalid_type"), "an array where an object is due"),
            ("not json", ("", "malformed_json"), "not JSON at all"),
        ];
        for (json, (field, code), reason) in cases {
            assert_eq!(error_of(json), (field.to_owned(), code), "{reason}");
        }
    }

    #[test]
    fn json_and_json_suffixed_media_types_are_accepted() {
        let accepted = |v: &'static str| is_json(Some(&http::HeaderValue::from_static(v)));
        assert!(accepted("application/json"));
        assert!(accepted("Application/JSON; charset=utf-8"));
        assert!(accepted("application/merge-patch+json"));
        assert!(!accepted("text/plain"));
        assert!(!is_json(None));
    }
}

/// A file of rows (`Operation::takes_rows`): a JSON array of objects, or CSV with a header row
/// naming the columns, as rows of the named fields. Each row is parsed by the use case on its
/// own, so one bad row is reported and the others go on.
/// `F` names the kind of file: its CSV columns, and the key its JSON form wraps the array in.
#[derive(Debug)]
pub struct Rows<F>(pub Vec<serde_json::Value>, pub PhantomData<F>);

impl<S: Send + Sync, F: RowFile> FromRequest<S> for Rows<F> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request.headers().get(header::CONTENT_TYPE).cloned();
        let csv = content_type
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/csv"));
        if !csv && !is_json(content_type.as_ref()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::Validation(ValidationErrors::single("", "unreadable_body", rejection.body_text()))
            }
        })?;
        if csv {
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| ValidationErrors::single("body", "invalid_csv", "CSV is read as UTF-8"))?;
            return Ok(Rows(parse_csv(text, &F::FORMAT)?, PhantomData));
        }
        let unreadable = |error: serde_json::Error, what: &str| {
            let code = if error.is_syntax() || error.is_eof() {
                "malformed_json"
            } else {
                "invalid_type"
            };
            ValidationErrors::single("", code, format!("the body is {what}"))
        };
        let (rows, prefix): (Vec<serde_json::Value>, String) = match F::FORMAT.wrapper {
            None => (
                serde_json::from_slice(&bytes).map_err(|e| unreadable(e, "a JSON array of objects"))?,
                String::new(),
            ),
            Some(key) => {
                let what = format!("an object with one member, {key:?}, an array of objects");
                let mut wrapped: BTreeMap<String, Vec<serde_json::Value>> =
                    serde_json::from_slice(&bytes).map_err(|e| unreadable(e, &what))?;
                let rows = wrapped
                    .remove(key)
                    .ok_or_else(|| ValidationErrors::single(key, "required", format!("the body is {what}")))?;
                if let Some(other) = wrapped.keys().next() {
                    return Err(ValidationErrors::single(
                        other.as_str(),
                        "unknown_field",
                        format!("the body is {what}"),
                    )
                    .into());
                }
                (rows, format!("{key}."))
            }
        };
        // A row that is not an object is a malformed file, not a row to report.
        if let Some(at) = rows.iter().position(|row| !row.is_object()) {
            return Err(
                ValidationErrors::single(format!("{prefix}{at}"), "invalid_type", "each row is a JSON object").into(),
            );
        }
        Ok(Rows(rows, PhantomData))
    }
}
