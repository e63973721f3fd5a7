//! HTTP plumbing shared by every function: the route table, typed JSON bodies, problem+json
//! errors, request ids and request logs. Each function family builds an [`Api`]; a Lambda
//! binary serves its own, the local server merges them all.

mod api;
mod body;
mod caller;
mod etag;
mod paging;
mod problem;
mod request_id;

pub use api::{Api, Route};
pub use body::{RequestBody, Shape, Valid};
pub use caller::{Caller, Context, Source, SourceAddress};
pub use etag::{etag, if_match};
pub use paging::{Paging, page};
pub use problem::{ApiError, PROBLEM_JSON};
pub use request_id::RequestId;
