use super::{Item, Key, MAX_PAGE};
use crate::store::StoreError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Where a query looks: the table itself or one of its global secondary indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Index {
    Table,
    Gsi1,
    Gsi2,
}

/// A condition on the sort key (of the table or of the index queried). Sort keys compare
/// as UTF-8 bytes in both adapters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortCondition {
    Any,
    Equals(String),
    BeginsWith(String),
    /// Inclusive at both ends.
    Between(String, String),
    Below(String),
    AtMost(String),
    Above(String),
    AtLeast(String),
}

impl SortCondition {
    pub fn matches(&self, sk: &str) -> bool {
        match self {
            SortCondition::Any => true,
            SortCondition::Equals(v) => sk == v,
            SortCondition::BeginsWith(prefix) => sk.starts_with(prefix.as_str()),
            SortCondition::Between(low, high) => low.as_str() <= sk && sk <= high.as_str(),
            SortCondition::Below(v) => sk < v.as_str(),
            SortCondition::AtMost(v) => sk <= v.as_str(),
            SortCondition::Above(v) => sk > v.as_str(),
            SortCondition::AtLeast(v) => sk >= v.as_str(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub index: Index,
    /// The partition key of the table or the index.
    pub pk: String,
    pub sort: SortCondition,
    pub ascending: bool,
    /// At most this many items come back (capped at [`MAX_PAGE`]); fewer does not mean the
    /// end — only `next: None` does.
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

impl Query {
    pub fn new(index: Index, pk: impl Into<String>) -> Self {
        Self {
            index,
            pk: pk.into(),
            sort: SortCondition::Any,
            ascending: true,
            limit: 50,
            cursor: None,
        }
    }

    pub fn sort(mut self, sort: SortCondition) -> Self {
        self.sort = sort;
        self
    }

    pub fn descending(mut self) -> Self {
        self.ascending = false;
        self
    }

    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }

    pub fn page_size(&self) -> u32 {
        self.limit.clamp(1, MAX_PAGE)
    }

    /// The cursor, checked to belong to this query: its index, its partition, and a position
    /// its sort condition allows (DynamoDB refuses a start key outside the condition).
    pub fn checked_cursor(&self) -> Result<Option<&Cursor>, StoreError> {
        match &self.cursor {
            Some(cursor)
                if cursor.index != self.index
                    || cursor.partition() != self.pk
                    || !self.sort.matches(cursor.sort_key()) =>
            {
                Err(StoreError::InvalidCursor)
            }
            other => Ok(other.as_ref()),
        }
    }
}

/// One page of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

/// A position in a query: the keys of the last item a page returned. Clients see it only as
/// an opaque string ([`Cursor::encode`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "i")]
    pub index: Index,
    pub pk: String,
    pub sk: String,
    /// The index key, for a position in a global secondary index.
    #[serde(rename = "ipk", skip_serializing_if = "Option::is_none", default)]
    pub index_pk: Option<String>,
    #[serde(rename = "isk", skip_serializing_if = "Option::is_none", default)]
    pub index_sk: Option<String>,
}

impl Cursor {
    /// The position of `item` in `index`; `None` if the item is not in that index.
    pub fn at(index: Index, item: &Item) -> Option<Self> {
        let Key { pk, sk } = item.key.clone();
        let index_key = match index {
            Index::Table => {
                return Some(Self {
                    index,
                    pk,
                    sk,
                    index_pk: None,
                    index_sk: None,
                });
            }
            Index::Gsi1 => item.gsi1.clone()?,
            Index::Gsi2 => item.gsi2.clone()?,
        };
        Some(Self {
            index,
            pk,
            sk,
            index_pk: Some(index_key.pk),
            index_sk: Some(index_key.sk),
        })
    }

    /// The partition key of the table or index this position is in.
    pub fn partition(&self) -> &str {
        self.index_pk.as_deref().unwrap_or(&self.pk)
    }

    /// The sort key of the table or index this position is in.
    pub fn sort_key(&self) -> &str {
        self.index_sk.as_deref().unwrap_or(&self.sk)
    }

    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a cursor always serialises");
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(encoded: &str) -> Result<Self, StoreError> {
        let json = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| StoreError::InvalidCursor)?;
        let cursor: Cursor = serde_json::from_slice(&json).map_err(|_| StoreError::InvalidCursor)?;
        let well_formed = match cursor.index {
            Index::Table => cursor.index_pk.is_none() && cursor.index_sk.is_none(),
            Index::Gsi1 | Index::Gsi2 => cursor.index_pk.is_some() && cursor.index_sk.is_some(),
        };
        if well_formed {
            Ok(cursor)
        } else {
            Err(StoreError::InvalidCursor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::IndexKey;

    #[test]
    fn a_cursor_survives_its_encoding() {
        let item = Item::new(Key::new("P", "S#1")).with_gsi1(IndexKey::new("G", "2024"));
        let cursor = Cursor::at(Index::Gsi1, &item).unwrap();
        assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
    }

    #[test]
    fn garbage_and_malformed_cursors_are_refused() {
        assert_eq!(Cursor::decode("not base64!"), Err(StoreError::InvalidCursor));
        let table_cursor_with_index_key =
            URL_SAFE_NO_PAD.encode(br#"{"i":"table","pk":"P","sk":"S","ipk":"X","isk":"Y"}"#);
        assert_eq!(
            Cursor::decode(&table_cursor_with_index_key),
            Err(StoreError::InvalidCursor)
        );
    }

    #[test]
    fn a_cursor_outside_the_sort_condition_is_refused() {
        let item = Item::new(Key::new("P", "MEMBER#1"));
        let query = Query::new(Index::Table, "P")
            .sort(SortCondition::BeginsWith("COMPANY#".into()))
            .after(Cursor::at(Index::Table, &item));
        assert_eq!(query.checked_cursor(), Err(StoreError::InvalidCursor));
    }

    #[test]
    fn a_cursor_from_another_partition_is_refused() {
        let item = Item::new(Key::new("P", "S"));
        let query = Query::new(Index::Table, "OTHER").after(Cursor::at(Index::Table, &item));
        assert_eq!(query.checked_cursor(), Err(StoreError::InvalidCursor));
    }

    #[test]
    fn sort_conditions_compare_bytes() {
        assert!(SortCondition::BeginsWith("A#".into()).matches("A#1"));
        assert!(!SortCondition::BeginsWith("A#".into()).matches("A"));
        assert!(SortCondition::Between("b".into(), "d".into()).matches("d"));
        assert!(!SortCondition::Below("b".into()).matches("b"));
        assert!(SortCondition::AtLeast("b".into()).matches("b"));
    }
}
