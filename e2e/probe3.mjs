import { launchChromium, startSsrServer } from '/work/main/e2e/support.mjs';
const server = await startSsrServer({ storeDelayMs: 150 });
const browser = await launchChromium();
const paths = ['/out-of-order/ws/acme', '/ws/acme', '/async/ws/acme', '/partially-blocked/ws/acme', '/ws/offline-lab', '/ws/tricky'];
let failures = 0;
for (let i = 0; i < 120; i++) {
  const path = paths[i % paths.length];
  const context = await browser.newContext();
  const page = await context.newPage();
  const logs = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') logs.push(m.text().slice(0, 300)); });
  page.on('pageerror', (e) => logs.push('pageerror ' + e.message.slice(0, 300)));
  const t0 = Date.now();
  await page.goto(server.url + path);
  const ok = await page.waitForSelector('html[data-hydrated=true]', { timeout: 8000 }).then(() => true, () => false);
  if (!ok || logs.length) { failures++; console.log(i, path, ok, Date.now() - t0, logs); }
  await context.close();
}
console.log('done, failures', failures);
await browser.close();
await server.close();
