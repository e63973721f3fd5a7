//! `template.yaml` deploys what the code is: every function names a package directory and a
//! binary that exist, and the HTTP routes each function is given are exactly the routes its
//! router declares (plus the `$default` route, which the system function answers).

use serde_norway::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use stratum_infra::http::Api;
use stratum_infra::store::sqlite::SqliteStore;
use stratum_shared::clock::SystemClock;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn template() -> Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join("template.yaml")).unwrap();
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

fn functions(template: &Value) -> BTreeMap<String, Value> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::Serverless::Function")
        .map(|(name, resource)| (name.as_str().unwrap().to_owned(), resource.clone()))
        .collect()
}

type Routes = BTreeSet<(String, String)>;

/// The HTTP API routes a function's events give it.
fn deployed_routes(function: &Value) -> Routes {
    let Some(events) = function["Properties"]["Events"].as_mapping() else {
        return Routes::new();
    };
    events
        .values()
        .filter(|event| event["Type"] == "HttpApi")
        .map(|event| {
            let properties = &event["Properties"];
            (
                properties["Method"].as_str().unwrap().to_uppercase(),
                properties["Path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn declared_routes(api: Api) -> Routes {
    api.operations()
        .iter()
        .map(|operation| (operation.method.to_string(), operation.path.to_owned()))
        .collect()
}

/// Each HTTP function's router, by its resource name in the template.
fn routers() -> BTreeMap<&'static str, Routes> {
    let clock = Arc::new(SystemClock);
    let store = SqliteStore::in_memory(clock.clone()).unwrap();
    let identity = stratum_tests::identity_on(Arc::new(store), clock);
    let services = stratum_tests::services_of(&identity);
    let mut system = declared_routes(stratum_system::api());
    system.insert(("ANY".to_owned(), "$default".to_owned()));
    BTreeMap::from([
        ("SystemFunction", system),
        (
            "IdentityFunction",
            declared_routes(stratum_identity::api(services.clone())),
        ),
        (
            "OrganisationsFunction",
            declared_routes(stratum_organisations::api(services.clone())),
        ),
        (
            "InvitationsFunction",
            declared_routes(stratum_invitations::api(services)),
        ),
    ])
}

#[test]
fn every_function_names_a_package_and_a_binary_that_exist() {
    let template = template();
    let functions = functions(&template);
    assert!(functions.len() >= 7, "the template declares the functions");
    for (name, function) in functions {
        let code = function["Properties"]["CodeUri"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has a CodeUri"));
        let manifest = std::fs::read_to_string(Path::new(ROOT).join(code).join("Cargo.toml"))
            .unwrap_or_else(|_| panic!("{name}: {code}/Cargo.toml exists"));
        assert_eq!(
            function["Metadata"]["BuildMethod"], "rust-cargolambda",
            "{name} builds with cargo-lambda"
        );
        let binary = function["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap();
        assert!(
            manifest.contains(&format!("[[bin]]\nname = \"{binary}\"")),
            "{name}: {code}/Cargo.toml declares the binary `{binary}`"
        );
    }
}

#[test]
fn each_function_is_routed_exactly_what_its_router_declares() {
    let template = template();
    let functions = functions(&template);
    let routers = routers();
    for (name, function) in &functions {
        let deployed = deployed_routes(function);
        let declared = routers.get(name.as_str()).cloned().unwrap_or_default();
        assert_eq!(
            deployed.difference(&declared).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "{name} is routed what its router does not declare"
        );
        assert_eq!(
            declared.difference(&deployed).collect::<Vec<_>>(),
            Vec::<&(String, String)>::new(),
            "{name} declares routes template.yaml does not route to it"
        );
    }
    let local: Routes = declared_routes(super::openapi::api());
    let deployed: Routes = routers.values().flatten().cloned().collect();
    assert_eq!(
        local.difference(&deployed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "every route of the local server is deployed"
    );
}
