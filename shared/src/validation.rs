//! Per-field validation errors. Parsers collect every problem they find, not just the first,
//! so a client can fix a form in one round trip; the HTTP layer renders them as RFC 9457
//! `errors: [{field, code, message}]`.

use serde::Serialize;

/// One problem with one input field. `field` is the dotted path of the offending input
/// (`address.country_code`, `roles.1`); `code` is stable and machine-readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// A non-empty set of field errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>().join(", "))]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    pub fn single(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self(vec![FieldError {
            field: field.into(),
            code,
            message: message.into(),
        }])
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }
}

/// Collects field errors while a parser walks its input, then yields either the parsed value
/// or every error at once.
#[derive(Debug, Default)]
pub struct Collector(Vec<FieldError>);

impl Collector {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of a failed parse and returns the value of a successful one.
    pub fn check<T>(&mut self, result: Result<T, ValidationErrors>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(errors) => {
                self.0.extend(errors.0);
                None
            }
        }
    }

    pub fn push(&mut self, field: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    /// `Ok(value)` if nothing was recorded; the value is built only then.
    pub fn finish<T>(self, build: impl FnOnce() -> T) -> Result<T, ValidationErrors> {
        if self.0.is_empty() {
            Ok(build())
        } else {
            Err(ValidationErrors(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_collector_reports_every_error_not_just_the_first() {
        let mut collector = Collector::new();
        collector.push("name", "required", "name is required");
        let parsed: Option<u8> =
            collector.check(Err(ValidationErrors::single("email", "invalid_email", "not an e-mail")));
        assert_eq!(parsed, None);
        let errors = collector.finish(|| ()).unwrap_err();
        let fields: Vec<_> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email"]);
    }

    #[test]
    fn a_collector_without_errors_builds_the_value() {
        let mut collector = Collector::new();
        let n = collector.check(Ok::<_, ValidationErrors>(7));
        assert_eq!(collector.finish(|| n.unwrap() * 2), Ok(14));
    }
}
