//! Free text (names, addresses, types) is validated: no control characters, no Unicode
//! noncharacters, bounded length; each bad field is named in a 422.

use crate::organisations::seed_002;
use crate::world::{PASSWORD, World, address};
use serde_json::json;

both_entry_points!(
    a_name_with_a_control_character_or_a_noncharacter_registers_nobody,
    a_person_cannot_rename_themselves_to_a_control_character_or_an_overlong_name,
    an_organisation_refuses_control_characters_noncharacters_and_overlong_text,
);

fn errors(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(f, c)| (f.to_string(), c.to_string())).collect()
}

async fn a_name_with_a_control_character_or_a_noncharacter_registers_nobody(world: &World) {
    let email = address("ada");
    let cases = [
        ("Ada\u{FFFF}", "noncharacter"),
        ("Ada\nLovelace", "control_character"),
        ("Ada\rX", "control_character"),
    ];

    for (name, code) in cases {
        let body = json!({ "email": email, "password": PASSWORD, "name": name });
        let reply = world.call("POST", "/api/auth/register", None, Some(body)).await;
        assert_eq!(reply.status, 422, "{name:?}: {reply:?}");
        assert_eq!(reply.field_errors(), errors(&[("name", code)]), "{name:?}: {reply:?}");
    }

    let clean = json!({ "email": email, "password": PASSWORD, "name": "Ada Lovelace" });
    let registered = world.call("POST", "/api/auth/register", None, Some(clean)).await;
    assert_eq!(registered.status, 201, "nothing was registered before: {registered:?}");
    assert_eq!(registered.body["name"], "Ada Lovelace");
}

async fn a_person_cannot_rename_themselves_to_a_control_character_or_an_overlong_name(world: &World) {
    let ada = world.person("ada").await;
    let before = world.call("GET", "/api/me", ada.token(), None).await.body["name"].clone();

    let nul = world
        .call("PATCH", "/api/me", ada.token(), Some(json!({ "name": "Bad\u{0}Name" })))
        .await;
    let long = world
        .call(
            "PATCH",
            "/api/me",
            ada.token(),
            Some(json!({ "name": "A".repeat(201) })),
        )
        .await;

    assert_eq!(nul.status, 422, "{nul:?}");
    assert_eq!(nul.field_errors(), errors(&[("name", "control_character")]), "{nul:?}");
    assert_eq!(long.status, 422, "{long:?}");
    assert_eq!(long.field_errors(), errors(&[("name", "too_long")]), "{long:?}");
    let after = world.call("GET", "/api/me", ada.token(), None).await;
    assert_eq!(after.body["name"], before, "the name is unchanged: {after:?}");
}

async fn an_organisation_refuses_control_characters_noncharacters_and_overlong_text(world: &World) {
    let ada = world.person("ada").await;
    let with = |field: &str, value: String| {
        let mut payload = seed_002("Acme");
        payload[field] = json!(value);
        payload
    };
    let cases = [
        (with("name", "Acme\u{FFFE}".into()), ("name", "noncharacter")),
        (
            with("address", "Line 1\r\nLine 2".into()),
            ("address", "control_character"),
        ),
        (with("type", "t".repeat(101)), ("type", "too_long")),
    ];

    for (payload, expected) in cases {
        let reply = world
            .call("POST", "/api/organisations", ada.token(), Some(payload.clone()))
            .await;
        assert_eq!(reply.status, 422, "{payload}: {reply:?}");
        assert_eq!(reply.field_errors(), errors(&[expected]), "{payload}: {reply:?}");
    }
    let listed = world.call("GET", "/api/me", ada.token(), None).await;
    assert_eq!(
        listed.body["memberships"].as_array().map(Vec::len),
        Some(1),
        "no organisation was created: {listed:?}"
    );
}
