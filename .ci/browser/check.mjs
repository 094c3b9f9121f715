// Opens HTML files in headless Chromium (Debian's /usr/bin/chromium) with
// playwright-core, records console errors, page errors and failed requests, and saves
// a full-page screenshot of each. A page with a decision page (`.decision`) is also
// printed to PDF with its annex hidden, on A4 and on Letter, to count the sheets the
// decision page takes. Usage: node check.mjs OUT_DIR FILE.html...
// Prints one JSON line per file: {"file", "screenshot", "problems": [...],
// "decision_pages": {"a4", "letter"} or null, "phone_overflow": px the page is wider
// than a 375 px phone screen}.
import { chromium } from "playwright-core";
import path from "node:path";

const [outDir, ...files] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  for (const file of files) {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    const problems = [];
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
    page.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) problems.push(`fetched from the network: ${r.url()}`); });
    await page.goto("file://" + path.resolve(file), { waitUntil: "load" });
    // Named by folder and file: several run folders may hold a report.html.
    const screenshot = path.join(
      outDir,
      path.basename(path.dirname(file)) + "-" + path.basename(file) + ".png",
    );
    await page.screenshot({ path: screenshot, fullPage: true });
    // On a phone (375 px wide) nothing may push the page sideways: wide tables scroll
    // inside their own box.
    await page.setViewportSize({ width: 375, height: 800 });
    const phone_overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    await page.setViewportSize({ width: 1100, height: 1400 });
    let decision_pages = null;
    if (await page.$(".decision")) {
      await page.addStyleTag({ content: ".annex { display: none !important; }" });
      decision_pages = {};
      for (const format of ["A4", "Letter"]) {
        const pdf = await page.pdf({ format, printBackground: true });
        // Each page of a PDF is one object of type /Page (the tree is /Pages).
        decision_pages[format.toLowerCase()] =
          (pdf.toString("latin1").match(/\/Type\s*\/Page(?![s\w])/g) || []).length;
      }
    }
    console.log(JSON.stringify({ file, screenshot, problems, decision_pages, phone_overflow }));
    await page.close();
  }
} finally {
  await browser.close();
}
