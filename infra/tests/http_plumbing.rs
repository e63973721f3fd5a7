//! The HTTP plumbing every function shares, exercised through a small router built with it.

use axum::Json;
use axum::body::Body;
use http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{Value, json};
use stratum_infra::http::{Access, Api, ApiError, BODY_LIMIT, IfMatch, Operation, RequestBody, RequestId, Valid, cors};
use stratum_shared::validation::{Collector, ValidationErrors};
use tower::ServiceExt;

/// A request whose parser checks more than its JSON shape.
struct Signup {
    name: String,
    age: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignup {
    name: String,
    age: i64,
}

impl RequestBody for Signup {
    type Raw = RawSignup;

    fn parse(raw: RawSignup) -> Result<Self, ValidationErrors> {
        let mut errors = Collector::new();
        if raw.name.trim().is_empty() {
            errors.push("name", "required", "name must not be blank");
        }
        let age = u8::try_from(raw.age).ok().filter(|age| *age >= 16);
        if age.is_none() {
            errors.push("age", "out_of_range", "age must be between 16 and 255");
        }
        errors.finish(|| Signup {
            name: raw.name,
            age: age.unwrap_or_default(),
        })
    }
}

async fn signup(Valid(signup): Valid<Signup>) -> Json<Value> {
    Json(json!({ "name": signup.name, "age": signup.age }))
}

async fn whoami(request_id: axum::Extension<RequestId>) -> String {
    request_id.0.0.clone()
}

async fn throttled() -> ApiError {
    ApiError::TooManyRequests {
        code: "too_many_requests",
        detail: "too many attempts; try again later".into(),
        retry_after_seconds: 30,
    }
}

async fn broken() -> ApiError {
    ApiError::Internal("database password is hunter2".into())
}

async fn versioned(IfMatch(expected): IfMatch) -> Json<Value> {
    Json(json!({ "expected": expected }))
}

fn router() -> axum::Router {
    Api::new()
        .route(Operation::post("/signup", "signup").access(Access::Public), signup)
        .route(Operation::get("/whoami", "whoami").access(Access::Public), whoami)
        .route(
            Operation::get("/throttled", "throttled").access(Access::Public),
            throttled,
        )
        .route(Operation::get("/broken", "broken").access(Access::Public), broken)
        .route(
            Operation::put("/versioned", "versioned").access(Access::Public),
            versioned,
        )
        .into_router()
}

async fn call(request: Request<Body>) -> (StatusCode, http::HeaderMap, Value) {
    let response = router().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (parts.status, parts.headers, value)
}

fn post(path: &str, content_type: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn a_valid_body_reaches_the_handler_parsed() {
    let (status, _, body) = call(post("/signup", "application/json", r#"{"name":"Ada","age":36}"#)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"name": "Ada", "age": 36}));
}

#[tokio::test]
async fn an_invalid_body_gets_422_problem_json_with_every_field_error() {
    let (status, headers, body) = call(post("/signup", "application/json", r#"{"name":" ","age":3}"#)).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(body["status"], 422);
    assert_eq!(body["type"], "urn:stratum:problem:validation_failed");
    let fields: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(fields, [("name", "required"), ("age", "out_of_range")]);
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_names_the_field() {
    let (status, _, body) = call(post("/signup", "application/json", r#"{"name":"Ada","age":"old"}"#)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["field"], "age");
    assert_eq!(body["errors"][0]["code"], "invalid_type");
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_415() {
    let (status, headers, body) = call(post("/signup", "text/plain", "name=Ada")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(body["code"], "unsupported_media_type");
}

#[tokio::test]
async fn an_unknown_path_gets_404_problem_json() {
    let (status, headers, body) = call(Request::get("/nowhere").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(body["code"], "not_found");
}

#[tokio::test]
async fn a_wrong_method_gets_405_problem_json_with_allow() {
    let (status, headers, body) = call(Request::delete("/signup").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(headers[header::ALLOW], "POST");
    assert_eq!(body["code"], "method_not_allowed");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_sane_offered_one_is_kept() {
    let offered = Request::get("/whoami")
        .header("x-request-id", "trace-42")
        .body(Body::empty())
        .unwrap();
    let (_, headers, body) = call(offered).await;
    assert_eq!(headers["x-request-id"], "trace-42");
    assert_eq!(body, "trace-42");

    let hostile = Request::get("/whoami")
        .header("x-request-id", "a b\"<script>")
        .body(Body::empty())
        .unwrap();
    let (_, headers, body) = call(hostile).await;
    let generated = headers["x-request-id"].to_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(generated).is_ok(),
        "a fresh UUID replaces an unsafe id: {generated}"
    );
    assert_eq!(body, generated);

    let (_, headers, _) = call(Request::get("/nowhere").body(Body::empty()).unwrap()).await;
    assert!(headers.contains_key("x-request-id"), "404s have one too");
}

#[tokio::test]
async fn throttling_says_when_to_come_back() {
    let (status, headers, body) = call(Request::get("/throttled").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers[header::RETRY_AFTER], "30");
    assert_eq!(body["code"], "too_many_requests");
}

#[tokio::test]
async fn an_internal_error_reveals_nothing_of_its_cause() {
    let (status, _, body) = call(Request::get("/broken").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["code"], "internal_error");
    assert!(!body.to_string().contains("hunter2"));
}

#[tokio::test]
async fn a_body_over_the_limit_answers_413_as_a_problem() {
    let huge = format!("{{\"name\": \"{}\", \"age\": 20}}", "a".repeat(BODY_LIMIT));
    let request = Request::post("/signup")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(huge))
        .unwrap();
    let (status, headers, body) = call(request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    assert_eq!(body["code"], "payload_too_large");
}

#[tokio::test]
async fn if_match_star_means_whatever_is_current() {
    let with = |value: Option<&'static str>| {
        let mut request = Request::put("/versioned");
        if let Some(value) = value {
            request = request.header(header::IF_MATCH, value);
        }
        request.body(Body::empty()).unwrap()
    };
    let (status, _, body) = call(with(Some("*"))).await;
    assert_eq!(
        (status, &body["expected"]),
        (StatusCode::OK, &Value::Null),
        "no version required"
    );
    let (_, _, body) = call(with(Some("\"7\""))).await;
    assert_eq!(body["expected"], 7);
    let (status, _, body) = call(with(Some("\"seven\""))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PRECONDITION_FAILED, Some("precondition_failed"))
    );
}

#[tokio::test]
async fn browsers_from_configured_origins_get_cors_headers_and_others_do_not() {
    let layer = cors("https://app.example.com, http://localhost:5173")
        .unwrap()
        .expect("two origins");
    let router = router().layer(layer);
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/signup")
        .header(header::ORIGIN, "http://localhost:5173")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type, authorization")
        .body(Body::empty())
        .unwrap();
    let answer = router.clone().oneshot(preflight).await.unwrap();
    assert!(answer.status().is_success());
    assert_eq!(
        answer.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "http://localhost:5173"
    );
    let allowed = answer.headers()[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        allowed.contains("authorization") && allowed.contains("if-match"),
        "{allowed}"
    );
    let stranger = Request::get("/whoami")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::empty())
        .unwrap();
    let answer = router.oneshot(stranger).await.unwrap();
    assert!(answer.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    assert!(cors("").unwrap().is_none(), "no origins, no CORS");
}
