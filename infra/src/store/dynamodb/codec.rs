//! Items to and from DynamoDB attribute maps. The attribute names of the single table are
//! defined here and nowhere else.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Number, Value};
use std::collections::HashMap;
use stratum_shared::store::{Attributes, Cursor, Index, IndexKey, Item, Key, StoreError};

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1PK: &str = "gsi1pk";
pub const GSI1SK: &str = "gsi1sk";
pub const GSI2PK: &str = "gsi2pk";
pub const GSI2SK: &str = "gsi2sk";
pub const TTL: &str = "ttl";
pub const VERSION: &str = "version";
/// The record's own attributes live in one map, so a record field can never collide with a
/// key attribute.
pub const DATA: &str = "data";

pub type AttributeMap = HashMap<String, AttributeValue>;

/// The attribute names of an index's partition and sort key.
pub fn index_key_names(index: Index) -> (&'static str, &'static str) {
    match index {
        Index::Table => (PK, SK),
        Index::Gsi1 => (GSI1PK, GSI1SK),
        Index::Gsi2 => (GSI2PK, GSI2SK),
    }
}

pub fn index_name(index: Index) -> Option<&'static str> {
    match index {
        Index::Table => None,
        Index::Gsi1 => Some("gsi1"),
        Index::Gsi2 => Some("gsi2"),
    }
}

pub fn key_map(key: &Key) -> AttributeMap {
    HashMap::from([(PK.into(), s(&key.pk)), (SK.into(), s(&key.sk))])
}

pub fn item_map(item: &Item) -> AttributeMap {
    let mut map = key_map(&item.key);
    for (index_key, (pk, sk)) in [(&item.gsi1, (GSI1PK, GSI1SK)), (&item.gsi2, (GSI2PK, GSI2SK))] {
        if let Some(IndexKey { pk: ipk, sk: isk }) = index_key {
            map.insert(pk.into(), s(ipk));
            map.insert(sk.into(), s(isk));
        }
    }
    if let Some(expires_at) = item.expires_at {
        map.insert(TTL.into(), AttributeValue::N(expires_at.to_string()));
    }
    map.insert(VERSION.into(), AttributeValue::N(item.version.to_string()));
    map.insert(
        DATA.into(),
        AttributeValue::M(
            item.attributes
                .iter()
                .map(|(k, v)| (k.clone(), to_attribute(v)))
                .collect(),
        ),
    );
    map
}

pub fn item_from_map(mut map: AttributeMap) -> Result<Item, StoreError> {
    let mut string = |name: &str| match map.remove(name) {
        Some(AttributeValue::S(value)) => Ok(Some(value)),
        None => Ok(None),
        Some(_) => Err(malformed(name)),
    };
    let key = Key {
        pk: string(PK)?.ok_or_else(|| malformed(PK))?,
        sk: string(SK)?.ok_or_else(|| malformed(SK))?,
    };
    let gsi1 = string(GSI1PK)?.zip(string(GSI1SK)?).map(|(pk, sk)| IndexKey { pk, sk });
    let gsi2 = string(GSI2PK)?.zip(string(GSI2SK)?).map(|(pk, sk)| IndexKey { pk, sk });
    let number = |value: Option<AttributeValue>, name: &str| match value {
        Some(AttributeValue::N(n)) => n.parse::<i64>().map(Some).map_err(|_| malformed(name)),
        None => Ok(None),
        Some(_) => Err(malformed(name)),
    };
    let expires_at = number(map.remove(TTL), TTL)?;
    let version = number(map.remove(VERSION), VERSION)?.ok_or_else(|| malformed(VERSION))? as u64;
    let attributes = match map.remove(DATA) {
        Some(AttributeValue::M(data)) => data
            .into_iter()
            .map(|(k, v)| Ok((k, from_attribute(v)?)))
            .collect::<Result<Attributes, _>>()?,
        None => Attributes::new(),
        Some(_) => return Err(malformed(DATA)),
    };
    Ok(Item {
        key,
        gsi1,
        gsi2,
        expires_at,
        version,
        attributes,
    })
}

/// The cursor DynamoDB's `LastEvaluatedKey` denotes.
pub fn cursor_from_map(index: Index, mut map: AttributeMap) -> Result<Cursor, StoreError> {
    let mut take = |name: &str| match map.remove(name) {
        Some(AttributeValue::S(value)) => Ok(value),
        _ => Err(malformed(name)),
    };
    let (pk, sk) = (take(PK)?, take(SK)?);
    let (index_pk, index_sk) = match index {
        Index::Table => (None, None),
        _ => {
            let (ipk, isk) = index_key_names(index);
            (Some(take(ipk)?), Some(take(isk)?))
        }
    };
    Ok(Cursor {
        index,
        pk,
        sk,
        index_pk,
        index_sk,
    })
}

/// The `ExclusiveStartKey` for a cursor.
pub fn cursor_map(cursor: &Cursor) -> AttributeMap {
    let mut map = HashMap::from([(PK.into(), s(&cursor.pk)), (SK.into(), s(&cursor.sk))]);
    if let (Some(ipk), Some(isk)) = (&cursor.index_pk, &cursor.index_sk) {
        let (pk_name, sk_name) = index_key_names(cursor.index);
        map.insert(pk_name.into(), s(ipk));
        map.insert(sk_name.into(), s(isk));
    }
    map
}

pub fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

pub fn to_attribute(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(text) => AttributeValue::S(text.clone()),
        Value::Array(values) => AttributeValue::L(values.iter().map(to_attribute).collect()),
        Value::Object(map) => AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), to_attribute(v))).collect()),
    }
}

fn from_attribute(value: AttributeValue) -> Result<Value, StoreError> {
    Ok(match value {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(b),
        AttributeValue::N(n) => Value::Number(parse_number(&n)?),
        AttributeValue::S(text) => Value::String(text),
        AttributeValue::L(values) => Value::Array(values.into_iter().map(from_attribute).collect::<Result<_, _>>()?),
        AttributeValue::M(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| Ok((k, from_attribute(v)?)))
                .collect::<Result<_, StoreError>>()?,
        ),
        other => {
            return Err(StoreError::Invalid(format!("unsupported attribute type {other:?}")));
        }
    })
}

fn parse_number(n: &str) -> Result<Number, StoreError> {
    if let Ok(i) = n.parse::<i64>() {
        return Ok(i.into());
    }
    if let Ok(u) = n.parse::<u64>() {
        return Ok(u.into());
    }
    n.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| StoreError::Invalid(format!("bad number {n}")))
}

fn malformed(name: &str) -> StoreError {
    StoreError::Invalid(format!("stored item has a missing or malformed `{name}`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_item_survives_the_attribute_map() {
        let item = Item::new(Key::new("P", "S"))
            .with_gsi2(IndexKey::new("G", "H"))
            .expiring_at(1_700_000_000)
            .with("nested", json!({"a": [1, 2.5, null, true, "x"], "version": "v2"}))
            .with("big", u64::MAX);
        assert_eq!(item_from_map(item_map(&item)), Ok(item));
    }
}
