//! One cell at a time: the concrete request a route template makes (fresh things to delete,
//! bodies that pass validation) and the repair after an allowed call, so every cell meets the
//! same fixture.

use super::Scope;
use super::fixture::Fixture;
use super::resources::{
    alert_rule_body, contract_body, fresh_iccid, fresh_imei, model_body, place, place_body, rule_body,
};
use crate::world::{Person, World};
use serde_json::{Value, json};
use stratum_shared::audit::RequestContext;
use stratum_shared::ids::{OrganisationId, UserId};

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
