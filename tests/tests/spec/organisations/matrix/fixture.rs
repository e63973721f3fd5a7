//! The matrix's cast: a caller of every kind (platform admin, root and company staff, a
//! sibling company's member, another organisation's owner, a support engineer without a grant,
//! a suspended user, machines and the anonymous), the members cells act on, and the resources
//! every route needs one of.

use super::resources::{
    SimFixture, alert_fixture, device_fixture, fresh_imei, organisation_devices, place, sim_fixture,
};
use super::table::EVERYONE;
use super::table::Who::{self, *};
use crate::organisations::{add, company, organisation};
use crate::world::{Person, World};
use serde_json::json;
use stratum_shared::ids::UserId;
use stratum_shared::keys;
use stratum_shared::store::Update;

/// How a caller authenticates.
#[derive(Debug, Clone)]
pub(super) enum Credential {
    Bearer(String),
    ApiKey(String),
    None,
}

pub(crate) struct Fixture {
    pub(crate) root: String,
    /// A company of the root, where the company callers hold their roles.
    pub(super) company: String,
    pub(crate) owner: Person,
    pub(crate) viewer: Person,
    pub(super) removable: Person,
    pub(super) company_viewer: Person,
    pub(super) company_removable: Person,
    pub(crate) target_user: Person,
    pub(super) machine: String,
    pub(super) callers: Vec<(Who, Credential, Option<Person>)>,
    pub(crate) admin: Person,
    pub(super) sims: SimFixture,
    /// A device model and a device of it, the platform admin's.
    pub(super) devices: (String, String),
    /// A device import job, the platform admin's.
    pub(super) device_import: String,
    /// An environment and a map marker of the root.
    pub(super) places: (String, String),
    /// Devices handed to the root: one left there, one placed in the company.
    pub(super) organisation_devices: (String, String),
    /// An alert rule of the root, and an alert it raised on each of those devices.
    pub(super) alert_rule: String,
    pub(super) alerts: (String, String),
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
