//! `cargo run -- keys` prints a new access-token signing secret and its public key (the
//! `JwtSigningKey` and `JwtPublicKeys` parameters of a deployment), a new mail key and its
//! public key (`MailKey` and `MailPublicKey`), and exits.
//!
//! `cargo run`: serves every route at `STRATUM_ADDR` (default `127.0.0.1:3000`) on the
//! embedded store in `STRATUM_DATA_DIR` (default `./.stratum`). Ctrl-C (or SIGTERM) stops
//! taking connections, lets requests in flight finish, and exits; every acknowledged write
//! is already durable. Browser apps at the origins in `STRATUM_CORS_ORIGINS` (comma-separated)
//! may call it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use stratum_shared::clock::SystemClock;

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("keys") {
        return print_new_keys();
    }
    stratum_infra::logging::init();
    let options = stratum::Options {
        addr: std::env::var("STRATUM_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into()),
        data_dir: PathBuf::from(std::env::var("STRATUM_DATA_DIR").unwrap_or_else(|_| "./.stratum".into())),
        clock: Arc::new(SystemClock),
        cors_origins: std::env::var("STRATUM_CORS_ORIGINS").unwrap_or_default(),
        connectors: stratum_shared::sims::Connectors::default(),
        mqtt_addr: match std::env::var("STRATUM_MQTT_ADDR")
            .unwrap_or_else(|_| "127.0.0.1:1883".into())
            .parse()
        {
            Ok(addr) => addr,
            Err(error) => {
                eprintln!("stratum: STRATUM_MQTT_ADDR is an address and port, like 127.0.0.1:1883: {error}");
                return ExitCode::FAILURE;
            }
        },
    };
    let data_dir = options.data_dir.clone();
    let server = match stratum::start(options).await {
        Ok(server) => server,
        Err(message) => {
            eprintln!("stratum: {message}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Stratum listening on http://{} and, for devices, mqtt://{} (data in {}, e-mail in {})",
        server.local_addr,
        server.mqtt_addr,
        data_dir.display(),
        server.mail_dir.display()
    );
    shutdown_requested().await;
    match server.stop().await {
        Ok(()) => {
            println!("Stratum stopped");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("stratum: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_new_keys() -> ExitCode {
    let secret = stratum_infra::crypto::JwtKeys::generate_signing_key();
    let mail_secret = stratum_infra::crypto::JwtKeys::generate_signing_key();
    let public = stratum_infra::crypto::JwtKeys::public_key(&secret).map_err(|e| e.to_string());
    let mail_public = stratum_infra::sealed_mail::MailKey::new(&mail_secret)
        .map(|key| key.public_key())
        .map_err(|e| e.to_string());
    match (public, mail_public) {
        (Ok(public), Ok(mail_public)) => {
            println!("JwtSigningKey={secret}");
            println!("JwtPublicKeys={public}");
            println!("MailKey={mail_secret}");
            println!("MailPublicKey={mail_public}");
            ExitCode::SUCCESS
        }
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("stratum: {error}");
            ExitCode::FAILURE
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
