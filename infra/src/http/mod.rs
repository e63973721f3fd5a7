//! HTTP plumbing shared by every function: route declarations and the router and OpenAPI
//! document built from them, typed JSON bodies and path ids, problem+json errors, CORS,
//! request ids and request logs. Each function family builds an [`Api`]; a Lambda binary
//! serves its own, the local server merges them all.

mod api;
mod body;
mod caller;
mod catalogue;
mod cors;
mod etag;
mod openapi;
mod operation;
mod paging;
mod path;
mod problem;
mod request_id;
mod shape;

pub use api::{Api, BODY_LIMIT};
pub use body::{RequestBody, Rows, Shape, Valid};
pub use caller::{Caller, Context, Source, SourceAddress};
pub use catalogue::catalogue;
pub use cors::cors;
pub use etag::{IfMatch, etag, with_etag};
pub use operation::{Access, Body, Operation, Payload};
pub use paging::{Paging, Params, page};
pub use path::Ids;
pub use problem::{ApiError, PROBLEM_JSON};
pub use request_id::RequestId;
pub use shape::{BodyShape, with_value_at};
