//! The invitations function's routes (SPEC §5).

use axum::Json;
use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use http::Method;
use serde::Deserialize;
use stratum_infra::http::{Api, ApiError, Caller, Context, Paging, Shape, Valid, page};
use stratum_shared::identity::{Email, Identity};
use stratum_shared::ids::{InvitationId, OrganisationId, UserId};
use stratum_shared::invitations::{InvitationPreview, InvitationView, Invitations, InviteTarget};
use stratum_shared::tenancy::parse_roles;
use stratum_shared::validation::{Collector, ValidationErrors};

#[derive(Clone)]
pub struct InvitationsState(pub Invitations);

impl FromRef<InvitationsState> for Identity {
    fn from_ref(state: &InvitationsState) -> Identity {
        state.0.identity.clone()
    }
}

pub fn api(invitations: Invitations) -> Api {
    Api::new()
        .route(Method::POST, "/api/invitations", invite_to_platform)
        .route(Method::GET, "/api/invitations/{token}", preview)
        .route(
            Method::POST,
            "/api/organisations/{organisation_id}/invitations",
            invite_to_organisation,
        )
        .route(Method::GET, "/api/organisations/{organisation_id}/invitations", list)
        .route(
            Method::POST,
            "/api/organisations/{organisation_id}/invitations/{invitation_id}/resend",
            resend,
        )
        .route(
            Method::DELETE,
            "/api/organisations/{organisation_id}/invitations/{invitation_id}",
            revoke,
        )
        .with_state(InvitationsState(invitations))
}

type Result<T> = std::result::Result<T, ApiError>;

fn organisation_id(text: &str) -> Result<OrganisationId> {
    OrganisationId::parse(text, "organisation_id").map_err(|_| ApiError::NotFound)
}

fn invitation_id(text: &str) -> Result<InvitationId> {
    InvitationId::parse(text, "invitation_id").map_err(|_| ApiError::NotFound)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformInvitationBody {
    email: String,
}

async fn invite_to_platform(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Caller(principal): Caller,
    Context(context): Context,
    Valid(Shape(body)): Valid<Shape<PlatformInvitationBody>>,
) -> Result<Response> {
    let email = Email::parse(&body.email)?;
    let invitation = invitations.invite_to_platform(&principal, &context, email).await?;
    Ok((StatusCode::CREATED, Json(invitation)).into_response())
}

async fn preview(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Path(token): Path<String>,
) -> Result<Json<InvitationPreview>> {
    Ok(Json(invitations.preview(&token).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganisationInvitationBody {
    email: Option<String>,
    user_id: Option<String>,
    roles: Option<Vec<String>>,
}

async fn invite_to_organisation(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Caller(principal): Caller,
    Context(context): Context,
    Path(id): Path<String>,
    Valid(Shape(body)): Valid<Shape<OrganisationInvitationBody>>,
) -> Result<Response> {
    let mut errors = Collector::new();
    let target = match (body.email.as_deref(), body.user_id.as_deref()) {
        (Some(email), None) => errors.check(Email::parse(email)).map(InviteTarget::Email),
        (None, Some(user)) => errors.check(UserId::parse(user, "user_id")).map(InviteTarget::User),
        _ => {
            errors.push(
                "email",
                "email_or_user_id",
                "send either an e-mail address or a user id",
            );
            None
        }
    };
    let roles = body.roles.as_deref().and_then(|roles| errors.check(parse_roles(roles)));
    errors
        .finish(|| ())
        .map_err(|e: ValidationErrors| ApiError::Validation(e))?;
    let outcome = invitations
        .invite_to_organisation(
            &principal,
            &context,
            organisation_id(&id)?,
            target.expect("checked"),
            roles,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(outcome)).into_response())
}

async fn list(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = invitations
        .list(&principal, organisation_id(&id)?, paging.limit, paging.cursor)
        .await?;
    Ok(page(items, next).into_response())
}

async fn resend(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Caller(principal): Caller,
    Context(context): Context,
    Path((id, invitation)): Path<(String, String)>,
) -> Result<Json<InvitationView>> {
    Ok(Json(
        invitations
            .resend(&principal, &context, organisation_id(&id)?, invitation_id(&invitation)?)
            .await?,
    ))
}

async fn revoke(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Caller(principal): Caller,
    Context(context): Context,
    Path((id, invitation)): Path<(String, String)>,
) -> Result<StatusCode> {
    invitations
        .revoke(&principal, &context, organisation_id(&id)?, invitation_id(&invitation)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
