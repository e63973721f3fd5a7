//! User administration (platform admins): a user, suspended or reactivated.

use super::{IdentityState, Result};
use axum::Json;
use axum::extract::State;
use stratum_infra::http::{Access, Api, Caller, Context, Ids, Operation};
use stratum_shared::identity::{Identity, UserView};
use stratum_shared::ids::UserId;

pub(crate) fn routes(api: Api<IdentityState>) -> Api<IdentityState> {
    let admins = Access::PlatformAdmins;
    api.route(
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
