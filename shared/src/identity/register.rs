//! Registration by password and e-mail confirmation; the personal organisation (T2) and the
//! e-mail claim (T10) are written in the same transaction as the user.

use super::{
    Access, EmailClaim, Identity, Membership, Organisation, PlatformRole, Registration as RegistrationState,
    TokenPurpose, User, name_from_email,
};
use crate::accounts::{Email, OrganisationKind, Password, Role, UserKind};
use crate::ids::{OrganisationId, UserId};
use crate::keys;
use crate::mail::EmailMessage;
use crate::ports::OutboxMessage;
use crate::store::{Condition, Item, Write};
use crate::time::Timestamp;
use crate::unit_of_work::UnitOfWork;
use crate::validation::{Collector, ValidationErrors, free_text};

/// Longest display name accepted.
use crate::validation::MAX_NAME_CHARS;

/// A valid registration request.
#[derive(Debug)]
pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub name: String,
}

impl Registration {
    pub fn parse(email: &str, password: &str, name: Option<&str>) -> Result<Self, ValidationErrors> {
        let mut errors = Collector::new();
        let email = errors.check(Email::parse(email));
        let name = match name.map(str::trim) {
            Some(name) => errors.check(parse_name(name)),
            None => email.as_ref().map(name_from_email),
        };
        let context: Vec<&str> = [email.as_ref().map(Email::as_str), name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let password = errors.check(Password::parse(password, &context));
        errors.finish(|| Registration {
            email: email.expect("checked"),
            password: password.expect("checked"),
            name: name.expect("checked"),
        })
    }
}

pub(crate) fn parse_name(name: &str) -> Result<String, ValidationErrors> {
    free_text("name", name, MAX_NAME_CHARS)
}

/// A new person with their personal organisation (T2), and the writes that create them
/// atomically: user, e-mail claim (T10), organisation, membership.
pub(crate) struct NewPerson {
    pub user: User,
    pub writes: Vec<Write>,
}

/// Position of the e-mail claim in [`NewPerson::writes`]: its condition failing means the
/// address is taken.
const EMAIL_CLAIM_WRITE: usize = 1;

pub(crate) fn new_person(
    email: Email,
    name: String,
    password_hash: Option<String>,
    registration: RegistrationState,
    platform_roles: Vec<PlatformRole>,
    now: Timestamp,
) -> NewPerson {
    let user_id = UserId::generate();
    let organisation_id = OrganisationId::generate();
    let user = User {
        id: user_id,
        email: email.clone(),
        name: name.clone(),
        kind: UserKind::Person,
        registration,
        access: Access::Active,
        platform_roles,
        password_hash,
        personal_organisation_id: organisation_id,
        default_organisation_id: organisation_id,
        owner_organisation_id: None,
        sessions_ended_at: None,
        alert_emails: true,
        created_at: now,
        updated_at: now,
    };
    let organisation = Organisation::personal(organisation_id, &name, Some(user_id), now);
    let membership = Membership {
        user_id,
        organisation_id,
        organisation_name: name.clone(),
        parent_organisation_id: None,
        organisation_kind: OrganisationKind::Personal,
        roles: vec![Role::Owner, Role::BillingAdmin, Role::Member],
        active: true,
        accepted: true,
        joined_at: now,
        member_email: Some(email.clone()),
        member_name: name,
        member_kind: UserKind::Person,
    };
    let create = |item: Item| Write::Put {
        item,
        condition: Some(Condition::NotExists),
    };
    let writes = vec![
        create(Item::from_record(keys::user(user_id), &user)),
        create(Item::from_record(keys::email(&email), &EmailClaim { user_id })),
        create(Item::from_record(keys::organisation(organisation_id), &organisation)),
        create(
            Item::from_record(keys::membership(user_id, organisation_id), &membership)
                .with_gsi1(keys::membership_by_organisation(organisation_id, user_id)),
        ),
    ];
    NewPerson { user, writes }
}

impl NewPerson {
    /// The person's writes added to `work`; a failed condition on the e-mail claim means the
    /// address is taken (T10), which the caller says how to answer.
    pub(crate) fn add_to<M>(self, mut work: UnitOfWork<M>, taken: M) -> UnitOfWork<M> {
        let mut taken = Some(taken);
        for (position, write) in self.writes.into_iter().enumerate() {
            work = match taken.take_if(|_| position == EMAIL_CLAIM_WRITE) {
                Some(taken) => work.write_or(write, taken),
                None => work.write(write),
            };
        }
        work
    }

    /// The person as `user` says (a default organisation their registration joined), in the
    /// user item the writes create.
    pub(crate) fn restated(mut self, user: &User) -> Self {
        let Write::Put { item, .. } = &mut self.writes[0] else {
            unreachable!("the user item comes first")
        };
        item.attributes = Item::from_record(keys::user(user.id), user).attributes;
        self.user = user.clone();
        self
    }
}

impl Identity {
    /// What e-mails `user` a link confirming their address: the single-use token's write and
    /// the (sealed) message.
    pub(crate) fn confirmation_request(
        &self,
        user: &User,
        now: Timestamp,
    ) -> crate::error::DomainResult<(Write, OutboxMessage)> {
        let (token, token_write) = self.issue_one_time_token(
            TokenPurpose::ConfirmEmail,
            user.id,
            chrono::Duration::hours(self.settings.confirmation_hours),
        );
        let mail = EmailMessage::ConfirmEmail {
            to: user.email.clone(),
            name: user.name.clone(),
            link: format!("{}/confirm-email?token={token}", self.settings.web_url),
        };
        Ok((token_write, self.mail(&mail, now)?))
    }
}
