//! Issue 21, items 7 and 9: a caller the route does not admit learns nothing from how its body
//! would be refused, and no body reads an object from a JSON array.

use crate::organisations::{add, company, organisation};
use crate::world::World;
use serde_json::json;
use stratum_infra::http::with_value_at;

both_entry_points!(
    a_caller_without_the_routes_permission_is_refused_before_its_body_is_read,
    an_array_where_the_contract_says_object_is_a_422_at_that_field,
);

async fn a_caller_without_the_routes_permission_is_refused_before_its_body_is_read(world: &World) {
    let ada = world.person("ada").await;
    let vic = world.person("vic").await;
    let carl = world.person("carl").await;
    let mallory = world.person("mallory").await;
    let root = organisation(world, &ada, "Fleet").await;
    let shop = company(world, &ada, &root, "Shop").await;
    add(world, &ada, &root, &vic, &["viewer"]).await;
    add(world, &ada, &shop, &carl, &["owner"]).await;
    organisation(world, &mallory, "Elsewhere").await;
    let bad_model = json!({ "name": "", "ports": "none" });
    let bad_rule = json!({ "name": "", "kind": "sometimes", "actions": 3 });

    // Given bodies that would each fail validation in several fields…
    let cases = [
        (
            &ada,
            "POST",
            "/api/device-models".to_owned(),
            &bad_model,
            404,
            "an owner is no platform admin",
        ),
        (
            &vic,
            "POST",
            format!("/api/organisations/{root}/sim-rules"),
            &bad_rule,
            403,
            "a viewer writes no SIM rule",
        ),
        (
            &mallory,
            "POST",
            format!("/api/organisations/{root}/sim-rules"),
            &bad_rule,
            404,
            "another tenant's owner",
        ),
        (
            &carl,
            "POST",
            format!("/api/organisations/{root}/alert-rules"),
            &bad_rule,
            404,
            "a company's owner against its root",
        ),
        (
            &vic,
            "POST",
            format!("/api/organisations/{shop}/sims"),
            &bad_rule,
            403,
            "a root viewer on a company",
        ),
    ];
    for (who, method, path, body, status, reason) in cases {
        // …when a caller the route does not admit sends them…
        let reply = world.call(method, &path, who.token(), Some(body.clone())).await;
        // …then they get the access rule's answer, not the field list.
        assert_eq!(reply.status, status, "{reason}: {reply:?}");
        assert!(
            reply.body["errors"].is_null(),
            "{reason}: no field errors leak: {reply:?}"
        );
    }
    let admitted = world
        .call(
            "POST",
            &format!("/api/organisations/{root}/sim-rules"),
            ada.token(),
            Some(bad_rule),
        )
        .await;
    assert_eq!(admitted.status, 422, "the owner does get the field list: {admitted:?}");
}

async fn an_array_where_the_contract_says_object_is_a_422_at_that_field(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "Fleet").await;
    let valid_alert_rule = json!({
        "name": "Too hot", "port": 1, "condition": ">", "value": 70, "clear_value": 60,
        "severity": "critical", "recipients": { "roles": ["owner"] }
    });
    let valid_sim_rule = json!({
        "name": "Over 1 GB", "kind": "data_usage", "threshold_mb": 1000, "actions": ["notify"],
        "recipients": { "roles": ["owner"] }
    });
    let cases = [
        ("alert-rules", &valid_alert_rule, "recipients", "the fuzzer's finding"),
        ("alert-rules", &valid_alert_rule, "scope", "a rule's scope"),
        ("sim-rules", &valid_sim_rule, "recipients", "a SIM rule's recipients"),
        ("sim-rules", &valid_sim_rule, "", "the whole body"),
    ];
    for (collection, valid, field, reason) in cases {
        let path = format!("/api/organisations/{root}/{collection}");
        let positional = with_value_at((*valid).clone(), field, json!([null, null]));
        let refused = world.call("POST", &path, ada.token(), Some(positional)).await;
        assert_eq!(refused.status, 422, "{reason}: {refused:?}");
        assert_eq!(
            refused.field_errors(),
            [(field.to_owned(), "invalid_type".to_owned())],
            "{reason}: {refused:?}"
        );
    }
    for (collection, valid) in [("alert-rules", valid_alert_rule), ("sim-rules", valid_sim_rule)] {
        let path = format!("/api/organisations/{root}/{collection}");
        let created = world.call("POST", &path, ada.token(), Some(valid)).await;
        assert_eq!(created.status, 201, "the same bodies as objects are taken: {created:?}");
    }
}

/// Every JSON body type of every route: wherever its schema says object, an array there is
/// refused at that field before serde could read the struct from it positionally.
#[test]
fn no_body_type_reads_an_object_from_an_array() {
    let api = crate::openapi::api();
    let mut positions = 0;
    for operation in api.operations() {
        let Some(shape) = operation.body_shape() else {
            continue;
        };
        let objects = shape.object_positions();
        assert!(
            objects.contains(&String::new()),
            "{}: a body is an object",
            operation.id
        );
        for position in objects {
            let body = with_value_at(json!({}), &position, json!([null, null]));
            let errors = shape
                .check(&body)
                .expect_err(&format!("{} takes an array at {position:?}", operation.id));
            let first = &errors.errors()[0];
            assert_eq!(
                (first.field.as_str(), first.code),
                (position.as_str(), "invalid_type"),
                "{}: {body}",
                operation.id
            );
            positions += 1;
        }
    }
    assert!(positions > 50, "every object position of every body: {positions}");
}
