//! The admin interface over HTTP: login and sessions, CSRF, rate limiting, every page behind the session,
//! and the pages rendering real data (MITRE ATT&CK ICS).

use serde_json::json;

use crate::access::{call, user_with};
use crate::admin_session::Browser;
use crate::common::{shared, Hub, TOKEN};

const ADMIN_PAGES: &[&str] = &[
    "/admin",
    "/admin/knowledge",
    "/admin/import",
    "/admin/streams",
    "/admin/streams/new",
    "/admin/users",
    "/admin/groups",
    "/admin/tokens",
    "/admin/collections",
    "/admin/feeds",
    "/admin/synchronizers",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_need_a_session_and_the_right_capability() {
    let hub = Hub::start().await;
    let mut anon = Browser::new(&hub.base);
    for page in ADMIN_PAGES {
        let res = anon.get(page).await;
        assert_eq!(res.status, 303, "{page} without a session");
        let to = res.location.unwrap();
        assert!(to.starts_with("/admin/login"), "{page} → {to}");
    }
    let res = anon.get("/admin/knowledge?type=malware").await;
    assert_eq!(
        res.location.as_deref(),
        Some("/admin/login?next=%2Fadmin%2Fknowledge%3Ftype%3Dmalware")
    );
    for post in [
        "/admin/users",
        "/admin/groups",
        "/admin/tokens",
        "/admin/streams",
        "/admin/logout",
    ] {
        let res = anon.post(post, &[("name", "x")]).await;
        assert_eq!(res.status, 303, "POST {post} without a session");
    }
    // A reader: the knowledge pages and its own tokens, nothing of the admin's or the sharer's.
    user_with(&hub, "reader", &["TLP:GREEN"], &["read"]).await;
    let mut reader = Browser::new(&hub.base);
    reader.login("reader", "a long enough password").await;
    for (page, status) in [
        ("/admin", 200),
        ("/admin/knowledge", 200),
        ("/admin/tokens", 200),
        ("/admin/import", 403),
        ("/admin/streams", 403),
        ("/admin/streams/new", 403),
        ("/admin/users", 403),
        ("/admin/groups", 403),
    ] {
        let res = reader.get(page).await;
        assert_eq!(res.status, status, "{page} as a reader");
        assert!(
            res.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{page}"
        );
    }
    let res = reader
        .post(
            "/admin/users",
            &[("name", "sneaky"), ("password", "0123456789ab")],
        )
        .await;
    assert_eq!(res.status, 403);
    assert!(
        res.body.contains("admin"),
        "the page names the missing capability"
    );
    // Unknown admin pages are HTML 404s; /api stays JSON.
    let res = reader.get("/admin/nope").await;
    assert_eq!(res.status, 404);
    assert!(res.body.contains("Not found"));
    // The admin reaches every page.
    let mut admin = Browser::new(&hub.base);
    admin.login("admin", "test-password").await;
    for page in ADMIN_PAGES {
        let res = admin.get(page).await;
        assert_eq!(res.status, 200, "{page} as admin: {}", res.body);
        let csp = res.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(res.headers["x-content-type-options"], "nosniff");
        assert!(!res.body.contains("<script>"), "no inline script on {page}");
    }
    // Logout ends the session server-side: the old cookie no longer works.
    let res = admin.post("/admin/logout", &[]).await;
    assert_eq!(res.status, 303);
    assert!(!admin.has_session());
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_flags_and_logout_invalidates_it() {
    let hub = Hub::start().await;
    let res = hub
        .client
        .post(hub.url("/admin/login"))
        .form(&[("name", "admin"), ("password", "test-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status().as_u16(),
        200,
        "reqwest followed the redirect to the dashboard? no cookie jar → login page"
    );
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = raw
        .post(hub.url("/admin/login"))
        .form(&[("name", "admin"), ("password", "test-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "not Secure unless configured for TLS"
    );
    let value = cookie.split(';').next().unwrap().to_string();
    let res = raw
        .get(hub.url("/admin/users"))
        .header("cookie", &value)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    let csrf = crate::admin_session::csrf_of(&html).unwrap();
    let res = raw
        .post(hub.url("/admin/logout"))
        .header("cookie", &value)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let res = raw
        .get(hub.url("/admin/users"))
        .header("cookie", &value)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status().as_u16(),
        303,
        "the session is gone on the server"
    );
    hub.stop().await;
    // With secure_cookies, the cookie is Secure.
    let hub = Hub::start_with(std::sync::Arc::new(tempfile::tempdir().unwrap()), |c| {
        c.secure_cookies = true
    })
    .await;
    let res = raw
        .post(hub.url("/admin/login"))
        .form(&[("name", "admin"), ("password", "test-password")])
        .send()
        .await
        .unwrap();
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Secure"));
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_the_csrf_token_are_refused_and_change_nothing() {
    let hub = Hub::start().await;
    let mut admin = Browser::new(&hub.base);
    admin.login("admin", "test-password").await;
    admin.get("/admin/users").await;
    for csrf in ["", "forged-token"] {
        let res = admin
            .post(
                "/admin/users",
                &[
                    ("name", "csrf-victim"),
                    ("password", "0123456789ab"),
                    ("csrf", csrf),
                ],
            )
            .await;
        assert_eq!(res.status, 403, "csrf '{csrf}'");
        assert!(res.body.contains("security token"), "{}", res.body);
    }
    let res = admin
        .post("/admin/groups", &[("name", "g"), ("csrf", "x")])
        .await;
    assert_eq!(res.status, 403);
    let res = admin.upload_without_csrf().await;
    assert_eq!(res, 403);
    let (_, users) = call(&hub, "GET", "/api/users", Some(TOKEN), None).await;
    assert_eq!(
        users.as_array().unwrap().len(),
        1,
        "nothing was created: {users}"
    );
    let (_, groups) = call(&hub, "GET", "/api/groups", Some(TOKEN), None).await;
    assert_eq!(groups.as_array().unwrap().len(), 1, "{groups}");
    // With the token, the same form works.
    let res = admin
        .post(
            "/admin/users",
            &[("name", "csrf-ok"), ("password", "0123456789ab")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_rate_limited_per_account_and_address() {
    let hub = Hub::start_with(std::sync::Arc::new(tempfile::tempdir().unwrap()), |c| {
        c.login_attempts = 3
    })
    .await;
    let mut b = Browser::new(&hub.base);
    for _ in 0..3 {
        let res = b
            .post(
                "/admin/login",
                &[("name", "admin"), ("password", "wrong password")],
            )
            .await;
        assert_eq!(res.status, 401);
        assert!(res.body.contains("Wrong user name or password"));
    }
    let res = b
        .post(
            "/admin/login",
            &[("name", "admin"), ("password", "test-password")],
        )
        .await;
    assert_eq!(
        res.status, 429,
        "even the right password waits once the account is blocked"
    );
    let retry: u64 = res.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    assert!(!b.has_session());
    // The address is allowed five times the account's failures: other accounts still get answers until then.
    for i in 0..12 {
        let res = b
            .post(
                "/admin/login",
                &[("name", format!("nobody{i}").as_str()), ("password", "x")],
            )
            .await;
        assert_eq!(res.status, 401, "attempt {i}");
    }
    let res = b
        .post("/admin/login", &[("name", "someone"), ("password", "x")])
        .await;
    assert_eq!(res.status, 429, "the address is blocked after 15 failures");
    hub.stop().await;
}

/// The pages with ATT&CK ICS imported: dashboard counts, knowledge list and search, an object page with its
/// relationships and events, the import page with per-object errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_real_data() {
    let hub = Hub::start().await;
    let report = hub
        .import_file(&shared("stix21/mitre-attack/ics-attack-18.1.json"))
        .await;
    let created = report["created"].as_u64().unwrap();
    let mut admin = Browser::new(&hub.base);
    admin.login("admin", "test-password").await;
    let dash = admin.get("/admin").await;
    assert!(
        dash.body.contains(&format!(
            "<p class=\"big\" id=\"total-objects\">{created}</p>"
        )),
        "{}",
        dash.body
    );
    assert!(
        dash.body.contains("<svg class=\"chart\""),
        "the activity chart is drawn on the server"
    );
    let (_, list) = call(
        &hub,
        "GET",
        "/api/objects?type=malware&limit=1000",
        Some(TOKEN),
        None,
    )
    .await;
    let malware = list["objects"].as_array().unwrap().len();
    assert!(
        dash.body
            .contains(&format!("malware</a></td><td class=\"num\">{malware}</td>")),
        "{}",
        dash.body
    );
    let page = admin.get("/admin/knowledge?type=malware").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.body
            .matches("<tr><td><a href=\"/admin/knowledge/malware--")
            .count(),
        malware.min(50)
    );
    let found = admin.get("/admin/knowledge?q=stuxnet").await;
    assert!(found.body.contains(">Stuxnet</a>"), "{}", found.body);
    let id = list["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Stuxnet")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let by_id = admin.get(&format!("/admin/knowledge?q={id}")).await;
    assert!(by_id.body.contains(">Stuxnet</a>"));
    let obj = admin.get(&format!("/admin/knowledge/{id}")).await;
    assert_eq!(obj.status, 200);
    assert!(obj.body.contains("<h1 id=\"object-name\">Stuxnet</h1>"));
    assert!(
        obj.body.contains("From this object") && obj.body.contains("uses → "),
        "relationships are listed"
    );
    assert!(
        obj.body.contains("<td>create</td>"),
        "its create event is listed"
    );
    assert!(
        obj.body.contains("&quot;type&quot;: &quot;malware&quot;"),
        "pretty JSON, escaped"
    );
    let missing = admin
        .get("/admin/knowledge/malware--00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(missing.status, 404);
    // Import page: a bundle with one good and one bad object.
    admin.get("/admin/import").await;
    let bundle = json!({"type": "bundle", "id": "bundle--1b2b7a8e-3f59-4c2a-9d55-111111111111", "objects": [
        {"type": "malware", "spec_version": "2.1", "id": "malware--11111111-1111-4111-8111-111111111111", "name": "Über ☠",
         "is_family": false, "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z"},
        {"type": "malware", "spec_version": "2.1", "id": "not-an-id", "name": "broken"}]});
    let res = admin
        .upload(
            "/admin/import",
            "two.json",
            &serde_json::to_vec(&bundle).unwrap(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(
        res.body.contains("<dd id=\"count-created\">1</dd>"),
        "{}",
        res.body
    );
    assert!(res.body.contains("<dd id=\"count-rejected\">1</dd>"));
    assert!(
        res.body
            .contains("<td>1</td><td><code>not-an-id</code></td>"),
        "{}",
        res.body
    );
    let found = admin.get("/admin/knowledge?q=%C3%BCber").await;
    assert!(
        found.body.contains(">Über ☠</a>"),
        "search is case-insensitive on non-ASCII names"
    );
    hub.stop().await;
}
