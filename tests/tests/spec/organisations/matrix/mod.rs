//! The authorisation matrix: every route against every kind of caller, each cell asserting
//! the status SPEC §3 implies — 401 without valid credentials, 404 outside the caller's
//! scope, 403 inside it without the permission, and otherwise an answer past authorisation
//! (a domain answer such as 409 or 422 counts; a server error never does). Every route that
//! names an organisation runs twice: on a root and on one of its companies, where roles on
//! the root apply and roles on a sibling company do not. A route that is not classified here
//! fails the test, so every new route joins the matrix.
//!
//! Its parts: `table` says who may do what (the kinds of caller and the outcome each route's
//! declared access implies), `fixture` builds the callers and what the cells act on (with
//! `resources`), and `requests` makes each cell's request and undoes what it changed.

mod fixture;
mod requests;
mod resources;
mod table;

pub(crate) use fixture::{Fixture, fixture};
pub(crate) use requests::{repair, request};
pub(crate) use table::Scope;

use crate::world::World;
use fixture::Credential;
use std::collections::{BTreeMap, BTreeSet};
use stratum_infra::http::Access;
use table::Who::*;
use table::{Outcome, expected, outcome};

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
