//! A browser-like client for the admin pages: keeps the session cookie, reads the CSRF token from each page,
//! never follows redirects (tests look at them).

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    cookie: Option<String>,
    pub csrf: Option<String>,
}

pub struct PageAnswer {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

/// The value of the first `name="csrf" value="…"` input of a page.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_string())
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.to_string(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
            csrf: None,
        }
    }

    async fn finish(&mut self, res: reqwest::Response) -> PageAnswer {
        for v in res.headers().get_all(SET_COOKIE) {
            let text = v.to_str().unwrap();
            if let Some(rest) = text.strip_prefix("stixhub_session=") {
                let value = rest.split(';').next().unwrap().to_string();
                self.cookie = (!value.is_empty()).then_some(value);
            }
        }
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_string());
        let headers = res.headers().clone();
        let body = res.text().await.unwrap();
        if let Some(c) = csrf_of(&body) {
            self.csrf = Some(c);
        }
        PageAnswer {
            status,
            location,
            body,
            headers,
        }
    }

    fn with_cookie(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(c) => req.header(COOKIE, format!("stixhub_session={c}")),
            None => req,
        }
    }

    pub async fn get(&mut self, path: &str) -> PageAnswer {
        let req = self.with_cookie(self.client.get(format!("{}{path}", self.base)));
        let res = req.send().await.unwrap();
        self.finish(res).await
    }

    /// Posts a form; the CSRF token of the last page read is added unless `pairs` has one.
    pub async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> PageAnswer {
        let mut all: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        if !pairs.iter().any(|(k, _)| *k == "csrf") {
            if let Some(c) = &self.csrf {
                all.push(("csrf".into(), c.clone()));
            }
        }
        let body = serde_html_form::to_string(&all).unwrap();
        let req = self
            .with_cookie(self.client.post(format!("{}{path}", self.base)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let res = req.send().await.unwrap();
        self.finish(res).await
    }

    /// Posts a file through the import page's multipart form.
    pub async fn upload(&mut self, path: &str, filename: &str, bytes: &[u8]) -> PageAnswer {
        let boundary = "stixhubtestboundary7d1c";
        let mut body = Vec::new();
        let csrf = self.csrf.clone().unwrap_or_default();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/json\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = self
            .with_cookie(self.client.post(format!("{}{path}", self.base)))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        let res = req.send().await.unwrap();
        self.finish(res).await
    }

    /// Uploads to the import page with a forged CSRF field; returns the status.
    pub async fn upload_without_csrf(&mut self) -> u16 {
        let saved = self.csrf.replace("forged".into());
        let res = self.upload("/admin/import", "x.json", b"[]").await;
        self.csrf = saved;
        res.status
    }

    /// Logs in; asserts the redirect to the dashboard.
    pub async fn login(&mut self, name: &str, password: &str) {
        let res = self
            .post("/admin/login", &[("name", name), ("password", password)])
            .await;
        assert_eq!(res.status, 303, "login of {name} failed: {}", res.body);
        assert!(self.cookie.is_some(), "a session cookie is set");
        let dash = self.get("/admin").await;
        assert_eq!(dash.status, 200, "{}", dash.body);
    }

    pub fn has_session(&self) -> bool {
        self.cookie.is_some()
    }
}
