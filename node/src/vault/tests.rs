//! Vault actor and read path against a real redb file.

use super::*;
use crate::audit::verify;
use crate::clock::ManualClock;
use crate::keys::KeyError;
use crate::keys::KeyRing;
use crate::store::vault::VaultTxn;
use crate::vault::actor::{Change, Written};
use crate::vault::VaultError;
use cretoai_crypto::random;
use zeroize::Zeroizing;

struct Fixture {
    vault: Vault,
    replicator: crate::replication::Replicator,
    keys: KeyRing,
    store: Store,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let master = MasterKey::from_bytes([4; 32]);
    ensure_key(&store, &master, 10).unwrap();
    let clock: SharedClock = Arc::new(ManualClock::new(1_000));
    let master = Arc::new(master);
    let keys = KeyRing::start(store.clone(), master.clone(), clock.clone()).unwrap();
    let limits = VaultLimits {
        max_value_bytes: 1024,
        max_versions: 3,
    };
    let vault = Vault::start(
        store.clone(),
        keys.directory().clone(),
        CryptoPool::start(2),
        clock.clone(),
        limits,
    )
    .unwrap();
    let replicator = crate::replication::proposals::for_tests(&store, master, &keys, &vault, clock);
    Fixture {
        vault,
        replicator,
        keys,
        store,
        _dir: dir,
    }
}

fn entry(op: &str, path: &str) -> AuditEntry {
    AuditEntry::new("t1", op, path)
}

async fn put(f: &Fixture, path: &str, value: &str, cas: Option<u32>) -> Result<Written> {
    let json = serde_json::to_vec(&serde_json::json!({ "v": value })).unwrap();
    f.replicator
        .vault_write(
            entry("vault.write", path),
            path.into(),
            Zeroizing::new(json),
            cas,
        )
        .await
}

async fn get(v: &Vault, path: &str, version: Option<u32>) -> Result<String> {
    let value = v.read(path, version).await?;
    Ok(value.data["v"].as_str().unwrap().to_string())
}

#[actix_rt::test]
async fn versions_count_up_and_cas_guards_writes() {
    let f = fixture();
    assert_eq!(put(&f, "a/b", "one", Some(0)).await.unwrap().version, 1);
    assert!(matches!(
        put(&f, "a/b", "again", Some(0)).await,
        Err(NodeError::Vault(VaultError::CasMismatch {
            expected: 0,
            current: 1,
            ..
        }))
    ));
    assert_eq!(put(&f, "a/b", "two", Some(1)).await.unwrap().version, 2);
    assert_eq!(put(&f, "a/b", "three", None).await.unwrap().version, 3);
    assert_eq!(get(&f.vault, "a/b", None).await.unwrap(), "three");
    assert_eq!(get(&f.vault, "a/b", Some(1)).await.unwrap(), "one");
    assert!(matches!(
        get(&f.vault, "nope", None).await,
        Err(NodeError::Vault(VaultError::NotFound(_)))
    ));
    // The refused write left no version behind, and its refusal is in the audit log.
    assert_eq!(f.vault.meta("a/b").unwrap().current_version, 3);
    let outcomes: Vec<String> = f
        .store
        .audit_page(0, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.outcome)
        .collect();
    assert_eq!(outcomes, ["ok", "cas_mismatch", "ok", "ok"]);
    assert!(verify(&f.store).unwrap().valid);
}

#[actix_rt::test]
async fn delete_undelete_and_destroy_report_their_state() {
    let f = fixture();
    put(&f, "s", "one", None).await.unwrap();
    put(&f, "s", "two", None).await.unwrap();
    let modify = |change| {
        f.replicator
            .vault_modify(entry("vault.x", "s"), "s".into(), change)
    };
    modify(Change::DeleteLatest).await.unwrap();
    assert!(matches!(
        get(&f.vault, "s", None).await,
        Err(NodeError::Vault(VaultError::VersionDeleted {
            version: 2,
            deleted_at: 1_000,
            ..
        }))
    ));
    assert_eq!(get(&f.vault, "s", Some(1)).await.unwrap(), "one");
    modify(Change::Undelete(vec![2])).await.unwrap();
    assert_eq!(get(&f.vault, "s", None).await.unwrap(), "two");
    modify(Change::Destroy(vec![1, 99])).await.unwrap();
    assert!(matches!(
        get(&f.vault, "s", Some(1)).await,
        Err(NodeError::Vault(VaultError::VersionDestroyed {
            version: 1,
            ..
        }))
    ));
    let txn = f.store.begin_write().unwrap();
    let sealed: Vec<_> = VaultTxn(&txn).all_sealed().unwrap();
    assert_eq!(
        sealed.iter().map(|s| s.1).collect::<Vec<_>>(),
        [2],
        "ciphertext of v1 is gone"
    );
    drop(txn);
    assert!(matches!(
        get(&f.vault, "s", Some(7)).await,
        Err(NodeError::Vault(VaultError::VersionNotFound {
            version: 7,
            ..
        }))
    ));
    modify(Change::DeleteAll).await.unwrap();
    assert!(matches!(
        f.vault.meta("s"),
        Err(NodeError::Vault(VaultError::NotFound(_)))
    ));
    assert!(matches!(
        modify(Change::DeleteLatest).await,
        Err(NodeError::Vault(VaultError::NotFound(_)))
    ));
    // Recreated after a full delete, the secret starts again at version 1.
    assert_eq!(put(&f, "s", "fresh", Some(0)).await.unwrap().version, 1);
}

#[actix_rt::test]
async fn the_oldest_versions_are_pruned_beyond_max_versions() {
    let f = fixture();
    for i in 1..=5 {
        put(&f, "p", &format!("v{i}"), None).await.unwrap();
    }
    let meta = f.vault.meta("p").unwrap();
    assert_eq!(meta.versions.keys().copied().collect::<Vec<_>>(), [3, 4, 5]);
    assert!(matches!(
        get(&f.vault, "p", Some(2)).await,
        Err(NodeError::Vault(VaultError::VersionNotFound { .. }))
    ));
    let meta = f
        .replicator
        .vault_modify(entry("m", "p"), "p".into(), Change::MaxVersions(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(meta.versions.keys().copied().collect::<Vec<_>>(), [5]);
    assert_eq!(get(&f.vault, "p", None).await.unwrap(), "v5");
    let big = "x".repeat(2000);
    assert!(matches!(
        put(&f, "p", &big, None).await,
        Err(NodeError::Vault(VaultError::ValueTooLarge {
            limit: 1024,
            ..
        }))
    ));
}

#[actix_rt::test]
async fn a_record_copied_to_another_path_or_version_does_not_open() {
    let f = fixture();
    for path in ["src", "src", "dst", "dst"] {
        put(&f, path, "secret-value", None).await.unwrap();
    }
    let txn = f.store.begin_write().unwrap();
    {
        let tx = VaultTxn(&txn);
        let all = tx.all_sealed().unwrap();
        let find = |path: &str, version| {
            &all.iter()
                .find(|s| s.0 == path && s.1 == version)
                .unwrap()
                .2
        };
        // Same version, other path; then same path, other version.
        tx.put_sealed("dst", 2, find("src", 2)).unwrap();
        tx.put_sealed("dst", 1, find("dst", 2)).unwrap();
    }
    txn.commit().unwrap();
    for version in [1, 2] {
        assert!(matches!(
            get(&f.vault, "dst", Some(version)).await,
            Err(NodeError::DecryptionFailed)
        ));
    }
}

#[actix_rt::test]
async fn rewrap_moves_every_data_key_to_the_newest_vault_key() {
    let f = fixture();
    put(&f, "a", "one", None).await.unwrap();
    put(&f, "b", "two", None).await.unwrap();
    f.keys.rotate(VAULT_KEY.into()).await.unwrap();
    put(&f, "c", "three", None).await.unwrap();
    let done = f.vault.rewrap(entry("vault.rewrap", "*")).await.unwrap();
    assert_eq!(
        (done.rewrapped, done.unchanged, done.key_version),
        (2, 1, 2)
    );
    let txn = f.store.begin_write().unwrap();
    for (_, _, bytes) in VaultTxn(&txn).all_sealed().unwrap() {
        assert_eq!(SealedVersion::parse(&bytes).unwrap().key_version, 2);
    }
    drop(txn);
    // Version 1 of the vault key may now be retired without losing a secret.
    f.keys
        .configure(VAULT_KEY.into(), Some(2), None)
        .await
        .unwrap();
    for (path, value) in [("a", "one"), ("b", "two"), ("c", "three")] {
        assert_eq!(get(&f.vault, path, None).await.unwrap(), value);
    }
}

#[actix_rt::test]
async fn the_vault_key_can_never_be_deleted_or_made_deletable() {
    let f = fixture();
    put(&f, "a", "one", None).await.unwrap();
    assert!(matches!(
        f.keys.configure(VAULT_KEY.into(), None, Some(true)).await,
        Err(NodeError::Keys(KeyError::Reserved(name))) if name == VAULT_KEY
    ));
    assert!(matches!(
        f.keys.delete(VAULT_KEY.into()).await,
        Err(NodeError::Keys(KeyError::Reserved(_)))
    ));
    // Its other settings stay adjustable, and the secrets stay readable.
    f.keys
        .configure(VAULT_KEY.into(), Some(1), Some(false))
        .await
        .unwrap();
    assert_eq!(get(&f.vault, "a", None).await.unwrap(), "one");
}

#[actix_rt::test]
async fn the_database_file_holds_no_plaintext_value_or_data_key() {
    let f = fixture();
    let mut values = Vec::new();
    for i in 0..20 {
        let value = format!(
            "plaintext-marker-{i:04}-{}",
            hex::encode(random::array::<8>())
        );
        put(&f, &format!("agents/a{i}"), &value, None)
            .await
            .unwrap();
        values.push(value);
    }
    let key = vault_key(f.keys.directory()).unwrap();
    let KeyMaterial::Kem(dk) = &key.latest().material else {
        panic!("vault key is ML-KEM");
    };
    let txn = f.store.begin_write().unwrap();
    let data_keys: Vec<_> = VaultTxn(&txn)
        .all_sealed()
        .unwrap()
        .into_iter()
        .map(|(path, version, bytes)| {
            let sealed = SealedVersion::parse(&bytes).unwrap();
            sealed.data_key(dk, &path, version).unwrap()
        })
        .collect();
    drop(txn);
    assert_eq!(data_keys.len(), 20);
    let raw = std::fs::read(f.store.path()).unwrap();
    for value in &values {
        assert!(!raw.windows(value.len()).any(|w| w == value.as_bytes()));
    }
    for dk in &data_keys {
        assert!(!raw.windows(dk.len()).any(|w| w == dk.as_slice()));
        let hex_key = hex::encode(dk.as_slice());
        assert!(!String::from_utf8_lossy(&raw).contains(&hex_key));
    }
}
