//! The invitations function's routes (SPEC §5).

use axum::Json;
use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use stratum_infra::http::{Access, Api, ApiError, Caller, Context, Ids, Operation, Paging, Shape, Valid, page};
use stratum_shared::accounts::{Email, Role};
use stratum_shared::identity::{Identity, MAX_TOKEN_CHARS};
use stratum_shared::ids::{InvitationId, OrganisationId, UserId};
use stratum_shared::invitations::{InvitationPreview, InvitationView, Invitations, InviteOutcome, InviteTarget};
use stratum_shared::schema;
use stratum_shared::tenancy::{NoticeTokenPayload, Permission, parse_roles};
use stratum_shared::validation::{Collector, ValidationErrors};
use utoipa::ToSchema;

#[derive(Clone)]
pub struct InvitationsState(pub Invitations);

impl FromRef<InvitationsState> for Identity {
    fn from_ref(state: &InvitationsState) -> Identity {
        state.0.identity.clone()
    }
}

pub fn api(invitations: Invitations) -> Api {
    let manage_members = Permission::ManageMembers;
    Api::new()
        .route(
            Operation::post("/api/invitations", "inviteToPlatform")
                .summary("invitations", "Invite someone to the platform by e-mail")
                .access(Access::Persons)
                .takes::<PlatformInvitationBody>()
                .answers::<InvitationView>(201)
                .may_answer(&[409, 429]),
            invite_to_platform,
        )
        .route(
            Operation::get("/api/invitations/{token}", "previewInvitation")
                .summary("invitations", "What an invitation link offers, before signing up or in")
                .path_schema(
                    "token",
                    json!({ "type": "string", "minLength": 1, "maxLength": MAX_TOKEN_CHARS }),
                )
                .answers::<InvitationPreview>(200)
                .may_answer(&[410])
                .access(Access::Public),
            preview,
        )
        .route(
            Operation::post(
                "/api/organisations/{organisation_id}/invitations",
                "inviteToOrganisation",
            )
            .summary("invitations", "Invite someone to an organisation by e-mail or user id")
            .permission(manage_members)
            .takes::<OrganisationInvitationBody>()
            .answers::<InviteOutcome>(201)
            .may_answer(&[409, 429]),
            invite_to_organisation,
        )
        .route(
            Operation::get("/api/organisations/{organisation_id}/invitations", "listInvitations")
                .summary("invitations", "An organisation's invitations")
                .permission(manage_members)
                .lists::<InvitationView>(),
            list,
        )
        .route(
            Operation::post(
                "/api/organisations/{organisation_id}/invitations/{invitation_id}/resend",
                "resendInvitation",
            )
            .summary(
                "invitations",
                "Send a pending invitation's e-mail again, with a new link",
            )
            .permission(manage_members)
            .answers::<InvitationView>(200)
            .may_answer(&[409, 410, 429]),
            resend,
        )
        .route(
            Operation::delete(
                "/api/organisations/{organisation_id}/invitations/{invitation_id}",
                "revokeInvitation",
            )
            .summary("invitations", "Revoke a pending invitation")
            .permission(manage_members)
            .answers_nothing(204)
            .may_answer(&[409, 410]),
            revoke,
        )
        .route(
            Operation::post(
                "/api/organisations/{organisation_id}/membership/accept",
                "acceptMembership",
            )
            .summary(
                "invitations",
                "Accept a membership someone else gave you: until then no rule or alert e-mail of the organisation reaches you",
            )
            .access(Access::LeaveOrganisation)
            .answers_nothing(204),
            accept_membership,
        )
        .route(
            Operation::post(
                "/api/organisations/{organisation_id}/membership/block",
                "blockOrganisation",
            )
            .summary(
                "invitations",
                "Leave an organisation and block it (and its root's companies) from adding you again",
            )
            .access(Access::LeaveOrganisation)
            .answers_nothing(204)
            .may_answer(&[409]),
            block_organisation,
        )
        .route(
            Operation::post("/api/membership/accept", "acceptMembershipByLink")
                .summary(
                    "invitations",
                    "Accept a membership with the token of the notice that announced it (no sign-in: the link proves the mailbox)",
                )
                .access(Access::Public)
                .takes::<NoticeTokenPayload>()
                .answers_nothing(204)
                .may_answer(&[404, 410]),
            accept_by_link,
        )
        .route(
            Operation::post("/api/membership/block", "blockOrganisationByLink")
                .summary(
                    "invitations",
                    "Leave the organisation a notice announced and block it from adding you again (no sign-in)",
                )
                .access(Access::Public)
                .takes::<NoticeTokenPayload>()
                .answers_nothing(204)
                .may_answer(&[404, 409, 410]),
            block_by_link,
        )
        .with_state(InvitationsState(invitations))
}

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlatformInvitationRequest)]
struct PlatformInvitationBody {
    #[schema(schema_with = schema::email_input)]
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

/// Exactly one of `email` and `user_id` (the other absent or null).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganisationInvitationBody {
    email: Option<String>,
    user_id: Option<String>,
    roles: Option<Vec<String>>,
}

impl utoipa::PartialSchema for OrganisationInvitationBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::ObjectBuilder;
        let roles = stratum_shared::accounts::role_set(&[
            Role::Owner,
            Role::BillingAdmin,
            Role::Operator,
            Role::Viewer,
            Role::Member,
        ]);
        let object = ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Object)
            .description(Some(
                "Invite by `email`, or add an existing user by `user_id`: exactly one of them. `roles`: `member` when absent.",
            ))
            .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
            .property("email", schema::nullable(schema::email_input()))
            .property("user_id", schema::nullable(schema::uuid_input()))
            .property("roles", schema::nullable(roles))
            .build();
        let exactly = |present: &str, absent: &str| json!({ "required": [present], "properties": { present: { "not": { "type": "null" } }, absent: { "type": "null" } } });
        schema::with_keywords(
            object,
            json!({ "oneOf": [exactly("email", "user_id"), exactly("user_id", "email")] }),
        )
        .into()
    }
}

impl ToSchema for OrganisationInvitationBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "OrganisationInvitationRequest".into()
    }
}

async fn invite_to_organisation(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(id): Ids<OrganisationId>,
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
        .invite_to_organisation(&principal, &context, id, target.expect("checked"), roles)
        .await?;
    Ok((StatusCode::CREATED, Json(outcome)).into_response())
}

async fn list(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Caller(principal): Caller,
    Ids(id): Ids<OrganisationId>,
    paging: Paging,
) -> Result<Response> {
    let (items, next) = invitations.list(&principal, id, paging.limit, paging.cursor).await?;
    Ok(page(items, next).into_response())
}

async fn resend(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((id, invitation)): Ids<(OrganisationId, InvitationId)>,
) -> Result<Json<InvitationView>> {
    Ok(Json(invitations.resend(&principal, &context, id, invitation).await?))
}

async fn accept_membership(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(id): Ids<OrganisationId>,
) -> Result<StatusCode> {
    invitations.tenancy.accept_membership(&principal, &context, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn block_organisation(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids(id): Ids<OrganisationId>,
) -> Result<StatusCode> {
    invitations.tenancy.block_organisation(&principal, &context, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn accept_by_link(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Context(context): Context,
    Valid(Shape(body)): Valid<Shape<NoticeTokenPayload>>,
) -> Result<StatusCode> {
    invitations.tenancy.accept_by_notice(&context, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn block_by_link(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Context(context): Context,
    Valid(Shape(body)): Valid<Shape<NoticeTokenPayload>>,
) -> Result<StatusCode> {
    invitations.tenancy.block_by_notice(&context, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke(
    State(InvitationsState(invitations)): State<InvitationsState>,
    Caller(principal): Caller,
    Context(context): Context,
    Ids((id, invitation)): Ids<(OrganisationId, InvitationId)>,
) -> Result<StatusCode> {
    invitations.revoke(&principal, &context, id, invitation).await?;
    Ok(StatusCode::NO_CONTENT)
}
