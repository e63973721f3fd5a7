//! The OpenAPI document is generated from the route declarations: the copy the system
//! function serves is exactly what the declarations generate, and it describes every route.
//! `STRATUM_WRITE_OPENAPI=1 cargo test -p stratum-tests --test spec openapi` rewrites the copy.

use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use stratum_infra::store::sqlite::SqliteStore;
use stratum_shared::clock::SystemClock;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const COPY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../functions/system/openapi.json");

pub(crate) fn api() -> stratum_infra::http::Api {
    let clock = Arc::new(SystemClock);
    let store = SqliteStore::in_memory(clock.clone()).unwrap();
    let identity = stratum_tests::identity_on(Arc::new(store), clock);
    stratum_tests::api_of(&identity)
}

fn generated() -> String {
    let document = api().document(stratum_system::VERSION);
    serde_json::to_string_pretty(&document).unwrap() + "\n"
}

#[test]
fn the_served_document_is_the_one_the_route_declarations_generate() {
    let generated = generated();
    if std::env::var_os("STRATUM_WRITE_OPENAPI").is_some() {
        std::fs::write(COPY, &generated).unwrap();
        return;
    }
    assert!(
        generated == stratum_system::OPENAPI_DOCUMENT,
        "functions/system/openapi.json is not what the route declarations generate; rewrite it with\n  \
         STRATUM_WRITE_OPENAPI=1 cargo test -p stratum-tests --test spec openapi"
    );
}

#[test]
fn every_declared_route_is_documented_once_with_an_id_and_its_statuses() {
    let document: Value = serde_json::from_str(&generated()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let mut ids = BTreeSet::new();
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| METHODS.contains(&k.as_str()))
        {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path} documents server errors");
            for (status, response) in responses {
                if !status.starts_with('2') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status} is problem+json"
                    );
                }
            }
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let declared: BTreeSet<_> = api()
        .operations()
        .iter()
        .map(|operation| (operation.method.to_string(), operation.path.to_owned()))
        .collect();
    assert_eq!(documented, declared);
}

#[test]
fn seed_002s_organisation_payload_is_documented_field_for_field() {
    let document: Value = serde_json::from_str(&generated()).unwrap();
    let request = &document["components"]["schemas"]["OrganisationRequest"];
    let fields: BTreeSet<&str> = request["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for field in [
        "name",
        "type",
        "company_registered_date",
        "address",
        "email",
        "phone",
        "country_code",
    ] {
        assert!(fields.contains(field), "seed 002's `{field}` is in the request schema");
    }
    assert_eq!(request["required"], serde_json::json!(["name"]));
    assert_eq!(request["additionalProperties"], false);
    let details = &document["components"]["schemas"]["OrganisationDetails"]["properties"];
    for field in [
        "type",
        "company_registered_date",
        "address",
        "email",
        "phone",
        "country_code",
    ] {
        assert!(details[field].is_object(), "seed 002's `{field}` is in the answer");
    }
    let answer = document["components"]["schemas"]["OrganisationView"].to_string();
    assert!(
        answer.contains("#/components/schemas/OrganisationDetails"),
        "the answer carries the details"
    );
}
