//! Builds DynamoDB condition and update expressions from the port's conditions and updates,
//! with every name and value bound through placeholders (no reserved-word or injection
//! surprises). The semantics mirror `Condition::holds` and `Update::apply` in the domain.

use super::codec::{DATA, GSI1PK, GSI1SK, GSI2PK, GSI2SK, PK, TTL, VERSION, s, to_attribute};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use stratum_shared::store::{Condition, Update};

pub struct Expression {
    now: i64,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expression {
    pub fn new(now: i64) -> Self {
        Self {
            now,
            names: HashMap::new(),
            values: HashMap::new(),
        }
    }

    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    pub fn name(&mut self, attribute: &str) -> String {
        let placeholder = format!("#{attribute}");
        self.names.insert(placeholder.clone(), attribute.to_owned());
        placeholder
    }

    /// The path of a record attribute inside the data map. Record attribute names are
    /// arbitrary text, so they get numbered placeholders.
    fn data_path(&mut self, attribute: &str) -> String {
        let data = self.name(DATA);
        let placeholder = match self.names.iter().find(|(_, name)| name.as_str() == attribute) {
            Some((placeholder, _)) if placeholder.starts_with("#a") => placeholder.clone(),
            _ => {
                let placeholder = format!("#a{}", self.names.len());
                self.names.insert(placeholder.clone(), attribute.to_owned());
                placeholder
            }
        };
        format!("{data}.{placeholder}")
    }

    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn now(&mut self) -> String {
        let placeholder = ":now".to_owned();
        self.values
            .insert(placeholder.clone(), AttributeValue::N(self.now.to_string()));
        placeholder
    }

    /// Only items that have not expired; for a query's filter.
    pub fn unexpired(&mut self) -> String {
        let (ttl, now) = (self.name(TTL), self.now());
        format!("(attribute_not_exists({ttl}) OR {ttl} > {now})")
    }

    fn live(&mut self) -> String {
        let pk = self.name(PK);
        let unexpired = self.unexpired();
        format!("(attribute_exists({pk}) AND {unexpired})")
    }

    pub fn condition(&mut self, condition: &Condition) -> String {
        match condition {
            Condition::NotExists => {
                let (pk, ttl, now) = (self.name(PK), self.name(TTL), self.now());
                format!("(attribute_not_exists({pk}) OR {ttl} <= {now})")
            }
            Condition::Exists => self.live(),
            Condition::VersionIs(version) => {
                let live = self.live();
                let (name, value) = (self.name(VERSION), self.value(AttributeValue::N(version.to_string())));
                format!("({live} AND {name} = {value})")
            }
            Condition::AttributeEquals(attribute, value) => {
                let live = self.live();
                let (path, value) = (self.data_path(attribute), self.value(to_attribute(value)));
                format!("({live} AND {path} = {value})")
            }
            Condition::AttributeBelow(attribute, bound) => {
                let live = self.live();
                let (path, value) = (
                    self.data_path(attribute),
                    self.value(AttributeValue::N(bound.to_string())),
                );
                format!("({live} AND {path} < {value})")
            }
            Condition::All(conditions) if conditions.is_empty() => {
                let pk = self.name(PK);
                format!("(attribute_exists({pk}) OR attribute_not_exists({pk}))")
            }
            Condition::All(conditions) => {
                let parts: Vec<String> = conditions.iter().map(|c| self.condition(c)).collect();
                format!("({})", parts.join(" AND "))
            }
            Condition::Any(conditions) if conditions.is_empty() => {
                let pk = self.name(PK);
                format!("(attribute_exists({pk}) AND attribute_not_exists({pk}))")
            }
            Condition::Any(conditions) => {
                let parts: Vec<String> = conditions.iter().map(|c| self.condition(c)).collect();
                format!("({})", parts.join(" OR "))
            }
        }
    }

    pub fn update(&mut self, update: &Update) -> String {
        let mut set = Vec::new();
        for (attribute, value) in &update.set {
            let (path, value) = (self.data_path(attribute), self.value(to_attribute(value)));
            set.push(format!("{path} = {value}"));
        }
        for (attribute, by) in &update.add {
            let path = self.data_path(attribute);
            let zero = self.value(AttributeValue::N("0".into()));
            let by = self.value(AttributeValue::N(by.to_string()));
            set.push(format!("{path} = if_not_exists({path}, {zero}) + {by}"));
        }
        for (index_key, (pk_name, sk_name)) in [(&update.gsi1, (GSI1PK, GSI1SK)), (&update.gsi2, (GSI2PK, GSI2SK))] {
            if let Some(key) = index_key {
                let (pk, pk_value) = (self.name(pk_name), self.value(s(&key.pk)));
                let (sk, sk_value) = (self.name(sk_name), self.value(s(&key.sk)));
                set.push(format!("{pk} = {pk_value}, {sk} = {sk_value}"));
            }
        }
        let (version, one) = (self.name(VERSION), self.value(AttributeValue::N("1".into())));
        set.push(format!("{version} = {version} + {one}"));
        let mut expression = format!("SET {}", set.join(", "));
        if !update.remove.is_empty() {
            let paths: Vec<String> = update
                .remove
                .iter()
                .map(|attribute| self.data_path(attribute))
                .collect();
            expression.push_str(&format!(" REMOVE {}", paths.join(", ")));
        }
        expression
    }
}
