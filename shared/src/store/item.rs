use serde_json::Value;

/// The attributes of an item beyond its keys: a JSON object, so records serialise with serde.
pub type Attributes = serde_json::Map<String, Value>;

/// The primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// An item's key in a global secondary index. Unlike table keys, index keys need not be
/// unique.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexKey {
    pub pk: String,
    pub sk: String,
}

impl IndexKey {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    pub gsi1: Option<IndexKey>,
    pub gsi2: Option<IndexKey>,
    /// Unix seconds from which the item no longer exists for any reader or condition.
    pub expires_at: Option<i64>,
    /// Set by the store: 1 when first put, +1 on every update. Put replaces the item and
    /// stores the version it is given, so a read–modify–put bumps it itself.
    pub version: u64,
    pub attributes: Attributes,
}

impl Item {
    pub fn new(key: Key) -> Self {
        Self {
            key,
            gsi1: None,
            gsi2: None,
            expires_at: None,
            version: 1,
            attributes: Attributes::new(),
        }
    }

    pub fn with_gsi1(mut self, key: IndexKey) -> Self {
        self.gsi1 = Some(key);
        self
    }

    pub fn with_gsi2(mut self, key: IndexKey) -> Self {
        self.gsi2 = Some(key);
        self
    }

    pub fn expiring_at(mut self, unix_seconds: i64) -> Self {
        self.expires_at = Some(unix_seconds);
        self
    }

    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.attributes.insert(name.into(), value.into());
        self
    }

    pub fn is_live(&self, now_unix: i64) -> bool {
        self.expires_at.is_none_or(|at| at > now_unix)
    }

    pub fn attribute(&self, name: &str) -> Option<&Value> {
        self.attributes.get(name)
    }
}

/// Records are stored as their serde form in an item's attributes.
impl Item {
    /// An item holding `record` under `key`.
    pub fn from_record<T: serde::Serialize>(key: Key, record: &T) -> Item {
        match serde_json::to_value(record) {
            Ok(Value::Object(attributes)) => Item {
                attributes,
                ..Item::new(key)
            },
            other => panic!("a record serialises to a JSON object, not {other:?}"),
        }
    }

    /// The record this item holds.
    pub fn record<T: serde::de::DeserializeOwned>(&self) -> Result<T, super::StoreError> {
        serde_json::from_value(Value::Object(self.attributes.clone())).map_err(|e| {
            super::StoreError::Invalid(format!(
                "item {}/{} is not the record expected: {e}",
                self.key.pk, self.key.sk
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_is_gone_from_the_second_it_expires() {
        let item = Item::new(Key::new("P", "S")).expiring_at(100);
        assert!(item.is_live(99));
        assert!(!item.is_live(100));
        assert!(Item::new(Key::new("P", "S")).is_live(i64::MAX));
    }
}
