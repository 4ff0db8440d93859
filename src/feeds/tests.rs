#![allow(clippy::unwrap_used)]
use serde_json::json;

use super::*;

fn feed(columns: &[&str], sep: char) -> FeedV1 {
    FeedV1 {
        id: [0; 16],
        name: "f".into(),
        description: String::new(),
        filters_json: "{}".into(),
        public: true,
        max_tlp: 0,
        authorized_groups: vec![],
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        separator: sep,
        multi_separator: "|".into(),
        header: true,
        window_secs: None,
        max_rows: 10,
        created_at_ms: 0,
    }
}

#[test]
fn b35_quoting_with_semicolons_quotes_and_line_breaks() {
    let obj = json!({
        "type": "indicator", "name": "a;b \"c\"",
        "description": "line1\r\n\r\nline2, with comma; and \"quotes\"",
        "labels": ["x,y", "=HYPERLINK(\"http://evil.invalid\")"],
        "pattern": "[domain-name:value = 'evil.invalid']"
    });
    let text = render(
        &feed(&["value", "name", "description", "labels"], ';'),
        &[obj.as_object().unwrap().clone()],
    );
    assert_eq!(
        text,
        "value;name;description;labels\r\nevil.invalid;\"a;b \"\"c\"\"\";\"line1\r\n\r\nline2, with comma; and \"\"quotes\"\"\";\"x,y|=HYPERLINK(\"\"http://evil.invalid\"\")\"\r\n"
    );
}

#[test]
fn formulas_are_defused_and_paths_resolve() {
    assert_eq!(field("=1+2", ','), "'=1+2");
    assert_eq!(field("@SUM(A1)", ','), "'@SUM(A1)");
    assert_eq!(field("plain", ','), "plain");
    assert_eq!(field("a,b", ','), "\"a,b\"");
    assert_eq!(field("a,b", ';'), "a,b");
    let obj = json!({"hashes": {"SHA-256": "abc"}, "x_mitre_platforms": ["Windows", "Linux"], "n": 3,
                     "pattern": "[file:hashes.'SHA-256' = 'abc'] AND [file:name = 'x']"});
    let obj = obj.as_object().unwrap();
    assert_eq!(cell(obj, "hashes.SHA-256", "|"), "abc");
    assert_eq!(cell(obj, "x_mitre_platforms", "|"), "Windows|Linux");
    assert_eq!(cell(obj, "n", "|"), "3");
    assert_eq!(cell(obj, "missing.path", "|"), "");
    assert_eq!(
        cell(obj, "value", "|"),
        "",
        "a compound pattern has no single value"
    );
    assert_eq!(
        pattern_value("[url:value = 'http://a/\\'b']"),
        Some("http://a/'b".into())
    );
}
