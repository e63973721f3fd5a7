//! Organisations, companies, members and roles, end to end through both entry points.

mod audit;
mod billing;
mod lifecycle;
mod machines;
pub(crate) mod matrix;
mod members;
mod races;
mod scope;

use crate::world::{Person, World};
use serde_json::{Value, json};
use stratum_shared::audit::RequestContext;
use stratum_shared::ids::{OrganisationId, UserId};
use stratum_shared::tenancy::parse_roles;

/// Seed 002's create payload.
pub fn seed_002(name: &str) -> Value {
    json!({
        "name": name,
        "type": "computer_services",
        "company_registered_date": "2020-11-01T00:00:00",
        "address": "34 Webings Road",
        "email": "hello@abc.com",
        "phone": "1238129038290",
        "country_code": "ae"
    })
}

/// `owner` creates a root organisation; returns its id.
pub async fn organisation(world: &World, owner: &Person, name: &str) -> String {
    let created = world.organisations(owner).create(seed_002(name)).await;
    assert_eq!(created.status, 201, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

/// `owner` creates a company under `root`; returns its id.
pub async fn company(world: &World, owner: &Person, root: &str, name: &str) -> String {
    let created = world.organisation(owner, root).companies().create(seed_002(name)).await;
    assert_eq!(created.status, 201, "{created:?}");
    created.body["id"].as_str().unwrap().to_owned()
}

/// `owner` adds `member` to `organisation` with `roles` (as invitations will), and `member`
/// accepts the membership (as the "you were added" notice asks them to).
pub async fn add(world: &World, owner: &Person, organisation: &str, member: &Person, roles: &[&str]) {
    let principal = world.identity.authenticate(&owner.access, None).await.unwrap();
    let roles = parse_roles(&roles.iter().map(|r| r.to_string()).collect::<Vec<_>>()).unwrap();
    let organisation = OrganisationId::parse(organisation, "id").unwrap();
    let tenancy = world.tenancy();
    tenancy
        .add_member(
            &principal,
            &RequestContext::default(),
            organisation,
            UserId::parse(&member.id, "id").unwrap(),
            roles,
        )
        .await
        .unwrap();
    let member = world.identity.authenticate(&member.access, None).await.unwrap();
    tenancy
        .accept_membership(&member, &RequestContext::default(), organisation)
        .await
        .unwrap();
}
