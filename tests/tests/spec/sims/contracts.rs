//! Operator contracts and plans: owners keep them, checked whole and changed only at the
//! version read; staff read them; contracts are the root's, plans a company's too.

use super::contract;
use crate::organisations::{add, company, organisation};
use crate::world::World;
use serde_json::{Value, json};

both_entry_points!(owners_keep_contracts_and_plans_and_their_staff_read_them);

fn plan_body(name: &str) -> Value {
    json!({ "name": name, "data_mb": 1024, "sms": 100, "voice_minutes": 60, "billing_period": "monthly", "price_minor": 499, "currency": "eur" })
}

async fn owners_keep_contracts_and_plans_and_their_staff_read_them(world: &World) {
    let ada = world.person("ada").await;
    let vic = world.person("vic").await;
    let root = organisation(world, &ada, "Fleet GmbH").await;
    let branch = company(world, &ada, &root, "Branch").await;
    add(world, &ada, &root, &vic, &["viewer"]).await;
    let contracts = format!("/api/organisations/{root}/operator-contracts");

    let invalid = world
        .call(
            "POST",
            &contracts,
            ada.token(),
            Some(json!({
                "operator_name": "X", "country": "zz", "mcc": "26", "mnc": "7",
                "contract_reference": "R", "valid_from": "2027-01-01", "valid_to": "2026-01-01", "integration": "acme"
            })),
        )
        .await;
    assert_eq!(invalid.status, 422, "{invalid:?}");
    let mut fields: Vec<(String, String)> = invalid.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("country", "invalid_country"),
            ("integration", "unknown_connector"),
            ("mcc", "invalid_mcc"),
            ("mnc", "invalid_mnc"),
            ("valid_to", "before_valid_from"),
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );

    let id = contract(world, &ada, &root, "none").await;
    let path = format!("{contracts}/{id}");
    let read = world.call("GET", &path, vic.token(), None).await;
    assert_eq!(read.status, 200, "a viewer reads contracts");
    assert_eq!(
        (read.body["country"].as_str(), read.body["mnc"].as_str()),
        (Some("DE"), Some("07"))
    );
    let etag = read.headers["etag"].clone();
    assert_eq!(
        world
            .call(
                "PATCH",
                &path,
                vic.token(),
                Some(json!({ "contract_reference": "mine" }))
            )
            .await
            .status,
        403,
        "a viewer writes none"
    );
    let patched = world
        .call_with(
            "PATCH",
            &path,
            &[
                ("authorization", &format!("Bearer {}", ada.access)),
                ("if-match", &etag),
            ],
            Some(json!({ "valid_to": "2028-12-31" })),
        )
        .await;
    assert_eq!(patched.status, 200, "{patched:?}");
    assert_eq!(patched.body["valid_to"], "2028-12-31");
    let stale = world
        .call_with(
            "PATCH",
            &path,
            &[
                ("authorization", &format!("Bearer {}", ada.access)),
                ("if-match", &etag),
            ],
            Some(json!({ "valid_to": "2029-12-31" })),
        )
        .await;
    assert_eq!(stale.status, 412, "{stale:?}");
    let listed = world.call("GET", &contracts, vic.token(), None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);

    let on_company = world
        .call(
            "POST",
            &format!("/api/organisations/{branch}/operator-contracts"),
            ada.token(),
            Some(
                json!({ "operator_name": "X", "country": "de", "mcc": "262", "mnc": "01", "contract_reference": "R" }),
            ),
        )
        .await;
    assert_eq!((on_company.status, on_company.code()), (409, "root_only"));

    let root_plan = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/plans"),
            ada.token(),
            Some(plan_body("Basic")),
        )
        .await;
    assert_eq!(root_plan.status, 201, "{root_plan:?}");
    assert_eq!(root_plan.body["currency"], "EUR");
    let company_plan = world
        .call(
            "POST",
            &format!("/api/organisations/{branch}/plans"),
            ada.token(),
            Some(plan_body("Branch special")),
        )
        .await;
    assert_eq!(
        company_plan.status, 201,
        "a company has plans of its own: {company_plan:?}"
    );
    let bad_plan = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/plans"),
            ada.token(),
            Some(json!({ "name": "X", "data_mb": -1, "sms": 0, "voice_minutes": 0, "billing_period": "weekly", "price_minor": 0, "currency": "EUR" })),
        )
        .await;
    assert_eq!(bad_plan.status, 422, "{bad_plan:?}");
    let company_plans = world
        .call("GET", &format!("/api/organisations/{branch}/plans"), ada.token(), None)
        .await;
    assert_eq!(
        company_plans.body["items"][0]["name"], "Branch special",
        "a company lists its own plans"
    );
}
