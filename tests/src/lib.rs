//! Test support shared by the end-to-end specs: a real DynamoDB-compatible server
//! (`moto_server`) started on a free loopback port for the life of the test process, fresh
//! stores on either adapter, and the recorded Lambda events in `events/`.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use stratum_infra::store::dynamodb::{DynamoStore, create_table};
use stratum_infra::store::sqlite::SqliteStore;
use stratum_shared::clock::Clock;

const INSTALL_HINT: &str = "moto_server is required for the DynamoDB, SQS and SES tests and was not found. \
Install it with `pip install \"moto[server]\"` (the README's test command does this for you), \
or point MOTO_SERVER at the executable.";

/// A running `moto_server`. It is started once per test process and stops when the process
/// exits: it runs under a small shell that kills it as soon as our end of its stdin closes.
pub struct Moto {
    pub endpoint: String,
    _guard: Child,
}

/// The process-wide moto server, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let executable = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
        start_moto(&executable).unwrap_or_else(|hint| panic!("{hint}"))
    })
}

/// Starts `executable` as a moto server; without one, says how to install it.
pub fn start_moto(executable: &str) -> Result<Moto, &'static str> {
    let found = Command::new(executable)
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !matches!(found, Ok(status) if status.success()) {
        return Err(INSTALL_HINT);
    }
    let port = free_port();
    let script = r#"
        "$0" -H 127.0.0.1 -p "$1" >/dev/null 2>&1 &
        server=$!
        read -r _
        kill "$server" 2>/dev/null
    "#;
    let guard = Command::new("sh")
        .args(["-c", script, executable, &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("sh is available");
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not start listening on 127.0.0.1:{port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        _guard: guard,
    })
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free loopback port");
    listener.local_addr().expect("bound").port()
}

/// SDK configuration pointing at moto, with its dummy credentials.
pub async fn moto_sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&moto().endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "moto",
        ))
        .load()
        .await
}

/// A DynamoDB store on a fresh table of its own in moto.
pub async fn dynamo_store(clock: Arc<dyn Clock>) -> DynamoStore {
    let table = format!("stratum-test-{}", uuid::Uuid::new_v4());
    let store = DynamoStore::new(&moto_sdk_config().await, &table, clock);
    create_table(store.client(), &table)
        .await
        .expect("moto creates the table");
    store.requests().take();
    store
}

/// An embedded store in a fresh temporary directory (removed when the guard drops).
pub fn sqlite_store(clock: Arc<dyn Clock>) -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(&dir.path().join("stratum.db"), clock).expect("the store opens");
    (store, dir)
}

/// The text of a recorded event in `events/`.
pub fn event(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
