//! The OpenAPI document and the routers say the same thing: every routed operation is
//! documented, and nothing is documented that is not routed.

use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use stratum_infra::store::sqlite::SqliteStore;
use stratum_shared::clock::SystemClock;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn documented() -> BTreeSet<(String, String)> {
    let document: Value = serde_json::from_str(stratum_system::OPENAPI_DOCUMENT).expect("the document is JSON");
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let operations = item
                .as_object()
                .expect("a path item")
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()));
            operations.map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

fn routed() -> BTreeSet<(String, String)> {
    let clock = Arc::new(SystemClock);
    let store = SqliteStore::in_memory(clock.clone()).unwrap();
    let identity = stratum_tests::identity_on(Arc::new(store), clock);
    stratum::api(stratum_tests::services_of(&identity))
        .routes()
        .iter()
        .map(|route| (route.method.to_string(), route.path.to_string()))
        .collect()
}

#[test]
fn every_routed_operation_is_documented_and_nothing_else() {
    let (documented, routed) = (documented(), routed());
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routed but not in openapi.json: {undocumented:?}"
    );
    assert!(unrouted.is_empty(), "in openapi.json but not routed: {unrouted:?}");
}

#[test]
fn every_documented_operation_has_an_id_and_responses() {
    let document: Value = serde_json::from_str(stratum_system::OPENAPI_DOCUMENT).unwrap();
    let mut ids = BTreeSet::new();
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
            assert!(operation["responses"].is_object(), "{method} {path} has no responses");
        }
    }
}
