//! A request body held against the JSON types its declared schema states, before serde reads
//! it. serde's derive reads a struct from a JSON array of its fields in order as readily as
//! from an object, so a contract that says "object" would otherwise accept `[null, null]`
//! wherever a struct sits (issue 21, item 9). Only `type` is checked here (through `$ref`,
//! `allOf`, `oneOf`/`anyOf`, `properties`, `additionalProperties`, `items` and
//! `prefixItems`); every other rule stays with the parsers, which report it per field.

use serde_json::{Map, Value, json};
use std::sync::Arc;
use stratum_shared::validation::ValidationErrors;
use utoipa::openapi::{RefOr, Schema};

/// A body type's schema with the components it refers to, as the document states them.
#[derive(Clone)]
pub struct BodyShape(Arc<Shape>);

struct Shape {
    root: Value,
    components: Map<String, Value>,
}

/// Where a value's JSON type is not one its schema admits.
#[derive(Debug)]
struct Mismatch {
    field: Vec<String>,
    expected: Vec<String>,
}

const COMPONENTS: &str = "#/components/schemas/";

impl BodyShape {
    /// The shape of the type named `root` among `schemas` (it and every schema it refers
    /// to, by name), as the document declares them.
    pub fn new(root: &str, schemas: Vec<(String, RefOr<Schema>)>) -> BodyShape {
        let components = schemas
            .into_iter()
            .map(|(name, schema)| (name, serde_json::to_value(schema).expect("a schema serialises")))
            .collect();
        BodyShape(Arc::new(Shape {
            root: json!({ "$ref": format!("{COMPONENTS}{root}") }),
            components,
        }))
    }

    /// Every place in the schema where an object is due, as dotted paths (`recipients`,
    /// `ports.0`…; an array's items at index 0), for specs that put an array there.
    pub fn object_positions(&self) -> Vec<String> {
        let mut found = Vec::new();
        self.0.objects_in(&self.0.root, &mut Vec::new(), &mut found, 0);
        found.sort();
        found.dedup();
        found
    }

    /// Ok if every value of `body` has a JSON type its schema admits; otherwise a 422 error at
    /// the first that does not.
    pub fn check(&self, body: &Value) -> Result<(), ValidationErrors> {
        match self.0.mismatch(&self.0.root, body, &mut Vec::new()) {
            None => Ok(()),
            Some(mismatch) => Err(ValidationErrors::single(
                mismatch.field.join("."),
                "invalid_type",
                format!("expected {}", mismatch.expected.join(" or ")),
            )),
        }
    }
}

/// The JSON type of `value` as JSON Schema names it (`integer` for a number without a
/// fractional part).
fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The types a schema's `type` keyword names (a string or an array of them).
fn types(keyword: &Value) -> Vec<&str> {
    match keyword {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

fn admits(keyword: &Value, value: &Value) -> bool {
    let actual = type_of(value);
    let allowed = types(keyword);
    allowed.is_empty()
        || allowed
            .iter()
            .any(|t| *t == actual || (*t == "number" && actual == "integer"))
}

impl Shape {
    fn resolve<'a>(&'a self, reference: &str) -> Option<&'a Value> {
        self.components.get(reference.strip_prefix(COMPONENTS)?)
    }

    fn mismatch(&self, schema: &Value, value: &Value, path: &mut Vec<String>) -> Option<Mismatch> {
        let schema = schema.as_object()?;
        if let Some(target) = schema.get("$ref").and_then(Value::as_str).and_then(|r| self.resolve(r))
            && let Some(found) = self.mismatch(target, value, path)
        {
            return Some(found);
        }
        if let Some(keyword) = schema.get("type")
            && !admits(keyword, value)
        {
            return Some(Mismatch {
                field: path.clone(),
                expected: types(keyword).into_iter().map(str::to_owned).collect(),
            });
        }
        for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            if let Some(found) = self.mismatch(part, value, path) {
                return Some(found);
            }
        }
        for keyword in ["oneOf", "anyOf"] {
            let Some(branches) = schema.get(keyword).and_then(Value::as_array) else {
                continue;
            };
            let mut misses = Vec::new();
            for branch in branches {
                match self.mismatch(branch, value, path) {
                    None => {
                        misses.clear();
                        break;
                    }
                    Some(miss) => misses.push(miss),
                }
            }
            // No branch admits it: the one that got furthest says where and what was due.
            if let Some(deepest) = misses.iter().map(|miss| miss.field.len()).max() {
                let mut at_deepest = misses.into_iter().filter(|miss| miss.field.len() == deepest);
                let mut found = at_deepest.next().expect("at least one");
                for other in at_deepest {
                    found.expected.extend(other.expected);
                }
                found.expected.sort();
                found.expected.dedup();
                return Some(found);
            }
        }
        match value {
            Value::Object(members) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                let additional = schema.get("additionalProperties").filter(|extra| extra.is_object());
                for (name, member) in members {
                    let Some(member_schema) = properties.and_then(|p| p.get(name)).or(additional) else {
                        continue;
                    };
                    path.push(name.clone());
                    let found = self.mismatch(member_schema, member, path);
                    path.pop();
                    if found.is_some() {
                        return found;
                    }
                }
            }
            Value::Array(elements) => {
                let prefix = schema.get("prefixItems").and_then(Value::as_array);
                for (index, element) in elements.iter().enumerate() {
                    let Some(element_schema) = prefix.and_then(|p| p.get(index)).or_else(|| schema.get("items")) else {
                        continue;
                    };
                    path.push(index.to_string());
                    let found = self.mismatch(element_schema, element, path);
                    path.pop();
                    if found.is_some() {
                        return found;
                    }
                }
            }
            _ => {}
        }
        None
    }

    /// Collects the paths where `schema` wants an object (`depth` bounds recursive types).
    fn objects_in(&self, schema: &Value, path: &mut Vec<String>, found: &mut Vec<String>, depth: usize) {
        let Some(schema) = schema.as_object().filter(|_| depth < 16) else {
            return;
        };
        if let Some(target) = schema.get("$ref").and_then(Value::as_str).and_then(|r| self.resolve(r)) {
            self.objects_in(target, path, found, depth + 1);
        }
        if schema
            .get("type")
            .is_some_and(|keyword| types(keyword).contains(&"object"))
        {
            found.push(path.join("."));
        }
        for keyword in ["allOf", "oneOf", "anyOf"] {
            for part in schema.get(keyword).and_then(Value::as_array).into_iter().flatten() {
                self.objects_in(part, path, found, depth + 1);
            }
        }
        for (name, member) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            path.push(name.clone());
            self.objects_in(member, path, found, depth + 1);
            path.pop();
        }
        if let Some(items) = schema.get("items") {
            path.push("0".into());
            self.objects_in(items, path, found, depth + 1);
            path.pop();
        }
    }
}

/// `body` with `replacement` at the dotted `position` (objects and arrays made on the way).
pub fn with_value_at(mut body: Value, position: &str, replacement: Value) -> Value {
    if position.is_empty() {
        return replacement;
    }
    let mut at = &mut body;
    for segment in position.split('.') {
        at = match segment.parse::<usize>() {
            Ok(index) => {
                if !at.is_array() {
                    *at = Value::Array(vec![]);
                }
                let elements = at.as_array_mut().expect("an array");
                while elements.len() <= index {
                    elements.push(Value::Object(Map::new()));
                }
                &mut elements[index]
            }
            Err(_) => {
                if !at.is_object() {
                    *at = Value::Object(Map::new());
                }
                at.as_object_mut()
                    .expect("an object")
                    .entry(segment.to_owned())
                    .or_insert(Value::Object(Map::new()))
            }
        };
    }
    *at = replacement;
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use utoipa::{PartialSchema, ToSchema};

    #[derive(utoipa::ToSchema)]
    #[allow(dead_code)]
    struct Who {
        roles: Vec<String>,
    }

    #[derive(utoipa::ToSchema)]
    #[allow(dead_code)]
    struct Rule {
        name: String,
        recipients: Option<Who>,
        ports: Vec<Who>,
    }

    fn shape() -> BodyShape {
        let mut schemas = vec![(Rule::name().into_owned(), Rule::schema())];
        Rule::schemas(&mut schemas);
        BodyShape::new(&Rule::name(), schemas)
    }

    #[test]
    fn an_array_where_the_schema_says_object_is_refused_at_its_path() {
        let error = |body: Value| {
            let errors = shape().check(&body).unwrap_err();
            (errors.errors()[0].field.clone(), errors.errors()[0].code)
        };
        assert_eq!(
            error(json!({ "name": "x", "recipients": [null, null], "ports": [] })),
            ("recipients".to_owned(), "invalid_type")
        );
        assert_eq!(
            error(json!({ "name": "x", "ports": [{ "roles": [] }, [1]] })),
            ("ports.1".to_owned(), "invalid_type")
        );
        assert_eq!(error(json!(["x", null, []])), (String::new(), "invalid_type"));
        assert!(
            shape()
                .check(&json!({ "name": "x", "recipients": null, "ports": [{ "roles": ["a"] }] }))
                .is_ok()
        );
    }

    #[test]
    fn every_object_position_of_a_schema_is_found() {
        assert_eq!(shape().object_positions(), ["", "ports.0", "recipients"]);
    }
}
