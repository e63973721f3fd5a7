use super::{Condition, IndexKey, Item, Key};
use crate::store::StoreError;
use serde_json::Value;

/// A partial change to a live item. The item must exist (an update never creates one);
/// the store bumps its version by one.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub key: Key,
    pub set: Vec<(String, Value)>,
    pub remove: Vec<String>,
    /// Atomic counters: adds to a numeric attribute, treating a missing one as 0.
    pub add: Vec<(String, i64)>,
    pub gsi1: Option<IndexKey>,
    pub gsi2: Option<IndexKey>,
    pub condition: Option<Condition>,
}

impl Update {
    pub fn new(key: Key) -> Self {
        Self {
            key,
            set: vec![],
            remove: vec![],
            add: vec![],
            gsi1: None,
            gsi2: None,
            condition: None,
        }
    }

    pub fn set(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.set.push((name.into(), value.into()));
        self
    }

    pub fn remove(mut self, name: impl Into<String>) -> Self {
        self.remove.push(name.into());
        self
    }

    pub fn add(mut self, name: impl Into<String>, by: i64) -> Self {
        self.add.push((name.into(), by));
        self
    }

    pub fn with_gsi1(mut self, key: IndexKey) -> Self {
        self.gsi1 = Some(key);
        self
    }

    pub fn with_gsi2(mut self, key: IndexKey) -> Self {
        self.gsi2 = Some(key);
        self
    }

    pub fn when(mut self, condition: Condition) -> Self {
        self.condition = Some(condition);
        self
    }

    /// The condition the store checks: the caller's, and always that the item is live.
    pub fn effective_condition(&self) -> Condition {
        match &self.condition {
            Some(condition) => Condition::All(vec![Condition::Exists, condition.clone()]),
            None => Condition::Exists,
        }
    }

    /// Applies the change to `item` as the store does, version included.
    pub fn apply(&self, item: &mut Item) -> Result<(), StoreError> {
        for (name, value) in &self.set {
            item.attributes.insert(name.clone(), value.clone());
        }
        for name in &self.remove {
            item.attributes.remove(name);
        }
        for (name, by) in &self.add {
            let current = match item.attributes.get(name) {
                None => 0,
                Some(value) => value
                    .as_i64()
                    .ok_or_else(|| StoreError::Invalid(format!("cannot add to non-integer attribute {name}")))?,
            };
            item.attributes.insert(name.clone(), Value::from(current + by));
        }
        if let Some(gsi1) = &self.gsi1 {
            item.gsi1 = Some(gsi1.clone());
        }
        if let Some(gsi2) = &self.gsi2 {
            item.gsi2 = Some(gsi2.clone());
        }
        item.version += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_sets_removes_adds_and_bumps_the_version() {
        let mut item = Item::new(Key::new("P", "S")).with("a", 1).with("b", "x");
        Update::new(item.key.clone())
            .set("c", true)
            .remove("b")
            .add("a", 2)
            .add("n", -1)
            .apply(&mut item)
            .unwrap();
        assert_eq!(item.attribute("a"), Some(&Value::from(3)));
        assert_eq!(item.attribute("n"), Some(&Value::from(-1)));
        assert_eq!(item.attribute("b"), None);
        assert_eq!(item.attribute("c"), Some(&Value::Bool(true)));
        assert_eq!(item.version, 2);
    }

    #[test]
    fn adding_to_a_non_integer_is_refused() {
        let mut item = Item::new(Key::new("P", "S")).with("a", "text");
        assert!(matches!(
            Update::new(item.key.clone()).add("a", 1).apply(&mut item),
            Err(StoreError::Invalid(_))
        ));
    }
}
