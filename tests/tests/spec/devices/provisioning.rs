//! A device's line to the platform: credentials an owner issues once and revokes (IoT Core on
//! the Lambda path, the broker's login locally), and commands operators send on the device's
//! own topic, each recorded.

use super::devices_of_root;
use crate::organisations::{add, organisation};
use crate::world::{CertificateState, World, join_all};
use serde_json::{Value, json};

both_entry_points!(
    an_owner_issues_a_devices_credentials_once_and_revoking_them_disables_them,
    operators_send_commands_on_the_devices_own_topic_and_each_is_recorded,
);

async fn an_owner_issues_a_devices_credentials_once_and_revoking_them_disables_them(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let olga = world.person("olga").await;
    let root = organisation(world, &ada, "Fleet").await;
    add(world, &ada, &root, &olga, &["operator"]).await;
    let ids = devices_of_root(world, &admin, &ada, &root, 1).await;
    let path = format!("/api/organisations/{root}/devices/{}/credentials", ids[0]);

    assert_eq!(
        world.call("POST", &path, olga.token(), None).await.status,
        403,
        "owners provision"
    );
    let racing = join_all((0..2).map(|_| world.call("POST", &path, ada.token(), None))).await;
    let mut statuses: Vec<u16> = racing.iter().map(|reply| reply.status).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409], "one set of credentials at a time: {racing:?}");
    let issued = racing.into_iter().find(|reply| reply.status == 201).unwrap();
    assert_eq!(issued.headers["cache-control"], "no-store");

    match world
        .certificate(issued.body["certificate_id"].as_str().unwrap_or_default())
        .await
    {
        Some((state, policy)) => {
            assert!(
                issued.body["certificate_pem"]
                    .as_str()
                    .unwrap()
                    .starts_with("-----BEGIN CERTIFICATE-----")
            );
            assert!(issued.body["private_key"].as_str().unwrap().contains("PRIVATE KEY"));
            assert_eq!(
                state,
                CertificateState {
                    status: "ACTIVE".into(),
                    things: vec![ids[0].clone()],
                    policies: vec![policy.clone()],
                },
                "the thing is named by the device id and the shared policy is attached"
            );
            assert_eq!(world.call("DELETE", &path, ada.token(), None).await.status, 204);
            let (revoked, _) = world
                .certificate(issued.body["certificate_id"].as_str().unwrap())
                .await
                .unwrap();
            assert_eq!(
                revoked,
                CertificateState {
                    status: "INACTIVE".into(),
                    things: vec![],
                    policies: vec![],
                },
                "revoked: inactive and detached"
            );
        }
        None => {
            let mqtt = &issued.body["mqtt"];
            assert_eq!(mqtt["username"], ids[0].as_str());
            assert_eq!(
                (mqtt["host"].as_str(), mqtt["port"].as_u64()),
                (Some("127.0.0.1"), world.mqtt_addr().map(|addr| u64::from(addr.port())))
            );
            let password = mqtt["password"].as_str().unwrap();
            assert!(password.len() >= 43, "256 random bits");
            let device = stratum_shared::ids::DeviceId::parse(&ids[0], "id").unwrap();
            let stored = world
                .identity
                .store
                .get(&stratum_shared::keys::device_credentials(device))
                .await
                .unwrap()
                .unwrap();
            let kept = serde_json::to_string(&stored.record::<Value>().unwrap()).unwrap();
            assert!(!kept.contains(password), "the password is not kept");
            assert!(kept.contains(&world.identity.secrets.digest(password)), "its digest is");
            assert_eq!(world.call("DELETE", &path, ada.token(), None).await.status, 204);
            assert!(
                world
                    .identity
                    .store
                    .get(&stratum_shared::keys::device_credentials(device))
                    .await
                    .unwrap()
                    .is_none(),
                "revoked: the digest the broker checks is gone"
            );
        }
    }
    assert_eq!(
        world.call("DELETE", &path, ada.token(), None).await.status,
        404,
        "nothing left to revoke"
    );
    assert_eq!(
        world.call("POST", &path, ada.token(), None).await.status,
        201,
        "issued anew"
    );
    let audit = world
        .call("GET", &format!("/api/organisations/{root}/audit"), ada.token(), None)
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|event| event["action"].as_str())
        .filter(|action| action.starts_with("device.credentials"))
        .collect();
    assert_eq!(
        actions,
        [
            "device.credentials_issued",
            "device.credentials_revoked",
            "device.credentials_issued"
        ],
        "newest first"
    );
}

async fn operators_send_commands_on_the_devices_own_topic_and_each_is_recorded(world: &World) {
    let admin = world.admin().await;
    let ada = world.person("ada").await;
    let olga = world.person("olga").await;
    let vic = world.person("vic").await;
    let eve = world.person("eve").await;
    let root = organisation(world, &ada, "Fleet").await;
    let elsewhere = organisation(world, &eve, "Elsewhere").await;
    add(world, &ada, &root, &olga, &["operator"]).await;
    add(world, &ada, &root, &vic, &["viewer"]).await;
    let ids = devices_of_root(world, &admin, &ada, &root, 1).await;
    let path = format!("/api/organisations/{root}/devices/{}/commands", ids[0]);
    let mut publications = world.publications();

    let command = json!({ "name": "set_interval", "payload": { "seconds": 60 } });
    let sent = world.call("POST", &path, olga.token(), Some(command.clone())).await;
    assert_eq!(sent.status, 201, "{sent:?}");
    assert_eq!(sent.body["status"], "published");
    assert_eq!(sent.body["topic"], format!("devices/{}/commands", ids[0]));
    if let Some(publications) = publications.as_mut() {
        let published = publications.recv().await.unwrap();
        assert_eq!(published.topic, format!("devices/{}/commands", ids[0]));
        let message: Value = serde_json::from_slice(&published.payload).unwrap();
        assert_eq!(
            message,
            json!({ "id": sent.body["id"], "name": "set_interval", "payload": { "seconds": 60 } })
        );
    }
    assert_eq!(
        world
            .call("POST", &path, vic.token(), Some(command.clone()))
            .await
            .status,
        403,
        "viewers read, operators and owners command"
    );
    let other = format!("/api/organisations/{elsewhere}/devices/{}/commands", ids[0]);
    assert_eq!(
        world.call("POST", &other, eve.token(), Some(command)).await.status,
        404,
        "another organisation's device does not exist for its owner"
    );
    let bad = world
        .call(
            "POST",
            &path,
            olga.token(),
            Some(json!({ "name": "re boot", "payload": "x".repeat(5_000) })),
        )
        .await;
    let mut fields: Vec<(String, String)> = bad.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("name".into(), "invalid_name".into()),
            ("payload".into(), "too_long".into())
        ],
        "{bad:?}"
    );
    let history = world.call("GET", &path, vic.token(), None).await;
    assert_eq!(history.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(history.body["items"][0]["name"], "set_interval");
}
