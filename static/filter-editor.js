// Structured editor for OpenCTI FilterGroup JSON (admin pages: live streams, later TAXII
// collections and CSV feeds). Loaded as a file: the CSP forbids inline script and styles.
//
// Contract with the server-rendered page, inside a <form>:
//   <div class="filter-editor" data-for="filters" data-keys='["entity_type", ...]'></div>
//   <textarea name="filters" id="filters">{"mode":"and","filters":[...],"filterGroups":[]}</textarea>
//   <p class="filter-summary" data-for="filters"></p>
// The textarea stays the submitted field (and works alone without JavaScript); the editor
// rewrites it on every change. An empty group (no filters, no groups) is written as "".
"use strict";
(() => {
  const MAX_DEPTH = 10; // nesting levels, the root group being level 1 (as the server)
  const OPERATORS = ["eq", "not_eq", "gt", "gte", "lt", "lte", "nil", "not_nil", "starts_with", "contains"];
  const EXTRA_OPERATORS = ["not_starts_with", "not_contains", "ends_with", "not_ends_with", "search"];
  const NO_VALUES = new Set(["nil", "not_nil"]);
  const OP_TEXT = {
    eq: "=", not_eq: "≠", gt: ">", gte: "≥", lt: "<", lte: "≤", nil: "is empty",
    not_nil: "is not empty", starts_with: "starts with", contains: "contains",
    not_starts_with: "does not start with", not_contains: "does not contain",
    ends_with: "ends with", not_ends_with: "does not end with", search: "has a word of",
  };
  const KEY_LABELS = {
    entity_type: "type", ids: "id", objectMarking: "marking", objectLabel: "label",
    createdBy: "author", objects: "contained object", x_opencti_score: "score",
    relationship_type: "relationship type", fromId: "source id", toId: "target id",
    fromTypes: "source type", toTypes: "target type", x_opencti_detection: "detection",
    x_opencti_main_observable_type: "main observable type", x_opencti_cisa_kev: "CISA KEV",
    x_opencti_epss_score: "EPSS score", x_opencti_epss_percentile: "EPSS percentile",
    x_opencti_cvss_base_score: "CVSS score", x_opencti_cvss_base_severity: "CVSS severity",
  };
  const keyLabel = (key) =>
    (Object.prototype.hasOwnProperty.call(KEY_LABELS, key) ? KEY_LABELS[key] : key.replace(/_/g, " "));

  // ---- Model: plain {mode, filters: [{key, operator, values, mode}], filterGroups} ----

  const emptyGroup = () => ({ mode: "and", filters: [], filterGroups: [] });
  const isEmpty = (g) => g.filters.length === 0 && g.filterGroups.length === 0;
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  const fail = (message) => { throw new Error(message); };

  function readMode(v, fallback, what) {
    if (v === undefined) return fallback;
    if (v === null) return "and"; // OpenCTI quirk, as the server: an explicit null is `and`
    return v === "and" || v === "or" ? v : fail(`${what} mode must be "and" or "or", got ${JSON.stringify(v)}`);
  }

  function readList(obj, field) {
    const v = obj[field];
    if (v === undefined || v === null) return [];
    return Array.isArray(v) ? v : fail(`"${field}" must be an array`);
  }

  function readFilter(f) {
    if (!isObject(f)) fail("each filter must be a JSON object");
    const k = Array.isArray(f.key) && f.key.length === 1 ? f.key[0] : f.key;
    if (typeof k !== "string" || !k.trim()) fail("filter key must be a string or a one-string array");
    const op = f.operator === undefined || f.operator === null ? "eq" : f.operator;
    if (!OPERATORS.includes(op) && !EXTRA_OPERATORS.includes(op)) fail(`unknown operator ${JSON.stringify(op)} for key "${k}"`);
    const values = readList(f, "values").map((v) =>
      ["string", "number", "boolean"].includes(typeof v) ? String(v) : fail(`values of key "${k}" must be strings`));
    return { key: k, operator: op, values, mode: readMode(f.mode, "or", "filter") };
  }

  function readGroup(g, depth) {
    if (!isObject(g)) fail("a filter group must be a JSON object");
    if (depth > MAX_DEPTH) fail(`filter groups are nested too deeply (max ${MAX_DEPTH} levels)`);
    return {
      mode: readMode(g.mode, "and", "group"),
      filters: readList(g, "filters").map(readFilter),
      filterGroups: readList(g, "filterGroups").map((sub) => readGroup(sub, depth + 1)),
    };
  }

  /** Text of the textarea → model; throws an Error with a readable message. */
  function parse(text) {
    if (!text.trim()) return emptyGroup();
    let value;
    try { value = JSON.parse(text); } catch (e) { fail(`not valid JSON (${e.message})`); }
    if (typeof value === "string") return parse(value); // OpenCTI stores filters as a JSON string
    return value === null ? emptyGroup() : readGroup(value, 1);
  }

  function toJSON(g) {
    return {
      mode: g.mode,
      filters: g.filters.map((f) => ({
        key: [f.key], values: NO_VALUES.has(f.operator) ? [] : f.values.slice(), operator: f.operator, mode: f.mode,
      })),
      filterGroups: g.filterGroups.map(toJSON),
    };
  }

  /** Model → the textarea's text: "" for the empty group (no filter = everything). */
  const serialize = (g) => (isEmpty(g) ? "" : JSON.stringify(toJSON(g)));

  function describeFilter(f) {
    const label = keyLabel(f.key);
    if (f.operator === "nil" || (f.operator === "eq" && !f.values.length)) return `${label} is empty`;
    if (f.operator === "not_nil" || (f.operator === "not_eq" && !f.values.length)) return `${label} is not empty`;
    const values = f.values.length ? f.values.join(f.mode === "and" ? " and " : " or ") : "(no value)";
    return `${label} ${OP_TEXT[f.operator]} ${values}`;
  }

  /** One readable line, e.g. `type = malware or tool AND (label = apt OR confidence ≥ 50)`. */
  function describe(g) {
    const parts = g.filters.map(describeFilter).concat(g.filterGroups.map((sub) => {
      const text = describe(sub);
      return sub.filters.length + sub.filterGroups.length > 1 ? `(${text})` : text;
    }));
    return parts.length ? parts.join(g.mode === "or" ? " OR " : " AND ") : "everything";
  }

  // Values input: comma-separated; a value holding a comma is written in double quotes
  // ("Foo, Inc."), a quote inside quotes doubled. Values are trimmed, empties dropped.
  function splitValues(text) {
    const values = [];
    let cur = "";
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (quoted && ch === '"' && text[i + 1] === '"') { cur += '"'; i++; }
      else if (quoted && ch === '"') quoted = false;
      else if (!quoted && ch === '"' && !cur.trim()) { quoted = true; cur = ""; }
      else if (!quoted && ch === ",") { values.push(cur.trim()); cur = ""; }
      else cur += ch;
    }
    values.push(cur.trim());
    return values.filter((v) => v !== "");
  }
  const formatValues = (values) =>
    values.map((v) => (v.includes(",") || v.startsWith('"') ? `"${v.replace(/"/g, '""')}"` : v)).join(", ");

  // ---- DOM ----

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v === true) node.setAttribute(k, "");
      else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, String(v));
    }
    node.append(...children);
    return node;
  }

  function select(options, value, attrs) {
    const node = el("select", attrs, ...options.map(([v, text]) => el("option", { value: v, text })));
    node.value = value;
    return node;
  }

  function readKeys(json) {
    try {
      const keys = JSON.parse(json || "[]");
      return Array.isArray(keys) ? keys.filter((k) => typeof k === "string" && k) : [];
    } catch (_) {
      return [];
    }
  }

  /** Enhances one `.filter-editor`; returns its API, or null when its textarea is missing. */
  function attach(root) {
    if (root.editor) return root.editor;
    const name = root.dataset.for || "";
    const scope = root.closest("form") || document;
    const area = scope.querySelector(`textarea[name="${CSS.escape(name)}"]`) || document.getElementById(name);
    if (!area) return null;
    const summary = scope.querySelector(`.filter-summary[data-for="${CSS.escape(name)}"]`);
    const keys = readKeys(root.dataset.keys);
    let model = emptyGroup();
    let raw = false;
    let nodes = new Map(); // model object → element to focus after a re-render

    const errorId = `${area.id || name}-filter-error`;
    const describedBy = area.getAttribute("aria-describedby"); // the page's own, kept
    const error = el("p", { class: "fe-error", id: errorId, role: "alert", hidden: true });
    const tree = el("div", { class: "fe-tree" });
    const toggle = el("button", {
      type: "button", class: "fe-raw-toggle", "aria-pressed": "false", "aria-controls": area.id || null,
      text: "Raw JSON", onclick: () => setRaw(!raw, true),
    });
    root.replaceChildren(el("div", { class: "fe-toolbar" }, toggle), error, tree);
    area.classList.add("fe-source");
    if (summary) summary.setAttribute("aria-live", "polite");

    const showSummary = () => { if (summary) summary.textContent = describe(model); };
    function showError(message) {
      error.textContent = message ? `Invalid filter: ${message}` : "";
      error.hidden = !message;
      const ids = [describedBy, message ? errorId : ""].filter(Boolean).join(" ");
      if (message) area.setAttribute("aria-invalid", "true");
      else area.removeAttribute("aria-invalid");
      if (ids) area.setAttribute("aria-describedby", ids);
      else area.removeAttribute("aria-describedby");
    }
    function commit() { area.value = serialize(model); showSummary(); }
    function changed(focusOn) {
      commit();
      render();
      const target = nodes.get(focusOn);
      if (target) target.focus();
    }

    function render() {
      nodes = new Map();
      tree.replaceChildren(renderGroup(model, null, 1, ""));
      showSummary();
    }

    function newFilter() {
      return { key: keys[0] || "entity_type", operator: "eq", values: [], mode: "or" };
    }

    function renderFilter(f, group, where) {
      const keyOptions = keys.includes(f.key) ? keys : keys.concat([f.key]);
      const ops = OPERATORS.includes(f.operator) ? OPERATORS : OPERATORS.concat([f.operator]);
      const keySelect = select(keyOptions.map((k) => [k, keyLabel(k) === k ? k : `${keyLabel(k)} (${k})`]), f.key, {
        class: "fe-key", "aria-label": `Key, ${where}`, onchange: (e) => { f.key = e.target.value; commit(); },
      });
      const values = el("input", {
        type: "text", class: "fe-values", value: formatValues(f.values), placeholder: "value, value…",
        "aria-label": `Values, ${where} (comma-separated)`,
        oninput: (e) => { f.values = splitValues(e.target.value); commit(); },
      });
      const mode = select([["or", "any of them (or)"], ["and", "all of them (and)"]], f.mode, {
        class: "fe-mode", "aria-label": `Combine the values of ${where} with`,
        onchange: (e) => { f.mode = e.target.value; commit(); },
      });
      const valuesBox = el("span", { class: "fe-values-box", hidden: NO_VALUES.has(f.operator) }, values, mode);
      const op = select(ops.map((o) => [o, OP_TEXT[o]]), f.operator, {
        class: "fe-op", "aria-label": `Operator, ${where}`,
        onchange: (e) => { f.operator = e.target.value; valuesBox.hidden = NO_VALUES.has(f.operator); commit(); },
      });
      const remove = el("button", {
        type: "button", class: "fe-remove", "aria-label": `Remove ${where}`, text: "✕",
        onclick: () => { group.filters.splice(group.filters.indexOf(f), 1); changed(group); },
      });
      nodes.set(f, keySelect);
      return el("li", { class: "fe-row" }, keySelect, op, valuesBox, remove);
    }

    function renderGroup(group, parent, depth, path) {
      const groupName = path ? `group ${path}` : "the top level";
      const legend = el("legend", { class: "fe-legend" },
        el("span", { text: path ? `Group ${path}: match` : "Match" }),
        select([["and", "all of"], ["or", "any of"]], group.mode, {
          class: "fe-group-mode", "aria-label": `Match all or any of the filters of ${groupName}`,
          onchange: (e) => { group.mode = e.target.value; commit(); },
        }),
        el("span", { text: "the following" }));
      if (parent) {
        legend.append(el("button", {
          type: "button", class: "fe-remove-group", "aria-label": `Remove ${groupName}`, text: "Remove group",
          onclick: () => { parent.filterGroups.splice(parent.filterGroups.indexOf(group), 1); changed(parent); },
        }));
      }
      const rows = el("ul", { class: "fe-rows" }, ...group.filters.map((f, i) =>
        renderFilter(f, group, `filter ${i + 1}${path ? ` of group ${path}` : ""}`)));
      const subgroups = group.filterGroups.map((sub, i) =>
        renderGroup(sub, group, depth + 1, path ? `${path}.${i + 1}` : `${i + 1}`));
      const addFilter = el("button", {
        type: "button", class: "fe-add-filter", text: "Add filter", "aria-label": `Add a filter to ${groupName}`,
        onclick: () => { const f = newFilter(); group.filters.push(f); changed(f); },
      });
      const addGroup = el("button", {
        type: "button", class: "fe-add-group", text: "Add group", disabled: depth >= MAX_DEPTH,
        "aria-label": `Add a nested group to ${groupName}`,
        onclick: () => {
          const sub = { mode: "and", filters: [newFilter()], filterGroups: [] };
          group.filterGroups.push(sub);
          changed(sub.filters[0]);
        },
      });
      nodes.set(group, addFilter);
      const hint = isEmpty(group)
        ? [el("p", { class: "fe-empty", text: parent ? "Empty group: it matches everything." : "No filter: everything matches." })]
        : [];
      return el("fieldset", { class: "fe-group", "data-depth": depth },
        legend, ...hint, rows, ...subgroups, el("div", { class: "fe-actions" }, addFilter, addGroup));
    }

    /** Switches raw mode; leaving it re-reads the textarea (and refuses invalid JSON). */
    function setRaw(on, byUser) {
      if (!on) {
        try { model = parse(area.value); } catch (e) { showError(e.message); return false; }
        render();
      }
      raw = on;
      showError("");
      area.hidden = !on;
      tree.hidden = on;
      toggle.setAttribute("aria-pressed", String(on));
      if (byUser && on) area.focus();
      return true;
    }

    // While raw, keep the summary live whenever the text parses.
    area.addEventListener("input", () => {
      try { model = parse(area.value); showSummary(); } catch (_) { /* reported when leaving raw mode */ }
    });
    // (Re)reads the textarea: structured when it parses, else raw with the error shown
    // (e.g. the server re-rendering a rejected submission).
    const start = () => { setRaw(true); setRaw(false); };
    if (area.form) area.form.addEventListener("reset", () => setTimeout(start, 0));
    start();
    root.editor = { setRaw, isRaw: () => raw, value: () => toJSON(model), refresh: start };
    root.dataset.ready = "true";
    return root.editor;
  }

  const attachAll = (scope = document) => Array.from(scope.querySelectorAll(".filter-editor"), attach);

  window.StixhubFilterEditor = { attach, attachAll, parse, serialize, describe, splitValues, formatValues };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => attachAll());
  else attachAll();
})();
