//! `POST /graphql`: the subset of OpenCTI's API that remote platforms and pycti send to validate a hub and list
//! its streams (spec §3.3): `streamCollections`, `about`, `me`. Anonymous callers see public streams only.

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use async_graphql::{
    Context, EmptyMutation, EmptySubscription, Enum, InputObject, Object, Schema, SimpleObject,
    Variables, ID,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::{self, AuthError, Principal};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::StreamV1;

pub type HubSchema = Schema<Query, EmptyMutation, EmptySubscription>;

#[must_use]
pub fn schema() -> HubSchema {
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .limit_depth(12)
        .limit_complexity(500)
        .finish()
}

/// Who is asking (None = anonymous).
struct Viewer(Option<Principal>);

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "lowercase")]
pub enum FilterMode {
    And,
    Or,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(rename_items = "snake_case")]
pub enum FilterOperator {
    Eq,
    NotEq,
    Lt,
    Lte,
    Gt,
    Gte,
    Match,
    Wildcard,
    Contains,
    NotContains,
    EndsWith,
    NotEndsWith,
    StartsWith,
    NotStartsWith,
    Script,
    Nil,
    NotNil,
    Search,
    Within,
}

/// OpenCTI's `Filter` input (only `stream_public`, `stream_live` and `name` are applied to the stream list).
#[derive(InputObject)]
pub struct FilterInput {
    key: Vec<String>,
    values: Option<Vec<String>>,
    operator: Option<FilterOperator>,
    mode: Option<FilterMode>,
}

#[derive(InputObject)]
#[graphql(name = "FilterGroup")]
pub struct FilterGroupInput {
    mode: FilterMode,
    filters: Vec<FilterInput>,
    #[graphql(name = "filterGroups")]
    filter_groups: Vec<FilterGroupInput>,
}

#[derive(SimpleObject)]
#[graphql(rename_fields = "snake_case")]
pub struct StreamCollection {
    id: ID,
    name: String,
    description: String,
    /// The FilterGroup as a JSON string, as OpenCTI returns it.
    filters: String,
    stream_live: bool,
    stream_public: bool,
}

#[derive(SimpleObject)]
pub struct StreamCollectionEdge {
    cursor: String,
    node: StreamCollection,
}

#[derive(SimpleObject)]
pub struct PageInfo {
    start_cursor: String,
    end_cursor: String,
    has_next_page: bool,
    has_previous_page: bool,
    global_count: i32,
}

#[derive(SimpleObject)]
pub struct StreamCollectionConnection {
    page_info: PageInfo,
    edges: Vec<StreamCollectionEdge>,
}

#[derive(SimpleObject)]
pub struct AppInfo {
    version: String,
}

#[derive(SimpleObject)]
pub struct MeUser {
    id: ID,
    name: String,
}

fn keep(s: &StreamV1, group: &FilterGroupInput) -> bool {
    let test = |f: &FilterInput| {
        let values = f.values.clone().unwrap_or_default();
        let field = |v: bool| {
            values
                .iter()
                .any(|x| x.eq_ignore_ascii_case(if v { "true" } else { "false" }))
        };
        let hit = match f.key.first().map(String::as_str) {
            Some("stream_public") => field(s.public),
            Some("stream_live") => field(s.started),
            Some("name") => values
                .iter()
                .any(|v| s.name.to_lowercase().contains(&v.to_lowercase())),
            _ => return true,
        };
        if f.operator == Some(FilterOperator::NotEq) {
            !hit
        } else {
            hit
        }
    };
    let mut results = group
        .filters
        .iter()
        .map(test)
        .chain(group.filter_groups.iter().map(|g| keep(s, g)));
    match group.mode {
        FilterMode::And => results.all(|r| r),
        FilterMode::Or => {
            group.filters.is_empty() && group.filter_groups.is_empty() || results.any(|r| r)
        }
    }
}

pub struct Query;

#[Object]
impl Query {
    async fn about(&self) -> AppInfo {
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    async fn me(&self, ctx: &Context<'_>) -> Option<MeUser> {
        let viewer = ctx.data_opt::<Viewer>()?;
        viewer.0.as_ref().map(|p| MeUser {
            id: ID(Uuid::from_bytes(p.user_id).to_string()),
            name: p.name.clone(),
        })
    }

    /// Streams the caller may consume: public ones for anyone, plus the private ones its user may read.
    async fn stream_collections(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<ID>,
        search: Option<String>,
        filters: Option<FilterGroupInput>,
    ) -> async_graphql::Result<StreamCollectionConnection> {
        let state = ctx.data::<AppState>()?;
        let viewer = ctx.data_opt::<Viewer>().and_then(|v| v.0.as_ref());
        let streams = state
            .store
            .list_streams()
            .map_err(|e| async_graphql::Error::new(e.to_string()))?;
        let search = search.unwrap_or_default().to_lowercase();
        let visible: Vec<StreamV1> = streams
            .into_iter()
            .filter(|s| {
                crate::auth::shared_access(s.public, s.max_tlp, &s.authorized_groups, viewer)
                    .is_ok()
            })
            .filter(|s| search.is_empty() || s.name.to_lowercase().contains(&search))
            .filter(|s| filters.as_ref().is_none_or(|g| keep(s, g)))
            .collect();
        let total = visible.len();
        let start = match after {
            None => 0,
            Some(a) => a.parse::<usize>().map(|a| a + 1).map_err(|_| {
                async_graphql::Error::new(format!(
                    "invalid cursor '{}': use a cursor returned in edges or pageInfo",
                    a.as_str()
                ))
            })?,
        };
        let first = match first {
            None => 500,
            Some(n) => usize::try_from(n)
                .ok()
                .filter(|n| *n <= MAX_FIRST)
                .ok_or_else(|| {
                    async_graphql::Error::new(format!(
                        "first must be from 0 to {MAX_FIRST}, got {n}"
                    ))
                })?,
        };
        let edges: Vec<StreamCollectionEdge> = visible
            .into_iter()
            .enumerate()
            .skip(start)
            .take(first)
            .map(|(i, s)| StreamCollectionEdge {
                cursor: i.to_string(),
                node: StreamCollection {
                    id: ID(Uuid::from_bytes(s.id).to_string()),
                    name: s.name,
                    description: s.description,
                    filters: s.filters_json,
                    stream_live: s.started,
                    stream_public: s.public,
                },
            })
            .collect();
        let page_info = PageInfo {
            start_cursor: edges.first().map(|e| e.cursor.clone()).unwrap_or_default(),
            end_cursor: edges.last().map(|e| e.cursor.clone()).unwrap_or_default(),
            has_next_page: start + edges.len() < total,
            has_previous_page: start > 0,
            global_count: i32::try_from(total).unwrap_or(i32::MAX),
        };
        Ok(StreamCollectionConnection { page_info, edges })
    }
}

/// Largest page of `streamCollections` (OpenCTI asks for 500 at most).
const MAX_FIRST: usize = 5000;
/// Largest GraphQL request body: the queries a remote platform sends are a few hundred bytes.
const MAX_QUERY_BYTES: usize = 1024 * 1024;

#[derive(Deserialize)]
pub struct GraphqlBody {
    query: String,
    #[serde(default)]
    variables: Option<serde_json::Value>,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
}

/// `POST /graphql`. No credentials → anonymous; an invalid token → 401 (so a client can tell it was refused).
pub async fn handle(
    state: web::Data<AppState>,
    schema: web::Data<HubSchema>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let body = super::api::read_body(&req, payload, MAX_QUERY_BYTES).await?;
    let body: GraphqlBody = serde_json::from_slice(&body).map_err(|e| {
        AppError::BadRequest(format!("expected a JSON body {{\"query\": \"...\"}}: {e}"))
    })?;
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let viewer = match auth::authenticate(&state.store, authorization) {
        Ok(p) => Viewer(Some(p)),
        Err(AuthError::Missing) => Viewer(None),
        Err(AuthError::InvalidToken) => {
            return Err(AppError::Unauthorized(
                "invalid, expired or revoked token".into(),
            ))
        }
        Err(e) => return Err(AppError::internal(e)),
    };
    let mut request = async_graphql::Request::new(body.query)
        .data(viewer)
        .data(state.get_ref().clone());
    if let Some(vars) = body.variables {
        request = request.variables(Variables::from_json(vars));
    }
    if let Some(op) = body.operation_name {
        request = request.operation_name(op);
    }
    let response = schema.execute(request).await;
    Ok(HttpResponse::Ok().json(response))
}
