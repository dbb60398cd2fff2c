//! `/v1/keys`: create, list, read, rotate, config, delete, and their error cases.

use crate::harness::{assert_error, start, unb64};
use serde_json::json;

#[actix_web::test]
async fn create_read_list_rotate_configure_delete() {
    let api = start().await;
    let created = api.create_key("signer", "ml-dsa-65").await;
    assert_eq!(created["type"], "ml-dsa-65");
    assert_eq!(created["latest_version"], 1);
    assert_eq!(created["min_decryption_version"], 1);
    assert_eq!(created["deletion_allowed"], false);
    assert_eq!(unb64(&created["versions"][0]["public_key"]).len(), 1952);
    api.create_key("box", "ml-kem-768").await;

    let (status, list) = api.get("/v1/keys").await;
    assert_eq!(status, 200);
    let names: Vec<_> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["name"])
        .collect();
    // `_vault` is the vault's own key, created at first start.
    assert_eq!(names, ["_vault", "box", "signer"]);

    let (status, rotated) = api.post("/v1/keys/signer/rotate", json!({})).await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["latest_version"], 2);
    assert_eq!(rotated["versions"].as_array().unwrap().len(), 2);
    assert_ne!(
        rotated["versions"][0]["public_key"],
        rotated["versions"][1]["public_key"]
    );

    let (status, configured) = api
        .post(
            "/v1/keys/signer/config",
            json!({"min_decryption_version": 2}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(configured["min_decryption_version"], 2);
    let (_, read) = api.get("/v1/keys/signer").await;
    assert_eq!(
        read["versions"].as_array().unwrap().len(),
        1,
        "only live versions are listed"
    );
    assert_eq!(read["versions"][0]["version"], 2);

    assert_error(
        &api.delete("/v1/keys/signer").await,
        403,
        "deletion_not_allowed",
    );
    let (status, _) = api
        .post("/v1/keys/signer/config", json!({"deletion_allowed": true}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = api.delete("/v1/keys/signer").await;
    assert_eq!(status, 204);
    assert_error(&api.get("/v1/keys/signer").await, 404, "key_not_found");
}

#[actix_web::test]
async fn key_errors_have_stable_codes() {
    let api = start().await;
    api.create_key("k", "ml-kem-768").await;
    assert_error(
        &api.post("/v1/keys", json!({"name": "k", "type": "ml-kem-768"}))
            .await,
        409,
        "key_exists",
    );
    assert_error(
        &api.post("/v1/keys", json!({"name": "x", "type": "rsa-4096"}))
            .await,
        400,
        "unknown_algorithm",
    );
    assert_error(
        &api.post("/v1/keys", json!({"name": "bad name", "type": "ml-dsa-44"}))
            .await,
        400,
        "invalid_request",
    );
    assert_error(
        &api.post(
            "/v1/keys",
            json!({"name": "y", "type": "ml-dsa-44", "extra": 1}),
        )
        .await,
        400,
        "invalid_json",
    );
    assert_error(
        &api.post("/v1/keys/nope/rotate", json!({})).await,
        404,
        "key_not_found",
    );
    assert_error(
        &api.post("/v1/keys/k/config", json!({"min_decryption_version": 5}))
            .await,
        400,
        "invalid_request",
    );
    assert_error(&api.delete("/v1/keys/nope").await, 404, "key_not_found");
}

#[actix_web::test]
async fn keys_survive_a_restart_of_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let public_key = {
        let api = crate::harness::start_with(|c| c.data_dir = path.clone()).await;
        let created = api.create_key("durable", "ml-dsa-44").await;
        created["versions"][0]["public_key"].clone()
    };
    // The first node's actor still holds the database file lock inside its system; a copy of
    // the directory stands in for a restart from the same files.
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&path).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
    }
    let copied = copy.path().to_path_buf();
    let api = crate::harness::start_with(move |c| c.data_dir = copied).await;
    let (status, read) = api.get("/v1/keys/durable").await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["versions"][0]["public_key"], public_key);
}
