//! The environment as configuration reads it: a variable set to nothing counts as unset.

/// The value of `name`, unless it is unset or blank.
pub fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}
