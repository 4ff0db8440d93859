// Opens /public in Debian's headless Chromium, clicks every copy button and checks what reached the
// clipboard. usage: node public_copy.js BASE_URL SCREENSHOT_PATH
// Prints one JSON line: {"buttons": n, "copied": [...], "expected": [...], "errors": [...]}.
const { chromium } = require("playwright-core");

(async () => {
  const [base, screenshot] = process.argv.slice(2);
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
  await page.goto(base + "/public");
  const buttons = await page.locator("button.copy").all();
  const copied = [];
  const expected = [];
  for (const b of buttons) {
    expected.push(await b.getAttribute("data-copy"));
    await b.click();
    await page.waitForFunction((el) => el.dataset.copied === "true", await b.elementHandle(), { timeout: 5000 });
    copied.push(await page.evaluate(() => navigator.clipboard.readText()));
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  await browser.close();
  console.log(JSON.stringify({ buttons: buttons.length, copied, expected, errors }));
})().catch((e) => { console.error(e); process.exit(1); });
