//! Creating, reading, listing, updating and deleting organisations and companies.

use super::{add, company, organisation, seed_002};
use crate::world::World;
use serde_json::json;

both_entry_points!(
    a_person_creates_an_organisation_in_the_shape_of_seed_002,
    bad_organisation_payloads_get_an_error_per_field,
    companies_exist_only_directly_under_shared_roots,
    an_update_needs_the_current_etag_and_renames_memberships,
    an_organisation_is_deleted_by_its_subscriber_only_once_empty,
    a_company_is_deleted_by_a_root_owner_once_empty,
    platform_admins_can_restrict_who_creates_organisations,
    a_platform_admin_names_the_first_owner,
);

async fn a_person_creates_an_organisation_in_the_shape_of_seed_002(world: &World) {
    let ada = world.person("ada").await;

    let created = world.organisations(&ada).create(seed_002("ABC Holdings")).await;

    assert_eq!(created.status, 201, "{created:?}");
    let body = &created.body;
    for field in [
        "id",
        "name",
        "type",
        "company_registered_date",
        "address",
        "email",
        "phone",
        "country_code",
    ] {
        assert!(body.get(field).is_some(), "seed 002 field {field}");
    }
    assert_eq!(body["name"], "ABC Holdings");
    assert_eq!(body["company_registered_date"], "2020-11-01T00:00:00.000Z");
    assert_eq!(body["country_code"], "ae");
    assert_eq!(body["parent_organisation_id"], serde_json::Value::Null);
    assert_eq!(body["deleted_at"], serde_json::Value::Null);
    assert_eq!(body["billing_subscriber_id"], ada.id.as_str());
    let created_at = body["created_at"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 24,
        "RFC 3339 with milliseconds: {created_at}"
    );
    assert!(created.headers.contains_key("etag"));
    let id = body["id"].as_str().unwrap();

    let me = world.me(&ada).get().await.body;
    assert_eq!(
        me["default_organisation_id"], id,
        "T11: the new organisation becomes the default"
    );
    let membership = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["organisation_id"] == id)
        .unwrap()
        .clone();
    assert_eq!(membership["roles"], json!(["owner", "billing_admin", "member"]));
    assert_eq!(membership["kind"], "shared");

    let listed = world.organisations(&ada).list().await;
    let ids: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&id) && ids.contains(&ada.personal_organisation_id.as_str()));
    assert_eq!(listed.body["next_cursor"], serde_json::Value::Null);
    let fetched = world.organisation(&ada, id).get().await;
    assert_eq!((fetched.status, &fetched.body["name"]), (200, &json!("ABC Holdings")));
}

async fn bad_organisation_payloads_get_an_error_per_field(world: &World) {
    let ada = world.person("ada").await;
    let payload = json!({ "name": "", "country_code": "uk", "email": "hello-at-abc", "phone": "call me", "company_registered_date": "last year" });

    let reply = world.organisations(&ada).create(payload).await;

    assert_eq!(reply.status, 422);
    let fields: Vec<String> = reply.field_errors().into_iter().map(|(field, _)| field).collect();
    assert_eq!(
        fields,
        ["name", "company_registered_date", "email", "phone", "country_code"]
    );
    let admin_only = world
        .organisations(&ada)
        .create(json!({ "name": "X", "initial_owner_email": "b@example.com" }))
        .await;
    assert_eq!(
        (admin_only.status, admin_only.body["code"].as_str()),
        (403, Some("initial_owner_not_permitted"))
    );
}

async fn companies_exist_only_directly_under_shared_roots(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "ABC Holdings").await;
    let companies = world.organisation(&ada, &root).companies();

    let child = companies
        .create(json!({ "name": "ABC Holdings - Child", "parent_organisation_id": root }))
        .await;
    assert_eq!(child.status, 201, "{child:?}");
    assert_eq!(child.body["parent_organisation_id"], root.as_str());
    let child_id = child.body["id"].as_str().unwrap();

    let grandchild = world
        .organisation(&ada, child_id)
        .companies()
        .create(seed_002("Too deep"))
        .await;
    assert_eq!((grandchild.status, grandchild.code()), (409, "invalid_parent"));
    let personal = world
        .organisation(&ada, &ada.personal_organisation_id)
        .companies()
        .create(seed_002("Nope"))
        .await;
    assert_eq!((personal.status, personal.code()), (409, "invalid_parent"));
    let mismatched = companies
        .create(json!({ "name": "X", "parent_organisation_id": child_id }))
        .await;
    assert_eq!(
        (mismatched.status, mismatched.body["code"].as_str()),
        (409, Some("parent_mismatch"))
    );

    let listed = companies.list().await;
    let names: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ABC Holdings - Child"]);
}

async fn an_update_needs_the_current_etag_and_renames_memberships(world: &World) {
    let ada = world.person("ada").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    let etag = world.organisation(&ada, &id).get().await.headers["etag"].clone();
    let abc = world.organisation(&ada, &id).if_match(&etag);

    let renamed = abc.patch(json!({ "name": "ABC Group", "country_code": "GB" })).await;
    assert_eq!(renamed.status, 200, "{renamed:?}");
    assert_eq!(
        (renamed.body["name"].as_str(), renamed.body["country_code"].as_str()),
        (Some("ABC Group"), Some("gb"))
    );
    assert_eq!(renamed.body["address"], "34 Webings Road", "untouched fields stay");
    let stale = abc.patch(json!({ "name": "Lost update" })).await;
    assert_eq!(stale.status, 412);

    let me = world.me(&ada).get().await.body;
    let membership = me["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["organisation_id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(membership["organisation_name"], "ABC Group");
    let personal = world
        .organisation(&ada, &ada.personal_organisation_id)
        .patch(json!({ "name": "Mine" }))
        .await;
    assert_eq!((personal.status, personal.code()), (409, "personal_organisation"));
}

async fn an_organisation_is_deleted_by_its_subscriber_only_once_empty(world: &World) {
    let ada = world.person("ada").await;
    let bob = world.person("bob").await;
    let id = organisation(world, &ada, "ABC Holdings").await;
    add(world, &ada, &id, &bob, &["owner"]).await;
    let abc = world.organisation(&ada, &id);

    assert_eq!(
        world.organisation(&bob, &id).delete().await.status,
        403,
        "an owner who is not the subscriber"
    );
    let busy = abc.delete().await;
    assert_eq!((busy.status, busy.code()), (409, "organisation_not_empty"));
    assert_eq!(abc.members().remove(&bob.id).await.status, 204);
    assert_eq!(abc.delete().await.status, 204);

    assert_eq!(abc.get().await.status, 404);
    let me = world.me(&ada).get().await.body;
    assert_eq!(
        me["default_organisation_id"],
        ada.personal_organisation_id.as_str(),
        "T11: back to the personal organisation"
    );
    let personal = world.organisation(&ada, &ada.personal_organisation_id).delete().await;
    assert_eq!((personal.status, personal.code()), (409, "personal_organisation"));
}

async fn a_company_is_deleted_by_a_root_owner_once_empty(world: &World) {
    let ada = world.person("ada").await;
    let root = organisation(world, &ada, "ABC Holdings").await;
    let child = company(world, &ada, &root, "Child").await;

    let busy = world.organisation(&ada, &root).delete().await;
    assert_eq!(
        (busy.status, busy.code()),
        (409, "organisation_not_empty"),
        "a live company keeps the root alive"
    );
    assert_eq!(world.organisation(&ada, &child).delete().await.status, 204);
    assert_eq!(world.organisation(&ada, &root).delete().await.status, 204);
}

async fn platform_admins_can_restrict_who_creates_organisations(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    assert_eq!(world.platform(&ada).settings().await.status, 404);
    assert_eq!(
        world.platform(&admin).settings().await.body["organisation_creation"],
        "anyone"
    );

    let restricted = world
        .platform(&admin)
        .set_settings(json!({ "organisation_creation": "platform_admins" }))
        .await;
    assert_eq!(restricted.status, 200);

    let refused = world.organisations(&ada).create(seed_002("Mine")).await;
    assert_eq!(
        (refused.status, refused.code()),
        (403, "organisation_creation_restricted")
    );
    assert_eq!(world.organisations(&admin).create(seed_002("Theirs")).await.status, 201);
}

async fn a_platform_admin_names_the_first_owner(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let mut payload = seed_002("For Ada");
    payload["initial_owner_email"] = json!(ada.email.to_uppercase());

    let created = world.organisations(&admin).create(payload).await;
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.body["status"], "active");
    assert_eq!(created.body["billing_subscriber_id"], ada.id.as_str());
    let me = world.me(&ada).get().await.body;
    assert_eq!(me["default_organisation_id"], created.body["id"]);

    let mut pending = seed_002("For a stranger");
    pending["initial_owner_email"] = json!(crate::world::address("stranger"));
    let waiting = world.organisations(&admin).create(pending).await;
    assert_eq!(
        (waiting.status, &waiting.body["status"]),
        (201, &json!("pending_owner"))
    );
    assert_eq!(waiting.body["billing_subscriber_id"], serde_json::Value::Null);
}
