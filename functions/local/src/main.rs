//! `cargo run`: serves every route at `STRATUM_ADDR` (default `127.0.0.1:3000`) on the
//! embedded store in `STRATUM_DATA_DIR` (default `./.stratum`). Ctrl-C (or SIGTERM) stops
//! taking connections, lets requests in flight finish, and exits; every acknowledged write
//! is already durable.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use stratum_infra::store::sqlite::SqliteStore;
use stratum_shared::clock::SystemClock;

const SWEEP_EVERY: Duration = Duration::from_secs(300);

#[tokio::main]
async fn main() -> ExitCode {
    stratum_infra::logging::init();
    let addr = std::env::var("STRATUM_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let data_dir =
        PathBuf::from(std::env::var("STRATUM_DATA_DIR").unwrap_or_else(|_| "./.stratum".into()));
    match serve(&addr, &data_dir).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("stratum: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: &str, data_dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create data dir {}: {e}", data_dir.display()))?;
    let database = data_dir.join("stratum.db");
    let store = SqliteStore::open(&database, Arc::new(SystemClock))
        .map_err(|e| format!("cannot open {}: {e}", database.display()))?;
    tokio::spawn(sweep_expired_items(store));

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!(
        "Stratum listening on http://{local} (data in {})",
        data_dir.display()
    );
    axum::serve(listener, stratum::api().into_router())
        .with_graceful_shutdown(shutdown_requested())
        .await
        .map_err(|e| format!("server failed: {e}"))?;
    println!("Stratum stopped");
    Ok(())
}

/// Deletes expired items now and then, as DynamoDB's TTL sweeper does on AWS.
async fn sweep_expired_items(store: SqliteStore) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        every.tick().await;
        if let Err(error) = store.sweep_expired().await {
            tracing::warn!(%error, "sweeping expired items failed");
        }
    }
}

async fn shutdown_requested() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
