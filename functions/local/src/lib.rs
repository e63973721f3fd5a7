//! The local all-in-one server: every function family's routes in one process, on the
//! embedded store. `cargo run` at the workspace root starts it.

use stratum_infra::http::Api;

/// Every HTTP route of every function family, as one API.
pub fn api() -> Api {
    stratum_system::api()
}
