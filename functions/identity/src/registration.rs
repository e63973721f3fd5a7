//! Registration with an e-mail address and a password (carrying an invitation token, or not),
//! and the confirmation of the address with the e-mailed token.

use super::fields::{TokenAndPassword, TokenWithPassword, check_token, optional_name, optional_token, password};
use super::{IdentityState, Result};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use stratum_infra::http::{Access, Api, Context, Operation, RequestBody, Valid};
use stratum_shared::identity::{NewRegistration, UserView};
use stratum_shared::invitations::{InvitationReport, Invitations};
use stratum_shared::schema;
use stratum_shared::validation::ValidationErrors;
use utoipa::ToSchema;

pub(crate) fn routes(api: Api<IdentityState>) -> Api<IdentityState> {
    api.route(
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
}

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

async fn confirm_email(
    State(invitations): State<Invitations>,
    Context(context): Context,
    Valid(TokenWithPassword(body)): Valid<TokenWithPassword>,
) -> Result<StatusCode> {
    invitations.confirm_email(&body.token, &body.password, &context).await?;
    Ok(StatusCode::NO_CONTENT)
}
