//! `/v1/encrypt`, `/v1/decrypt`, `/v1/sign`, `/v1/verify`, batch forms, and interop with an
//! independent FIPS 204 implementation (RustCrypto `ml-dsa`).

use crate::harness::{assert_error, b64, start, unb64};
use ::ml_dsa::{EncodedSignature, EncodedVerifyingKey, MlDsa65, Signature, VerifyingKey};
use serde_json::json;

#[actix_web::test]
async fn encrypt_decrypt_round_trip_with_aad_and_rotation() {
    let api = start().await;
    api.create_key("box", "ml-kem-768").await;
    let (status, enc) = api
        .post(
            "/v1/encrypt",
            json!({"key": "box", "plaintext": b64("hello"), "aad": b64("ctx")}),
        )
        .await;
    assert_eq!(status, 200, "{enc}");
    assert_eq!(enc["key_version"], 1);
    let c1 = enc["ciphertext"].as_str().unwrap().to_string();
    assert!(c1.starts_with("cretoai:v1:"));

    let (status, dec) = api
        .post(
            "/v1/decrypt",
            json!({"key": "box", "ciphertext": c1, "aad": b64("ctx")}),
        )
        .await;
    assert_eq!(status, 200, "{dec}");
    assert_eq!(unb64(&dec["plaintext"]), b"hello");

    assert_error(
        &api.post(
            "/v1/decrypt",
            json!({"key": "box", "ciphertext": c1, "aad": b64("other")}),
        )
        .await,
        400,
        "decryption_failed",
    );
    assert_error(
        &api.post("/v1/decrypt", json!({"key": "box", "ciphertext": c1}))
            .await,
        400,
        "decryption_failed",
    );
    let mut tampered = c1.clone().into_bytes();
    let i = tampered.len() - 6;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_error(
        &api.post(
            "/v1/decrypt",
            json!({"key": "box", "ciphertext": tampered, "aad": b64("ctx")}),
        )
        .await,
        400,
        "decryption_failed",
    );

    api.post("/v1/keys/box/rotate", json!({})).await;
    let (_, enc2) = api
        .post(
            "/v1/encrypt",
            json!({"key": "box", "plaintext": b64("two")}),
        )
        .await;
    assert_eq!(enc2["key_version"], 2);
    let (status, old) = api
        .post(
            "/v1/decrypt",
            json!({"key": "box", "ciphertext": c1, "aad": b64("ctx")}),
        )
        .await;
    assert_eq!(status, 200, "old versions keep decrypting: {old}");
    api.post("/v1/keys/box/config", json!({"min_decryption_version": 2}))
        .await;
    assert_error(
        &api.post(
            "/v1/decrypt",
            json!({"key": "box", "ciphertext": c1, "aad": b64("ctx")}),
        )
        .await,
        422,
        "version_too_old",
    );
    let (status, _) = api
        .post(
            "/v1/decrypt",
            json!({"key": "box", "ciphertext": enc2["ciphertext"]}),
        )
        .await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn encrypt_to_a_public_key_opens_with_the_named_key() {
    let api = start().await;
    let key = api.create_key("recipient", "ml-kem-768").await;
    let public_key = key["versions"][0]["public_key"].clone();
    let (status, enc) = api
        .post(
            "/v1/encrypt",
            json!({"public_key": public_key, "algorithm": "ml-kem-768", "plaintext": b64("for you")}),
        )
        .await;
    assert_eq!(status, 200, "{enc}");
    assert_eq!(enc["key_version"], 0);
    assert!(enc["ciphertext"]
        .as_str()
        .unwrap()
        .starts_with("cretoai:v0:"));
    let (status, dec) = api
        .post(
            "/v1/decrypt",
            json!({"key": "recipient", "ciphertext": enc["ciphertext"]}),
        )
        .await;
    assert_eq!(status, 200, "{dec}");
    assert_eq!(unb64(&dec["plaintext"]), b"for you");

    assert_error(
        &api.post(
            "/v1/encrypt",
            json!({"public_key": b64([1u8; 10]), "algorithm": "ml-kem-768", "plaintext": ""}),
        )
        .await,
        400,
        "invalid_public_key",
    );
    assert_error(
        &api.post(
            "/v1/encrypt",
            json!({"public_key": public_key, "algorithm": "ml-kem-1024", "plaintext": ""}),
        )
        .await,
        400,
        "unknown_algorithm",
    );
    assert_error(
        &api.post(
            "/v1/encrypt",
            json!({"public_key": public_key, "algorithm": "ml-dsa-65", "plaintext": ""}),
        )
        .await,
        422,
        "wrong_key_type",
    );
    assert_error(
        &api.post(
            "/v1/encrypt",
            json!({"key": "recipient", "public_key": public_key, "plaintext": ""}),
        )
        .await,
        400,
        "invalid_request",
    );
}

#[actix_web::test]
async fn sign_and_verify_with_contexts_versions_and_public_keys() {
    let api = start().await;
    for level in ["ml-dsa-44", "ml-dsa-65", "ml-dsa-87"] {
        api.create_key(level, level).await;
        let (status, sig) = api
            .post(
                "/v1/sign",
                json!({"key": level, "message": b64("msg"), "context": "app/v1"}),
            )
            .await;
        assert_eq!(status, 200, "{sig}");
        assert_eq!(sig["algorithm"], level);
        assert_eq!(sig["key_version"], 1);
        let verify = |message: &str, context: &str| json!({"key": level, "message": b64(message), "signature": sig["signature"], "context": context});
        assert_eq!(
            api.post("/v1/verify", verify("msg", "app/v1")).await.1["valid"],
            true
        );
        assert_eq!(
            api.post("/v1/verify", verify("msg", "app/v2")).await.1["valid"],
            false
        );
        assert_eq!(
            api.post("/v1/verify", verify("msh", "app/v1")).await.1["valid"],
            false
        );
    }

    let (_, sig) = api
        .post("/v1/sign", json!({"key": "ml-dsa-65", "message": b64("m")}))
        .await;
    api.post("/v1/keys/ml-dsa-65/rotate", json!({})).await;
    let body = json!({"key": "ml-dsa-65", "message": b64("m"), "signature": sig["signature"]});
    assert_eq!(api.post("/v1/verify", body.clone()).await.1["valid"], true);
    let mut pinned = body.clone();
    pinned["key_version"] = json!(2);
    assert_eq!(api.post("/v1/verify", pinned).await.1["valid"], false);

    let (_, key) = api.get("/v1/keys/ml-dsa-65").await;
    let public = json!({"public_key": key["versions"][0]["public_key"], "algorithm": "ml-dsa-65",
        "message": b64("m"), "signature": sig["signature"]});
    assert_eq!(api.post("/v1/verify", public).await.1["valid"], true);

    api.post(
        "/v1/keys/ml-dsa-65/config",
        json!({"min_decryption_version": 2}),
    )
    .await;
    assert_eq!(api.post("/v1/verify", body.clone()).await.1["valid"], false);
    let mut old = body;
    old["key_version"] = json!(1);
    assert_error(&api.post("/v1/verify", old).await, 422, "version_too_old");
}

#[actix_web::test]
async fn crypto_error_cases() {
    let api = start().await;
    api.create_key("kem", "ml-kem-768").await;
    api.create_key("dsa", "ml-dsa-44").await;
    let cases = [
        (
            json!({"key": "kem", "message": b64("m")}),
            "/v1/sign",
            422,
            "wrong_key_type",
        ),
        (
            json!({"key": "dsa", "plaintext": b64("m")}),
            "/v1/encrypt",
            422,
            "wrong_key_type",
        ),
        (
            json!({"key": "dsa", "ciphertext": "cretoai:v1:AA=="}),
            "/v1/decrypt",
            422,
            "wrong_key_type",
        ),
        (
            json!({"key": "kem", "message": "", "signature": ""}),
            "/v1/verify",
            422,
            "wrong_key_type",
        ),
        (
            json!({"key": "nope", "message": b64("m")}),
            "/v1/sign",
            404,
            "key_not_found",
        ),
        (
            json!({"key": "nope", "plaintext": b64("m")}),
            "/v1/encrypt",
            404,
            "key_not_found",
        ),
        (
            json!({"key": "dsa", "message": "%%%"}),
            "/v1/sign",
            400,
            "invalid_base64",
        ),
        (
            json!({"key": "kem", "plaintext": "not base64!"}),
            "/v1/encrypt",
            400,
            "invalid_base64",
        ),
        (
            json!({"key": "kem", "plaintext": "", "aad": "?"}),
            "/v1/encrypt",
            400,
            "invalid_base64",
        ),
        (
            json!({"key": "dsa", "message": "", "signature": "*"}),
            "/v1/verify",
            400,
            "invalid_base64",
        ),
        (
            json!({"key": "dsa", "message": "", "context": "x".repeat(256)}),
            "/v1/sign",
            400,
            "context_too_long",
        ),
        (
            json!({"key": "kem", "ciphertext": "garbage"}),
            "/v1/decrypt",
            400,
            "invalid_ciphertext",
        ),
        (
            json!({"key": "kem", "ciphertext": "cretoai:v1:AAAA"}),
            "/v1/decrypt",
            400,
            "invalid_ciphertext",
        ),
        (
            json!({"key": "kem", "ciphertext": "cretoai:v1:***"}),
            "/v1/decrypt",
            400,
            "invalid_base64",
        ),
        (
            json!({"key": "kem", "ciphertext": "cretoai:v7:AAAA"}),
            "/v1/decrypt",
            404,
            "key_version_not_found",
        ),
        (
            json!({"public_key": "", "algorithm": "ed25519", "message": "", "signature": ""}),
            "/v1/verify",
            400,
            "unknown_algorithm",
        ),
        (
            json!({"public_key": b64([0u8; 5]), "algorithm": "ml-dsa-44", "message": "", "signature": ""}),
            "/v1/verify",
            400,
            "invalid_public_key",
        ),
        (json!({"key": "dsa"}), "/v1/sign", 400, "invalid_json"),
    ];
    for (body, path, status, code) in cases {
        let response = api.post(path, body.clone()).await;
        assert_eq!(response.0, status, "{path} {body}: {}", response.1);
        assert_eq!(
            response.1["error"]["code"], code,
            "{path} {body}: {}",
            response.1
        );
    }
}

#[actix_web::test]
async fn batches_report_each_item_on_its_own() {
    let api = start().await;
    api.create_key("kem", "ml-kem-768").await;
    api.create_key("dsa", "ml-dsa-65").await;
    let (status, enc) = api
        .post(
            "/v1/encrypt/batch",
            json!([
                {"key": "kem", "plaintext": b64("one")},
                {"key": "missing", "plaintext": b64("two")},
                {"key": "kem", "plaintext": "%%"},
                {"nonsense": true},
                {"key": "kem", "plaintext": b64("five")}
            ]),
        )
        .await;
    assert_eq!(status, 200, "{enc}");
    let items = enc.as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert!(items[0]["ciphertext"].is_string());
    assert_eq!(items[1]["error"]["code"], "key_not_found");
    assert_eq!(items[2]["error"]["code"], "invalid_base64");
    assert_eq!(items[3]["error"]["code"], "invalid_json");
    assert!(items[4]["ciphertext"].is_string());

    let (_, dec) = api
        .post(
            "/v1/decrypt/batch",
            json!([
                {"key": "kem", "ciphertext": items[0]["ciphertext"]},
                {"key": "kem", "ciphertext": items[4]["ciphertext"], "aad": b64("x")},
                {"key": "kem", "ciphertext": items[4]["ciphertext"]}
            ]),
        )
        .await;
    assert_eq!(unb64(&dec[0]["plaintext"]), b"one");
    assert_eq!(dec[1]["error"]["code"], "decryption_failed");
    assert_eq!(unb64(&dec[2]["plaintext"]), b"five");

    let (_, sigs) = api
        .post(
            "/v1/sign/batch",
            json!([{"key": "dsa", "message": b64("a")}, {"key": "kem", "message": b64("b")}]),
        )
        .await;
    assert_eq!(sigs[0]["algorithm"], "ml-dsa-65");
    assert_eq!(sigs[1]["error"]["code"], "wrong_key_type");

    let (_, verdicts) = api
        .post(
            "/v1/verify/batch",
            json!([
                {"key": "dsa", "message": b64("a"), "signature": sigs[0]["signature"]},
                {"key": "dsa", "message": b64("b"), "signature": sigs[0]["signature"]},
                {"key": "dsa", "message": b64("a"), "signature": "!"}
            ]),
        )
        .await;
    assert_eq!(verdicts[0]["valid"], true);
    assert_eq!(verdicts[1]["valid"], false);
    assert_eq!(verdicts[2]["error"]["code"], "invalid_base64");

    assert_error(
        &api.post("/v1/sign/batch", json!([])).await,
        400,
        "invalid_request",
    );
    assert_error(
        &api.post("/v1/sign/batch", json!({"key": "dsa"})).await,
        400,
        "invalid_json",
    );
}

#[actix_web::test]
async fn batch_size_is_limited() {
    let api = crate::harness::start_with(|c| c.max_batch_items = 3).await;
    api.create_key("dsa", "ml-dsa-44").await;
    let item = json!({"key": "dsa", "message": ""});
    let (status, _) = api.post("/v1/sign/batch", json!([item, item, item])).await;
    assert_eq!(status, 200);
    assert_error(
        &api.post("/v1/sign/batch", json!([item, item, item, item]))
            .await,
        400,
        "invalid_request",
    );
}

#[actix_web::test]
async fn signatures_interoperate_with_rustcrypto_ml_dsa() {
    let api = start().await;
    let key = api.create_key("interop", "ml-dsa-65").await;
    let public = unb64(&key["versions"][0]["public_key"]);
    let (_, signed) = api
        .post(
            "/v1/sign",
            json!({"key": "interop", "message": b64("interop msg"), "context": "ctx-1"}),
        )
        .await;
    let encoded_vk = EncodedVerifyingKey::<MlDsa65>::try_from(&public[..]).unwrap();
    let their_vk = VerifyingKey::<MlDsa65>::decode(&encoded_vk);
    let sig_bytes = unb64(&signed["signature"]);
    let sig = Signature::<MlDsa65>::decode(
        &EncodedSignature::<MlDsa65>::try_from(&sig_bytes[..]).unwrap(),
    )
    .unwrap();
    assert!(their_vk.verify_with_context(b"interop msg", b"ctx-1", &sig));
    assert!(!their_vk.verify_with_context(b"interop msg", b"ctx-2", &sig));

    // And the other way round: RustCrypto signs, the node verifies with the bare public key.
    let theirs = ::ml_dsa::SigningKey::<MlDsa65>::from_seed(&[7u8; 32].into());
    let expanded = theirs.expanded_key();
    let their_sig = expanded
        .sign_deterministic(b"from rustcrypto", b"ctx")
        .unwrap()
        .encode();
    let their_public = expanded.verifying_key().encode();
    let body = json!({"public_key": b64(their_public.as_slice()), "algorithm": "ml-dsa-65",
        "message": b64("from rustcrypto"), "signature": b64(their_sig.as_slice()), "context": "ctx"});
    let (status, verdict) = api.post("/v1/verify", body).await;
    assert_eq!(status, 200, "{verdict}");
    assert_eq!(verdict["valid"], true);
}
