//! The one module that composes key strings. Every partition key, sort key and index key in
//! the single table is built here, so the data model in `docs/data-model.md` can be checked
//! against one file.
//!
//! A key is a sequence of segments joined by `#`, each segment `TYPE` or `TYPE` + value, e.g.
//! `ORG#2e8c…` / `MEMBER#USER#91ab…`. Segment values are ids, normalised e-mails or natural
//! keys; `#` inside a value is escaped so a value can never forge another segment.
//!
//! One file per family of records; every key is reached as `keys::…` whichever file builds it.

mod accounts;
mod alerts;
mod devices;
mod mail;
mod organisations;
mod sims;

pub use accounts::*;
pub use alerts::*;
pub use devices::*;
pub use mail::*;
pub use organisations::*;
pub use sims::*;

const SEPARATOR: char = '#';

/// Joins key segments, escaping the separator (and the escape) inside values.
pub fn compose(segments: &[&str]) -> String {
    let mut key = String::new();
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            key.push(SEPARATOR);
        }
        for ch in segment.chars() {
            match ch {
                '\\' => key.push_str("\\\\"),
                SEPARATOR => key.push_str("\\#"),
                other => key.push(other),
            }
        }
    }
    key
}

/// The prefix that every key starting with `segments` shares (for `begins_with` queries).
pub fn prefix(segments: &[&str]) -> String {
    let mut key = compose(segments);
    key.push(SEPARATOR);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_joined_with_the_separator() {
        assert_eq!(compose(&["ORG", "42"]), "ORG#42");
        assert_eq!(prefix(&["ORG", "42"]), "ORG#42#");
    }

    #[test]
    fn a_value_containing_the_separator_cannot_forge_a_segment() {
        let forged = compose(&["EMAIL", "a#ORG"]);
        assert_ne!(forged, compose(&["EMAIL", "a", "ORG"]));
        assert!(!forged.starts_with(&prefix(&["EMAIL", "a"])));
    }

    #[test]
    fn escaping_is_unambiguous() {
        assert_ne!(compose(&["a\\", "b"]), compose(&["a\\#b"]));
    }
}
