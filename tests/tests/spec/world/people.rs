//! People in a world: signing up (registering, confirming from the e-mail, signing in), the
//! password flows, a platform admin bootstrapped, and the person a spec then acts as.

use super::{Reply, World};
use serde_json::json;

pub const PASSWORD: &str = "correct horse battery staple";

impl World {
    /// Registers and confirms `email`, then signs in; returns (access, refresh) tokens.
    pub async fn signed_up(&self, email: &str) -> (String, String) {
        let registered = self
            .call(
                "POST",
                "/api/auth/register",
                None,
                Some(json!({ "email": email, "password": PASSWORD })),
            )
            .await;
        assert_eq!(registered.status, 201, "{registered:?}");
        let token = self.token_from_mail(email, 1).await;
        assert_eq!(
            self.call(
                "POST",
                "/api/auth/confirm-email",
                None,
                Some(json!({ "token": token, "password": PASSWORD }))
            )
            .await
            .status,
            204
        );
        self.login(email, PASSWORD).await
    }

    /// `POST /api/auth/register` with a password and, if any, an invitation token.
    pub async fn register(&self, email: &str, password: &str, invitation_token: Option<&str>) -> Reply {
        let mut body = json!({ "email": email, "password": password });
        if let Some(token) = invitation_token {
            body["invitation_token"] = json!(token);
        }
        self.call("POST", "/api/auth/register", None, Some(body)).await
    }

    /// `POST /api/auth/confirm-email` with the e-mailed token and the password registered with.
    pub async fn confirm(&self, token: &str, password: &str) -> Reply {
        let body = json!({ "token": token, "password": password });
        self.call("POST", "/api/auth/confirm-email", None, Some(body)).await
    }

    /// `POST /api/auth/password/forgot`.
    pub async fn forgot_password(&self, email: &str) -> Reply {
        let body = json!({ "email": email });
        self.call("POST", "/api/auth/password/forgot", None, Some(body)).await
    }

    /// `POST /api/auth/password/reset` with the e-mailed token and a new password.
    pub async fn reset_password(&self, token: &str, password: &str) -> Reply {
        let body = json!({ "token": token, "password": password });
        self.call("POST", "/api/auth/password/reset", None, Some(body)).await
    }

    /// The status of `GET /api/me` with `access`: whether the access token authenticates.
    pub async fn me_status(&self, access: &str) -> u16 {
        self.me(crate::client::Caller::Bearer(access)).get().await.status
    }

    pub async fn login(&self, email: &str, password: &str) -> (String, String) {
        let reply = self
            .call(
                "POST",
                "/api/auth/login",
                None,
                Some(json!({ "email": email, "password": password })),
            )
            .await;
        assert_eq!(reply.status, 200, "{reply:?}");
        (
            reply.body["access_token"].as_str().unwrap().to_owned(),
            reply.body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// A registered, confirmed, signed-in person.
    pub async fn person(&self, name: &str) -> Person {
        let email = address(name);
        let (access, _) = self.signed_up(&email).await;
        let me = self.call("GET", "/api/me", Some(&access), None).await.body;
        Person {
            id: me["id"].as_str().unwrap().to_owned(),
            personal_organisation_id: me["personal_organisation_id"].as_str().unwrap().to_owned(),
            email,
            access,
        }
    }

    /// A platform admin (bootstrapped), signed in.
    pub async fn admin(&self) -> Person {
        let email = address("admin");
        let user = self
            .identity
            .bootstrap_admin(&email, PASSWORD)
            .await
            .unwrap()
            .expect("a new admin");
        let (access, _) = self.login(&email, PASSWORD).await;
        Person {
            id: user.id.to_string(),
            personal_organisation_id: user.personal_organisation_id.to_string(),
            email,
            access,
        }
    }
}

/// A person signed in to a world.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub access: String,
    pub personal_organisation_id: String,
}

impl Person {
    pub fn token(&self) -> Option<&str> {
        Some(&self.access)
    }
}

/// A unique address for one test.
pub fn address(name: &str) -> String {
    format!(
        "{name}.{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}
