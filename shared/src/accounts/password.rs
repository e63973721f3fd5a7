use crate::validation::ValidationErrors;
use std::fmt;

/// Fewest characters a password may have (SPEC §4).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Most characters a password may have: well above the 128 SPEC §4 asks for, and a bound on
/// the work one request can cause.
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Lowest zxcvbn score accepted: 3 of 4, "safely unguessable".
const MIN_STRENGTH: zxcvbn::Score = zxcvbn::Score::Three;
/// How much of a password the strength estimator reads.
const STRENGTH_PREFIX_CHARS: usize = 128;

/// A new password that meets the rules: 8 to 1024 characters, taken exactly as typed (never
/// trimmed or truncated), no composition rules, and not common or easily guessed according
/// to the zxcvbn strength estimator. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// `context` holds words the user gave us (e-mail, name) that make a password guessable.
    pub fn parse(raw: &str, context: &[&str]) -> Result<Self, ValidationErrors> {
        let error = |code, message: &str| ValidationErrors::single("password", code, message);
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(error("too_short", "a password has at least 8 characters"));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(error("too_long", "a password has at most 1024 characters"));
        }
        // The estimator's cost grows faster than linearly; a strong prefix is a strong password.
        let prefix: String = raw.chars().take(STRENGTH_PREFIX_CHARS).collect();
        if zxcvbn::zxcvbn(&prefix, context).score() < MIN_STRENGTH {
            return Err(error(
                "too_weak",
                "this password is too common or easy to guess; try a few unrelated words",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str) -> &'static str {
        Password::parse(raw, &["jane@example.com"]).unwrap_err().errors()[0].code
    }

    #[test]
    fn weak_short_and_huge_passwords_are_refused() {
        assert_eq!(code("short"), "too_short");
        assert_eq!(code("password1"), "too_weak");
        assert_eq!(code("jane@example.com1"), "too_weak");
        assert_eq!(code(&"x".repeat(1025)), "too_long");
    }

    #[test]
    fn a_long_passphrase_is_accepted_exactly_as_typed() {
        let raw = "  correct horse battery staple  ";
        assert_eq!(Password::parse(raw, &[]).unwrap().expose(), raw);
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let password = Password::parse("correct horse battery staple", &[]).unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }
}
