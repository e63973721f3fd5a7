//! Alert rules: owners write them, each checked whole (on create and on every change, at the
//! version read); staff read them; operators write none.

use super::hot_rule;
use crate::organisations::{add, organisation};
use crate::world::World;
use serde_json::json;

both_entry_points!(owners_write_alert_rules_that_are_checked_whole_and_staff_read_them);

async fn owners_write_alert_rules_that_are_checked_whole_and_staff_read_them(world: &World) {
    let ada = world.person("ada").await;
    let olga = world.person("olga").await;
    let root = organisation(world, &ada, "Fleet").await;
    add(world, &ada, &root, &olga, &["operator"]).await;
    let rules = format!("/api/organisations/{root}/alert-rules");

    let created = world.call("POST", &rules, ada.token(), Some(hot_rule())).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.body["enabled"], true);
    assert_eq!(created.body["duration_seconds"], 0);
    let invalid = world
        .call(
            "POST",
            &rules,
            ada.token(),
            Some(json!({
                "name": "Range", "port": 1, "condition": "outside", "value": 5, "clear_value": 4,
                "severity": "minor", "scope": { "device_id": uuid::Uuid::new_v4(), "model_id": uuid::Uuid::new_v4() }
            })),
        )
        .await;
    assert_eq!(invalid.status, 422, "{invalid:?}");
    let mut fields = invalid.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("clear_value".to_owned(), "not_a_threshold".to_owned()),
            ("scope".to_owned(), "one_scope".to_owned()),
            ("value2".to_owned(), "required".to_owned()),
        ]
    );
    assert_eq!(
        world.call("POST", &rules, olga.token(), Some(hot_rule())).await.status,
        403,
        "operators handle alerts; owners write rules"
    );

    let rule = format!("{rules}/{}", created.body["id"].as_str().unwrap());
    let read = world.call("GET", &rule, olga.token(), None).await;
    assert_eq!(read.body["name"], "Too hot", "staff read rules");
    let etag = read.headers["etag"].clone();
    let wrong_side = world
        .call_with(
            "PATCH",
            &rule,
            &[
                ("authorization", &format!("Bearer {}", ada.access)),
                ("if-match", &etag),
            ],
            Some(json!({ "clear_value": 45 })),
        )
        .await;
    assert_eq!(wrong_side.code(), "validation_failed", "checked whole: {wrong_side:?}");
    let disabled = world
        .call_with(
            "PATCH",
            &rule,
            &[
                ("authorization", &format!("Bearer {}", ada.access)),
                ("if-match", &etag),
            ],
            Some(json!({ "enabled": false, "severity": "warning" })),
        )
        .await;
    assert_eq!(disabled.status, 200, "{disabled:?}");
    assert_eq!(
        (disabled.body["enabled"].clone(), disabled.body["severity"].clone()),
        (json!(false), json!("warning"))
    );
    let listed = world.call("GET", &rules, olga.token(), None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(world.call("DELETE", &rule, ada.token(), None).await.status, 204);
    assert_eq!(world.call("GET", &rule, ada.token(), None).await.status, 404);
}
