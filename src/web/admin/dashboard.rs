//! The dashboard: what the hub holds, its activity over the last 24 hours (an SVG drawn on the server), and
//! the state of its streams.

use actix_web::web;
use askama::Template;

use super::{render, Chrome, Page, PageResult};
use crate::state::AppState;
use crate::store::now_ms;
use crate::web::extract::Read;

pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub height: u32,
    pub count: u64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    total: u64,
    types: Vec<(String, u64)>,
    events_24h: u64,
    bars: Vec<Bar>,
    max_count: u64,
    streams_total: usize,
    streams_started: usize,
    streams_public: usize,
    syncs_total: usize,
    syncs_live: usize,
    syncs_failing: usize,
}

const HOUR_MS: u64 = 3_600_000;
const CHART_HEIGHT: u32 = 120;
const BAR_WIDTH: u32 = 20;

/// 24 hourly bars ending with the current hour.
fn hourly_bars(times: &[u64], now: u64) -> (Vec<Bar>, u64) {
    let first_hour = (now / HOUR_MS).saturating_sub(23);
    let mut counts = [0u64; 24];
    for t in times {
        let h = t / HOUR_MS;
        if h >= first_hour {
            let i = usize::try_from(h - first_hour).unwrap_or(usize::MAX);
            if let Some(c) = counts.get_mut(i) {
                *c += 1;
            }
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let height =
                u32::try_from(count.saturating_mul(u64::from(CHART_HEIGHT)) / max).unwrap_or(0);
            let hour = (first_hour + i as u64) % 24;
            Bar {
                x: u32::try_from(i).unwrap_or(0) * (BAR_WIDTH + 4),
                y: CHART_HEIGHT - height,
                height,
                count,
                label: format!("{hour:02}:00 UTC"),
            }
        })
        .collect();
    (bars, max)
}

pub async fn page(state: web::Data<AppState>, page: Page<Read>) -> PageResult {
    let store = state.store.clone();
    let now = now_ms();
    let access = page.principal.access.clone();
    let (counts, times, streams) = web::block(move || -> Result<_, crate::store::StoreError> {
        // Only what the reader may see is counted: counts of hidden objects would tell what it may not read.
        let counts = if access.bypass {
            store.count_by_type()?
        } else {
            store.count_by_type_where(&mut |json| {
                matches!(serde_json::from_slice::<serde_json::Value>(json),
                    Ok(serde_json::Value::Object(obj))
                        if crate::stream::view::object_visible(&store, &access, &obj))
            })?
        };
        Ok((
            counts,
            store.event_times_since(now.saturating_sub(24 * HOUR_MS))?,
            store.list_streams()?,
        ))
    })
    .await??;
    let (bars, max_count) = hourly_bars(&times, now);
    let syncs = crate::web::synchronizers::list_values(&state)?;
    let state_of = |v: &serde_json::Value| {
        v["status"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let mut types: Vec<(String, u64)> = counts.into_iter().collect();
    types.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    render(&Dashboard {
        chrome: page.chrome("dashboard"),
        total: types.iter().map(|t| t.1).sum(),
        types,
        events_24h: times.len() as u64,
        bars,
        max_count,
        streams_total: streams.len(),
        streams_started: streams.iter().filter(|s| s.started).count(),
        streams_public: streams.iter().filter(|s| s.public).count(),
        syncs_total: syncs.len(),
        syncs_live: syncs.iter().filter(|v| state_of(v) == "live").count(),
        syncs_failing: syncs
            .iter()
            .filter(|v| matches!(state_of(v).as_str(), "backoff" | "error" | "remote_stopped"))
            .count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_cover_the_last_24_hours() {
        let now = 100 * HOUR_MS + 1234;
        let times = [now, now - 10, 77 * HOUR_MS, 76 * HOUR_MS, 10];
        let (bars, max) = hourly_bars(&times, now);
        assert_eq!(bars.len(), 24);
        assert_eq!(max, 2);
        assert_eq!(bars[23].count, 2);
        assert_eq!(bars[23].height, CHART_HEIGHT);
        assert_eq!(bars[0].count, 1, "hour 77 is the first of the 24");
        assert_eq!(bars.iter().map(|b| b.count).sum::<u64>(), 3);
    }
}
