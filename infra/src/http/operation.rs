//! A route's one declaration: method, path, who may call it, what it takes and answers. The
//! router, the OpenAPI operation, the authorisation matrix's expectations and the deployment's
//! routes are all read from it (docs/architecture.md, "Declaring a route").

use http::Method;
use serde_json::{Value, json};
use stratum_shared::rows::{RowFile, RowFormat};
use stratum_shared::tenancy::Permission;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// Who may call a route (SPEC §3 and §13). The authorisation matrix derives every caller's
/// expected answer from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials needed (sign-up, sign-in, health…).
    Public,
    /// Any authenticated caller, person or machine.
    Authenticated,
    /// Any authenticated person; machines get 403.
    Persons,
    /// Platform admins; to anyone else the route's objects do not exist (404).
    PlatformAdmins,
    /// Names something that exists for its owner only: 404 to every other caller.
    OwnOnly,
    /// On an organisation (root or company): callers whose roles there grant `permission`
    /// may; others in scope get 403, everyone else 404. `admin` says whether a platform admin
    /// may (true) or gets 403 (false: e.g. submitting a payment method is the subscriber's).
    Organisation { permission: Permission, admin: bool },
    /// Deleting an organisation (T8): a root by its billing subscriber, a company by an owner
    /// of its root; others in scope get 403.
    DeleteOrganisation,
    /// Leaving an organisation: any member of that very organisation; roles through the root
    /// are no membership of a company (404).
    LeaveOrganisation,
}

impl Access {
    /// The statuses the access rule itself can answer.
    fn statuses(self) -> &'static [u16] {
        match self {
            Access::Public => &[],
            Access::Authenticated => &[401],
            Access::OwnOnly | Access::PlatformAdmins => &[401, 404],
            Access::Persons => &[401, 403],
            Access::Organisation { .. } | Access::DeleteOrganisation | Access::LeaveOrganisation => &[401, 403, 404],
        }
    }
}

/// A JSON body's schema: its component name and how to collect it (and what it refers to)
/// into the document's components.
#[derive(Clone, Copy)]
pub struct Payload {
    pub(crate) name: fn() -> String,
    pub(crate) collect: fn(&mut Vec<(String, RefOr<Schema>)>),
}

impl Payload {
    pub fn of<T: utoipa::ToSchema>() -> Self {
        Payload {
            name: || T::name().into_owned(),
            collect: |schemas| {
                schemas.push((T::name().into_owned(), T::schema()));
                T::schemas(schemas);
            },
        }
    }

    pub(crate) fn reference(&self) -> Value {
        json!({ "$ref": format!("#/components/schemas/{}", (self.name)()) })
    }
}

/// What a successful call answers with.
#[derive(Clone, Copy)]
pub enum Body {
    /// No body (204, or 202 with nothing to say).
    Empty,
    /// One JSON object.
    Json(Payload),
    /// A page of a list: `{items: [..], next_cursor}`.
    Page(Payload),
    /// Any JSON document (the OpenAPI document itself).
    AnyJson,
}

/// One route, declared once. Build it with [`Operation::get`] and friends.
#[derive(Clone)]
pub struct Operation {
    pub id: &'static str,
    pub method: Method,
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    pub access: Access,
    pub(crate) request: Option<Payload>,
    /// The request is a file of rows: a JSON array of the request payload, or CSV.
    pub(crate) rows: Option<RowFormat>,
    /// The media type of a successful answer's body.
    pub(crate) media_type: &'static str,
    /// The largest body taken, when not [`BODY_LIMIT`](super::BODY_LIMIT).
    pub body_limit: Option<usize>,
    pub(crate) success: u16,
    /// Further successes with the same body (202 for work that goes on after the answer).
    pub(crate) also_success: Vec<u16>,
    pub(crate) answer: Body,
    /// Statuses the use case answers beyond those the declaration implies (409, 410, 429…).
    pub(crate) outcomes: Vec<u16>,
    /// Path parameters that are not ids, with their schema.
    pub(crate) path_schemas: Vec<(&'static str, Value)>,
    /// Query parameters beside paging: name, schema, description.
    pub(crate) query: Vec<(&'static str, Value, &'static str)>,
    pub(crate) paged: bool,
    pub(crate) if_match: bool,
    pub(crate) etag: bool,
    /// Whether `access` was declared: a route must say who may call it, so forgetting does
    /// not leave it public.
    pub(crate) access_declared: bool,
}

impl Operation {
    fn new(method: Method, path: &'static str, id: &'static str) -> Self {
        Operation {
            id,
            method,
            path,
            summary: "",
            tag: "",
            access: Access::Public,
            request: None,
            rows: None,
            media_type: "application/json",
            body_limit: None,
            success: 200,
            also_success: Vec::new(),
            answer: Body::Empty,
            outcomes: Vec::new(),
            path_schemas: Vec::new(),
            query: Vec::new(),
            paged: false,
            if_match: false,
            etag: false,
            access_declared: false,
        }
    }

    pub fn get(path: &'static str, id: &'static str) -> Self {
        Self::new(Method::GET, path, id)
    }
    pub fn post(path: &'static str, id: &'static str) -> Self {
        Self::new(Method::POST, path, id)
    }
    pub fn put(path: &'static str, id: &'static str) -> Self {
        Self::new(Method::PUT, path, id)
    }
    pub fn patch(path: &'static str, id: &'static str) -> Self {
        Self::new(Method::PATCH, path, id)
    }
    pub fn delete(path: &'static str, id: &'static str) -> Self {
        Self::new(Method::DELETE, path, id)
    }

    /// One line for the document, and the tag it is listed under.
    pub fn summary(mut self, tag: &'static str, summary: &'static str) -> Self {
        self.tag = tag;
        self.summary = summary;
        self
    }

    /// Who may call the route; every route declares it (`Access::Public` included).
    pub fn access(mut self, access: Access) -> Self {
        self.access = access;
        self.access_declared = true;
        self
    }

    /// Shorthand for [`Access::Organisation`] with platform admins allowed.
    pub fn permission(self, permission: Permission) -> Self {
        self.access(Access::Organisation {
            permission,
            admin: true,
        })
    }

    /// The JSON request body.
    pub fn takes<T: utoipa::ToSchema>(mut self) -> Self {
        self.request = Some(Payload::of::<T>());
        self
    }

    /// A file of rows of `T`: a JSON array of `T`, or CSV with a header row naming `T`'s
    /// fields; bodies up to `limit` bytes.
    pub fn takes_rows<T: utoipa::ToSchema + RowFile>(mut self, limit: usize) -> Self {
        self.request = Some(Payload::of::<T>());
        self.rows = Some(T::FORMAT);
        self.body_limit = Some(limit);
        self
    }

    /// A successful answer's body is JSON of this more specific media type
    /// (`application/geo+json`).
    pub fn answers_as(mut self, media_type: &'static str) -> Self {
        self.media_type = media_type;
        self
    }

    /// The `limit` and `cursor` of a job's per-row report (`Operation::with`).
    pub fn report_paging(self) -> Self {
        self.query(
            "limit",
            json!({ "type": "integer", "minimum": 1, "maximum": 200, "default": 50 }),
            "Rows of the report per page.",
        )
        .query(
            "cursor",
            json!({ "type": "string", "minLength": 1 }),
            "`next_cursor` of the previous page, as given.",
        )
    }

    /// The same answer may also come with `status` (202: accepted, going on after the answer).
    pub fn also_answers(mut self, status: u16) -> Self {
        self.also_success.push(status);
        self
    }

    /// A JSON answer with `status`.
    pub fn answers<T: utoipa::ToSchema>(mut self, status: u16) -> Self {
        self.success = status;
        self.answer = Body::Json(Payload::of::<T>());
        self
    }

    /// A page of `T`, with the `limit` and `cursor` query parameters.
    pub fn lists<T: utoipa::ToSchema>(mut self) -> Self {
        self.success = 200;
        self.answer = Body::Page(Payload::of::<T>());
        self.paged = true;
        self
    }

    /// No body, with `status` (204 or 202).
    pub fn answers_nothing(mut self, status: u16) -> Self {
        self.success = status;
        self.answer = Body::Empty;
        self
    }

    /// Any JSON document.
    pub fn answers_any_json(mut self) -> Self {
        self.answer = Body::AnyJson;
        self
    }

    /// Further statuses the use case may answer (409 conflicts, 410 used tokens, 429…).
    pub fn may_answer(mut self, statuses: &[u16]) -> Self {
        self.outcomes.extend_from_slice(statuses);
        self
    }

    /// A path parameter that is not an id (ids are UUIDs), with its JSON schema.
    pub fn path_schema(mut self, name: &'static str, schema: Value) -> Self {
        self.path_schemas.push((name, schema));
        self
    }

    /// An optional query parameter (a filter), with its JSON schema; a malformed one is a 422.
    pub fn query(mut self, name: &'static str, schema: Value, description: &'static str) -> Self {
        self.query.push((name, schema, description));
        self
    }

    /// Applies declarations several routes share (a family's filters, say).
    pub fn with(self, shared: impl FnOnce(Self) -> Self) -> Self {
        shared(self)
    }

    /// The answer carries the resource's version as an `ETag`.
    pub fn tagged(mut self) -> Self {
        self.etag = true;
        self
    }

    /// Takes `If-Match` (412 when it names another version); implies an `ETag` answer.
    pub fn conditional(mut self) -> Self {
        self.if_match = true;
        self.etag = true;
        self
    }

    /// The JSON body's declared shape, if the route takes one (files of rows are read row by
    /// row by their use case).
    pub fn body_shape(&self) -> Option<super::shape::BodyShape> {
        match (&self.request, &self.rows) {
            (Some(payload), None) => {
                let mut schemas = Vec::new();
                (payload.collect)(&mut schemas);
                Some(super::shape::BodyShape::new(&(payload.name)(), schemas))
            }
            _ => None,
        }
    }

    /// The names of the path's parameters, in order.
    pub fn path_parameters(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
    }

    /// Every status this route can answer, sorted.
    pub fn statuses(&self) -> Vec<u16> {
        let mut statuses = vec![self.success];
        statuses.extend_from_slice(&self.also_success);
        statuses.extend_from_slice(self.access.statuses());
        if self.path_parameters().next().is_some() {
            statuses.push(404);
        }
        if self.request.is_some() {
            statuses.extend([413, 415, 422]);
        }
        if self.paged || !self.query.is_empty() {
            statuses.push(422);
        }
        if self.if_match {
            statuses.push(412);
        }
        // Every route may fail on our side (the store unreachable); documented, never expected.
        statuses.push(500);
        statuses.extend_from_slice(&self.outcomes);
        statuses.sort_unstable();
        statuses.dedup();
        statuses
    }
}
