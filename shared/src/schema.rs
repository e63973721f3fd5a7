//! How the API's value types look in the OpenAPI document (utoipa schemas), written beside
//! the rules that parse them so the document states exactly what the parsers accept.

use crate::validation::{DISRUPTIVE, INVISIBLE, NONCHARACTERS};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type};

/// Deserialises an integer field as JSON Schema counts integers: `12` and `12.0` alike (a
/// number with a zero fraction is an integer there), anything else as serde would refuse it.
pub fn whole_number<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    use serde::Deserialize;
    use serde::de::Error;
    let number = serde_json::Number::deserialize(deserializer)?;
    let whole = number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        })
        .ok_or_else(|| D::Error::custom(format!("invalid type: {number}, expected a whole number")))?;
    T::try_from(whole).map_err(|_| D::Error::custom(format!("{whole} is out of range")))
}

/// `schema` with JSON Schema keywords utoipa's types do not model (`if`, `contains`, an
/// object-level `oneOf`…), carried as its extensions, which serialise beside the rest.
pub fn with_keywords<T: Into<Schema>>(schema: T, keywords: serde_json::Value) -> Schema {
    let extensions: utoipa::openapi::extensions::Extensions = keywords
        .as_object()
        .expect("keywords are an object")
        .clone()
        .into_iter()
        .collect();
    match schema.into() {
        Schema::Object(mut object) => {
            object.extensions = Some(extensions);
            Schema::Object(object)
        }
        Schema::Array(mut array) => {
            array.extensions = Some(extensions);
            Schema::Array(array)
        }
        other => other,
    }
}

/// A string of `format`.
pub fn formatted(format: KnownFormat) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
        .build()
}

/// Code points as a regular-expression class body: `\u{…}` escapes for the BMP, the
/// characters themselves above it (read as characters by the Python and JavaScript
/// validators alike when the class is used with the Unicode flag).
fn class(ranges: &[(u32, u32)]) -> String {
    ranges
        .iter()
        .map(|&(from, to)| {
            let one = |code: u32| match char::from_u32(code) {
                Some(ch) if code > 0xFFFF => ch.to_string(),
                _ => format!("\\u{code:04X}"),
            };
            if from == to {
                one(from)
            } else {
                format!("{}-{}", one(from), one(to))
            }
        })
        .collect()
}

/// The pattern of [`crate::validation::free_text`]: no control, disruptive or noncharacter
/// code point anywhere, and at least one visible character.
pub fn free_text_pattern() -> String {
    let control: &[(u32, u32)] = &[(0x00, 0x1F), (0x7F, 0x9F)];
    let refused = [control, DISRUPTIVE, NONCHARACTERS].concat();
    let blank = [refused.as_slice(), INVISIBLE].concat();
    let refused = class(&refused);
    format!("^[^{refused}]*[^\\s{}][^{refused}]*$", class(&blank))
}

/// One line of free text of at most `max_chars` characters (a name, an address).
pub fn free_text(max_chars: usize) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max_chars))
        .pattern(Some(free_text_pattern()))
        .description(Some(
            "One line of free text, trimmed: control characters (line breaks included), \
             bidirectional overrides and Unicode noncharacters are refused with 422 (field error \
             codes `control_character`, `noncharacter`, `too_long`, `required`).",
        ))
        .build()
}

pub fn name_text() -> Object {
    free_text(crate::validation::MAX_NAME_CHARS)
}

/// An e-mail address as sent: normalised on the way in.
pub fn email_input() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
        .max_length(Some(254))
        .description(Some(
            "Normalised: the domain by IDNA (UTS #46) to its ASCII form, the local part in Unicode NFC and lower case.",
        ))
        .build()
}

/// `schema`, or null (an optional field sent as null counts as absent).
pub fn nullable(schema: impl Into<RefOr<Schema>>) -> Schema {
    Schema::OneOf(
        OneOfBuilder::new()
            .item(schema)
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .build(),
    )
}

/// A name (free text) that may be `null`.
pub fn optional_name() -> Schema {
    nullable(name_text())
}

/// A UUID as input that may be `null`.
pub fn optional_uuid() -> Schema {
    nullable(uuid_input())
}

/// A string matching `pattern`, described.
pub fn pattern(pattern: &str, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .build()
}

/// A date-time without an offset, as seed 002 sends it (`2020-11-01T00:00:00`, taken as UTC):
/// years 1–9999, and days to the 28th only, where a pattern cannot tell a month's length (the
/// parser takes every real date).
const NAIVE_DATE_TIME: &str = r"^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?$";

/// A date (`2020-11-01`), an RFC 3339 date-time, or seed 002's date-time without an offset.
pub fn date_or_date_time() -> Schema {
    Schema::OneOf(OneOfBuilder::new()
        .item(formatted(KnownFormat::Date))
        .item(formatted(KnownFormat::DateTime))
        .item(pattern(NAIVE_DATE_TIME, "a date-time without an offset, taken as UTC"))
        .description(Some(
            "A date (2020-11-01) or an RFC 3339 date-time; a date-time without an offset (2020-11-01T00:00:00) is taken as UTC.",
        ))
        .build())
}

pub fn uuid_input() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("uuid".to_owned())))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::free_text as parse_free_text;

    #[test]
    fn the_free_text_pattern_names_every_refused_code_point() {
        let pattern = free_text_pattern();
        for refused in [
            '\u{0}', '\u{1F}', '\u{85}', '\u{2028}', '\u{202E}', '\u{FEFF}', '\u{FDD0}', '\u{FFFF}',
        ] {
            assert!(
                parse_free_text("name", &format!("a{refused}b"), 10).is_err(),
                "{refused:?} is refused by the parser"
            );
            let escaped = format!("\\u{:04X}", u32::from(refused));
            let listed = pattern.split(']').next().unwrap();
            let in_class = class(&[(0x00, 0x1F), (0x7F, 0x9F)]);
            assert!(
                listed.contains(&escaped) || in_class.contains("\\u0000-\\u001F") || listed.contains(refused),
                "{refused:?} is in the pattern"
            );
        }
        assert!(
            pattern.contains('\u{10FFFF}'),
            "astral noncharacters are listed as characters"
        );
    }

    proptest::proptest! {
        /// What the OpenAPI document promises is what the parser does: text the pattern
        /// admits is accepted and text it refuses is refused. Length is `maxLength`'s
        /// business, not the pattern's, so the parser is given room here.
        #[test]
        fn the_free_text_pattern_agrees_with_the_parser(raw in crate::validation::tests::tricky_text(24)) {
            let pattern = regex::Regex::new(&free_text_pattern()).expect("the pattern compiles");
            let accepted = parse_free_text("name", &raw, 1000).is_ok();
            proptest::prop_assert_eq!(pattern.is_match(&raw), accepted, "{:?}", raw);
        }
    }
}
