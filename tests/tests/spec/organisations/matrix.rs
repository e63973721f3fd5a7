//! The authorisation matrix: every route against every kind of caller, each cell asserting
//! the status SPEC §3 implies — 401 without valid credentials, 404 outside the caller's
//! scope, 403 inside it without the permission, and otherwise an answer past authorisation
//! (a domain answer such as 409 or 422 counts; a server error never does). Every route that
//! names an organisation runs twice: on a root and on one of its companies, where roles on
//! the root apply and roles on a sibling company do not. A route that is not classified here
//! fails the test, so every new route joins the matrix.

use super::{add, company, organisation};
use crate::world::{Person, Reply, World};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use stratum_infra::http::Access;
use stratum_shared::accounts::Role;
use stratum_shared::audit::RequestContext;
use stratum_shared::ids::{OrganisationId, UserId};
use stratum_shared::keys;
use stratum_shared::store::Update;
use stratum_shared::tenancy::role_grants;

both_entry_points!(every_route_answers_every_kind_of_caller_as_the_permission_table_says);

/// The routes anyone may call without credentials, listed here on their own: a route declared
/// `Access::Public` by mistake would otherwise drop out of the matrix unnoticed.
#[test]
fn the_routes_open_to_anyone_are_exactly_these() {
    let clock = std::sync::Arc::new(stratum_shared::clock::SystemClock);
    let store = stratum_infra::store::sqlite::SqliteStore::in_memory(clock.clone()).unwrap();
    let identity = stratum_tests::identity_on(std::sync::Arc::new(store), clock);
    let public: BTreeSet<String> = stratum_tests::api_of(&identity)
        .operations()
        .iter()
        .filter(|operation| operation.access == Access::Public)
        .map(|operation| format!("{} {}", operation.method, operation.path))
        .collect();
    let expected = [
        "GET /.well-known/jwks.json",
        "GET /api/health",
        "GET /api/invitations/{token}",
        "GET /api/openapi.json",
        "POST /api/auth/confirm-email",
        "POST /api/auth/login",
        "POST /api/auth/logout",
        "POST /api/auth/password/forgot",
        "POST /api/auth/password/reset",
        "POST /api/auth/refresh",
        "POST /api/auth/register",
        "POST /api/membership/accept",
        "POST /api/membership/block",
    ];
    assert_eq!(public, expected.iter().map(|route| route.to_string()).collect());
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    PlatformAdmin,
    RootOwner,
    RootBillingAdmin,
    RootOperator,
    RootViewer,
    CompanyOwner,
    CompanyBillingAdmin,
    CompanyOperator,
    CompanyViewer,
    SiblingCompanyMember,
    OtherOrganisationOwner,
    SupportEngineerWithoutGrant,
    SuspendedUser,
    Machine,
    OtherOrganisationsApiKey,
    Anonymous,
}

use Who::*;

const EVERYONE: [Who; 16] = [
    PlatformAdmin,
    RootOwner,
    RootBillingAdmin,
    RootOperator,
    RootViewer,
    CompanyOwner,
    CompanyBillingAdmin,
    CompanyOperator,
    CompanyViewer,
    SiblingCompanyMember,
    OtherOrganisationOwner,
    SupportEngineerWithoutGrant,
    SuspendedUser,
    Machine,
    OtherOrganisationsApiKey,
    Anonymous,
];
/// Members of the root organisation (the machine holds `viewer`).
const ROOT_STAFF: [Who; 5] = [RootOwner, RootBillingAdmin, RootOperator, RootViewer, Machine];
/// Members of the company the company cells run on.
const COMPANY_STAFF: [Who; 4] = [CompanyOwner, CompanyBillingAdmin, CompanyOperator, CompanyViewer];

/// Which organisation a cell's path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Root,
    Company,
}

/// The roles a caller holds that apply in `scope` (SPEC §3: root roles reach its companies).
fn roles(who: Who, scope: Scope) -> Vec<Role> {
    let on_root = match who {
        RootOwner | RootBillingAdmin => vec![Role::Owner, Role::BillingAdmin],
        RootOperator => vec![Role::Operator],
        RootViewer | Machine => vec![Role::Viewer],
        _ => vec![],
    };
    let on_company = match (scope, who) {
        (Scope::Company, CompanyOwner) => vec![Role::Owner],
        (Scope::Company, CompanyBillingAdmin) => vec![Role::Owner, Role::BillingAdmin],
        (Scope::Company, CompanyOperator) => vec![Role::Operator],
        (Scope::Company, CompanyViewer) => vec![Role::Viewer],
        _ => vec![],
    };
    [on_root, on_company].concat()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Unauthenticated,
    NotFound,
    Forbidden,
    /// Past authorisation: success, or a domain answer such as 409 or 422.
    Authorised,
    /// A 429 or a 5xx: never what any cell expects.
    Unexpected,
}

fn outcome(reply: &Reply) -> Outcome {
    match reply.status {
        401 => Outcome::Unauthenticated,
        403 => Outcome::Forbidden,
        404 => Outcome::NotFound,
        429 | 500..=599 => Outcome::Unexpected,
        _ => Outcome::Authorised,
    }
}

/// The answer a route's declared [`Access`] implies for `who` on `scope`.
fn expected(access: Access, who: Who, scope: Scope) -> Outcome {
    if matches!(who, Anonymous | SuspendedUser) {
        return Outcome::Unauthenticated;
    }
    let roles = roles(who, scope);
    let in_scope = !roles.is_empty();
    let permitted = |allowed: bool| match (allowed, in_scope) {
        (true, _) => Outcome::Authorised,
        (false, true) => Outcome::Forbidden,
        (false, false) => Outcome::NotFound,
    };
    match access {
        Access::Public => unreachable!("public routes are not in the caller matrix"),
        Access::Authenticated => Outcome::Authorised,
        Access::Persons if matches!(who, Machine | OtherOrganisationsApiKey) => Outcome::Forbidden,
        Access::Persons => Outcome::Authorised,
        Access::PlatformAdmins if who == PlatformAdmin => Outcome::Authorised,
        Access::PlatformAdmins | Access::OwnOnly => Outcome::NotFound,
        // A platform admin is no billing admin: 403 on a root and on a company alike, before
        // anything of the body or the organisation's place is looked at.
        Access::Organisation { admin, .. } if who == PlatformAdmin => {
            if admin {
                Outcome::Authorised
            } else {
                Outcome::Forbidden
            }
        }
        Access::Organisation { permission, .. } => permitted(roles.iter().any(|role| role_grants(*role, permission))),
        Access::DeleteOrganisation if who == PlatformAdmin => Outcome::Authorised,
        Access::DeleteOrganisation => permitted(match scope {
            Scope::Root => who == RootOwner,
            Scope::Company => matches!(who, RootOwner | RootBillingAdmin),
        }),
        Access::LeaveOrganisation if who == PlatformAdmin => Outcome::NotFound,
        Access::LeaveOrganisation => match scope {
            Scope::Root => permitted(ROOT_STAFF.contains(&who)),
            Scope::Company if COMPANY_STAFF.contains(&who) => Outcome::Authorised,
            Scope::Company => Outcome::NotFound,
        },
    }
}

/// How a caller authenticates.
#[derive(Debug, Clone)]
enum Credential {
    Bearer(String),
    ApiKey(String),
    None,
}

pub(crate) struct Fixture {
    pub(crate) root: String,
    /// A company of the root, where the company callers hold their roles.
    company: String,
    pub(crate) owner: Person,
    pub(crate) viewer: Person,
    removable: Person,
    company_viewer: Person,
    company_removable: Person,
    pub(crate) target_user: Person,
    machine: String,
    callers: Vec<(Who, Credential, Option<Person>)>,
    pub(crate) admin: Person,
    sims: SimFixture,
    /// A device model and a device of it, the platform admin's.
    devices: (String, String),
    /// A device import job, the platform admin's.
    device_import: String,
    /// An environment and a map marker of the root.
    places: (String, String),
    /// Devices handed to the root: one left there, one placed in the company.
    organisation_devices: (String, String),
    /// An alert rule of the root, and an alert it raised on each of those devices.
    alert_rule: String,
    alerts: (String, String),
}

fn alert_rule_body() -> Value {
    json!({ "name": "Matrix hot", "port": 1, "condition": ">", "value": 40, "severity": "minor" })
}

/// An alert rule of `root`, and the alerts it raises when both devices report 50 °C.
async fn alert_fixture(
    world: &World,
    owner: &Person,
    root: &str,
    devices: &(String, String),
) -> (String, (String, String)) {
    let rule = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/alert-rules"),
            owner.token(),
            Some(alert_rule_body()),
        )
        .await;
    assert_eq!(rule.status, 201, "{rule:?}");
    let ingest = stratum_tests::telemetry_of(&world.sims);
    let mut alerts = Vec::new();
    for device in [&devices.0, &devices.1] {
        let message = json!({ "ts": "2026-03-01T08:59:00Z", "seq": 1, "values": { "1": 900 } });
        let envelope = stratum_shared::telemetry::Envelope {
            device_id: device.clone(),
            client_id: device.clone(),
            received_at: None,
            message: message.as_object().unwrap().clone(),
        };
        ingest.ingest(&envelope).await.unwrap();
        let listed = world
            .call(
                "GET",
                &format!("/api/organisations/{root}/alerts?device_id={device}"),
                owner.token(),
                None,
            )
            .await;
        alerts.push(
            listed.body["items"][0]["id"]
                .as_str()
                .expect("an alert raised")
                .to_owned(),
        );
    }
    (
        rule.body["id"].as_str().unwrap().to_owned(),
        (alerts[0].clone(), alerts[1].clone()),
    )
}

async fn organisation_devices(
    world: &World,
    admin: &Person,
    owner: &Person,
    model: &str,
    root: &str,
    company: &str,
) -> (String, String) {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let device = world
            .call(
                "POST",
                "/api/devices",
                admin.token(),
                Some(json!({ "imei": fresh_imei(), "model_id": model })),
            )
            .await;
        let id = device.body["id"].as_str().unwrap().to_owned();
        let handed = world
            .call(
                "PUT",
                &format!("/api/devices/{id}/organisation"),
                admin.token(),
                Some(json!({ "organisation_id": root })),
            )
            .await;
        assert_eq!(handed.status, 200, "{handed:?}");
        ids.push(id);
    }
    let placed = world
        .call(
            "PATCH",
            &format!("/api/organisations/{root}/devices/{}", ids[1]),
            owner.token(),
            Some(json!({ "company_id": company })),
        )
        .await;
    assert_eq!(placed.status, 200, "{placed:?}");
    (ids[0].clone(), ids[1].clone())
}

fn model_body() -> Value {
    json!({ "name": "Matrix tracker", "manufacturer": "Acme", "ports": [{ "number": 1, "name": "Temperature", "kind": "analog", "unit": "°C", "scale": 0.1, "offset": -40 }], "inactivity_timeout_seconds": 3600 })
}

/// An IMEI no test has used (14 random digits; the check digit is completed).
fn fresh_imei() -> String {
    format!("35{:012}", uuid::Uuid::new_v4().as_u128() % 1_000_000_000_000)
}

fn place_body(kind: &str) -> Value {
    match kind {
        "environments" => json!({ "name": "Matrix depot", "kind": "facility" }),
        _ => json!({ "label": "Matrix", "icon": "pin", "colour": "#000000", "applies_to": { "status": "active" } }),
    }
}

/// A new environment or map marker (`kind`: the collection's path segment) of `root`.
async fn place(world: &World, owner: &Person, root: &str, kind: &str) -> String {
    let created = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/{kind}"),
            owner.token(),
            Some(place_body(kind)),
        )
        .await;
    assert_eq!(created.status, 201, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

async fn device_fixture(world: &World, admin: &Person) -> (String, String) {
    let model = world
        .call("POST", "/api/device-models", admin.token(), Some(model_body()))
        .await;
    assert_eq!(model.status, 201, "{model:?}");
    let model = model.body["id"].as_str().unwrap().to_owned();
    let device = world
        .call(
            "POST",
            "/api/devices",
            admin.token(),
            Some(json!({ "imei": fresh_imei(), "model_id": model })),
        )
        .await;
    assert_eq!(device.status, 201, "{device:?}");
    (model, device.body["id"].as_str().unwrap().to_owned())
}

/// SIM resources, per scope where they differ: (root, company).
struct SimFixture {
    contract: String,
    plans: (String, String),
    sims: (String, String),
    jobs: (String, String),
    /// A company's SIM and its activation code: the first claim takes it, the others find it
    /// claimed.
    claimable: (String, String),
    rules: (String, String),
    bulk_jobs: (String, String),
}

fn rule_body() -> Value {
    json!({ "name": "Matrix rule", "kind": "data_usage", "threshold_mb": 1000, "actions": ["notify"], "recipients": { "roles": ["owner"] } })
}

/// An ICCID no test has used.
fn fresh_iccid() -> String {
    crate::sims::iccid((uuid::Uuid::new_v4().as_u128() % 100_000_000_000_000) as u64)
}

async fn sim_fixture(world: &World, owner: &Person, root: &str, company: &str) -> SimFixture {
    let created = |path: String, body: Value| async move {
        let reply = world.call("POST", &path, owner.token(), Some(body)).await;
        assert!((200..=202).contains(&reply.status), "{path}: {reply:?}");
        reply.body["id"]
            .as_str()
            .or(reply.body["iccid"].as_str())
            .unwrap()
            .to_owned()
    };
    let plan = json!({ "name": "Matrix", "data_mb": 1, "sms": 1, "voice_minutes": 1, "billing_period": "monthly", "price_minor": 1, "currency": "EUR" });
    SimFixture {
        contract: created(format!("/api/organisations/{root}/operator-contracts"), contract_body()).await,
        plans: (
            created(format!("/api/organisations/{root}/plans"), plan.clone()).await,
            created(format!("/api/organisations/{company}/plans"), plan).await,
        ),
        sims: (
            created(
                format!("/api/organisations/{root}/sims"),
                json!({ "iccid": fresh_iccid() }),
            )
            .await,
            created(
                format!("/api/organisations/{company}/sims"),
                json!({ "iccid": fresh_iccid() }),
            )
            .await,
        ),
        jobs: (
            created(
                format!("/api/organisations/{root}/sims/import"),
                json!([{ "iccid": fresh_iccid() }]),
            )
            .await,
            created(
                format!("/api/organisations/{company}/sims/import"),
                json!([{ "iccid": fresh_iccid() }]),
            )
            .await,
        ),
        rules: (
            created(format!("/api/organisations/{root}/sim-rules"), rule_body()).await,
            created(format!("/api/organisations/{company}/sim-rules"), rule_body()).await,
        ),
        bulk_jobs: (
            created(
                format!("/api/organisations/{root}/sims/bulk"),
                json!({ "action": "suspend", "filter": {} }),
            )
            .await,
            created(
                format!("/api/organisations/{company}/sims/bulk"),
                json!({ "action": "suspend", "filter": {} }),
            )
            .await,
        ),
        claimable: claimable(world, owner, company).await,
    }
}

async fn claimable(world: &World, owner: &Person, company: &str) -> (String, String) {
    let number = fresh_iccid();
    let sims = format!("/api/organisations/{company}/sims");
    let added = world
        .call("POST", &sims, owner.token(), Some(json!({ "iccid": number })))
        .await;
    assert_eq!(added.status, 201, "{added:?}");
    let codes = world
        .call(
            "POST",
            &format!("{sims}/activation-codes"),
            owner.token(),
            Some(json!({ "iccids": [number] })),
        )
        .await;
    let code = codes.body["items"][0]["activation_code"].as_str().unwrap().to_owned();
    (number, code)
}

fn contract_body() -> Value {
    json!({ "operator_name": "Matrix Mobile", "country": "de", "mcc": "262", "mnc": "01", "contract_reference": "M-1" })
}

async fn api_key(world: &World, owner: &Person, organisation: &str) -> (String, String) {
    let machine = world
        .call(
            "POST",
            &format!("/api/organisations/{organisation}/machines"),
            owner.token(),
            Some(json!({ "name": "bot" })),
        )
        .await;
    let machine_id = machine.body["user_id"].as_str().unwrap().to_owned();
    let key = world
        .call(
            "POST",
            &format!("/api/machines/{machine_id}/api-keys"),
            owner.token(),
            Some(json!({})),
        )
        .await;
    (machine_id, key.body["key_value"].as_str().unwrap().to_owned())
}

pub(crate) async fn fixture(world: &World) -> Fixture {
    let admin = world.admin().await;
    let owner = world.person("owner").await;
    let root = organisation(world, &owner, "Root").await;
    let child = company(world, &owner, &root, "Company").await;
    let sibling = company(world, &owner, &root, "Sibling").await;
    let mut callers = vec![
        (
            PlatformAdmin,
            Credential::Bearer(admin.access.clone()),
            Some(admin.clone()),
        ),
        (RootOwner, Credential::Bearer(owner.access.clone()), Some(owner.clone())),
    ];
    for (who, organisation, roles) in [
        (RootBillingAdmin, &root, &["owner", "billing_admin"][..]),
        (RootOperator, &root, &["operator"]),
        (RootViewer, &root, &["viewer"]),
        (CompanyOwner, &child, &["owner"]),
        (CompanyBillingAdmin, &child, &["owner", "billing_admin"]),
        (CompanyOperator, &child, &["operator"]),
        (CompanyViewer, &child, &["viewer"]),
        (SiblingCompanyMember, &sibling, &["member"]),
    ] {
        let person = world.person(&format!("{who:?}").to_lowercase()).await;
        add(world, &owner, organisation, &person, roles).await;
        callers.push((who, Credential::Bearer(person.access.clone()), Some(person)));
    }
    let other = world.person("other").await;
    let other_root = organisation(world, &other, "Elsewhere").await;
    callers.push((
        OtherOrganisationOwner,
        Credential::Bearer(other.access.clone()),
        Some(other.clone()),
    ));
    let support = world.person("support").await;
    let promote = Update::new(keys::user(UserId::parse(&support.id, "id").unwrap()))
        .set("platform_roles", json!(["support_engineer"]));
    world.identity.store.update(promote).await.unwrap();
    callers.push((
        SupportEngineerWithoutGrant,
        Credential::Bearer(support.access.clone()),
        Some(support),
    ));
    let suspended = world.person("suspended").await;
    add(world, &owner, &root, &suspended, &["viewer"]).await;
    let admin_token = callers[0].1.clone();
    let Credential::Bearer(admin_access) = admin_token else {
        unreachable!()
    };
    assert_eq!(
        world
            .call(
                "POST",
                &format!("/api/users/{}/suspend", suspended.id),
                Some(&admin_access),
                None
            )
            .await
            .status,
        200
    );
    callers.push((SuspendedUser, Credential::Bearer(suspended.access.clone()), None));
    let (machine, key) = api_key(world, &owner, &root).await;
    callers.push((Machine, Credential::ApiKey(key), None));
    let (_, other_key) = api_key(world, &other, &other_root).await;
    callers.push((OtherOrganisationsApiKey, Credential::ApiKey(other_key), None));
    callers.push((Anonymous, Credential::None, None));
    assert_eq!(callers.iter().map(|(who, ..)| *who).collect::<Vec<_>>(), EVERYONE);

    let person_of = |wanted: Who| {
        callers
            .iter()
            .find(|(who, ..)| *who == wanted)
            .and_then(|(.., p)| p.clone())
            .unwrap()
    };
    let (viewer, company_viewer) = (person_of(RootViewer), person_of(CompanyViewer));
    let removable = world.person("removable").await;
    add(world, &owner, &root, &removable, &["viewer"]).await;
    let company_removable = world.person("companyremovable").await;
    add(world, &owner, &child, &company_removable, &["member"]).await;
    let target_user = world.person("target").await;
    let provider = json!({ "public_id": "pk_test", "secret": "sk_test_x" });
    let configured = world
        .call(
            "PUT",
            &format!("/api/organisations/{root}/payment-providers/stripe"),
            owner.token(),
            Some(provider),
        )
        .await;
    assert_eq!(configured.status, 200, "a provider to read");
    let sims = sim_fixture(world, &owner, &root, &child).await;
    let devices = device_fixture(world, &admin).await;
    let device_import = world
        .call(
            "POST",
            "/api/devices/imports",
            admin.token(),
            Some(json!({ "devices": [{ "imei": fresh_imei(), "model_id": devices.0 }] })),
        )
        .await;
    assert_eq!(device_import.status, 200, "{device_import:?}");
    let device_import = device_import.body["id"].as_str().unwrap().to_owned();
    let places = (
        place(world, &owner, &root, "environments").await,
        place(world, &owner, &root, "map-markers").await,
    );
    let organisation_devices = organisation_devices(world, &admin, &owner, &devices.0, &root, &child).await;
    let (alert_rule, alerts) = alert_fixture(world, &owner, &root, &organisation_devices).await;
    Fixture {
        root,
        company: child,
        owner,
        viewer,
        removable,
        company_viewer,
        company_removable,
        target_user,
        machine,
        callers,
        admin,
        sims,
        devices,
        device_import,
        places,
        organisation_devices,
        alert_rule,
        alerts,
    }
}

/// The concrete request for a route template, and the body it sends.
pub(crate) async fn request(
    world: &World,
    fixture: &Fixture,
    method: &str,
    template: &str,
    scope: Scope,
) -> (String, Option<Value>) {
    let organisation = match scope {
        Scope::Root => &fixture.root,
        Scope::Company => &fixture.company,
    };
    let pick = |(root, company): &(String, String)| match scope {
        Scope::Root => root.clone(),
        Scope::Company => company.clone(),
    };
    let mut path = template
        .replace("{organisation_id}", organisation)
        .replace("{contract_id}", &fixture.sims.contract)
        .replace("{plan_id}", &pick(&fixture.sims.plans))
        .replace("{iccid}", &pick(&fixture.sims.sims))
        .replace(
            "{job_id}",
            &if template.starts_with("/api/devices/") {
                fixture.device_import.clone()
            } else {
                pick(if template.contains("/bulk/") {
                    &fixture.sims.bulk_jobs
                } else {
                    &fixture.sims.jobs
                })
            },
        )
        .replace("{model_id}", &fixture.devices.0)
        .replace(
            "{device_id}",
            &if template.starts_with("/api/organisations/") {
                pick(&fixture.organisation_devices)
            } else {
                fixture.devices.1.clone()
            },
        )
        .replace("{alert_id}", &pick(&fixture.alerts))
        .replace("{machine_id}", &fixture.machine)
        .replace("{port}", "1")
        .replace("{session_id}", &uuid::Uuid::new_v4().to_string())
        .replace("{provider}", "stripe");
    let member = match (scope, method == "DELETE") {
        (Scope::Root, true) => &fixture.removable,
        (Scope::Root, false) => &fixture.viewer,
        (Scope::Company, true) => &fixture.company_removable,
        (Scope::Company, false) => &fixture.company_viewer,
    };
    path = path.replace(
        "{user_id}",
        if template.starts_with("/api/users/") {
            &fixture.target_user.id
        } else {
            &member.id
        },
    );
    if path.contains("{invitation_id}") {
        // A fresh pending invitation each time, so every allowed caller finds one.
        let invitations = format!("/api/organisations/{organisation}/invitations");
        let email = crate::world::address("invitee");
        let created = world
            .call(
                "POST",
                &invitations,
                fixture.owner.token(),
                Some(json!({ "email": email })),
            )
            .await;
        path = path.replace("{invitation_id}", created.body["invitation"]["id"].as_str().unwrap());
    }
    if path.contains("{rule_id}") && template.contains("/alert-rules/") {
        // Deleting takes a fresh rule each time, so every allowed caller finds one.
        let rule = if method == "DELETE" {
            let rules = format!("/api/organisations/{}/alert-rules", fixture.root);
            let created = world
                .call("POST", &rules, fixture.owner.token(), Some(alert_rule_body()))
                .await;
            created.body["id"].as_str().unwrap().to_owned()
        } else {
            fixture.alert_rule.clone()
        };
        path = path.replace("{rule_id}", &rule);
    }
    if path.contains("{rule_id}") {
        // Deleting takes a fresh rule each time, so every allowed caller finds one.
        let rule = if method == "DELETE" {
            let rules = format!("/api/organisations/{organisation}/sim-rules");
            let created = world
                .call("POST", &rules, fixture.owner.token(), Some(rule_body()))
                .await;
            created.body["id"].as_str().unwrap().to_owned()
        } else {
            pick(&fixture.sims.rules)
        };
        path = path.replace("{rule_id}", &rule);
    }
    if path.contains("{key_id}") {
        // A fresh key each time, so every allowed caller finds one to revoke.
        let keys = format!("/api/machines/{}/api-keys", fixture.machine);
        let key = world.call("POST", &keys, fixture.owner.token(), Some(json!({}))).await;
        path = path.replace("{key_id}", key.body["id"].as_str().unwrap());
    }
    for (placeholder, kind, kept) in [
        ("{environment_id}", "environments", &fixture.places.0),
        ("{marker_id}", "map-markers", &fixture.places.1),
    ] {
        if path.contains(placeholder) {
            // Deleting takes a fresh one each time, so every allowed caller finds one.
            let id = if method == "DELETE" {
                place(world, &fixture.owner, &fixture.root, kind).await
            } else {
                kept.clone()
            };
            path = path.replace(placeholder, &id);
        }
    }
    if method == "DELETE" && template.ends_with("/credentials") {
        // Credentials to revoke each time, so every allowed caller finds some (a 409 says
        // they are there already).
        let issued = world.call("POST", &path, fixture.owner.token(), None).await;
        assert!(matches!(issued.status, 201 | 409), "{issued:?}");
    }
    let body = match (method, template) {
        ("POST", "/api/organisations") | ("POST", "/api/organisations/{organisation_id}/suborganisations") => {
            Some(json!({ "name": "Made by the matrix" }))
        }
        ("PATCH", "/api/organisations/{organisation_id}") => Some(json!({ "name": "Root" })),
        ("PATCH", "/api/me") => Some(json!({})),
        ("PUT", "/api/organisations/{organisation_id}/members/{user_id}/roles") => Some(json!({ "roles": ["viewer"] })),
        ("POST", "/api/organisations/{organisation_id}/machines") => Some(json!({ "name": "matrix bot" })),
        ("POST", "/api/machines/{machine_id}/api-keys") => Some(json!({})),
        ("POST", "/api/invitations") | ("POST", "/api/organisations/{organisation_id}/invitations") => {
            Some(json!({ "email": crate::world::address("matrix-invitee") }))
        }
        ("PUT", "/api/platform/settings") => Some(json!({ "organisation_creation": "anyone" })),
        ("POST", "/api/organisations/{organisation_id}/operator-contracts") => Some(contract_body()),
        ("PATCH", "/api/organisations/{organisation_id}/operator-contracts/{contract_id}") => {
            Some(json!({ "contract_reference": "M-2" }))
        }
        ("POST", "/api/organisations/{organisation_id}/plans") => Some(
            json!({ "name": "Matrix", "data_mb": 1, "sms": 1, "voice_minutes": 1, "billing_period": "monthly", "price_minor": 1, "currency": "EUR" }),
        ),
        ("PATCH", "/api/organisations/{organisation_id}/plans/{plan_id}") => Some(json!({ "name": "Matrix 2" })),
        ("POST", "/api/organisations/{organisation_id}/sims") => Some(json!({ "iccid": fresh_iccid() })),
        ("POST", "/api/organisations/{organisation_id}/sims/import") => Some(json!([{ "iccid": fresh_iccid() }])),
        ("PATCH", "/api/organisations/{organisation_id}/sims/{iccid}") => Some(json!({ "labels": ["matrix"] })),
        ("POST", "/api/organisations/{organisation_id}/sim-rules") => Some(rule_body()),
        ("POST", "/api/device-models") | ("PUT", "/api/device-models/{model_id}") => Some(model_body()),
        ("POST", "/api/devices") => Some(json!({ "imei": fresh_imei(), "model_id": fixture.devices.0 })),
        ("POST", "/api/devices/imports") => {
            Some(json!({ "devices": [{ "imei": fresh_imei(), "model_id": fixture.devices.0 }] }))
        }
        ("PUT", "/api/devices/{device_id}/organisation") => Some(json!({ "organisation_id": fixture.root })),
        ("PATCH", "/api/organisations/{organisation_id}/devices/{device_id}") => {
            Some(json!({ "name": "Matrix device" }))
        }
        ("POST", "/api/organisations/{organisation_id}/devices/{device_id}/commands") => {
            Some(json!({ "name": "reboot" }))
        }
        ("POST", "/api/organisations/{organisation_id}/alert-rules") => Some(alert_rule_body()),
        ("PATCH", "/api/organisations/{organisation_id}/alert-rules/{rule_id}") => Some(json!({ "name": "Matrix 2" })),
        ("POST", "/api/organisations/{organisation_id}/alerts/{alert_id}/acknowledge") => {
            Some(json!({ "comment": "matrix" }))
        }
        ("POST", "/api/organisations/{organisation_id}/alerts/{alert_id}/clear") => Some(json!({})),
        ("POST", "/api/organisations/{organisation_id}/environments") => Some(place_body("environments")),
        ("POST", "/api/organisations/{organisation_id}/map-markers") => Some(place_body("map-markers")),
        ("PATCH", "/api/organisations/{organisation_id}/environments/{environment_id}") => {
            Some(json!({ "name": "Matrix depot 2" }))
        }
        ("PATCH", "/api/organisations/{organisation_id}/map-markers/{marker_id}") => {
            Some(json!({ "label": "Matrix 2" }))
        }
        ("POST", "/api/organisations/{organisation_id}/devices/{device_id}/maintenance") => {
            Some(json!({ "description": "Matrix check" }))
        }
        ("PUT", "/api/organisations/{organisation_id}/devices/{device_id}/ports/{port}") => {
            Some(json!({ "enabled": true }))
        }
        ("POST", "/api/organisations/{organisation_id}/sims/bulk") => {
            Some(json!({ "action": "suspend", "iccids": [pick(&fixture.sims.sims)] }))
        }
        ("POST", "/api/organisations/{organisation_id}/sims/{iccid}/usage") => Some(json!({
            "record_id": uuid::Uuid::new_v4().to_string(), "data_bytes": 1000, "sms": 0, "voice_seconds": 0,
            "from": "2026-03-01T00:00:00Z", "to": "2026-03-01T00:05:00Z"
        })),
        ("POST", "/api/organisations/{organisation_id}/sims/activation-codes") => {
            // The company's SIM: claimable, and in scope on both.
            Some(json!({ "iccids": [fixture.sims.sims.1] }))
        }
        ("POST", "/api/sims/claim") => {
            let (iccid, code) = &fixture.sims.claimable;
            Some(json!({ "iccid": iccid, "activation_code": code }))
        }
        ("PUT", "/api/organisations/{organisation_id}/sims/{iccid}/assignment") => {
            Some(json!({ "company_id": fixture.company }))
        }
        ("PUT", "/api/organisations/{organisation_id}/payment-providers/{provider}") => {
            Some(json!({ "public_id": "pk_test", "secret": "sk_test_x" }))
        }
        ("POST", "/api/organisations/{organisation_id}/billing/payment-method") => Some(
            json!({ "provider": "stripe", "reference": "pm_x", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2099 }),
        ),
        _ => None,
    };
    (path, body)
}

/// Undoes what an allowed call changed, so every cell meets the same fixture.
pub(crate) async fn repair(
    world: &World,
    fixture: &Fixture,
    method: &str,
    template: &str,
    scope: Scope,
    caller: Option<&Person>,
) {
    let owner = world.identity.authenticate(&fixture.owner.access, None).await.unwrap();
    let context = RequestContext::default();
    let root = OrganisationId::parse(&fixture.root, "id").unwrap();
    let organisation = match scope {
        Scope::Root => root,
        Scope::Company => OrganisationId::parse(&fixture.company, "id").unwrap(),
    };
    let tenancy = world.tenancy();
    let rejoin = |person: Person, roles: &'static [&'static str]| {
        let (tenancy, owner, context) = (tenancy.clone(), owner.clone(), context.clone());
        async move {
            let roles =
                stratum_shared::tenancy::parse_roles(&roles.iter().map(|r| r.to_string()).collect::<Vec<_>>()).unwrap();
            let user = UserId::parse(&person.id, "id").unwrap();
            let _already_there = tenancy.add_member(&owner, &context, organisation, user, roles).await;
        }
    };
    match (method, template) {
        ("DELETE", "/api/organisations/{organisation_id}/members/{user_id}") => match scope {
            Scope::Root => rejoin(fixture.removable.clone(), &["viewer"]).await,
            Scope::Company => rejoin(fixture.company_removable.clone(), &["member"]).await,
        },
        ("POST", "/api/organisations/{organisation_id}/leave")
        | ("POST", "/api/organisations/{organisation_id}/membership/block") => {
            if let Some(person) = caller {
                // A block stands for good; the fixture lifts it to let the caller rejoin.
                let user = UserId::parse(&person.id, "id").unwrap();
                world
                    .identity
                    .store
                    .delete(&stratum_shared::keys::blocked_organisation(user, root), None)
                    .await
                    .unwrap();
            }
            let roles: &'static [&'static str] = match caller {
                Some(p) if p.email.starts_with("rootbillingadmin") => &["owner", "billing_admin"],
                Some(p) if p.email.starts_with("rootoperator") => &["operator"],
                Some(p) if p.email.starts_with("companyowner") => &["owner"],
                Some(p) if p.email.starts_with("companybillingadmin") => &["owner", "billing_admin"],
                Some(p) if p.email.starts_with("companyoperator") => &["operator"],
                _ => &["viewer"],
            };
            if let Some(person) = caller {
                rejoin(person.clone(), roles).await;
            }
        }
        ("POST", "/api/organisations/{organisation_id}/billing/payment-method") => {
            let card = serde_json::from_value(json!({ "provider": "stripe", "reference": "pm_owner", "brand": "visa", "last4": "1111", "exp_month": 12, "exp_year": 2099 })).unwrap();
            tenancy
                .submit_payment_method(&owner, &context, root, card)
                .await
                .unwrap();
        }
        ("DELETE", "/api/organisations/{organisation_id}/sims/{iccid}/assignment") if scope == Scope::Company => {
            let iccid = stratum_shared::telecom::Iccid::parse(&fixture.sims.sims.1, "iccid").unwrap();
            world
                .sims
                .assign_sim(&owner, &context, root, &iccid, Some((organisation, None)))
                .await
                .unwrap();
        }
        ("POST", "/api/users/{user_id}/suspend") => {
            let admin = world.identity.authenticate(&fixture.admin.access, None).await.unwrap();
            world
                .identity
                .reactivate(&admin, UserId::parse(&fixture.target_user.id, "id").unwrap(), &context)
                .await
                .unwrap();
        }
        _ => {}
    }
}

/// Every declared `(method, path template)` of the whole API, in order.
pub(crate) fn routes(world: &World) -> BTreeSet<(String, String)> {
    declared(world).into_keys().collect()
}

/// Every declared route with who may call it.
fn declared(world: &World) -> BTreeMap<(String, String), Access> {
    stratum_tests::api_of(&world.identity)
        .operations()
        .iter()
        .map(|operation| {
            (
                (operation.method.to_string(), operation.path.to_owned()),
                operation.access,
            )
        })
        .collect()
}

async fn every_route_answers_every_kind_of_caller_as_the_permission_table_says(world: &World) {
    let fixture = fixture(world).await;
    let routes = declared(world);
    let mut cells = 0;
    let mut wrong = Vec::new();
    let cells_of = |template: &str| {
        if template.contains("{organisation_id}") {
            vec![Scope::Root, Scope::Company]
        } else {
            vec![Scope::Root]
        }
    };
    for ((method, template), access) in &routes {
        if *access == Access::Public {
            continue;
        }
        for (scope, (who, credential, person)) in cells_of(template)
            .into_iter()
            .flat_map(|scope| fixture.callers.iter().map(move |caller| (scope, caller)))
        {
            // Leaving machines cannot rejoin through `add` under the same API key, so the
            // machine's own `leave` is checked last, below.
            let leaves = template.ends_with("/leave") || template.ends_with("/membership/block");
            if *who == Machine && leaves && scope == Scope::Root {
                continue;
            }
            let (path, body) = request(world, &fixture, method, template, scope).await;
            let reply = match credential {
                Credential::Bearer(token) => world.call(method, &path, Some(token), body).await,
                Credential::ApiKey(key) => {
                    world
                        .call_with(method, &path, &[("x-api-key", key.as_str())], body)
                        .await
                }
                Credential::None => world.call(method, &path, None, body).await,
            };
            cells += 1;
            let (got, want) = (outcome(&reply), expected(*access, *who, scope));
            if got != want {
                wrong.push(format!(
                    "{method} {template} on the {scope:?} as {who:?}: expected {want:?}, got {} {}",
                    reply.status,
                    reply.code()
                ));
            }
            if got == Outcome::Authorised {
                repair(world, &fixture, method, template, scope, person.as_ref()).await;
            }
        }
    }
    let (_, Credential::ApiKey(key), _) = &fixture.callers[13] else {
        unreachable!()
    };
    let machine_leaves = world
        .call_with(
            "POST",
            &format!("/api/organisations/{}/leave", fixture.root),
            &[("x-api-key", key.as_str())],
            None,
        )
        .await;
    assert_eq!(outcome(&machine_leaves), Outcome::Authorised, "a machine may leave");
    assert!(cells > 600, "the matrix ran {cells} cells");
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
