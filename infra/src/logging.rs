//! Structured JSON logs on stdout (CloudWatch on AWS, the terminal locally).
//!
//! What is logged is chosen at each call site; request logs carry the matched route template,
//! never the raw path or query (which may hold tokens), and never headers or bodies.

use tracing_subscriber::EnvFilter;

/// Installs the JSON log subscriber; `RUST_LOG` filters (default `info`). Idempotent.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _already_installed = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_ansi(false)
        .try_init();
}
