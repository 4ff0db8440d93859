//! Account rules over the API (unique names, the last admin, clear errors) and what the data directory keeps
//! of passwords and tokens (hashes only).

use serde_json::json;

use crate::access::{call, user_with};
use crate::common::{Hub, TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_rules_and_clear_errors() {
    let hub = Hub::start().await;
    let bad = [
        (
            "/api/groups",
            json!({"name": "g", "allowed_markings": ["TLP:PURPLE"]}),
            400,
            "unknown marking 'TLP:PURPLE'",
        ),
        (
            "/api/groups",
            json!({"name": "g", "allowed_markings": ["TLP:GREEN", "TLP:RED"]}),
            400,
            "one level per marking type",
        ),
        (
            "/api/groups",
            json!({"name": "g", "capabilities": ["root"]}),
            400,
            "unknown capability 'root'",
        ),
        (
            "/api/groups",
            json!({"name": "Administrators"}),
            409,
            "exists",
        ),
        (
            "/api/users",
            json!({"name": "u", "password": "short"}),
            400,
            "at least 10 characters",
        ),
        (
            "/api/users",
            json!({"name": "admin", "password": "long enough pass"}),
            409,
            "exists",
        ),
        (
            "/api/users",
            json!({"name": "u", "password": "long enough pass", "groups": ["nope"]}),
            400,
            "no group",
        ),
        (
            "/api/users",
            json!({"name": "u", "password": "long enough pass", "admin": true}),
            400,
            "unknown field",
        ),
        (
            "/api/tokens",
            json!({"name": "t", "expires_at": "2001-01-01T00:00:00Z"}),
            400,
            "in the past",
        ),
        (
            "/api/tokens",
            json!({"name": "t", "expires_at": "tomorrow"}),
            400,
            "RFC 3339",
        ),
    ];
    for (path, body, status, reason) in bad {
        let (s, answer) = call(&hub, "POST", path, Some(TOKEN), Some(body.clone())).await;
        assert_eq!(s, status, "{path} {body}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(reason),
            "{path} {body}: {answer}"
        );
    }
    // The built-in group and the last admin stay.
    let (_, groups) = call(&hub, "GET", "/api/groups", Some(TOKEN), None).await;
    let admins = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["builtin"] == true)
        .unwrap();
    let (s, _) = call(
        &hub,
        "DELETE",
        &format!("/api/groups/{}", admins["id"].as_str().unwrap()),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, 409);
    let (_, users) = call(&hub, "GET", "/api/users", Some(TOKEN), None).await;
    let admin_id = users[0]["id"].as_str().unwrap().to_string();
    let (s, body) = call(
        &hub,
        "DELETE",
        &format!("/api/users/{admin_id}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(s, 409, "{body}");
    // A user manages its own tokens, not others'.
    let (_, uid, own) = user_with(&hub, "self-service", &[], &["read"]).await;
    let (s, t) = call(
        &hub,
        "POST",
        "/api/tokens",
        Some(&own),
        Some(json!({"name": "mine"})),
    )
    .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["user_id"], uid.as_str());
    let (s, _) = call(
        &hub,
        "POST",
        "/api/tokens",
        Some(&own),
        Some(json!({"name": "theirs", "user_id": admin_id})),
    )
    .await;
    assert_eq!(s, 403);
    let (_, mine) = call(&hub, "GET", "/api/tokens", Some(&own), None).await;
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|t| t["user_id"] == uid.as_str()),
        "{mine}"
    );
    assert!(
        !mine.to_string().contains(&own),
        "token values are never listed"
    );
    hub.stop().await;
}

/// Passwords and token values never reach the disk: only argon2 hashes and SHA-256 digests do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_clear_password_or_token_in_the_store() {
    let hub = Hub::start().await;
    let (_, _, token) = user_with(&hub, "secretive", &["TLP:GREEN"], &["read"]).await;
    let mut browser = crate::admin_session::Browser::new(&hub.base);
    browser.login("secretive", "a long enough password").await;
    let dir = hub.stop().await;
    let mut haystack = Vec::new();
    for entry in walk(dir.path()) {
        haystack.extend(std::fs::read(entry).unwrap());
    }
    assert!(
        haystack.windows(9).any(|w| w == b"secretive"),
        "the user records were read"
    );
    for secret in [
        "a long enough password",
        "test-password",
        token.as_str(),
        TOKEN,
    ] {
        assert!(
            !haystack
                .windows(secret.len())
                .any(|w| w == secret.as_bytes()),
            "'{secret}' found in the data directory"
        );
    }
    assert!(
        haystack.windows(10).any(|w| w == b"$argon2id$"),
        "argon2id hashes are stored"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
