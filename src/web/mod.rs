//! HTTP routes only: handlers translate between HTTP and the lower modules.

mod accounts;
mod admin;
mod api;
mod collections;
mod extract;
mod extractors;
mod feeds;
pub mod graphql;
mod index;
mod middleware;
mod public;
mod sharing;
mod stream;
mod streams;
pub(crate) mod synchronizers;
mod taxii;
mod taxii_http;
mod taxii_post;

use actix_web::web;

pub use middleware::{request_id, security_headers};

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    extractors::configure(cfg);
    cfg.route("/healthz", web::get().to(healthz))
        .route("/", web::get().to(index::index))
        .route("/static/{file}", web::get().to(index::static_file))
        .service(
            web::scope("/api")
                .route("/bundles", web::post().to(api::post_bundle))
                .route("/objects", web::get().to(api::list_objects))
                .route("/objects/{id}", web::get().to(api::get_object))
                .route("/objects/{id}", web::delete().to(api::delete_object))
                .route("/streams", web::get().to(streams::list))
                .route("/streams", web::post().to(streams::create))
                .route("/streams/{id}", web::get().to(streams::get))
                .route("/streams/{id}", web::patch().to(streams::patch))
                .route("/streams/{id}", web::delete().to(streams::delete))
                .route("/streams/{id}/start", web::post().to(streams::start))
                .route("/streams/{id}/stop", web::post().to(streams::stop))
                .route("/public/streams", web::get().to(streams::public_list))
                .route("/synchronizers", web::get().to(synchronizers::list))
                .route("/synchronizers", web::post().to(synchronizers::create))
                .route(
                    "/synchronizers/discover",
                    web::post().to(synchronizers::discover),
                )
                .route("/synchronizers/{id}", web::get().to(synchronizers::get))
                .route("/synchronizers/{id}", web::patch().to(synchronizers::patch))
                .route(
                    "/synchronizers/{id}",
                    web::delete().to(synchronizers::delete),
                )
                .route(
                    "/synchronizers/{id}/start",
                    web::post().to(synchronizers::start),
                )
                .route(
                    "/synchronizers/{id}/stop",
                    web::post().to(synchronizers::stop),
                )
                .route("/users", web::get().to(accounts::list_users))
                .route("/users", web::post().to(accounts::create_user))
                .route("/users/{id}", web::get().to(accounts::get_user))
                .route("/users/{id}", web::patch().to(accounts::patch_user))
                .route("/users/{id}", web::delete().to(accounts::delete_user))
                .route("/groups", web::get().to(accounts::list_groups))
                .route("/groups", web::post().to(accounts::create_group))
                .route("/groups/{id}", web::get().to(accounts::get_group))
                .route("/groups/{id}", web::patch().to(accounts::patch_group))
                .route("/groups/{id}", web::delete().to(accounts::delete_group))
                .route("/tokens", web::get().to(accounts::list_tokens))
                .route("/tokens", web::post().to(accounts::create_token))
                .route("/tokens/{id}", web::delete().to(accounts::revoke_token))
                .route("/collections", web::get().to(collections::list))
                .route("/collections", web::post().to(collections::create))
                .route("/collections/{id}", web::get().to(collections::get))
                .route("/collections/{id}", web::patch().to(collections::patch))
                .route("/collections/{id}", web::delete().to(collections::delete))
                .route(
                    "/public/collections",
                    web::get().to(collections::public_list),
                )
                .route("/feeds", web::get().to(feeds::list))
                .route("/feeds", web::post().to(feeds::create))
                .route("/feeds/{id}", web::get().to(feeds::get))
                .route("/feeds/{id}", web::patch().to(feeds::patch))
                .route("/feeds/{id}", web::delete().to(feeds::delete))
                .route("/public/feeds", web::get().to(feeds::public_list))
                .default_service(web::to(api::not_found)),
        )
        .route("/stream", web::get().to(stream::global))
        .route(
            "/stream/connection/{id}",
            web::post().to(stream::connection),
        )
        .route("/stream/{id}", web::get().to(stream::by_id))
        .route("/public", web::get().to(public::page))
        .service(taxii::scope())
        .route("/feeds/{id}", web::get().to(feeds::csv))
        .route("/graphql", web::post().to(graphql::handle))
        .configure(admin::configure)
        .default_service(web::to(api::not_found));
}

async fn healthz() -> &'static str {
    "ok"
}
