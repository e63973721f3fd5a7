//! Requests as the specs make them, the same through either entry point: a method, a path,
//! headers or a bearer token, a body; and the reply read back as status, headers and JSON.

use super::{Transport, World, lambda, local};
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap().to_owned(),
                            e["code"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl World {
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let auth = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = auth.iter().map(|value| ("authorization", value.as_str())).collect();
        self.call_with(method, path, &headers, body).await
    }

    pub async fn call_with(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> Reply {
        let body = body.map(|body| ("application/json", body.to_string()));
        self.send(method, path, headers, body).await
    }

    /// A call with a body of any media type (`text/csv`, say).
    pub async fn call_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &str,
    ) -> Reply {
        let auth = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = auth.iter().map(|value| ("authorization", value.as_str())).collect();
        self.send(method, path, &headers, Some((content_type, body.to_owned())))
            .await
    }

    async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<(&str, String)>) -> Reply {
        match &self.transport {
            Transport::Local { base, client, .. } => local::send(client, base, method, path, headers, body).await,
            Transport::Lambda { router, .. } => lambda::send(router, method, path, headers, body).await,
        }
    }
}
