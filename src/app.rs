//! Composition root: open the store, bootstrap, serve HTTP, shut down in order
//! (stop accepting → end SSE → stop tasks → flush the store).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use tokio_util::sync::CancellationToken;

use crate::auth::{self, AuthError};
use crate::config::Config;
use crate::state::AppState;
use crate::store::{Store, StoreError};
use crate::web as routes;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("HTTP server: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens the data directory (creating it) and bootstraps the admin on first start.
/// A reader that stops reading (its receive window stays at zero) is disconnected by the kernel once unsent
/// data has waited `timeout` (TCP_USER_TIMEOUT covers zero-window stalls): a stalled SSE reader ends, and its
/// buffers are freed, instead of staying open forever. 0 leaves the system default.
fn drop_stalled_after(conn: &dyn std::any::Any, timeout: Duration) {
    if timeout.is_zero() {
        return;
    }
    if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Err(e) = socket2::SockRef::from(tcp).set_tcp_user_timeout(Some(timeout)) {
            tracing::debug!(error = %e, "TCP_USER_TIMEOUT not set");
        }
    }
}

pub fn open_store(config: &Config) -> Result<Store, RunError> {
    std::fs::create_dir_all(&config.data_dir)?;
    let store = Store::open(&config.data_dir)?;
    store.set_retention(config.retention_events);
    if let Some(b) = auth::bootstrap(&store, config)? {
        // Shown once, on the first start only.
        if let Some(p) = b.generated_password {
            eprintln!("stixhub: first start: created user 'admin' with password: {p}");
        }
        if let Some(t) = b.generated_token {
            eprintln!("stixhub: first start: admin API token (shown once, keep it): {t}");
        }
    }
    Ok(store)
}

/// Serves until `shutdown` is cancelled, then stops cleanly. Used by `main` and by the tests.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), RunError> {
    let store = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || open_store(&config))
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))??
    };
    let state = AppState {
        store: store.clone(),
        logins: Arc::new(crate::auth::ratelimit::LoginGuard::new(
            config.login_attempts,
        )),
        config: Arc::new(config),
        shutdown: shutdown.child_token(),
        syncs: crate::sync::Registry::default(),
        taxii: crate::taxii::Index::default(),
    };
    let sync_shutdown = CancellationToken::new();
    let supervisor = crate::sync::supervisor::start(
        store.clone(),
        state.syncs.clone(),
        crate::sync::supervisor::Settings {
            idle_timeout: Duration::from_millis(state.config.sync_idle_timeout_ms.max(100)),
            max_object_bytes: state.config.max_object_bytes,
            max_line: state.config.max_body_bytes,
        },
        sync_shutdown.clone(),
    );
    let addr = listener.local_addr()?;
    let data = web::Data::new(state.clone());
    let schema = web::Data::new(routes::graphql::schema());
    let stall_timeout = Duration::from_secs(state.config.stall_timeout_secs);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(schema.clone())
            .wrap(routes::security_headers())
            .wrap(from_fn(routes::request_id))
            .configure(routes::configure)
    })
    // Idle keep-alive longer than common client pools keep connections, so a client never sends on a
    // connection the server is closing at that moment (nginx uses 75 s too).
    .keep_alive(Duration::from_secs(75))
    .on_connect(move |conn, _| drop_stalled_after(conn, stall_timeout))
    .listen(listener)?
    .disable_signals()
    .shutdown_timeout(5)
    .run();
    let handle = server.handle();
    tracing::info!(%addr, data = %state.config.data_dir.display(), "stixhub listening on http://{addr}");
    let server_task = tokio::spawn(server);

    shutdown.cancelled().await;
    tracing::info!("shutting down: closing streams, stopping the server, flushing");
    state.shutdown.cancel();
    // Let SSE bodies end on their own before the server stops accepting and drains.
    tokio::time::sleep(Duration::from_millis(50)).await;
    handle.stop(true).await;
    let _ = server_task.await;
    // Synchronizers end after their current batch is committed, before the final flush.
    sync_shutdown.cancel();
    let _ = supervisor.await;
    let flushing = store.clone();
    tokio::task::spawn_blocking(move || flushing.flush())
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    drop(state);
    release(store).await;
    tracing::info!("stopped");
    Ok(())
}

/// Waits (up to 10 s) until the last other handle on the store is gone — server workers and request tasks end
/// on their own threads a little after the server reports it stopped — so that when `run` returns the data
/// directory is unlocked and a new hub can open it at once.
async fn release(store: Store) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store.handles() > 1 {
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!(
                handles = store.handles(),
                "store still in use after shutdown"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
