import { launchChromium, startSsrServer } from '/work/main/e2e/support.mjs';
const server = await startSsrServer({ storeDelayMs: 150 });
const browser = await launchChromium();
const paths = process.argv.slice(3);
const rounds = Number(process.argv[2]);
const failures = {};
for (let i = 0; i < rounds; i++) {
  const path = paths[i % paths.length];
  const context = await browser.newContext();
  const page = await context.newPage();
  const logs = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') logs.push(m.text().slice(0, 200)); });
  page.on('pageerror', (e) => logs.push('pageerror ' + e.message.slice(0, 200)));
  await page.goto(server.url + path);
  const ok = await page.waitForSelector('html[data-hydrated=true]', { timeout: 8000 }).then(() => true, () => false);
  if (!ok || logs.length) { failures[path] = (failures[path] ?? 0) + 1; console.log(i, path, ok, logs[0]); }
  await context.close();
}
console.log('done', JSON.stringify(failures));
await browser.close();
await server.close();
