//! The identity function's routes: registration, e-mail confirmation, sign-in, token refresh,
//! sign-out, password reset, the caller's profile and sessions, and user administration.

use axum::Json;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use stratum_infra::http::{
    Access, Api, ApiError, Caller, Context, Ids, IfMatch, Operation, Paging, RequestBody, Shape, Valid, etag, page,
};
use stratum_shared::accounts::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use stratum_shared::identity::{
    Identity, LoginContext, MAX_TOKEN_CHARS, MeUpdate, MeView, NewRegistration, SessionView, TokenPair, UserView,
};
use stratum_shared::ids::{SessionId, UserId};
use stratum_shared::invitations::{InvitationReport, Invitations};
use stratum_shared::schema;
use stratum_shared::validation::ValidationErrors;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};

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
    let admins = Access::PlatformAdmins;
    Api::new()
        .route(
            Operation::post("/api/auth/register", "register")
                .summary("auth", "Register with an e-mail address and a password")
                .takes::<RegisterBody>()
                .answers::<Registered>(201)
                .may_answer(&[403, 409, 429])
                .access(Access::Public),
            register,
        )
        .route(
            Operation::post("/api/auth/confirm-email", "confirmEmail")
                .summary(
                    "auth",
                    "Confirm an address with the e-mailed token and the password registered with",
                )
                .takes::<TokenAndPassword>()
                .answers_nothing(204)
                .may_answer(&[403, 404, 409, 410, 429])
                .access(Access::Public),
            confirm_email,
        )
        .route(
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
        .route(
            Operation::post("/api/auth/password/forgot", "forgotPassword")
                .summary(
                    "auth",
                    "E-mail a password reset link (the answer never tells whether the address is known)",
                )
                .takes::<ForgotBody>()
                .answers_nothing(202)
                .may_answer(&[429])
                .access(Access::Public),
            forgot_password,
        )
        .route(
            Operation::post("/api/auth/password/reset", "resetPassword")
                .summary("auth", "Set a new password with the e-mailed token; ends every session")
                .takes::<TokenAndPassword>()
                .answers_nothing(204)
                .may_answer(&[404, 410, 429])
                .access(Access::Public),
            reset_password,
        )
        .route(
            Operation::get("/api/me", "getMe")
                .summary("me", "The caller's profile and memberships")
                .access(Access::Authenticated)
                .answers::<MeView>(200)
                .tagged(),
            me,
        )
        .route(
            Operation::patch("/api/me", "updateMe")
                .summary(
                    "me",
                    "Change the caller's name, default organisation or whether alert e-mails reach them",
                )
                .access(Access::Authenticated)
                .takes::<UpdateMeBody>()
                .answers::<MeView>(200)
                .conditional()
                .may_answer(&[403, 404, 409]),
            update_me,
        )
        .route(
            Operation::get("/api/me/sessions", "listSessions")
                .summary("me", "The caller's sessions")
                .access(Access::Authenticated)
                .lists::<SessionView>(),
            sessions,
        )
        .route(
            Operation::delete("/api/me/sessions/{session_id}", "revokeSession")
                .summary("me", "End one of the caller's sessions")
                .access(Access::OwnOnly)
                .answers_nothing(204),
            revoke_session,
        )
        .route(
            Operation::get("/api/users/{user_id}", "getUser")
                .summary("users", "A user (platform admins)")
                .access(admins)
                .answers::<UserView>(200),
            user,
        )
        .route(
            Operation::post("/api/users/{user_id}/suspend", "suspendUser")
                .summary(
                    "users",
                    "Suspend a user: they can no longer sign in, and their sessions end",
                )
                .access(admins)
                .answers::<UserView>(200)
                .may_answer(&[409]),
            suspend,
        )
        .route(
            Operation::post("/api/users/{user_id}/reactivate", "reactivateUser")
                .summary("users", "Reactivate a suspended user")
                .access(admins)
                .answers::<UserView>(200)
                .may_answer(&[409]),
            reactivate,
        )
        .route(
            Operation::get("/.well-known/jwks.json", "jwks")
                .summary(
                    "auth",
                    "The public keys access tokens are verified with (RFC 7517; the signing key first)",
                )
                .answers::<Jwks>(200)
                .access(Access::Public),
            jwks,
        )
        .with_state(state)
}

/// A JSON Web Key Set (RFC 7517) of Ed25519 keys (RFC 8037).
#[derive(Serialize, ToSchema)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Serialize, ToSchema)]
struct Jwk {
    /// `OKP`
    kty: &'static str,
    /// `Ed25519`
    crv: &'static str,
    /// The raw public key, base64url without padding.
    x: String,
    /// What access tokens name in their header's `kid`.
    kid: String,
    /// `EdDSA`
    alg: &'static str,
    /// `sig`
    #[serde(rename = "use")]
    usage: &'static str,
}

async fn jwks(State(identity): State<Identity>) -> Json<Jwks> {
    let keys = identity
        .tokens
        .verification_keys()
        .into_iter()
        .map(|key| Jwk {
            kty: "OKP",
            crv: "Ed25519",
            x: URL_SAFE_NO_PAD.encode(&key.public_key),
            kid: key.kid,
            alg: "EdDSA",
            usage: "sig",
        })
        .collect();
    Json(Jwks { keys })
}

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegisterRequest)]
struct RegisterBody {
    #[schema(schema_with = schema::email_input)]
    email: String,
    #[schema(schema_with = password)]
    password: String,
    /// Defaults to a name guessed from the address (jane.doe@… → Jane Doe).
    #[schema(schema_with = optional_name)]
    name: Option<String>,
    /// With the invited address, proves the mailbox and applies the invitation at once. With
    /// another address, the invitation becomes this registrant's and takes effect when they
    /// confirm that address (`invitation.code` is `awaiting_confirmation`). An unusable token
    /// never blocks the sign-up (see `invitation` in the answer).
    #[schema(schema_with = optional_token)]
    invitation_token: Option<String>,
}

/// A password as typed: 8 to 1,024 characters, refused (422 `weak_password`) when common or
/// easy to guess — a rule no schema states.
fn password() -> impl Into<RefOr<Schema>> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(MIN_PASSWORD_CHARS))
        .max_length(Some(MAX_PASSWORD_CHARS))
        .description(Some(
            "Taken exactly as typed; refused (422 `weak_password`) when common or easy to guess.",
        ))
}

fn token() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_TOKEN_CHARS))
        .build()
}

fn optional_token() -> impl Into<RefOr<Schema>> {
    schema::nullable(token())
}

fn optional_name() -> impl Into<RefOr<Schema>> {
    schema::nullable(schema::name_text())
}

struct Register(NewRegistration, Option<String>);

impl RequestBody for Register {
    type Raw = RegisterBody;

    fn parse(raw: RegisterBody) -> std::result::Result<Self, ValidationErrors> {
        if let Some(token) = &raw.invitation_token {
            check_token("invitation_token", token)?;
        }
        let registration = NewRegistration::parse(&raw.email, &raw.password, raw.name.as_deref())?;
        Ok(Register(registration, raw.invitation_token))
    }
}

/// A token as the document states it: 1 to [`MAX_TOKEN_CHARS`] characters. Anything else was
/// never issued, and says so as a 422 rather than as an unknown token.
fn check_token(field: &str, token: &str) -> std::result::Result<(), ValidationErrors> {
    if token.is_empty() || token.chars().count() > MAX_TOKEN_CHARS {
        return Err(ValidationErrors::single(
            field,
            "invalid_token",
            format!("a token has 1 to {MAX_TOKEN_CHARS} characters"),
        ));
    }
    Ok(())
}

/// An e-mailed token with a password: the one registered with (confirmation), or a new one
/// (reset).
struct TokenWithPassword(TokenAndPassword);

impl RequestBody for TokenWithPassword {
    type Raw = TokenAndPassword;

    fn parse(raw: TokenAndPassword) -> std::result::Result<Self, ValidationErrors> {
        check_token("token", &raw.token)?;
        Ok(TokenWithPassword(raw))
    }
}

struct Refresh(RefreshBody);

impl RequestBody for Refresh {
    type Raw = RefreshBody;

    fn parse(raw: RefreshBody) -> std::result::Result<Self, ValidationErrors> {
        check_token("refresh_token", &raw.refresh_token)?;
        Ok(Refresh(raw))
    }
}

struct Forgot(String);

impl RequestBody for Forgot {
    type Raw = ForgotBody;

    /// SPEC §13: always 202, whatever the address, so nothing is checked but the length the
    /// document states (longer than any address can be: 422).
    fn parse(raw: ForgotBody) -> std::result::Result<Self, ValidationErrors> {
        if raw.email.chars().count() > MAX_EMAIL_CHARS {
            return Err(ValidationErrors::single(
                "email",
                "too_long",
                format!("an e-mail address has at most {MAX_EMAIL_CHARS} characters"),
            ));
        }
        Ok(Forgot(raw.email))
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
#[derive(Serialize, ToSchema)]
#[schema(as = RegisteredUser)]
struct Registered {
    #[serde(flatten)]
    user: UserView,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation: Option<InvitationReport>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TokenRequest)]
struct TokenAndPassword {
    #[schema(schema_with = token)]
    token: String,
    #[schema(schema_with = password)]
    password: String,
}

async fn confirm_email(
    State(invitations): State<Invitations>,
    Context(context): Context,
    Valid(TokenWithPassword(body)): Valid<TokenWithPassword>,
) -> Result<StatusCode> {
    invitations.confirm_email(&body.token, &body.password, &context).await?;
    Ok(StatusCode::NO_CONTENT)
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ForgotPasswordRequest)]
struct ForgotBody {
    /// Any text: the answer is 202 whether or not it is a registered address, or an address.
    #[schema(max_length = 254)]
    email: String,
}

/// The longest e-mail address (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;

/// How long `password/forgot` takes at least, so its timing does not tell a registered address
/// (a token, a mail and an audit event written) from an unknown one (nothing written).
pub const FORGOT_PASSWORD_TAKES: std::time::Duration = std::time::Duration::from_millis(250);

async fn forgot_password(
    State(identity): State<Identity>,
    Context(context): Context,
    Valid(Forgot(email)): Valid<Forgot>,
) -> Result<StatusCode> {
    let answer_at = tokio::time::Instant::now() + FORGOT_PASSWORD_TAKES;
    let outcome = identity.forgot_password(&email, &context).await;
    tokio::time::sleep_until(answer_at).await;
    outcome?;
    Ok(StatusCode::ACCEPTED)
}

async fn reset_password(
    State(invitations): State<Invitations>,
    Context(context): Context,
    Valid(TokenWithPassword(body)): Valid<TokenWithPassword>,
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateMeRequest)]
struct UpdateMeBody {
    #[schema(schema_with = optional_name)]
    name: Option<String>,
    /// One of the caller's organisations.
    #[schema(schema_with = optional_id)]
    default_organisation_id: Option<String>,
    /// `false` stops alert e-mails (alert rules, SIM rules, offline devices) reaching the caller.
    alert_emails: Option<bool>,
}

fn optional_id() -> impl Into<RefOr<Schema>> {
    schema::nullable(schema::uuid_input())
}

struct UpdateMe(MeUpdate);

impl RequestBody for UpdateMe {
    type Raw = UpdateMeBody;

    fn parse(raw: UpdateMeBody) -> std::result::Result<Self, ValidationErrors> {
        MeUpdate::parse(
            raw.name.as_deref(),
            raw.default_organisation_id.as_deref(),
            raw.alert_emails,
        )
        .map(UpdateMe)
    }
}

async fn update_me(
    State(identity): State<Identity>,
    Caller(principal): Caller,
    Context(context): Context,
    IfMatch(expected): IfMatch,
    Valid(UpdateMe(update)): Valid<UpdateMe>,
) -> Result<Response> {
    Ok(with_etag(
        identity.update_me(&principal, update, expected, &context).await?,
    ))
}

async fn sessions(State(identity): State<Identity>, Caller(principal): Caller, _paging: Paging) -> Result<Response> {
    // A person has few sessions (sign-ins within the refresh lifetime): one page holds them all.
    let items = identity.sessions(principal.user.id, principal.session_id).await?;
    Ok(page(items, None).into_response())
}

async fn revoke_session(
    State(identity): State<Identity>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(session_id): Ids<SessionId>,
) -> Result<StatusCode> {
    identity.revoke_session(&principal, session_id, &context).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn user(
    State(identity): State<Identity>,
    Caller(principal): Caller,
    Ids(user_id): Ids<UserId>,
) -> Result<Json<UserView>> {
    Ok(Json(identity.user(&principal, user_id).await?))
}

async fn suspend(
    State(identity): State<Identity>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(user_id): Ids<UserId>,
) -> Result<Json<UserView>> {
    Ok(Json(identity.suspend(&principal, user_id, &context).await?))
}

async fn reactivate(
    State(identity): State<Identity>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(user_id): Ids<UserId>,
) -> Result<Json<UserView>> {
    Ok(Json(identity.reactivate(&principal, user_id, &context).await?))
}
