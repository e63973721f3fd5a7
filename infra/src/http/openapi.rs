//! The OpenAPI 3.1 document, written from the route declarations: operations from each
//! [`Operation`], schemas from the Rust types' `utoipa::ToSchema` (decision 53).

use super::operation::{Access, Body, Operation};
use super::paging::{DEFAULT_LIMIT, MAX_LIMIT};
use super::problem::PROBLEM_JSON;
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

const DESCRIPTION: &str = "Multi-tenant IoT and SIM platform. Errors are application/problem+json \
(RFC 9457) with a stable `code`; validation errors list `errors: [{field, code, message}]`. Every \
response carries `X-Request-Id`. Generated from the route declarations; do not edit.";

/// What each error status means, for every operation that can answer it.
fn error_description(status: u16) -> &'static str {
    match status {
        401 => "Missing or invalid credentials.",
        403 => "Inside the caller's scope but not permitted, or refused for a stated reason (`code`).",
        404 => "Unknown, or outside the caller's scope.",
        409 => "An invariant or uniqueness rule refused the change (`code` says which).",
        410 => "Used, expired or revoked (`code` says which).",
        412 => "`If-Match` names a version other than the current one.",
        413 => "The request body is larger than the limit.",
        415 => "The request body must be JSON (`Content-Type: application/json`).",
        422 => "Invalid input; `errors` lists each field's problem.",
        429 => "Too many attempts; see `Retry-After`.",
        500 => "Something failed on our side; the request id finds it in the logs.",
        _ => "An error.",
    }
}

fn success_description(status: u16) -> &'static str {
    match status {
        201 => "Created.",
        202 => "Accepted.",
        204 => "Done; nothing to return.",
        _ => "OK.",
    }
}

/// The document for `operations`, titled with the crate version.
pub fn document(operations: &[Operation], version: &str) -> Value {
    let mut schemas: Vec<(String, RefOr<Schema>)> = Vec::new();
    let mut paths = Map::new();
    for operation in operations {
        let item = paths
            .entry(operation.path.to_owned())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item is an object");
        let method = operation.method.as_str().to_ascii_lowercase();
        assert!(
            item.insert(method, describe(operation, &mut schemas)).is_none(),
            "{} {} is declared twice",
            operation.method,
            operation.path
        );
    }
    let mut components = Map::new();
    for (name, schema) in schemas {
        let schema = serde_json::to_value(schema).expect("a schema serialises");
        if let Some(existing) = components.get(&name) {
            assert_eq!(existing, &schema, "two types are named {name} in the document");
        }
        components.insert(name, schema);
    }
    components.insert("Problem".to_owned(), problem_schema());
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Stratum API", "version": version, "description": DESCRIPTION },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA), 15 minutes" },
                "apiKey": { "type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "Machine API key (`stm_…`)." }
            }
        }
    })
}

fn describe(operation: &Operation, schemas: &mut Vec<(String, RefOr<Schema>)>) -> Value {
    let mut described = json!({
        "operationId": operation.id,
        "summary": operation.summary,
        "tags": [operation.tag],
        "security": security(operation.access),
    });
    let mut parameters: Vec<Value> = operation
        .path_parameters()
        .map(|name| {
            let schema = operation
                .path_schemas
                .iter()
                .find(|(declared, _)| *declared == name)
                .map(|(_, schema)| schema.clone())
                .unwrap_or_else(|| {
                    assert!(
                        name.ends_with("_id"),
                        "{}: declare the schema of path parameter {name}",
                        operation.id
                    );
                    json!({ "type": "string", "format": "uuid" })
                });
            json!({ "name": name, "in": "path", "required": true, "schema": schema })
        })
        .collect();
    if operation.paged {
        parameters.push(json!({ "name": "limit", "in": "query", "required": false,
            "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT } }));
        parameters.push(json!({ "name": "cursor", "in": "query", "required": false,
            "description": "`next_cursor` of the previous page, as given.",
            "schema": { "type": "string", "minLength": 1 } }));
    }
    for (name, schema, description) in &operation.query {
        parameters.push(
            json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema }),
        );
    }
    if operation.if_match {
        parameters.push(json!({ "name": "If-Match", "in": "header", "required": false,
            "description": "The `ETag` last read, or `*` for whatever is current; 412 when it is not the current version.",
            "schema": { "type": "string" } }));
    }
    if !parameters.is_empty() {
        described["parameters"] = Value::Array(parameters);
    }
    if let Some(request) = operation.request {
        (request.collect)(schemas);
        described["requestBody"] = if let Some(format) = operation.rows {
            let array = json!({ "type": "array", "minItems": 1, "items": {
                "type": "object",
                "description": format!("A row with the fields of {} ({}); a row that does not parse is reported, not refused.",
                    (request.name)(), request.reference()["$ref"].as_str().unwrap_or_default())
            } });
            let json_form = match format.wrapper {
                None => array,
                Some(key) => json!({ "type": "object", "required": [key], "additionalProperties": false,
                    "properties": { key: array } }),
            };
            json!({
                "required": true,
                "content": {
                    "application/json": { "schema": json_form },
                    "text/csv": { "schema": { "type": "string", "minLength": 1,
                        "description": "A header row naming the columns (the fields of the JSON form), then one row per item." } }
                }
            })
        } else {
            json!({
                "required": true,
                "content": { "application/json": { "schema": request.reference() } }
            })
        };
    }
    let mut responses = Map::new();
    for status in operation.statuses() {
        let response = if status == operation.success || operation.also_success.contains(&status) {
            success(operation, status, schemas)
        } else {
            json!({
                "description": error_description(status),
                "content": { PROBLEM_JSON: { "schema": { "$ref": "#/components/schemas/Problem" } } }
            })
        };
        responses.insert(status.to_string(), response);
    }
    described["responses"] = Value::Object(responses);
    described
}

fn success(operation: &Operation, status: u16, schemas: &mut Vec<(String, RefOr<Schema>)>) -> Value {
    let schema = match operation.answer {
        Body::Empty => None,
        Body::AnyJson => Some(json!({ "type": "object" })),
        Body::Json(payload) => {
            (payload.collect)(schemas);
            Some(payload.reference())
        }
        Body::Page(payload) => {
            (payload.collect)(schemas);
            Some(json!({
                "type": "object",
                "required": ["items", "next_cursor"],
                "properties": {
                    "items": { "type": "array", "items": payload.reference() },
                    "next_cursor": { "type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last." }
                }
            }))
        }
    };
    let mut response = json!({ "description": success_description(status) });
    if let Some(schema) = schema {
        response["content"] = json!({ operation.media_type: { "schema": schema } });
    }
    if operation.etag {
        response["headers"] = json!({ "ETag": { "description": "The resource's version, for `If-Match`.", "schema": { "type": "string" } } });
    }
    response
}

fn security(access: Access) -> Value {
    match access {
        Access::Public => json!([]),
        Access::Persons => json!([{ "bearer": [] }]),
        _ => json!([{ "bearer": [] }, { "apiKey": [] }]),
    }
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": { "type": "string", "examples": ["urn:stratum:problem:validation_failed"] },
            "title": { "type": "string" },
            "status": { "type": "integer" },
            "detail": { "type": "string" },
            "code": { "type": "string", "description": "Stable machine-readable code." },
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "code", "message"],
                    "properties": {
                        "field": { "type": "string", "description": "Dotted path of the offending input, e.g. `address.country_code`." },
                        "code": { "type": "string" },
                        "message": { "type": "string" }
                    }
                }
            }
        }
    })
}
