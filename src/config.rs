//! One `Config` value: defaults → TOML file → environment → command line (later wins).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A secret that never shows in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub bind: String,
    /// Largest accepted request body (413 above it).
    pub max_body_bytes: usize,
    /// Largest accepted single STIX object; a larger one is rejected alone.
    pub max_object_bytes: usize,
    pub heartbeat_ms: u64,
    /// A synchronizer connection that receives nothing (not even a heartbeat) for this long is dropped and
    /// reopened: remotes heartbeat every 5 s, so this catches a stalled peer.
    pub sync_idle_timeout_ms: u64,
    /// First start only: the admin's password / an API token for the admin.
    pub admin_password: Option<Secret>,
    pub admin_token: Option<Secret>,
    /// Login sessions end after this long without a request, and after `session_max_secs` in any case.
    pub session_idle_secs: u64,
    pub session_max_secs: u64,
    /// Mark the session cookie `Secure` (set when the hub is served over HTTPS, e.g. behind a TLS proxy).
    pub secure_cookies: bool,
    /// Failed logins allowed per account and per client address within 5 minutes, then 429.
    pub login_attempts: u32,
    /// Events of the global log to keep (0 = all); older positions are served a snapshot first.
    pub retention_events: u64,
    /// A connection whose reader stops reading is closed once unsent data has waited this long (0 = never).
    pub stall_timeout_secs: u64,
    /// The URL users reach the hub at (e.g. `https://cti.example.org` behind a proxy), used in the stream,
    /// collection and feed URLs the hub shows; `None` = taken from each request.
    pub public_url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./stixhub-data"),
            bind: "127.0.0.1:4000".into(),
            max_body_bytes: 64 * 1024 * 1024,
            max_object_bytes: 8 * 1024 * 1024,
            heartbeat_ms: 5000,
            sync_idle_timeout_ms: 60_000,
            admin_password: None,
            admin_token: None,
            session_idle_secs: 3600,
            session_max_secs: 12 * 3600,
            secure_cookies: false,
            login_attempts: 10,
            retention_events: 0,
            stall_timeout_secs: 60,
            public_url: None,
        }
    }
}

/// The keys a config file may set (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    bind: Option<String>,
    max_body_bytes: Option<usize>,
    max_object_bytes: Option<usize>,
    heartbeat_ms: Option<u64>,
    sync_idle_timeout_ms: Option<u64>,
    session_idle_secs: Option<u64>,
    session_max_secs: Option<u64>,
    secure_cookies: Option<bool>,
    login_attempts: Option<u32>,
    retention_events: Option<u64>,
    stall_timeout_secs: Option<u64>,
    public_url: Option<String>,
}

/// Values given on the command line.
#[derive(Debug, Default, Clone)]
pub struct CliOverrides {
    pub config_file: Option<PathBuf>,
    pub data: Option<PathBuf>,
    pub bind: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {0}: {1}")]
    Read(String, String),
    #[error("invalid config file {0}: {1}")]
    Parse(String, String),
    #[error("invalid value for {0}: {1}")]
    Env(&'static str, String),
}

impl Config {
    /// Builds the configuration with precedence CLI > env > file > defaults.
    pub fn load(
        cli: &CliOverrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        let file_path = cli
            .config_file
            .clone()
            .or_else(|| env("STIXHUB_CONFIG").map(PathBuf::from));
        if let Some(path) = file_path {
            c.apply_file(&path)?;
        }
        if let Some(v) = env("STIXHUB_DATA") {
            c.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("STIXHUB_BIND") {
            c.bind = v;
        }
        if let Some(v) = env("STIXHUB_MAX_BODY_BYTES") {
            c.max_body_bytes = v
                .parse()
                .map_err(|_| ConfigError::Env("STIXHUB_MAX_BODY_BYTES", v))?;
        }
        if let Some(v) = env("STIXHUB_MAX_OBJECT_BYTES") {
            c.max_object_bytes = v
                .parse()
                .map_err(|_| ConfigError::Env("STIXHUB_MAX_OBJECT_BYTES", v))?;
        }
        if let Some(v) = env("STIXHUB_RETENTION_EVENTS") {
            c.retention_events = v
                .parse()
                .map_err(|_| ConfigError::Env("STIXHUB_RETENTION_EVENTS", v))?;
        }
        if let Some(v) = env("STIXHUB_PUBLIC_URL") {
            c.public_url = Some(public_url(&v).ok_or(ConfigError::Env("STIXHUB_PUBLIC_URL", v))?);
        }
        if let Some(v) = env("STIXHUB_SECURE_COOKIES") {
            c.secure_cookies = matches!(v.trim(), "1" | "true" | "yes");
        }
        c.admin_password = env("STIXHUB_ADMIN_PASSWORD")
            .filter(|s| !s.is_empty())
            .map(Secret);
        c.admin_token = env("STIXHUB_ADMIN_TOKEN")
            .filter(|s| !s.is_empty())
            .map(Secret);
        if let Some(v) = &cli.data {
            c.data_dir.clone_from(v);
        }
        if let Some(v) = &cli.bind {
            c.bind.clone_from(v);
        }
        Ok(c)
    }

    fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Read(name.clone(), e.to_string()))?;
        let f: FileConfig =
            toml::from_str(&text).map_err(|e| ConfigError::Parse(name, e.to_string()))?;
        if let Some(v) = f.data {
            self.data_dir = v;
        }
        if let Some(v) = f.bind {
            self.bind = v;
        }
        if let Some(v) = f.max_body_bytes {
            self.max_body_bytes = v;
        }
        if let Some(v) = f.max_object_bytes {
            self.max_object_bytes = v;
        }
        if let Some(v) = f.heartbeat_ms {
            self.heartbeat_ms = v.max(100);
        }
        if let Some(v) = f.sync_idle_timeout_ms {
            self.sync_idle_timeout_ms = v.max(1000);
        }
        if let Some(v) = f.session_idle_secs {
            self.session_idle_secs = v.max(60);
        }
        if let Some(v) = f.session_max_secs {
            self.session_max_secs = v.max(60);
        }
        if let Some(v) = f.public_url {
            self.public_url = Some(public_url(&v).ok_or(ConfigError::Env("public_url", v))?);
        }
        if let Some(v) = f.secure_cookies {
            self.secure_cookies = v;
        }
        if let Some(v) = f.stall_timeout_secs {
            self.stall_timeout_secs = v;
        }
        if let Some(v) = f.retention_events {
            self.retention_events = v;
        }
        if let Some(v) = f.login_attempts {
            self.login_attempts = v.max(1);
        }
        Ok(())
    }
}

/// An `http(s)://host[:port][/path]` URL without its trailing slash, or `None` when it is not one.
fn public_url(v: &str) -> Option<String> {
    let v = v.trim().trim_end_matches('/');
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"))?;
    let valid = !rest.is_empty()
        && !rest.starts_with('/')
        && rest.bytes().all(|b| {
            b.is_ascii_graphic() && !matches!(b, b'"' | b'<' | b'>' | b'\\' | b'?' | b'#')
        });
    valid.then(|| v.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn public_url_is_an_http_url_without_trailing_slash() {
        let load = |v: &str| {
            Config::load(
                &CliOverrides::default(),
                env_of(&[("STIXHUB_PUBLIC_URL", v)]),
            )
        };
        assert_eq!(
            load("https://cti.example.org/hub/")
                .unwrap()
                .public_url
                .as_deref(),
            Some("https://cti.example.org/hub")
        );
        assert_eq!(
            load("http://127.0.0.1:4000").unwrap().public_url.as_deref(),
            Some("http://127.0.0.1:4000")
        );
        for bad in [
            "cti.example.org",
            "ftp://x",
            "https://",
            "https:///x",
            "javascript:alert(1)",
            "http://a b",
            "http://x\"><script>",
        ] {
            assert!(load(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults() {
        let c = Config::load(&CliOverrides::default(), env_of(&[])).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("./stixhub-data"));
        assert_eq!(c.bind, "127.0.0.1:4000");
        assert_eq!(c.max_body_bytes, 64 * 1024 * 1024);
    }

    #[test]
    fn precedence_cli_env_file_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hub.toml");
        std::fs::write(
            &file,
            "data = \"/from/file\"\nbind = \"127.0.0.1:1\"\nheartbeat_ms = 2000\n",
        )
        .unwrap();
        let cli = CliOverrides {
            config_file: Some(file.clone()),
            ..Default::default()
        };
        let c = Config::load(&cli, env_of(&[])).unwrap();
        assert_eq!(
            (
                c.data_dir.to_str().unwrap(),
                c.bind.as_str(),
                c.heartbeat_ms
            ),
            ("/from/file", "127.0.0.1:1", 2000)
        );
        let c = Config::load(&cli, env_of(&[("STIXHUB_DATA", "/from/env")])).unwrap();
        assert_eq!(
            (c.data_dir.to_str().unwrap(), c.bind.as_str()),
            ("/from/env", "127.0.0.1:1")
        );
        let cli = CliOverrides {
            data: Some("/from/cli".into()),
            ..cli
        };
        let c = Config::load(&cli, env_of(&[("STIXHUB_DATA", "/from/env")])).unwrap();
        assert_eq!(c.data_dir.to_str().unwrap(), "/from/cli");
    }

    #[test]
    fn bad_file_is_a_clear_error_and_secrets_are_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hub.toml");
        std::fs::write(&file, "colour = 1\n").unwrap();
        let cli = CliOverrides {
            config_file: Some(file),
            ..Default::default()
        };
        let err = Config::load(&cli, env_of(&[])).unwrap_err().to_string();
        assert!(err.contains("unknown field `colour`"), "{err}");
        let c = Config::load(
            &CliOverrides::default(),
            env_of(&[("STIXHUB_ADMIN_TOKEN", "s3cret")]),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
