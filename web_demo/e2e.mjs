// Drives the demo page in a real headless Chromium (Debian's, through playwright-core; no
// browser download): types each text, clicks Classify, reads label, scores and latency from
// the page, takes a screenshot. Prints one JSON object.
//   node e2e.mjs <page url> <texts.json> <screenshot.png> [chromium path]
import { chromium } from "playwright-core";
import { existsSync, readFileSync } from "node:fs";

const [pageUrl, textsFile, screenshot, given] = process.argv.slice(2);
const executablePath = given || ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find(existsSync);
const texts = JSON.parse(readFileSync(textsFile, "utf8"));
const started = Date.now();
const browser = await chromium.launch({
  executablePath, headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  const console_ = [];
  page.on("console", (m) => console_.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => console_.push(`pageerror: ${e.message}`));
  await page.goto(pageUrl);
  await page.waitForSelector("body[data-ready]", { timeout: 60000 });
  const ready = await page.getAttribute("body", "data-ready");
  if (ready !== "true") {
    throw new Error(`page not ready: ${await page.textContent("#status")}\n${console_.join("\n")}`);
  }
  const loadMs = Date.now() - started;
  const results = [];
  for (const [i, text] of texts.entries()) {
    await page.fill("#text", text);
    await page.click("#classify");
    await page.waitForSelector(`#history tr:nth-child(${i + 1})`);
    const row = page.locator(`#history tr:nth-child(${i + 1})`);
    results.push({
      text,
      label: await row.getAttribute("data-label"),
      scores: JSON.parse(await row.getAttribute("data-scores")),
      ms: Number(await row.getAttribute("data-ms")),
      shown_label: await page.textContent("#label"),
    });
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ chromium: browser.version(), load_ms: loadMs, results,
                               total_ms: Date.now() - started }));
} finally {
  await browser.close();
}
