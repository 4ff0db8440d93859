//! HTTP routes only: handlers translate between HTTP and the lower modules.

mod api;
mod extract;
mod index;
mod middleware;
mod stream;

use actix_web::web;

pub use middleware::{request_id, security_headers};

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/", web::get().to(index::index))
        .route("/static/{file}", web::get().to(index::static_file))
        .service(
            web::scope("/api")
                .route("/bundles", web::post().to(api::post_bundle))
                .route("/objects", web::get().to(api::list_objects))
                .route("/objects/{id}", web::get().to(api::get_object))
                .route("/objects/{id}", web::delete().to(api::delete_object))
                .default_service(web::to(api::not_found)),
        )
        .route("/stream", web::get().to(stream::global))
        .route(
            "/stream/connection/{id}",
            web::post().to(stream::connection),
        );
}

async fn healthz() -> &'static str {
    "ok"
}
