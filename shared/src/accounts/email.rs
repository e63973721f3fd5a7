use crate::validation::ValidationErrors;
use serde::{Deserialize, Serialize};
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// An e-mail address, normalised so that uniqueness (T10) holds for every way of writing it:
/// trimmed; the local part in Unicode NFC and lower case; the domain through IDNA (UTS #46),
/// so `jane@Bücher.example` and `jane@xn--bcher-kva.example` are one address, stored in its
/// ASCII form. The only way to get one is [`Email::parse`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// RFC 5321's limits: 64 octets of local part, 254 of address.
const MAX_LOCAL_BYTES: usize = 64;
const MAX_ADDRESS_BYTES: usize = 254;

impl utoipa::PartialSchema for Email {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::schema::email_input().into()
    }
}

impl utoipa::ToSchema for Email {}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValidationErrors> {
        let invalid = |message: &str| ValidationErrors::single("email", "invalid_email", message);
        let shape = "an e-mail address looks like name@example.com";
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValidationErrors::single(
                "email",
                "required",
                "an e-mail address is required",
            ));
        }
        if trimmed.len() > 4 * MAX_ADDRESS_BYTES {
            return Err(invalid("an e-mail address has at most 254 characters"));
        }
        let Some((local, domain)) = trimmed.rsplit_once('@') else {
            return Err(invalid(shape));
        };
        let local: String = local.nfc().collect::<String>().to_lowercase().nfc().collect();
        let local_ok = !local.is_empty()
            && local.len() <= MAX_LOCAL_BYTES
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        // UTS #46 maps the domain (lower case, width and compatibility forms) and encodes
        // each non-ASCII label as punycode; what it yields is then held to hostname rules.
        let domain = idna::domain_to_ascii(domain).map_err(|_| invalid(shape))?;
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !(local_ok && domain_ok) {
            return Err(invalid(shape));
        }
        let normalised = format!("{local}@{domain}");
        if normalised.len() > MAX_ADDRESS_BYTES {
            return Err(invalid("an e-mail address has at most 254 characters"));
        }
        Ok(Self(normalised))
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
    fn an_internationalised_domain_is_one_address_however_it_is_written() {
        let unicode = Email::parse("jane@bücher.example").unwrap();
        let punycode = Email::parse("jane@xn--bcher-kva.example").unwrap();
        let upper = Email::parse("Jane@BÜCHER.example").unwrap();
        assert_eq!(unicode, punycode);
        assert_eq!(upper, punycode);
        assert_eq!(punycode.as_str(), "jane@xn--bcher-kva.example");
    }

    #[test]
    fn a_local_part_is_compared_in_nfc() {
        let composed = Email::parse("zo\u{e9}@example.com").unwrap();
        let decomposed = Email::parse("zoe\u{301}@example.com").unwrap();
        assert_eq!(composed, decomposed);
        assert_eq!(Email::parse("ZOÉ@example.com").unwrap(), composed);
    }

    #[test]
    fn control_characters_and_noncharacters_are_no_address() {
        for raw in [
            "ja\nne@example.com",
            "jane@exa\u{0}mple.com",
            "ja\u{FFFF}ne@example.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_a_parsed_address_changes_nothing(raw in "[a-zA-Z0-9._%+ÄäÖöé-]{1,20}@[a-zA-Z0-9äöüß.-]{1,30}") {
            if let Ok(email) = Email::parse(&raw) {
                proptest::prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
                proptest::prop_assert!(email.as_str().split_once('@').unwrap().1.is_ascii());
            }
        }

        #[test]
        fn no_input_makes_the_parser_panic(raw in "\\PC{0,80}|.{0,80}") {
            let _ = Email::parse(&raw);
        }

        #[test]
        fn no_input_of_any_length_makes_the_parser_panic(raw in proptest::collection::vec(proptest::char::any(), 0..1100)) {
            let _ = Email::parse(&raw.into_iter().collect::<String>());
        }

        #[test]
        fn an_address_parses_to_itself_once_normalised(raw in address_like()) {
            if let Ok(email) = Email::parse(&raw) {
                proptest::prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()), "{:?}", raw);
            }
        }

        #[test]
        fn a_parsed_address_has_the_shape_it_promises(raw in address_like()) {
            if let Ok(email) = Email::parse(&raw) {
                let text = email.as_str();
                proptest::prop_assert!(text.len() <= MAX_ADDRESS_BYTES, "{} bytes: {:?}", text.len(), text);
                proptest::prop_assert_eq!(text.matches('@').count(), 1, "one @: {:?}", text);
                let (local, domain) = text.split_once('@').unwrap();
                proptest::prop_assert!(!local.is_empty() && local.len() <= MAX_LOCAL_BYTES, "{:?}", text);
                proptest::prop_assert_eq!(local, local.to_lowercase(), "the local part is lower case");
                proptest::prop_assert!(domain.is_ascii() && domain.contains('.'), "{:?}", text);
                proptest::prop_assert_eq!(domain, domain.to_ascii_lowercase(), "the domain is lower case");
                proptest::prop_assert_eq!(email.local_part(), local);
            }
        }
    }

    /// Text shaped like an address, often valid and often near a limit: upper and lower case,
    /// non-ASCII letters on both sides, punycode, dots in odd places, surrounding whitespace,
    /// local parts around 64 bytes and domains around 254.
    fn address_like() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prop_oneof;
        use proptest::strategy::Strategy;
        let local = prop_oneof![
            6 => "[a-zA-Z0-9ÄäÖöéÉ!#$%&'*+/=?^_`{|}~-]{1,40}(\\.[a-zA-Z0-9ÄäÖöéÉ_-]{1,25})?",
            1 => "[a-zA-Z0-9ÄäÖöéÉßİ.-]{1,70}",
        ];
        let label = prop_oneof![
            6 => "[a-zA-Z0-9äöüÜＡ]([a-zA-Z0-9äöüÜ-]{0,61}[a-zA-Z0-9])?",
            3 => "[a-zA-Z0-9]{50,63}",
            1 => "[a-zA-Z0-9äöüßÜＡ-]{1,63}",
            1 => "xn--[a-z0-9]{1,20}",
        ];
        let domain = proptest::collection::vec(label, 1..5).prop_map(|labels| labels.join("."));
        (" ?", local, domain, "[a-zA-Z]{2,10}", " ?")
            .prop_map(|(before, local, domain, tld, after)| format!("{before}{local}@{domain}.{tld}{after}"))
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
