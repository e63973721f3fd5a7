//! Platform administration of users (T9): the bootstrap admin, viewing, suspending and
//! reactivating users.

use super::register::new_person;
use super::{Access, Identity, PlatformAdmin, PlatformRole, Principal, Registration, User, require_platform_admin};
use crate::accounts::{Email, Password, UserKind};
use crate::audit::{Actor, RequestContext};
use crate::error::{DomainError, DomainResult};
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::store::{Condition, Update, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use serde::Serialize;
use serde_json::json;

/// A user as platform admins see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub email: Email,
    pub name: String,
    pub kind: UserKind,
    pub registration: Registration,
    pub access: Access,
    pub platform_roles: Vec<PlatformRole>,
    pub personal_organisation_id: OrganisationId,
    pub default_organisation_id: OrganisationId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            name: user.name,
            kind: user.kind,
            registration: user.registration,
            access: user.access,
            platform_roles: user.platform_roles,
            personal_organisation_id: user.personal_organisation_id,
            default_organisation_id: user.default_organisation_id,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

impl Identity {
    /// Creates the first platform admin if no user holds `email` yet; does nothing otherwise.
    /// Safe to run on every start, from any number of processes at once.
    pub async fn bootstrap_admin(&self, email: &str, password: &str) -> DomainResult<Option<User>> {
        let email = Email::parse(email)?;
        if self.store.get(&keys::email(&email)).await?.is_some() {
            return Ok(None);
        }
        let name = super::name_from_email(&email);
        let password = Password::parse(password, &[email.as_str()])?;
        let hash = self.hasher.hash(&password).await;
        let person = new_person(
            email,
            name,
            Some(hash),
            Registration::Registered,
            vec![PlatformRole::PlatformAdmin],
            self.now(),
        );
        let changes = json!({ "email": person.user.email, "platform_roles": person.user.platform_roles });
        let event = self.account_event(
            Actor::system(),
            &person.user,
            "user.bootstrapped",
            changes,
            &RequestContext::default(),
        );
        let user = person.user.clone();
        let taken = DomainError::conflict("email_taken", "this e-mail address is already registered");
        match person
            .add_to(UnitOfWork::new(), taken)
            .audit(event)
            .commit(&*self.store)
            .await
        {
            Ok(()) => Ok(Some(user)),
            Err(DomainError::Conflict {
                code: "email_taken", ..
            }) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// A user as platform admins see them; to anyone else the user does not exist.
    pub async fn user(&self, principal: &Principal, user_id: UserId) -> DomainResult<UserView> {
        let admin = require_platform_admin(principal)?;
        self.user_seen_by(&admin, user_id).await
    }

    async fn user_seen_by(&self, _admin: &PlatformAdmin, user_id: UserId) -> DomainResult<UserView> {
        let item = self
            .store
            .get(&keys::user(user_id))
            .await?
            .ok_or(DomainError::NotFound)?;
        Ok(item.record::<User>()?.into())
    }

    /// Suspends a user: they can no longer sign in, refresh or call the API, and every
    /// session of theirs ends.
    pub async fn suspend(
        &self,
        principal: &Principal,
        user_id: UserId,
        context: &RequestContext,
    ) -> DomainResult<UserView> {
        let admin = require_platform_admin(principal)?;
        if user_id == admin.user_id() {
            return Err(DomainError::conflict(
                "cannot_suspend_self",
                "platform admins cannot suspend themselves",
            ));
        }
        let user = self
            .set_access(&admin, user_id, Access::Suspended, "user.suspended", context)
            .await?;
        self.revoke_all_sessions(user_id).await?;
        Ok(user)
    }

    pub async fn reactivate(
        &self,
        principal: &Principal,
        user_id: UserId,
        context: &RequestContext,
    ) -> DomainResult<UserView> {
        let admin = require_platform_admin(principal)?;
        self.set_access(&admin, user_id, Access::Active, "user.reactivated", context)
            .await
    }

    async fn set_access(
        &self,
        admin: &PlatformAdmin,
        user_id: UserId,
        access: Access,
        action: &str,
        context: &RequestContext,
    ) -> DomainResult<UserView> {
        let item = self
            .store
            .get(&keys::user(user_id))
            .await?
            .ok_or(DomainError::NotFound)?;
        let mut user: User = item.record()?;
        let now = self.now();
        let mut update = Update::new(keys::user(user_id))
            .set("access", json!(access))
            .set("updated_at", json!(now))
            .when(Condition::VersionIs(item.version));
        if access == Access::Suspended {
            // Every session ends with the suspension, in its own transaction: reactivation
            // does not bring one back, even if removing them is cut short.
            update = update.set("sessions_ended_at", json!(now));
        }
        let event = self.account_event(admin.actor(), &user, action, json!({ "access": access }), context);
        let changed = DomainError::conflict("concurrent_change", "the user changed meanwhile; try again");
        UnitOfWork::new()
            .write(Write::Update(update))
            .audit(event)
            .otherwise(changed)
            .commit(&*self.store)
            .await?;
        user.access = access;
        user.updated_at = now;
        Ok(user.into())
    }
}
