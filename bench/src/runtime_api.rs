//! A Lambda Runtime API on loopback, for one function process at a time: it hands the
//! process events when asked to invoke, and notes when each request arrives — the first
//! `GET …/invocation/next` is the end of the cold start.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, mpsc, oneshot};

const PREFIX: &str = "/2018-06-01/runtime";

/// How an invocation ended, and when the answer arrived.
#[derive(Debug)]
pub struct Answer {
    pub at: Instant,
    pub ok: bool,
    pub body: String,
}

struct Shared {
    events: Mutex<mpsc::Receiver<(String, Value)>>,
    first_poll: std::sync::Mutex<Option<oneshot::Sender<Instant>>>,
    answers: mpsc::Sender<(String, Answer)>,
}

pub struct RuntimeApi {
    pub address: SocketAddr,
    events: mpsc::Sender<(String, Value)>,
    first_poll: Option<oneshot::Receiver<Instant>>,
    answers: mpsc::Receiver<(String, Answer)>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    pub async fn start() -> RuntimeApi {
        let (events_tx, events_rx) = mpsc::channel(1);
        let (first_tx, first_rx) = oneshot::channel();
        let (answers_tx, answers_rx) = mpsc::channel(1);
        let shared = Arc::new(Shared {
            events: Mutex::new(events_rx),
            first_poll: std::sync::Mutex::new(Some(first_tx)),
            answers: answers_tx,
        });
        let app = Router::new()
            .route(&format!("{PREFIX}/invocation/next"), get(next))
            .route(&format!("{PREFIX}/invocation/{{id}}/response"), post(response))
            .route(&format!("{PREFIX}/invocation/{{id}}/error"), post(error))
            .route(&format!("{PREFIX}/init/error"), post(init_error))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address = listener.local_addr().expect("bound");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the runtime API serves");
        });
        RuntimeApi {
            address,
            events: events_tx,
            first_poll: Some(first_rx),
            answers: answers_rx,
            server,
        }
    }

    /// When the process first asked for an event (its init is over), waiting up to `limit`.
    pub async fn first_poll(&mut self, limit: Duration) -> Option<Instant> {
        let receiver = self.first_poll.take().expect("asked once");
        tokio::time::timeout(limit, receiver).await.ok()?.ok()
    }

    /// Hands `event` to the process and waits for its answer; returns when it was handed over
    /// and the answer.
    pub async fn invoke(&mut self, event: Value) -> (Instant, Answer) {
        let id = uuid::Uuid::new_v4().to_string();
        let sent = Instant::now();
        self.events.send((id.clone(), event)).await.expect("the API is running");
        let (answered, answer) = tokio::time::timeout(Duration::from_secs(30), self.answers.recv())
            .await
            .expect("the function answers within 30 s")
            .expect("the API is running");
        assert_eq!(answered, id, "the answer is for the invocation handed over");
        (sent, answer)
    }

    pub fn stop(self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let polled = Instant::now();
    if let Some(first) = shared.first_poll.lock().expect("not poisoned").take() {
        let _ = first.send(polled);
    }
    let Some((id, event)) = shared.events.lock().await.recv().await else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", id.parse().expect("a header value"));
    headers.insert("lambda-runtime-deadline-ms", deadline.into());
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:000000000000:function:bench"
            .parse()
            .expect("a header value"),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000"
            .parse()
            .expect("a header value"),
    );
    (StatusCode::OK, headers, event.to_string())
}

async fn response(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    answer(&shared, id, true, body).await
}

async fn error(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    answer(&shared, id, false, body).await
}

async fn init_error(body: Bytes) -> StatusCode {
    eprintln!("init error: {}", String::from_utf8_lossy(&body));
    StatusCode::ACCEPTED
}

async fn answer(shared: &Shared, id: String, ok: bool, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let body = String::from_utf8_lossy(&body).into_owned();
    let _ = shared.answers.send((id, Answer { at, ok, body })).await;
    StatusCode::ACCEPTED
}
