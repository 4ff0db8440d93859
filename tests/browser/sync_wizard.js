// Issue 5's "done" in Debian's headless Chromium: on hub B, Ingestion → Remote streams → New synchronizer →
// hub A's URL without a token → Validate lists A's public streams → pick one → Create → the detail page shows
// the synchronizer live with events applied.
// usage: node sync_wizard.js HUB_B_URL PASSWORD HUB_A_URL SCREENSHOT_DIR   → one JSON line
const { chromium } = require("playwright-core");
const path = require("path");

(async () => {
  const [base, password, remote, shots] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  const page = await (await browser.newContext()).newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const out = {};
  try {
    await page.goto(base + "/admin/login");
    await page.fill("#name", "admin");
    await page.fill("#password", password);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    await page.click("nav >> text=Remote streams");
    await Promise.all([page.waitForNavigation(), page.click("text=New synchronizer")]);
    await page.fill("#r-url", remote);
    await Promise.all([page.waitForNavigation(), page.click("#discover-form button[type=submit]")]);
    out.offered = await page.locator("#create-form input[name=stream_id]").evaluateAll((els) => els.map((e) => e.dataset.name));
    await page.check("#create-form input[data-name='ICS malware']");
    await page.fill("#c-name", "partner A");
    await Promise.all([page.waitForNavigation(), page.click("#create-form button[type=submit]")]);
    for (let i = 0; i < 60; i++) {
      out.state = (await page.textContent("#sync-state")).trim();
      out.applied = Number((await page.textContent("#sync-applied")).trim());
      if (out.state === "live" && out.applied > 0) break;
      await page.waitForTimeout(500);
      await page.reload();
    }
    await page.screenshot({ path: path.join(shots, "synchronizer.png"), fullPage: true });
    out.errors = errors;
  } catch (e) {
    console.error(String(e && e.stack || e), "\nat", page.url(), "\nseen:", JSON.stringify(out));
    await browser.close();
    process.exit(1);
  }
  await browser.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
