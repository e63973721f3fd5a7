//! A typed client for the specs: requests shaped like the API's resources, so a spec reads
//! `world.organisation(&ada, &id).members().set_roles(&bob.id, &["operator"])` instead of
//! building a method and a path by hand. Every request goes through [`World::call_with`], so
//! the client works the same over both entry points, and it returns the [`Reply`] as it came.
//!
//! This module is the one place that knows the resources' path templates. The authorisation
//! matrix and the round trips iterate over route templates on purpose and stay stringly.
//!
//! Ids are taken as anything displayable (the specs hold them as `String`s; an unknown id can
//! be a fresh `Uuid`), and bodies as JSON, so a spec can still send what the API must refuse.

use crate::world::{Person, Reply, World};
use serde_json::{Value, json};
use std::fmt::Display;

/// Who sends a request. A `&Person` is their bearer token.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// `Authorization: Bearer …` with an access token.
    Bearer(&'a str),
    /// `X-Api-Key: …`, as a machine signs in.
    ApiKey(&'a str),
    /// No credentials at all.
    Anonymous,
}

impl<'a> From<&'a Person> for Caller<'a> {
    fn from(person: &'a Person) -> Caller<'a> {
        Caller::Bearer(&person.access)
    }
}

/// Key/value pairs appended to a path as its query string, as written (the specs pass cursors
/// and values the API hands out or refuses, so nothing is re-encoded).
pub type Query<'q> = [(&'q str, &'q str)];

/// A caller's view of the API at some path, with any extra headers.
#[derive(Clone)]
struct Api<'a> {
    world: &'a World,
    caller: Caller<'a>,
    headers: Vec<(&'static str, String)>,
}

impl<'a> Api<'a> {
    fn new(world: &'a World, caller: impl Into<Caller<'a>>) -> Api<'a> {
        Api {
            world,
            caller: caller.into(),
            headers: Vec::new(),
        }
    }

    fn with_header(mut self, name: &'static str, value: &str) -> Api<'a> {
        self.headers.push((name, value.to_owned()));
        self
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let bearer;
        let mut headers: Vec<(&str, &str)> = Vec::new();
        match self.caller {
            Caller::Bearer(token) => {
                bearer = format!("Bearer {token}");
                headers.push(("authorization", &bearer));
            }
            Caller::ApiKey(key) => headers.push(("x-api-key", key)),
            Caller::Anonymous => {}
        }
        headers.extend(self.headers.iter().map(|(name, value)| (*name, value.as_str())));
        self.world.call_with(method, path, &headers, body).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None).await
    }

    async fn post(&self, path: &str, body: Option<Value>) -> Reply {
        self.send("POST", path, body).await
    }

    async fn put(&self, path: &str, body: Value) -> Reply {
        self.send("PUT", path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send("PATCH", path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Reply {
        self.send("DELETE", path, None).await
    }

    /// A resource below this one: the same caller and headers at `path`.
    fn at(&self, path: String) -> Resource<'a> {
        Resource {
            api: self.clone(),
            path,
        }
    }
}

/// A caller and a path: what every resource below is made of.
#[derive(Clone)]
struct Resource<'a> {
    api: Api<'a>,
    path: String,
}

impl<'a> Resource<'a> {
    fn below(&self, segment: impl Display) -> Resource<'a> {
        self.api.at(format!("{}/{segment}", self.path))
    }

    fn with_query(&self, query: &Query<'_>) -> String {
        let pairs: Vec<String> = query.iter().map(|(key, value)| format!("{key}={value}")).collect();
        if pairs.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, pairs.join("&"))
        }
    }
}

impl World {
    /// `/api/organisations`: the organisations `caller` may see, and creating one.
    pub fn organisations<'a>(&'a self, caller: impl Into<Caller<'a>>) -> Organisations<'a> {
        Organisations(Api::new(self, caller).at("/api/organisations".into()))
    }

    /// `/api/organisations/{id}` as `caller`.
    pub fn organisation<'a>(&'a self, caller: impl Into<Caller<'a>>, id: impl Display) -> Organisation<'a> {
        Organisation(Api::new(self, caller).at(format!("/api/organisations/{id}")))
    }

    /// `/api/machines/{id}` as `caller`.
    pub fn machine<'a>(&'a self, caller: impl Into<Caller<'a>>, id: impl Display) -> Machine<'a> {
        Machine(Api::new(self, caller).at(format!("/api/machines/{id}")))
    }

    /// `/api/me`: the caller's own account.
    pub fn me<'a>(&'a self, caller: impl Into<Caller<'a>>) -> Me<'a> {
        Me(Api::new(self, caller).at("/api/me".into()))
    }

    /// `/api/users/{id}`: a platform admin's view of any user.
    pub fn user<'a>(&'a self, caller: impl Into<Caller<'a>>, id: impl Display) -> User<'a> {
        User(Api::new(self, caller).at(format!("/api/users/{id}")))
    }

    /// `/api/invitations`: platform invitations, and the links invitations send.
    pub fn invitations<'a>(&'a self, caller: impl Into<Caller<'a>>) -> PlatformInvitations<'a> {
        PlatformInvitations(Api::new(self, caller).at("/api/invitations".into()))
    }

    /// `/api/platform`: what platform admins manage.
    pub fn platform<'a>(&'a self, caller: impl Into<Caller<'a>>) -> Platform<'a> {
        Platform(Api::new(self, caller).at("/api/platform".into()))
    }
}

/// `/api/organisations`.
pub struct Organisations<'a>(Resource<'a>);

impl<'a> Organisations<'a> {
    /// Sends `X-Request-Id: id` with the requests that follow.
    pub fn with_request_id(self, id: &str) -> Organisations<'a> {
        let Resource { api, path } = self.0;
        Organisations(api.with_header("x-request-id", id).at(path))
    }

    pub async fn create(&self, body: Value) -> Reply {
        self.0.api.post(&self.0.path, Some(body)).await
    }

    pub async fn list(&self) -> Reply {
        self.list_with(&[]).await
    }

    /// Paged: `limit`, `cursor`.
    pub async fn list_with(&self, query: &Query<'_>) -> Reply {
        self.0.api.get(&self.0.with_query(query)).await
    }
}

/// `/api/organisations/{id}`: an organisation or a company.
pub struct Organisation<'a>(Resource<'a>);

impl<'a> Organisation<'a> {
    /// Sends `If-Match: etag` with the requests that follow.
    pub fn if_match(self, etag: &str) -> Organisation<'a> {
        let Resource { api, path } = self.0;
        Organisation(api.with_header("if-match", etag).at(path))
    }

    pub async fn get(&self) -> Reply {
        self.0.api.get(&self.0.path).await
    }

    pub async fn patch(&self, body: Value) -> Reply {
        self.0.api.patch(&self.0.path, body).await
    }

    pub async fn delete(&self) -> Reply {
        self.0.api.delete(&self.0.path).await
    }

    /// `POST …/leave`: the caller leaves the organisation.
    pub async fn leave(&self) -> Reply {
        self.0.api.post(&self.0.below("leave").path, None).await
    }

    /// `…/suborganisations`.
    pub fn companies(&self) -> Companies<'a> {
        Companies(self.0.below("suborganisations"))
    }

    pub fn members(&self) -> Members<'a> {
        Members(self.0.below("members"))
    }

    pub fn invitations(&self) -> Invitations<'a> {
        Invitations(self.0.below("invitations"))
    }

    pub fn machines(&self) -> Machines<'a> {
        Machines(self.0.below("machines"))
    }

    pub fn billing(&self) -> Billing<'a> {
        Billing(self.0.below("billing"))
    }

    /// `…/payment-providers/{provider}`.
    pub fn payment_provider(&self, provider: &str) -> PaymentProvider<'a> {
        PaymentProvider(self.0.below("payment-providers").below(provider))
    }

    /// `…/audit`: the organisation's trail.
    pub fn audit(&self) -> AuditTrail<'a> {
        AuditTrail(self.0.below("audit"))
    }
}

/// `/api/organisations/{id}/suborganisations`.
pub struct Companies<'a>(Resource<'a>);

impl Companies<'_> {
    pub async fn create(&self, body: Value) -> Reply {
        self.0.api.post(&self.0.path, Some(body)).await
    }

    pub async fn list(&self) -> Reply {
        self.list_with(&[]).await
    }

    /// Paged: `limit`, `cursor`.
    pub async fn list_with(&self, query: &Query<'_>) -> Reply {
        self.0.api.get(&self.0.with_query(query)).await
    }
}

/// `/api/organisations/{id}/members`.
pub struct Members<'a>(Resource<'a>);

impl Members<'_> {
    pub async fn list(&self) -> Reply {
        self.list_with(&[]).await
    }

    /// Paged: `limit`, `cursor`.
    pub async fn list_with(&self, query: &Query<'_>) -> Reply {
        self.0.api.get(&self.0.with_query(query)).await
    }

    /// `PUT …/members/{user}/roles` with `{"roles": roles}`.
    pub async fn set_roles(&self, user: impl Display, roles: &[&str]) -> Reply {
        let path = self.0.below(user).below("roles").path;
        self.0.api.put(&path, json!({ "roles": roles })).await
    }

    pub async fn remove(&self, user: impl Display) -> Reply {
        self.0.api.delete(&self.0.below(user).path).await
    }
}

/// `/api/organisations/{id}/invitations`.
pub struct Invitations<'a>(Resource<'a>);

impl Invitations<'_> {
    /// `body`: `{email | user_id, roles?}`.
    pub async fn create(&self, body: Value) -> Reply {
        self.0.api.post(&self.0.path, Some(body)).await
    }

    pub async fn list(&self) -> Reply {
        self.0.api.get(&self.0.path).await
    }

    /// `POST …/invitations/{id}/resend`: a new link, the old one dead.
    pub async fn resend(&self, id: impl Display) -> Reply {
        self.0.api.post(&self.0.below(id).below("resend").path, None).await
    }

    pub async fn revoke(&self, id: impl Display) -> Reply {
        self.0.api.delete(&self.0.below(id).path).await
    }
}

/// `/api/organisations/{id}/machines`.
pub struct Machines<'a>(Resource<'a>);

impl Machines<'_> {
    /// `body`: `{name, roles?}`; the reply's `user_id` is the machine's id.
    pub async fn create(&self, body: Value) -> Reply {
        self.0.api.post(&self.0.path, Some(body)).await
    }
}

/// `/api/organisations/{id}/billing`.
pub struct Billing<'a>(Resource<'a>);

impl Billing<'_> {
    pub async fn get(&self) -> Reply {
        self.0.api.get(&self.0.path).await
    }

    /// `POST …/billing/payment-method`.
    pub async fn submit_payment_method(&self, body: Value) -> Reply {
        self.0.api.post(&self.0.below("payment-method").path, Some(body)).await
    }
}

/// `/api/organisations/{id}/payment-providers/{provider}`.
pub struct PaymentProvider<'a>(Resource<'a>);

impl PaymentProvider<'_> {
    pub async fn get(&self) -> Reply {
        self.0.api.get(&self.0.path).await
    }

    pub async fn configure(&self, body: Value) -> Reply {
        self.0.api.put(&self.0.path, body).await
    }
}

/// `/api/machines/{id}`.
pub struct Machine<'a>(Resource<'a>);

impl<'a> Machine<'a> {
    pub fn api_keys(&self) -> ApiKeys<'a> {
        ApiKeys(self.0.below("api-keys"))
    }
}

/// `/api/machines/{id}/api-keys`.
pub struct ApiKeys<'a>(Resource<'a>);

impl ApiKeys<'_> {
    /// `body`: `{name?, expires_at?}`; the reply's `key_value` is shown this once.
    pub async fn create(&self, body: Value) -> Reply {
        self.0.api.post(&self.0.path, Some(body)).await
    }

    pub async fn list(&self) -> Reply {
        self.0.api.get(&self.0.path).await
    }

    pub async fn revoke(&self, id: impl Display) -> Reply {
        self.0.api.delete(&self.0.below(id).path).await
    }
}

/// `/api/me`.
pub struct Me<'a>(Resource<'a>);

impl<'a> Me<'a> {
    pub async fn get(&self) -> Reply {
        self.0.api.get(&self.0.path).await
    }

    pub async fn patch(&self, body: Value) -> Reply {
        self.0.api.patch(&self.0.path, body).await
    }

    pub fn sessions(&self) -> Sessions<'a> {
        Sessions(self.0.below("sessions"))
    }
}

/// `/api/me/sessions`.
pub struct Sessions<'a>(Resource<'a>);

impl Sessions<'_> {
    pub async fn list(&self) -> Reply {
        self.0.api.get(&self.0.path).await
    }

    pub async fn revoke(&self, id: impl Display) -> Reply {
        self.0.api.delete(&self.0.below(id).path).await
    }
}

/// `/api/users/{id}`.
pub struct User<'a>(Resource<'a>);

impl User<'_> {
    pub async fn get(&self) -> Reply {
        self.0.api.get(&self.0.path).await
    }

    pub async fn suspend(&self) -> Reply {
        self.0.api.post(&self.0.below("suspend").path, None).await
    }

    pub async fn reactivate(&self) -> Reply {
        self.0.api.post(&self.0.below("reactivate").path, None).await
    }
}

/// `/api/invitations`.
pub struct PlatformInvitations<'a>(Resource<'a>);

impl PlatformInvitations<'_> {
    /// `POST /api/invitations`: invites `{email}` to the platform itself.
    pub async fn create(&self, body: Value) -> Reply {
        self.0.api.post(&self.0.path, Some(body)).await
    }

    /// `GET /api/invitations/{token}`: who is invited where, as the link shows it.
    pub async fn preview(&self, token: &str) -> Reply {
        self.0.api.get(&self.0.below(token).path).await
    }
}

/// `/api/platform`.
pub struct Platform<'a>(Resource<'a>);

impl<'a> Platform<'a> {
    pub async fn settings(&self) -> Reply {
        self.0.api.get(&self.0.below("settings").path).await
    }

    pub async fn set_settings(&self, body: Value) -> Reply {
        self.0.api.put(&self.0.below("settings").path, body).await
    }

    /// `/api/platform/audit`: every organisation's trail.
    pub fn audit(&self) -> AuditTrail<'a> {
        AuditTrail(self.0.below("audit"))
    }
}

/// An audit trail (an organisation's or the platform's), newest first.
pub struct AuditTrail<'a>(Resource<'a>);

impl AuditTrail<'_> {
    pub async fn list(&self) -> Reply {
        self.list_with(&[]).await
    }

    /// Filtered and paged: `action`, `from`, `limit`, `cursor`, ….
    pub async fn list_with(&self, query: &Query<'_>) -> Reply {
        self.0.api.get(&self.0.with_query(query)).await
    }
}
