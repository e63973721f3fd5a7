//! The local entry point: the real local server (`stratum::start`) on a loopback socket with
//! its embedded store, relay, notifier and MQTT broker in a temporary folder, called over HTTP.

use super::{CORS_ORIGIN, Reply, Transport, World, clock};
use serde_json::Value;

impl World {
    pub async fn local() -> World {
        let clock = clock();
        let dir = tempfile::tempdir().unwrap();
        let server = stratum::start(stratum::Options {
            addr: "127.0.0.1:0".into(),
            data_dir: dir.path().to_owned(),
            clock: clock.clone(),
            cors_origins: CORS_ORIGIN.to_owned(),
            connectors: stratum_tests::test_connectors(),
            mqtt_addr: "127.0.0.1:0".parse().unwrap(),
        })
        .await
        .expect("the local server starts");
        let base = format!("http://{}", server.local_addr);
        World {
            clock,
            identity: server.identity.clone(),
            sims: server.sims.clone(),
            transport: Transport::Local {
                base,
                client: reqwest::Client::new(),
                server: Some(Box::new(server)),
                _dir: dir,
            },
            source: "127.0.0.1".into(),
        }
    }
}

/// `method path` with `headers` and a body of its media type, over HTTP to the server at `base`.
pub(super) async fn send(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, String)>,
) -> Reply {
    let mut request = client.request(method.parse().unwrap(), format!("{base}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some((content_type, body)) = body {
        request = request.header("content-type", content_type).body(body);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let text = response.text().await.unwrap();
    Reply {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}
