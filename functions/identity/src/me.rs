//! The caller's own account: their profile and memberships, its changes, and their sessions.

use super::fields::optional_name;
use super::{IdentityState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use stratum_infra::http::{
    Access, Api, Caller, Context, Ids, IfMatch, Operation, Paging, RequestBody, Valid, page, with_etag,
};
use stratum_shared::identity::{Identity, MeUpdate, MeView, SessionView};
use stratum_shared::ids::SessionId;
use stratum_shared::schema;
use stratum_shared::validation::ValidationErrors;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

pub(crate) fn routes(api: Api<IdentityState>) -> Api<IdentityState> {
    api.route(
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
}

async fn me(State(identity): State<Identity>, Caller(principal): Caller) -> Response {
    let view = identity.me(&principal);
    with_etag(StatusCode::OK, view.etag, view)
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
    let view = identity.update_me(&principal, update, expected, &context).await?;
    Ok(with_etag(StatusCode::OK, view.etag, view))
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
