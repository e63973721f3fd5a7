//! Signing in and out: a pair of tokens for an address and password, the refresh token traded
//! for a new pair, and the session it belongs to ended.

use super::fields::{check_token, password, token};
use super::{IdentityState, Result};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use stratum_infra::http::{Access, Api, Context, Operation, RequestBody, Shape, Valid};
use stratum_shared::identity::{Identity, LoginContext, TokenPair};
use stratum_shared::schema;
use stratum_shared::validation::ValidationErrors;
use utoipa::ToSchema;

pub(crate) fn routes(api: Api<IdentityState>) -> Api<IdentityState> {
    api.route(
        Operation::post("/api/auth/login", "login")
            .summary("auth", "Sign in: an access token and a refresh token")
            .takes::<LoginBody>()
            .answers::<TokenPair>(200)
            .may_answer(&[401, 403, 429])
            .access(Access::Public),
        login,
    )
    .route(
        Operation::post("/api/auth/refresh", "refresh")
            .summary("auth", "Trade a refresh token for a new pair (rotation)")
            .takes::<RefreshBody>()
            .answers::<TokenPair>(200)
            .may_answer(&[401])
            .access(Access::Public),
        refresh,
    )
    .route(
        Operation::post("/api/auth/logout", "logout")
            .summary("auth", "End the session a refresh token belongs to")
            .takes::<RefreshBody>()
            .answers_nothing(204)
            .may_answer(&[401])
            .access(Access::Public),
        logout,
    )
}

struct Refresh(RefreshBody);

impl RequestBody for Refresh {
    type Raw = RefreshBody;

    fn parse(raw: RefreshBody) -> std::result::Result<Self, ValidationErrors> {
        check_token("refresh_token", &raw.refresh_token)?;
        Ok(Refresh(raw))
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LoginRequest)]
struct LoginBody {
    #[schema(schema_with = schema::email_input)]
    email: String,
    #[schema(schema_with = password)]
    password: String,
}

async fn login(
    State(identity): State<Identity>,
    Context(request): Context,
    headers: HeaderMap,
    Valid(Shape(body)): Valid<Shape<LoginBody>>,
) -> Result<Response> {
    let context = LoginContext {
        request,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|agent| agent.to_str().ok())
            .map(str::to_owned),
    };
    let tokens = identity.login(&body.email, &body.password, &context).await?;
    Ok(Json(tokens).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RefreshRequest)]
struct RefreshBody {
    #[schema(schema_with = token)]
    refresh_token: String,
}

async fn refresh(
    State(identity): State<Identity>,
    Context(context): Context,
    Valid(Refresh(body)): Valid<Refresh>,
) -> Result<Response> {
    Ok(Json(identity.refresh(&body.refresh_token, &context).await?).into_response())
}

async fn logout(
    State(identity): State<Identity>,
    Context(context): Context,
    Valid(Refresh(body)): Valid<Refresh>,
) -> Result<StatusCode> {
    identity.logout(&body.refresh_token, &context).await?;
    Ok(StatusCode::NO_CONTENT)
}
