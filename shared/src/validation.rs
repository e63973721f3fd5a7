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

/// Whether `ch` is a Unicode noncharacter (U+FDD0–U+FDEF, and the last two code points of
/// every plane): reserved for internal use, refused by SQS (U+FFFE, U+FFFF) and never text.
pub fn is_noncharacter(ch: char) -> bool {
    in_ranges(ch, NONCHARACTERS)
}

/// The noncharacters, as ranges of code points.
pub const NONCHARACTERS: &[(u32, u32)] = &[
    (0xFDD0, 0xFDEF),
    (0xFFFE, 0xFFFF),
    (0x1FFFE, 0x1FFFF),
    (0x2FFFE, 0x2FFFF),
    (0x3FFFE, 0x3FFFF),
    (0x4FFFE, 0x4FFFF),
    (0x5FFFE, 0x5FFFF),
    (0x6FFFE, 0x6FFFF),
    (0x7FFFE, 0x7FFFF),
    (0x8FFFE, 0x8FFFF),
    (0x9FFFE, 0x9FFFF),
    (0xAFFFE, 0xAFFFF),
    (0xBFFFE, 0xBFFFF),
    (0xCFFFE, 0xCFFFF),
    (0xDFFFE, 0xDFFFF),
    (0xEFFFE, 0xEFFFF),
    (0xFFFFE, 0xFFFFF),
    (0x10FFFE, 0x10FFFF),
];

fn in_ranges(ch: char, ranges: &[(u32, u32)]) -> bool {
    let code = u32::from(ch);
    ranges.iter().any(|&(from, to)| (from..=to).contains(&code))
}

/// Whether `ch` changes how text reads without being seen: line and paragraph separators and
/// bidirectional overrides and isolates (which can make a name in a mail subject read as
/// something else), and the byte-order mark.
fn is_disruptive(ch: char) -> bool {
    in_ranges(ch, DISRUPTIVE)
}

/// Line and paragraph separators, bidirectional marks, overrides and isolates, and the
/// byte-order mark.
pub const DISRUPTIVE: &[(u32, u32)] = &[
    (0x061C, 0x061C),
    (0x2028, 0x2029),
    (0x202A, 0x202E),
    (0x2066, 0x2069),
    (0xFEFF, 0xFEFF),
];

/// Whether `ch` shows nothing by itself (spaces, zero-width characters, fillers), so text made
/// only of such characters is blank.
fn is_invisible(ch: char) -> bool {
    ch.is_whitespace() || in_ranges(ch, INVISIBLE)
}

/// Characters that show nothing by themselves besides whitespace: soft hyphen, combining
/// grapheme joiner, Hangul fillers, zero-width characters, word joiners, the blank braille
/// pattern, variation selectors and tags.
pub const INVISIBLE: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2060, 0x2064),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0020, 0xE007F),
];

/// The longest name of a person, organisation or machine, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Whether DynamoDB can store `value` as a number: 0, or a magnitude from 1e-130 to below
/// 1e126 (JSON takes more, so the domain refuses what one adapter could not keep).
pub fn storable_number(value: f64) -> bool {
    value == 0.0 || (1e-130..1e126).contains(&value.abs())
}

/// Levels of nesting free JSON (a command's payload) may have; DynamoDB stores 32.
pub const MAX_JSON_DEPTH: usize = 16;

/// Whether free JSON is storable: nested at most [`MAX_JSON_DEPTH`] levels, every number
/// storable.
pub fn storable_json(value: &serde_json::Value) -> bool {
    fn within(value: &serde_json::Value, depth: usize) -> bool {
        match value {
            serde_json::Value::Number(number) => number.as_f64().is_some_and(storable_number),
            serde_json::Value::Array(items) => depth < MAX_JSON_DEPTH && items.iter().all(|v| within(v, depth + 1)),
            serde_json::Value::Object(members) => {
                depth < MAX_JSON_DEPTH && members.values().all(|v| within(v, depth + 1))
            }
            _ => true,
        }
    }
    within(value, 0)
}

/// Parses free text a person typed (a name, an address): surrounding whitespace trimmed,
/// not blank (nor only invisible characters), at most `max_chars` characters, no control
/// characters (CR and LF included: free text is one line), no line separators or
/// bidirectional overrides, and no noncharacters. Everything that passes is also a character
/// SQS and e-mail headers accept.
pub fn free_text(field: &str, raw: &str, max_chars: usize) -> Result<String, ValidationErrors> {
    let text = raw.trim();
    // Counted as sent, so the limit is the one the OpenAPI document states (`maxLength`).
    let too_long = raw.chars().count() > max_chars;
    if text.chars().all(is_invisible) {
        return Err(ValidationErrors::single(
            field,
            "required",
            format!("{field} must not be blank"),
        ));
    }
    // Looked for in the text as sent, as the OpenAPI pattern does: a trailing line break is
    // refused, not trimmed away.
    if raw.chars().any(|ch| ch.is_control() || is_disruptive(ch)) {
        return Err(ValidationErrors::single(
            field,
            "control_character",
            format!("{field} must not contain control characters (line breaks included)"),
        ));
    }
    if text.chars().any(is_noncharacter) {
        return Err(ValidationErrors::single(
            field,
            "noncharacter",
            format!("{field} must not contain Unicode noncharacters such as U+FFFF"),
        ));
    }
    if too_long {
        return Err(ValidationErrors::single(
            field,
            "too_long",
            format!("{field} has at most {max_chars} characters"),
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn free_text_refuses_control_characters_noncharacters_and_excess_length() {
        let cases = [
            ("", "required", "blank"),
            ("   ", "required", "only spaces"),
            ("Ada\nLovelace", "control_character", "a line feed"),
            ("Ada\rLovelace", "control_character", "a carriage return"),
            ("A\u{0}da", "control_character", "NUL"),
            ("A\u{85}da", "control_character", "C1 next line"),
            ("Ada\u{FFFF}", "noncharacter", "U+FFFF, which SQS refuses"),
            ("Ada\u{FFFE}", "noncharacter", "U+FFFE"),
            ("Ada\u{FDD0}", "noncharacter", "U+FDD0"),
            ("Ada\u{10FFFF}", "noncharacter", "the last code point"),
            ("abcdefghijk", "too_long", "eleven characters"),
            ("\u{200B}\u{3164}", "required", "only invisible characters"),
            ("Ada\u{2028}Lovelace", "control_character", "a line separator"),
            ("Ada\u{202E}ecalevoL", "control_character", "a right-to-left override"),
        ];
        for (raw, code, reason) in cases {
            let errors = free_text("name", raw, 10).expect_err(reason);
            assert_eq!(errors.errors()[0].code, code, "{reason}");
        }
        assert_eq!(free_text("name", "  Zoë Ødegård 李 ", 20).unwrap(), "Zoë Ødegård 李");
    }

    /// Text a person might type, and text that tests the rules: any character, with the
    /// refused, invisible and whitespace ones drawn often.
    pub(crate) fn tricky_text(max_chars: usize) -> impl Strategy<Value = String> {
        let from = |ranges: &'static [(u32, u32)]| {
            proptest::sample::select(ranges)
                .prop_flat_map(|(from, to)| from..=to)
                .prop_filter_map("a code point", char::from_u32)
        };
        let ch = prop_oneof![
            3 => any::<char>(),
            12 => proptest::char::range('a', 'z'),
            2 => proptest::sample::select(vec![' ', '\t', '\n', '\r', '\u{A0}', '\u{3000}', '\u{85}']),
            1 => from(NONCHARACTERS),
            1 => from(DISRUPTIVE),
            1 => from(INVISIBLE),
            1 => proptest::char::range('\u{0}', '\u{9F}'),
        ];
        proptest::collection::vec(ch, 0..=max_chars + 2).prop_map(String::from_iter)
    }

    proptest! {
        #[test]
        fn free_text_never_panics(raw in any::<String>(), max_chars in 0..300usize) {
            let _ = free_text("name", &raw, max_chars);
        }

        #[test]
        fn accepted_free_text_is_trimmed_and_within_the_limit_as_sent(
            (raw, max_chars) in (0..40usize).prop_flat_map(|max| (tricky_text(max), Just(max))),
        ) {
            if let Ok(text) = free_text("name", &raw, max_chars) {
                prop_assert_eq!(text.as_str(), raw.trim(), "the text as sent, trimmed");
                prop_assert_eq!(text.as_str(), text.trim(), "nothing left to trim");
                prop_assert!(!text.is_empty());
                prop_assert!(raw.chars().count() <= max_chars, "{} characters as sent, limit {}", raw.chars().count(), max_chars);
            }
        }

        #[test]
        fn free_text_refuses_with_one_error_on_the_field(raw in tricky_text(12)) {
            if let Err(errors) = free_text("address.line_1", &raw, 10) {
                let errors = errors.errors();
                prop_assert_eq!(errors.len(), 1);
                prop_assert_eq!(errors[0].field.as_str(), "address.line_1");
                prop_assert!(["required", "control_character", "noncharacter", "too_long"].contains(&errors[0].code));
            }
        }

        #[test]
        fn accepted_free_text_is_text_sqs_accepts(raw in "\\PC*|.*") {
            if let Ok(text) = free_text("name", &raw, 1000) {
                prop_assert!(text.chars().all(|c| matches!(u32::from(c),
                    0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)));
                prop_assert!(!text.chars().any(|c| c == '\n' || c == '\r'));
            }
        }
    }

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
