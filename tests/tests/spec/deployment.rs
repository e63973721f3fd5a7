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
fn apis() -> Vec<(&'static str, Api)> {
    let clock = Arc::new(SystemClock);
    let store = SqliteStore::in_memory(clock.clone()).unwrap();
    let identity = stratum_tests::identity_on(Arc::new(store), clock);
    let services = stratum_tests::services_of(&identity);
    let sims = stratum_tests::sims_with(&identity, Arc::new(stratum_infra::jobs::InProcessJobs::new().0));
    let devices = stratum_tests::devices_of(
        &sims,
        Arc::new(stratum_infra::local_gateway::LocalGateway::new("127.0.0.1", 1883)),
    );
    vec![
        ("SystemFunction", stratum_system::api()),
        ("IdentityFunction", stratum_identity::api(services.clone())),
        ("OrganisationsFunction", stratum_organisations::api(services.clone())),
        ("SimsFunction", stratum_sims::api(identity.clone(), sims.clone())),
        ("DevicesFunction", stratum_devices::api(identity.clone(), devices)),
        ("InvitationsFunction", stratum_invitations::api(services)),
    ]
}

/// Each HTTP function's declared routes, by its resource name in the template (the system
/// function also answers `$default`).
fn routers() -> BTreeMap<&'static str, Routes> {
    apis()
        .into_iter()
        .map(|(name, api)| {
            let mut routes = declared_routes(api);
            if name == "SystemFunction" {
                routes.insert(("ANY".to_owned(), "$default".to_owned()));
            }
            (name, routes)
        })
        .collect()
}

const ROUTES_BEGIN: &str = "        # Routes: written from the function's route declarations by\n        # `STRATUM_WRITE_TEMPLATE=1 cargo test -p stratum-tests --test spec deployment`; edit those.\n";
const ROUTES_END: &str = "        # End of routes.\n";

/// A function's route events as the template writes them: one line per declared route, named
/// after its operation id, in declaration order.
fn route_events(api: &Api) -> String {
    api.operations()
        .iter()
        .map(|operation| {
            let mut name = operation.id.to_owned();
            name[..1].make_ascii_uppercase();
            format!(
                "        {name}: {{ Type: HttpApi, Properties: {{ ApiId: !Ref Api, Method: {}, Path: \"{}\" }} }}\n",
                operation.method, operation.path
            )
        })
        .collect()
}

#[test]
fn the_templates_route_events_are_written_from_the_route_declarations() {
    let path = Path::new(ROOT).join("template.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    let write = std::env::var_os("STRATUM_WRITE_TEMPLATE").is_some();
    for (name, api) in apis() {
        let resource = text
            .find(&format!("\n  {name}:\n"))
            .unwrap_or_else(|| panic!("template.yaml declares {name}"));
        let begin = resource
            + text[resource..]
                .find(ROUTES_BEGIN)
                .unwrap_or_else(|| panic!("{name}'s Events begin with the routes marker"))
            + ROUTES_BEGIN.len();
        let end = begin + text[begin..].find(ROUTES_END).expect("the routes end marker");
        let events = route_events(&api);
        if write {
            text.replace_range(begin..end, &events);
        } else {
            assert!(
                text[begin..end] == events,
                "{name}'s route events differ from its declarations: run \
                 STRATUM_WRITE_TEMPLATE=1 cargo test -p stratum-tests --test spec deployment"
            );
        }
    }
    if write {
        std::fs::write(&path, text).unwrap();
    }
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

/// `infra/sam-local.sh`'s preparation, run against the harness's moto: the table as the
/// template declares it, the outbox queues, and an env-vars file giving every function each
/// variable it declares, pointed at moto, with a signing key whose public key is the one the
/// verifying functions get.
#[tokio::test]
async fn sam_local_preparation_makes_moto_ready_for_every_function() {
    let moto = stratum_tests::moto();
    let out = tempfile::tempdir().unwrap();
    let env_file = out.path().join("env.json");
    let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
    let prepared = std::process::Command::new(python)
        .arg(Path::new(ROOT).join("infra/sam_local/prepare.py"))
        .args(["--endpoint", &moto.endpoint, "--out"])
        .arg(&env_file)
        .output()
        .expect("python runs");
    assert!(
        prepared.status.success(),
        "{}",
        String::from_utf8_lossy(&prepared.stderr)
    );

    let config = moto.sdk_config().await;
    let table = aws_sdk_dynamodb::Client::new(&config)
        .describe_table()
        .table_name("stratum-local")
        .send()
        .await
        .expect("the table exists");
    let indexes: BTreeSet<String> = table
        .table()
        .unwrap()
        .global_secondary_indexes()
        .iter()
        .filter_map(|index| index.index_name().map(str::to_owned))
        .collect();
    assert_eq!(indexes, BTreeSet::from(["gsi1".to_owned(), "gsi2".to_owned()]));
    let queues = aws_sdk_sqs::Client::new(&config).list_queues().send().await.unwrap();
    assert!(
        queues
            .queue_urls()
            .iter()
            .any(|url| url.ends_with("/stratum-local-outbox"))
    );

    let env: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&env_file).unwrap()).unwrap();
    let template = template();
    let globals = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap()
        .clone();
    let port = moto.endpoint.rsplit(':').next().unwrap();
    for (name, function) in functions(&template) {
        let variables = &env[&name];
        let own = function["Properties"]["Environment"]["Variables"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        for variable in globals.keys().chain(own.keys()) {
            let variable = variable.as_str().unwrap();
            assert!(variables[variable].is_string(), "{name} gets {variable}");
        }
        assert_eq!(
            variables["STRATUM_AWS_ENDPOINT_URL"],
            format!("http://host.docker.internal:{port}"),
            "{name} reaches moto from its container"
        );
    }
    let identity = &env["IdentityFunction"];
    let signing_key = identity["STRATUM_JWT_SIGNING_KEY"].as_str().unwrap();
    assert_eq!(
        identity["STRATUM_JWT_PUBLIC_KEYS"].as_str(),
        Some(
            stratum_infra::crypto::JwtKeys::public_key(signing_key)
                .unwrap()
                .as_str()
        ),
        "the verifying functions trust the key identity signs with"
    );
    assert!(
        env["OrganisationsFunction"].get("STRATUM_JWT_SIGNING_KEY").is_none(),
        "only identity signs"
    );
    let notifier = &env["NotifierFunction"];
    let mail_key = stratum_infra::sealed_mail::MailKey::new(notifier["STRATUM_MAIL_KEY"].as_str().unwrap()).unwrap();
    assert_eq!(
        identity["STRATUM_MAIL_PUBLIC_KEY"].as_str(),
        Some(mail_key.public_key().as_str()),
        "what every function seals with, the notifier opens"
    );
}

/// Issue 21, L4: the data key (which opens provider secrets and, later, TOTP seeds) is held
/// only where secrets at rest are kept; every function that writes e-mail holds only the
/// notifier's public key, and only the notifier the private key that opens it.
#[test]
fn only_the_notifier_opens_mail_and_only_keepers_of_secrets_hold_the_data_key() {
    let template = template();
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert!(
        globals.get("STRATUM_MAIL_PUBLIC_KEY").is_some(),
        "every function may seal"
    );
    let holding = |variable: &str| -> BTreeSet<String> {
        functions(&template)
            .into_iter()
            .filter(|(_, function)| {
                function["Properties"]["Environment"]["Variables"]
                    .get(variable)
                    .is_some()
            })
            .map(|(name, _)| name)
            .collect()
    };
    assert_eq!(
        holding("STRATUM_DATA_KEY"),
        BTreeSet::from(["OrganisationsFunction".to_owned(), "SimsFunction".to_owned()]),
        "provider secrets (organisations) and activation codes' keyed digests (sims)"
    );
    assert_eq!(
        holding("STRATUM_MAIL_KEY"),
        BTreeSet::from(["NotifierFunction".to_owned()])
    );
}

/// Devices share one IoT policy (issue 13): each statement is confined by the connection's
/// thing name (a device is a thing named by its id) to its own client id and
/// `devices/{thing}/` topics, and connecting needs the certificate attached to that thing.
#[test]
fn one_device_policy_confines_each_device_to_its_own_client_id_and_topics() {
    let document = stratum_tests::device_policy_document();
    let statements = document["Statement"].as_array().unwrap();
    let mut actions = BTreeSet::new();
    for statement in statements {
        let resource = statement["Resource"].as_str().unwrap();
        assert!(
            resource.ends_with(":client/${iot:Connection.Thing.ThingName}")
                || resource.contains("/devices/${iot:Connection.Thing.ThingName}/"),
            "{resource}"
        );
        match &statement["Action"] {
            serde_json::Value::String(action) => actions.insert(action.clone()),
            listed => listed
                .as_array()
                .unwrap()
                .iter()
                .all(|action| actions.insert(action.as_str().unwrap().to_owned())),
        };
        if statement["Effect"] == "Deny" {
            assert_eq!(
                (statement["Action"].as_str(), resource.ends_with("/commands")),
                (Some("iot:Publish"), true),
                "a device never publishes commands"
            );
        }
        if statement["Action"] == "iot:Connect" {
            assert_eq!(
                statement["Condition"]["Bool"]["iot:Connection.Thing.IsAttached"],
                "true"
            );
        }
    }
    assert_eq!(
        actions,
        ["iot:Connect", "iot:Publish", "iot:Receive", "iot:Subscribe"]
            .map(str::to_owned)
            .into()
    );
}
