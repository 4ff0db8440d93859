//! CSV feeds: rows of the objects a feed's filter and the reader's clearance let through, in a stable order
//! (most recently added or updated first, then by id), with RFC 4180 quoting under the feed's separator
//! (field case B35). No actix here.

use serde_json::{Map, Value};

use crate::store::{FeedV1, Store, StoreError, StoredObject};

pub const MAX_ROWS: u32 = 100_000;
pub const DEFAULT_ROWS: u32 = 10_000;

/// The text of one cell: the value at a dotted STIX path (`hashes.SHA-256`); lists are joined with
/// `multi`; nested objects are compact JSON. `value` falls back to the value of a single-comparison
/// indicator pattern (`[ipv4-addr:value = '203.0.113.7']` → `203.0.113.7`), what firewalls want.
#[must_use]
pub fn cell(obj: &Map<String, Value>, path: &str, multi: &str) -> String {
    let mut parts = path.split('.');
    let first = parts.next().unwrap_or_default();
    let mut current = obj.get(first);
    for p in parts {
        current = current.and_then(|v| v.get(p));
    }
    match current {
        Some(v) => text(v, multi),
        None if path == "value" => obj
            .get("pattern")
            .and_then(Value::as_str)
            .and_then(pattern_value)
            .unwrap_or_default(),
        None => String::new(),
    }
}

fn text(v: &Value, multi: &str) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(multi),
        other => other.to_string(),
    }
}

/// The literal of a pattern made of one `=` comparison, else `None`.
fn pattern_value(pattern: &str) -> Option<String> {
    let inner = pattern.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    let (_, rhs) = inner.split_once('=')?;
    let lit = rhs.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::with_capacity(lit.len());
    let mut chars = lit.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            // An unescaped quote means a second comparison: not a single value.
            '\'' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// One CSV field: cells a spreadsheet would run as a formula (`= + - @`, tab, CR first) get a leading `'`;
/// fields holding the separator, a quote, CR or LF are quoted with inner quotes doubled (RFC 4180).
#[must_use]
pub fn field(value: &str, sep: char) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([sep, '"', '\r', '\n']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

fn line(cells: impl Iterator<Item = String>, sep: char, out: &mut String) {
    let mut first = true;
    for c in cells {
        if !first {
            out.push(sep);
        }
        first = false;
        out.push_str(&field(&c, sep));
    }
    out.push_str("\r\n");
}

/// The CSV text of rows (header row first when the feed has one), CRLF line ends.
#[must_use]
pub fn render(feed: &FeedV1, rows: &[Map<String, Value>]) -> String {
    let mut out = String::new();
    if feed.header {
        line(feed.columns.iter().cloned(), feed.separator, &mut out);
    }
    for obj in rows {
        line(
            feed.columns
                .iter()
                .map(|c| cell(obj, c, &feed.multi_separator)),
            feed.separator,
            &mut out,
        );
    }
    out
}

/// The objects of a feed, newest first (by the time the hub stored their current version, then by id),
/// inside the feed's time window, at most `max_rows`.
pub fn rows(
    store: &Store,
    feed: &FeedV1,
    now_ms: i64,
    accept: &dyn Fn(&mut Map<String, Value>) -> bool,
) -> Result<Vec<Map<String, Value>>, StoreError> {
    let since = feed.window_secs.map_or(i64::MIN, |w| {
        now_ms.saturating_sub(i64::try_from(w).unwrap_or(i64::MAX).saturating_mul(1000))
    });
    let mut picked: Vec<(i64, String, Map<String, Value>)> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let chunk = store.list_objects(None, after.as_deref(), 1000)?;
        let Some((last, _)) = chunk.last() else {
            break;
        };
        after = Some(last.clone());
        for (id, StoredObject::V1(rec)) in chunk {
            if rec.updated_at_ms < since {
                continue;
            }
            let mut obj = crate::knowledge::parse_stored(&rec)?;
            if accept(&mut obj) {
                picked.push((rec.updated_at_ms, id, obj));
            }
        }
    }
    picked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    picked.truncate(usize::try_from(feed.max_rows).unwrap_or(usize::MAX));
    Ok(picked.into_iter().map(|(_, _, o)| o).collect())
}

#[cfg(test)]
mod tests;
