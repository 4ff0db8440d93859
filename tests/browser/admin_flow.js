// The admin interface end to end in Debian's headless Chromium, as a new user would use it:
//  1. log in with the bootstrap admin → dashboard;
//  2. create group "partners" allowed up to TLP:GREEN, a user "alice" in it, a token for alice;
//  3. import a bundle from the Import page; find an object by name in Knowledge; open its page;
//  4. create a live stream with the filter editor (type = malware), make it public, see it on /public and copy
//     its URL; stop it (confirming the dialog) → /public says stopped; start it again;
//  5. open the stream's tail view and see the malware arrive.
// usage: node admin_flow.js BASE_URL PASSWORD BUNDLE_PATH SCREENSHOT_DIR
// Prints one JSON line with what it saw; exits non-zero with a message on the first failure.
const { chromium } = require("playwright-core");
const path = require("path");

function check(cond, message) {
  if (!cond) throw new Error(message);
}

(async () => {
  const [base, password, bundle, shots] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  const context = await browser.newContext();
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const out = {};
  try {
    // 1. Login.
    await page.goto(base + "/admin");
    check(page.url().includes("/admin/login"), "not redirected to the login page: " + page.url());
    await page.fill("#name", "admin");
    await page.fill("#password", password);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    check((await page.textContent("h1")).includes("Dashboard"), "no dashboard after login");
    out.whoami = await page.textContent("#whoami");

    // 2. Group, user, token.
    await page.click("nav >> text=Groups");
    await page.fill("#g-name", "partners");
    await page.selectOption("#g-tlp", "TLP:GREEN");
    await Promise.all([page.waitForNavigation(), page.click("#group-form button[type=submit]")]);
    out.group = (await page.innerText("#group-partners")).replace(/\s+/g, " ").trim();
    await page.click("nav >> text=Users");
    await page.fill("#nu-name", "alice");
    await page.fill("#nu-password", "alice's long password");
    await page.check("#new-user input[data-name=partners]");
    await Promise.all([page.waitForNavigation(), page.click("#new-user button[type=submit]")]);
    out.user = (await page.innerText("#user-alice td:nth-child(2)")).replace(/\s+/g, " ").trim();
    await page.click("nav >> text=Tokens");
    await page.fill("#t-name", "alice's connector");
    await page.selectOption("#t-user", { label: "alice" });
    await Promise.all([page.waitForNavigation(), page.click("#new-token-form button[type=submit]")]);
    out.token = await page.textContent("#token-value");
    await page.screenshot({ path: path.join(shots, "token.png"), fullPage: true });

    // 3. Import, search, object page.
    await page.click("nav >> text=Import");
    await page.setInputFiles("#file", bundle);
    await Promise.all([page.waitForNavigation(), page.click("#import-form button[type=submit]")]);
    out.created = Number(await page.textContent("#count-created"));
    await page.click("nav >> text=Knowledge");
    await page.fill("#q", "stuxnet");
    await Promise.all([page.waitForNavigation(), page.click("form[role=search] button")]);
    await Promise.all([page.waitForNavigation(), page.click("#objects a >> text=Stuxnet")]);
    out.object = await page.textContent("#object-name");
    out.objectJsonHasType = (await page.textContent("#object-json")).includes('"type": "malware"');
    await page.screenshot({ path: path.join(shots, "object.png"), fullPage: true });

    // 4. A public stream made with the filter editor.
    await page.click("nav >> text=Live streams");
    await Promise.all([page.waitForNavigation(), page.click("text=New stream")]);
    await page.fill("#s-name", "ICS malware");
    await page.click(".filter-editor button.fe-add-filter");
    const row = page.locator(".filter-editor .fe-row").first();
    await row.locator("select.fe-key").selectOption("entity_type");
    await row.locator("input.fe-values").fill("malware");
    await row.locator("input.fe-values").dispatchEvent("change");
    out.summary = (await page.textContent(".filter-summary")).trim();
    check(await page.isVisible("#private-options"), "group restrictions shown for a private stream");
    await page.check("#s-public");
    check(!(await page.isVisible("#private-options")), "group restrictions hidden once public");
    await Promise.all([page.waitForNavigation(), page.click("#stream-form button[type=submit]")]);
    const item = page.locator(".stream", { hasText: "ICS malware" });
    out.badges = (await item.locator(".badge").allTextContents()).join(" ");
    // Stopped streams are created stopped: start it (confirm dialog accepted).
    page.once("dialog", (d) => d.accept());
    await Promise.all([page.waitForNavigation(), item.locator("button:has-text('Start')").click()]);
    out.afterStart = (await page.locator(".stream", { hasText: "ICS malware" }).locator(".badge").allTextContents()).join(" ");
    const streamUrl = await page.locator(".stream", { hasText: "ICS malware" }).locator("code.url").textContent();
    out.streamUrl = streamUrl;

    const pub = await context.newPage();
    await pub.goto(base + "/public");
    const card = pub.locator(".stream", { hasText: "ICS malware" });
    out.publicStatus = (await card.locator(".badge").textContent()).trim();
    out.publicFilters = (await card.locator(".filters").textContent()).trim();
    await card.locator("button.copy").click();
    await pub.waitForFunction(() => document.querySelector(".stream button.copy").dataset.copied === "true");
    out.copied = await pub.evaluate(() => navigator.clipboard.readText());

    // 5. Tail: the stream's malware arrive in the page (replay from the beginning).
    await page.goto(streamUrl.replace(/.*\/stream\//, base + "/admin/streams/") + "/tail?from=0");
    await page.waitForFunction(() => document.querySelectorAll("#tail li.ev-create").length > 0, null, { timeout: 15000 });
    out.tailCreates = await page.locator("#tail li.ev-create").count();
    await page.screenshot({ path: path.join(shots, "tail.png"), fullPage: true });

    // Stop: readers get 410 at once, /public shows stopped; then start again.
    await page.goto(base + "/admin/streams");
    page.once("dialog", (d) => d.accept());
    await Promise.all([page.waitForNavigation(), page.locator(".stream", { hasText: "ICS malware" }).locator("button:has-text('Stop')").click()]);
    out.readerAfterStop = await pub.evaluate(async (u) => (await fetch(u)).status, streamUrl);
    await pub.reload();
    out.publicAfterStop = (await pub.locator(".stream", { hasText: "ICS malware" }).locator(".badge").textContent()).trim();
    page.once("dialog", (d) => d.accept());
    await Promise.all([page.waitForNavigation(), page.locator(".stream", { hasText: "ICS malware" }).locator("button:has-text('Start')").click()]);
    await pub.reload();
    out.publicAfterRestart = (await pub.locator(".stream", { hasText: "ICS malware" }).locator(".badge").textContent()).trim();
    await pub.screenshot({ path: path.join(shots, "public.png"), fullPage: true });
    out.errors = errors;
  } catch (e) {
    await page.screenshot({ path: path.join(shots, "failure.png"), fullPage: true }).catch(() => {});
    console.error(String(e && e.stack || e), "\nat", page.url(), "\nseen so far:", JSON.stringify(out), "\nerrors:", JSON.stringify(errors));
    await browser.close();
    process.exit(1);
  }
  await browser.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
