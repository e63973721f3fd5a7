use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};
use std::fmt;

/// An e-mail address, normalised (trimmed, lower-cased) so that uniqueness (T10) is
/// case-insensitive. The only way to get one is [`Email::parse`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValidationErrors> {
        let invalid = |message: &str| ValidationErrors::single("email", "invalid_email", message);
        let normalised = raw.trim().to_lowercase();
        if normalised.is_empty() {
            return Err(ValidationErrors::single(
                "email",
                "required",
                "an e-mail address is required",
            ));
        }
        if normalised.len() > 254 {
            return Err(invalid("an e-mail address has at most 254 characters"));
        }
        let Some((local, domain)) = normalised.rsplit_once('@') else {
            return Err(invalid("an e-mail address looks like name@example.com"));
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Self(normalised))
        } else {
            Err(invalid("an e-mail address looks like name@example.com"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(&self.0, |(local, _)| local)
    }
}

impl TryFrom<String> for Email {
    type Error = ValidationErrors;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_surrounding_whitespace_do_not_make_a_different_address() {
        assert_eq!(
            Email::parse("  Jane.Doe@Example.COM \n").unwrap().as_str(),
            "jane.doe@example.com"
        );
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_reason() {
        let cases = [
            ("", "empty"),
            ("jane", "no @"),
            ("@example.com", "no local part"),
            ("jane@", "no domain"),
            ("jane@localhost", "a domain without a dot"),
            ("jane doe@example.com", "space in the local part"),
            ("jane..doe@example.com", "consecutive dots"),
            ("jane@-example.com", "label starting with a hyphen"),
            ("jane@exa_mple.com", "underscore in the domain"),
        ];
        for (raw, reason) in cases {
            assert!(Email::parse(raw).is_err(), "{reason}: {raw:?}");
        }
    }

    #[test]
    fn plus_addressing_and_subdomains_are_fine() {
        assert!(Email::parse("jane+stratum@mail.example.co.uk").is_ok());
    }

    #[test]
    fn deserialising_goes_through_the_same_check() {
        assert!(serde_json::from_str::<Email>("\"not-an-email\"").is_err());
        let email: Email = serde_json::from_str("\"A@B.io\"").unwrap();
        assert_eq!(email.as_str(), "a@b.io");
    }
}
