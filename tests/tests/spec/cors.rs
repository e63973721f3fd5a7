//! CORS on the local server (`STRATUM_CORS_ORIGINS`): a browser app of a configured origin may
//! call the API, with the headers it needs; another origin gets no CORS headers (its browser
//! keeps the answer from it). On AWS the HTTP API answers CORS itself (`CorsOrigins`).

use crate::world::{CORS_ORIGIN, World};

fn header<'a>(reply: &'a crate::world::Reply, name: &str) -> Option<&'a str> {
    reply
        .headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

#[tokio::test]
async fn a_browser_app_of_a_configured_origin_may_call_the_local_server_and_others_may_not() {
    let world = World::local().await;
    let ada = world.person("ada").await;
    let preflight = world
        .call_with(
            "OPTIONS",
            "/api/me",
            &[
                ("origin", CORS_ORIGIN),
                ("access-control-request-method", "PATCH"),
                (
                    "access-control-request-headers",
                    "authorization, content-type, if-match",
                ),
            ],
            None,
        )
        .await;
    assert!((200..300).contains(&preflight.status), "{}", preflight.status);
    assert_eq!(header(&preflight, "access-control-allow-origin"), Some(CORS_ORIGIN));
    let methods = header(&preflight, "access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("PATCH"), "{methods}");

    let bearer = format!("Bearer {}", ada.access);
    let me = world
        .call_with(
            "GET",
            "/api/me",
            &[("origin", CORS_ORIGIN), ("authorization", &bearer)],
            None,
        )
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(header(&me, "access-control-allow-origin"), Some(CORS_ORIGIN));
    let exposed = header(&me, "access-control-expose-headers")
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        exposed.contains("etag") && exposed.contains("x-request-id"),
        "{exposed}"
    );

    let stranger = world
        .call_with(
            "GET",
            "/api/me",
            &[("origin", "https://evil.example"), ("authorization", &bearer)],
            None,
        )
        .await;
    assert_eq!(header(&stranger, "access-control-allow-origin"), None);
}
