//! The identity function's routes: registration, e-mail confirmation, sign-in, token refresh,
//! sign-out, password reset, the caller's profile and sessions, and user administration.

use axum::Json;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http::Method;
use serde::{Deserialize, Serialize};
use stratum_infra::http::{Api, ApiError, Caller, Context, RequestBody, Shape, Valid, etag, if_match};
use stratum_shared::identity::{Identity, LoginContext, MeUpdate, MeView, NewRegistration, UserView};
use stratum_shared::ids::{SessionId, UserId};
use stratum_shared::invitations::{InvitationReport, Invitations};
use stratum_shared::validation::ValidationErrors;

/// The identity function's state: identity, and the invitations a registration accepts.
#[derive(Clone)]
pub struct IdentityState {
    pub identity: Identity,
    pub invitations: Invitations,
}

impl FromRef<IdentityState> for Identity {
    fn from_ref(state: &IdentityState) -> Identity {
        state.identity.clone()
    }
}

impl FromRef<IdentityState> for Invitations {
    fn from_ref(state: &IdentityState) -> Invitations {
        state.invitations.clone()
    }
}

pub fn api(invitations: Invitations) -> Api {
    let state = IdentityState {
        identity: invitations.identity.clone(),
        invitations,
    };
    Api::new()
        .route(Method::POST, "/api/auth/register", register)
        .route(Method::POST, "/api/auth/confirm-email", confirm_email)
        .route(Method::POST, "/api/auth/login", login)
        .route(Method::POST, "/api/auth/refresh", refresh)
        .route(Method::POST, "/api/auth/logout", logout)
        .route(Method::POST, "/api/auth/password/forgot", forgot_password)
        .route(Method::POST, "/api/auth/password/reset", reset_password)
        .route(Method::GET, "/api/me", me)
        .route(Method::PATCH, "/api/me", update_me)
        .route(Method::GET, "/api/me/sessions", sessions)
        .route(Method::DELETE, "/api/me/sessions/{session_id}", revoke_session)
        .route(Method::GET, "/api/users/{user_id}", user)
        .route(Method::POST, "/api/users/{user_id}/suspend", suspend)
        .route(Method::POST, "/api/users/{user_id}/reactivate", reactivate)
        .with_state(state)
}

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    email: String,
    password: String,
    name: Option<String>,
    invitation_token: Option<String>,
}

struct Register(NewRegistration, Option<String>);

impl RequestBody for Register {
    type Raw = RegisterBody;

    fn parse(raw: RegisterBody) -> std::result::Result<Self, ValidationErrors> {
        let registration = NewRegistration::parse(&raw.email, &raw.password, raw.name.as_deref())?;
        Ok(Register(registration, raw.invitation_token))
    }
}

async fn register(
    State(invitations): State<Invitations>,
    Context(context): Context,
    Valid(Register(registration, invitation_token)): Valid<Register>,
) -> Result<Response> {
    let registered = invitations
        .register(registration, invitation_token.as_deref(), &context)
        .await?;
    let body = Registered {
        user: registered.user.into(),
        invitation: registered.invitation,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The answer to a registration: the user, and what became of the invitation token it
/// carried (absent without one).
#[derive(Serialize)]
struct Registered {
    #[serde(flatten)]
    user: UserView,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation: Option<InvitationReport>,
}

/// An e-mailed token with a password: the one registered with (confirmation), or a new one
/// (reset).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenAndPassword {
    token: String,
    password: String,
}

async fn confirm_email(
    State(invitations): State<Invitations>,
    Context(context): Context,
    Valid(Shape(body)): Valid<Shape<TokenAndPassword>>,
) -> Result<StatusCode> {
    invitations.confirm_email(&body.token, &body.password, &context).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    refresh_token: String,
}

async fn refresh(
    State(identity): State<Identity>,
    Context(context): Context,
    Valid(Shape(body)): Valid<Shape<RefreshBody>>,
) -> Result<Response> {
    Ok(Json(identity.refresh(&body.refresh_token, &context).await?).into_response())
}

async fn logout(
    State(identity): State<Identity>,
    Context(context): Context,
    Valid(Shape(body)): Valid<Shape<RefreshBody>>,
) -> Result<StatusCode> {
    identity.logout(&body.refresh_token, &context).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForgotBody {
    email: String,
}

/// How long `password/forgot` takes at least, so its timing does not tell a registered address
/// (a token, a mail and an audit event written) from an unknown one (nothing written).
pub const FORGOT_PASSWORD_TAKES: std::time::Duration = std::time::Duration::from_millis(250);

async fn forgot_password(
    State(identity): State<Identity>,
    Context(context): Context,
    Valid(Shape(body)): Valid<Shape<ForgotBody>>,
) -> Result<StatusCode> {
    let answer_at = tokio::time::Instant::now() + FORGOT_PASSWORD_TAKES;
    let outcome = identity.forgot_password(&body.email, &context).await;
    tokio::time::sleep_until(answer_at).await;
    outcome?;
    Ok(StatusCode::ACCEPTED)
}

async fn reset_password(
    State(invitations): State<Invitations>,
    Context(context): Context,
    Valid(Shape(body)): Valid<Shape<TokenAndPassword>>,
) -> Result<StatusCode> {
    invitations
        .reset_password(&body.token, &body.password, &context)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn with_etag(view: MeView) -> Response {
    ([(header::ETAG, etag(view.etag))], Json(view)).into_response()
}

async fn me(State(identity): State<Identity>, Caller(principal): Caller) -> Response {
    with_etag(identity.me(&principal))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateMeBody {
    name: Option<String>,
    default_organisation_id: Option<String>,
}

struct UpdateMe(MeUpdate);

impl RequestBody for UpdateMe {
    type Raw = UpdateMeBody;

    fn parse(raw: UpdateMeBody) -> std::result::Result<Self, ValidationErrors> {
        MeUpdate::parse(raw.name.as_deref(), raw.default_organisation_id.as_deref()).map(UpdateMe)
    }
}

async fn update_me(
    State(identity): State<Identity>,
    Caller(principal): Caller,
    Context(context): Context,
    headers: HeaderMap,
    Valid(UpdateMe(update)): Valid<UpdateMe>,
) -> Result<Response> {
    let expected = if_match(&headers)?;
    Ok(with_etag(
        identity.update_me(&principal, update, expected, &context).await?,
    ))
}

async fn sessions(State(identity): State<Identity>, Caller(principal): Caller) -> Result<Response> {
    let items = identity.sessions(principal.user.id, principal.session_id).await?;
    Ok(Json(serde_json::json!({ "items": items, "next_cursor": null })).into_response())
}

/// An id in a path that does not parse names nothing that exists.
fn path_id<T>(parsed: std::result::Result<T, ValidationErrors>) -> Result<T> {
    parsed.map_err(|_| ApiError::NotFound)
}

async fn revoke_session(
    State(identity): State<Identity>,
    Caller(principal): Caller,
    Context(context): Context,
    Path(session_id): Path<String>,
) -> Result<StatusCode> {
    let session_id = path_id(SessionId::parse(&session_id, "session_id"))?;
    identity.revoke_session(&principal, session_id, &context).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn user(
    State(identity): State<Identity>,
    Caller(principal): Caller,
    Path(user_id): Path<String>,
) -> Result<Json<UserView>> {
    let user_id = path_id(UserId::parse(&user_id, "user_id"))?;
    Ok(Json(identity.user(&principal, user_id).await?))
}

async fn suspend(
    State(identity): State<Identity>,
    Caller(principal): Caller,
    Context(context): Context,
    Path(user_id): Path<String>,
) -> Result<Json<UserView>> {
    let user_id = path_id(UserId::parse(&user_id, "user_id"))?;
    Ok(Json(identity.suspend(&principal, user_id, &context).await?))
}

async fn reactivate(
    State(identity): State<Identity>,
    Caller(principal): Caller,
    Context(context): Context,
    Path(user_id): Path<String>,
) -> Result<Json<UserView>> {
    let user_id = path_id(UserId::parse(&user_id, "user_id"))?;
    Ok(Json(identity.reactivate(&principal, user_id, &context).await?))
}
