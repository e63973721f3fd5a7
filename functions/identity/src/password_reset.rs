//! A forgotten password: a reset link e-mailed (the answer never tells whether the address is
//! known), and a new password set with its token.

use super::fields::{TokenAndPassword, TokenWithPassword};
use super::{IdentityState, Result};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use stratum_infra::http::{Access, Api, Context, Operation, RequestBody, Valid};
use stratum_shared::identity::Identity;
use stratum_shared::invitations::Invitations;
use stratum_shared::validation::ValidationErrors;
use utoipa::ToSchema;

pub(crate) fn routes(api: Api<IdentityState>) -> Api<IdentityState> {
    api.route(
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
