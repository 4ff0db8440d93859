// Headless Chromium check of the FilterGroup editor (static/filter-editor.js) under the
// admin pages' CSP. usage: node tests/browser/filter_editor.js [HARNESS.html | URL]
//   default harness: tests/browser/filter_editor_harness.html, served with /static/* by a
//   loopback HTTP server started here (127.0.0.1, random port), which also records the
//   form POSTs to /submit. With a URL, the page must hold the same two forms (#nested and
//   #empty); the POSTs are then only checked through FormData.
// Prints one "ok - ..." line per check and the screenshot path; exits non-zero on failure.
"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const http = require("node:http");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");

const STATIC_DIR = path.join(__dirname, "..", "..", "static");
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'";
const TYPES = { ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html" };
const SUMMARY_1 = "type = malware or tool AND (label = apt OR confidence ≥ 50)";
const NESTED = {
  mode: "or",
  filters: [
    { key: ["objectLabel"], values: ["apt"], operator: "eq", mode: "or" },
    { key: ["confidence"], values: ["50"], operator: "gte", mode: "or" },
  ],
  filterGroups: [],
};
const TYPE_FILTER = { key: ["entity_type"], values: ["malware", "tool"], operator: "eq", mode: "or" };

function startServer(harnessFile, posts) {
  const server = http.createServer((req, res) => {
    const headers = { "Content-Security-Policy": CSP, "Cache-Control": "no-store" };
    const url = new URL(req.url, "http://127.0.0.1");
    const send = (status, type, body) => {
      res.writeHead(status, { ...headers, "Content-Type": `${type}; charset=utf-8` });
      res.end(body);
    };
    if (req.method === "POST" && url.pathname === "/submit") {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c) => { body += c; });
      req.on("end", () => {
        posts.push(new URLSearchParams(body));
        send(200, "text/html", '<!doctype html><title>saved</title><link rel="icon" href="/static/favicon.svg"><p>saved</p>');
      });
    } else if (req.method === "GET" && url.pathname === "/") {
      send(200, "text/html", fs.readFileSync(harnessFile));
    } else if (req.method === "GET" && url.pathname.startsWith("/static/")) {
      const file = path.join(STATIC_DIR, path.normalize(decodeURIComponent(url.pathname.slice(8))));
      if (!file.startsWith(STATIC_DIR + path.sep) || !fs.existsSync(file)) return send(404, "text/plain", "not found");
      send(200, TYPES[path.extname(file)] || "application/octet-stream", fs.readFileSync(file));
    } else if (url.pathname === "/favicon.ico") {
      res.writeHead(204, headers);
      res.end();
    } else {
      send(404, "text/plain", "not found");
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function main() {
  const arg = process.argv[2] || path.join(__dirname, "filter_editor_harness.html");
  const posts = [];
  let server = null;
  let base = arg;
  if (!/^https?:\/\//.test(arg)) {
    server = await startServer(path.resolve(arg), posts);
    base = `http://127.0.0.1:${server.address().port}/`;
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "stixhub-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    await run(context, base, server ? posts : null);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
    if (server) server.close();
  }
}

async function run(context, base, posts) {
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  const violations = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e}`));
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(`console ${m.type()}: ${m.text()}`); });
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}: ${e.sample}`));
  });
  const collectViolations = async () => violations.push(...(await page.evaluate(() => window.__violations.splice(0))));
  const check = async (name, fn) => { await fn(); console.log(`ok - ${name}`); };

  const N = "#nested";
  const root = `${N} .fe-tree > .fe-group`;
  const rootRows = `${root} > .fe-rows > .fe-row`;
  const area = page.locator(`${N} textarea[name=filters]`);
  const summary = page.locator(`${N} .filter-summary`);
  const json = async (loc = area) => JSON.parse(await loc.inputValue());
  const formValue = (sel) => page.evaluate((s) => new FormData(document.querySelector(s)).get("filters"), sel);

  await page.goto(base);
  await page.waitForSelector(`${N} .filter-editor[data-ready]`);

  await check("1. nested filter renders 3 rows, hides the textarea, summarises", async () => {
    assert.equal(await page.locator(`${N} .fe-row`).count(), 3);
    assert.equal(await page.locator(rootRows).count(), 1);
    assert.equal(await page.locator(`${root} > .fe-group > .fe-rows > .fe-row`).count(), 2);
    assert.ok(await area.isHidden(), "textarea should be hidden");
    assert.equal(await summary.textContent(), SUMMARY_1);
    assert.equal(await page.locator(`${root} > .fe-group .fe-group-mode`).inputValue(), "or");
    assert.equal(await page.locator(`${rootRows} .fe-values`).inputValue(), "malware, tool");
    // Untouched, the textarea keeps the server's text.
    assert.deepEqual(await json(), { mode: "and", filters: [TYPE_FILTER], filterGroups: [NESTED] });
  });

  await check("every control is labelled and every button is type=button", async () => {
    const bad = await page.evaluate(() => Array.from(document.querySelectorAll(".filter-editor select, .filter-editor input, .filter-editor button"))
      .filter((e) => !(e.getAttribute("aria-label") || (e.labels && e.labels.length) ||
        (e.tagName === "BUTTON" && e.textContent.trim())) || (e.tagName === "BUTTON" && e.type !== "button"))
      .map((e) => e.outerHTML));
    assert.deepEqual(bad, []);
  });

  await check("2. adding a filter (name starts_with Emotet) updates the JSON and the summary", async () => {
    await page.click(`${root} > .fe-actions .fe-add-filter`);
    assert.equal(await page.locator(rootRows).count(), 2);
    const row = page.locator(rootRows).nth(1);
    assert.ok(await row.locator(".fe-key").evaluate((e) => e === document.activeElement), "new row's key gets focus");
    await row.locator(".fe-key").selectOption("name");
    await row.locator(".fe-op").selectOption("starts_with");
    await row.locator(".fe-values").fill("Emotet");
    assert.deepEqual(await json(), {
      mode: "and",
      filters: [TYPE_FILTER, { key: ["name"], values: ["Emotet"], operator: "starts_with", mode: "or" }],
      filterGroups: [NESTED],
    });
    assert.equal(await summary.textContent(),
      "type = malware or tool AND name starts with Emotet AND (label = apt OR confidence ≥ 50)");
  });

  await check("3. remove the nested group, top-level mode or, operator nil, values input", async () => {
    await page.click(`${root} > .fe-group .fe-remove-group`);
    assert.equal(await page.locator(`${root} .fe-group`).count(), 0);
    assert.equal(await summary.textContent(), "type = malware or tool AND name starts with Emotet");
    await page.locator(`${root} > legend .fe-group-mode`).selectOption("or");
    assert.equal(await summary.textContent(), "type = malware or tool OR name starts with Emotet");
    const rows = page.locator(rootRows);
    await rows.nth(0).locator(".fe-mode").selectOption("and");
    await rows.nth(1).locator(".fe-op").selectOption("nil");
    assert.ok(await rows.nth(1).locator(".fe-values").isHidden(), "values hidden for nil");
    assert.ok(await rows.nth(1).locator(".fe-mode").isHidden(), "value mode hidden for nil");
    assert.deepEqual(await json(), {
      mode: "or",
      filters: [
        { key: ["entity_type"], values: ["malware", "tool"], operator: "eq", mode: "and" },
        { key: ["name"], values: [], operator: "nil", mode: "or" },
      ],
      filterGroups: [],
    });
    assert.equal(await summary.textContent(), "type = malware and tool OR name is empty");
    // Back to a valued operator: the typed values come back; quoted values keep commas.
    await rows.nth(1).locator(".fe-op").selectOption("contains");
    assert.ok(await rows.nth(1).locator(".fe-values").isVisible());
    await rows.nth(0).locator(".fe-values").fill(' "Foo, Inc." , bar,, ');
    assert.deepEqual((await json()).filters, [
      { key: ["entity_type"], values: ["Foo, Inc.", "bar"], operator: "eq", mode: "and" },
      { key: ["name"], values: ["Emotet"], operator: "contains", mode: "or" },
    ]);
    assert.equal(await summary.textContent(), "type = Foo, Inc. and bar OR name contains Emotet");
    await rows.nth(0).locator(".fe-remove").click();
    assert.deepEqual(await json(), { mode: "or", filters: [{ key: ["name"], values: ["Emotet"], operator: "contains", mode: "or" }], filterGroups: [] });
  });

  await check("4. raw toggle: invalid JSON shows an error and stays raw, valid JSON re-renders", async () => {
    const toggle = page.locator(`${N} .fe-raw-toggle`);
    const tree = page.locator(`${N} .fe-tree`);
    const error = page.locator(`${N} .fe-error`);
    await toggle.click();
    assert.ok(await area.isVisible(), "textarea shown in raw mode");
    assert.ok(await tree.isHidden(), "structure hidden in raw mode");
    assert.equal(await toggle.getAttribute("aria-pressed"), "true");
    await area.fill('{"mode": "or", "filters": [');
    await toggle.click();
    assert.ok(await error.isVisible(), "error shown");
    assert.match(await error.textContent(), /^Invalid filter: not valid JSON/);
    assert.ok(await area.isVisible() && (await tree.isHidden()), "still raw");
    assert.equal(await area.getAttribute("aria-invalid"), "true");
    await area.fill('{"mode": "xor"}');
    await toggle.click();
    assert.match(await error.textContent(), /group mode must be "and" or "or"/);
    assert.ok(await area.isVisible());
    // A bare-string key, a number value, no mode and a key outside data-keys are accepted.
    await area.fill(JSON.stringify({ mode: "or", filters: [{ key: "x_opencti_score", values: [80], operator: "gt" }],
      filterGroups: [{ mode: "and", filters: [{ key: ["objectLabel"], values: ["apt"], operator: "not_contains", mode: "or" },
        { key: ["revoked"], values: ["false"], operator: "eq" }] }] }));
    assert.equal(await summary.textContent(), "score > 80 OR (label does not contain apt AND revoked = false)", "summary live in raw mode");
    await toggle.click();
    assert.ok(await error.isHidden() && (await area.isHidden()) && (await tree.isVisible()), "back to structure");
    assert.equal(await toggle.getAttribute("aria-pressed"), "false");
    assert.equal(await page.locator(`${N} .fe-row`).count(), 3);
    assert.equal(await page.locator(`${rootRows} .fe-key`).inputValue(), "x_opencti_score");
    assert.equal(await page.locator(`${rootRows} .fe-op`).inputValue(), "gt");
    assert.equal(await page.locator(`${root} > .fe-group .fe-row .fe-op`).first().inputValue(), "not_contains");
    await page.locator(`${root} > .fe-group > legend .fe-group-mode`).selectOption("or");
    assert.equal(await summary.textContent(), "score > 80 OR (label does not contain apt OR revoked = false)");
  });

  await check("4b. invalid JSON from the server starts in raw mode with the error shown", async () => {
    const state = await page.evaluate(() => {
      const form = document.createElement("form");
      const editor = Object.assign(document.createElement("div"), { className: "filter-editor" });
      editor.dataset.for = "filters";
      const textarea = Object.assign(document.createElement("textarea"), { name: "filters", value: '{"mode":"and","filters":{}}' });
      form.append(editor, textarea);
      document.body.append(form);
      const api = window.StixhubFilterEditor.attach(editor);
      const out = { raw: api.isRaw(), hidden: textarea.hidden, error: form.querySelector(".fe-error").textContent };
      form.remove();
      return out;
    });
    assert.deepEqual(state, { raw: true, hidden: false, error: 'Invalid filter: "filters" must be an array' });
  });

  const expected = {
    mode: "or",
    filters: [{ key: ["x_opencti_score"], values: ["80"], operator: "gt", mode: "or" }],
    filterGroups: [{ mode: "or", filters: [
      { key: ["objectLabel"], values: ["apt"], operator: "not_contains", mode: "or" },
      { key: ["revoked"], values: ["false"], operator: "eq", mode: "or" },
    ], filterGroups: [] }],
  };
  await check("5. submitting the form sends the JSON in the filters field", async () => {
    assert.deepEqual(await json(), expected);
    assert.deepEqual(JSON.parse(await formValue(N)), expected);
    if (posts) {
      assert.equal(posts.length, 0, "no editor button submitted the form");
      await collectViolations();
      await Promise.all([page.waitForURL(/\/submit$/), page.click(`${N} button[type=submit]`)]);
      assert.equal(posts.length, 1);
      assert.equal(posts[0].get("form"), "nested");
      assert.deepEqual(JSON.parse(posts[0].get("filters")), expected);
      await page.goto(base);
      await page.waitForSelector(`${N} .filter-editor[data-ready]`);
    }
  });

  const E = "#empty";
  const eArea = page.locator(`${E} textarea[name=filters]`);
  const eSummary = page.locator(`${E} .filter-summary`);
  await check("6. an empty textarea reads as everything and is submitted empty", async () => {
    assert.equal(await eSummary.textContent(), "everything");
    assert.equal(await page.locator(`${E} .fe-row`).count(), 0);
    assert.equal(await page.locator(`${E} .fe-empty`).textContent(), "No filter: everything matches.");
    assert.ok(await eArea.isHidden());
    assert.equal(await formValue(E), "");
    await page.click(`${E} .fe-add-filter`);
    assert.equal(await eSummary.textContent(), "type is empty");
    await page.click(`${E} .fe-remove`);
    assert.equal(await eArea.inputValue(), "");
    assert.equal(await eSummary.textContent(), "everything");
    // Nesting stops at 10 levels (the server's limit): the deepest "Add group" is disabled.
    for (let depth = 1; depth < 10; depth++) await page.click(`${E} .fe-group[data-depth="${depth}"] > .fe-actions .fe-add-group`);
    assert.ok(await page.locator(`${E} .fe-group[data-depth="10"] > .fe-actions .fe-add-group`).isDisabled());
    let g = await json(eArea);
    let levels = 1;
    while (g.filterGroups.length) { g = g.filterGroups[0]; levels++; }
    assert.equal(levels, 10);
    await page.click(`${E} .fe-group[data-depth="2"] > legend .fe-remove-group`);
    assert.equal(await eArea.inputValue(), "");
    assert.equal(await eSummary.textContent(), "everything");
    if (posts) {
      await collectViolations();
      await Promise.all([page.waitForURL(/\/submit$/), page.click(`${E} button[type=submit]`)]);
      assert.equal(posts.length, 2);
      assert.equal(posts[1].get("form"), "empty");
      assert.equal(posts[1].get("filters"), "");
      await page.goto(base);
      await page.waitForSelector(`${N} .filter-editor[data-ready]`);
    }
  });

  const shot = path.join(os.tmpdir(), `stixhub-filter-editor-${process.pid}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  await collectViolations();

  await check("7. no console errors, no CSP violations", async () => {
    assert.deepEqual(errors, []);
    assert.deepEqual(violations, []);
    // Control: the listener does see a violation (an inline style attribute) under this CSP.
    page.removeAllListeners("console");
    await page.evaluate(() => document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>'));
    await page.waitForFunction(() => window.__violations.length > 0, null, { timeout: 5000 });
  });
  console.log(`screenshot: ${shot}`);
}

main().then(
  () => console.log("filter editor: all checks passed"),
  (e) => { console.error(`FAIL: ${e && e.stack ? e.stack : e}`); process.exit(1); },
);
