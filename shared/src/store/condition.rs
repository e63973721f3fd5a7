use super::Item;
use serde_json::Value;

/// A condition on the live item at a key, evaluated atomically with the write it guards.
/// An expired item counts as absent.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// No live item has the key.
    NotExists,
    /// A live item has the key.
    Exists,
    /// A live item has the key at exactly this version.
    VersionIs(u64),
    /// A live item has the key and this attribute equals the value.
    AttributeEquals(String, Value),
    /// A live item has the key and this numeric attribute is below the bound.
    AttributeBelow(String, i64),
    /// Every condition holds.
    All(Vec<Condition>),
    /// At least one condition holds (none: never).
    Any(Vec<Condition>),
}

impl Condition {
    /// Whether the condition holds for `live`, the live item at the key if there is one.
    /// The embedded store evaluates conditions with this; the DynamoDB adapter translates
    /// them into condition expressions, and the conformance suite keeps the two in step.
    pub fn holds(&self, live: Option<&Item>) -> bool {
        match (self, live) {
            (Condition::NotExists, live) => live.is_none(),
            (Condition::All(all), live) => all.iter().all(|condition| condition.holds(live)),
            (Condition::Any(any), live) => any.iter().any(|condition| condition.holds(live)),
            (_, None) => false,
            (Condition::Exists, Some(_)) => true,
            (Condition::VersionIs(version), Some(item)) => item.version == *version,
            (Condition::AttributeEquals(name, value), Some(item)) => item.attribute(name) == Some(value),
            (Condition::AttributeBelow(name, bound), Some(item)) => {
                item.attribute(name).and_then(Value::as_i64).is_some_and(|n| n < *bound)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Key;

    fn item() -> Item {
        Item::new(Key::new("P", "S")).with("attempts", 2).with("state", "open")
    }

    #[test]
    fn absence_satisfies_only_not_exists() {
        assert!(Condition::NotExists.holds(None));
        assert!(!Condition::Exists.holds(None));
        assert!(!Condition::VersionIs(1).holds(None));
        assert!(!Condition::AttributeBelow("attempts".into(), 5).holds(None));
    }

    #[test]
    fn attribute_conditions_compare_the_live_item() {
        let item = item();
        assert!(Condition::AttributeEquals("state".into(), "open".into()).holds(Some(&item)));
        assert!(!Condition::AttributeEquals("state".into(), "closed".into()).holds(Some(&item)));
        assert!(Condition::AttributeBelow("attempts".into(), 3).holds(Some(&item)));
        assert!(!Condition::AttributeBelow("attempts".into(), 2).holds(Some(&item)));
        assert!(!Condition::AttributeBelow("missing".into(), 2).holds(Some(&item)));
    }

    #[test]
    fn all_requires_every_condition() {
        let item = item();
        let both = Condition::All(vec![Condition::VersionIs(1), Condition::Exists]);
        let one = Condition::All(vec![Condition::VersionIs(2), Condition::Exists]);
        assert!(both.holds(Some(&item)));
        assert!(!one.holds(Some(&item)));
    }
}
