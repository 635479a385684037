// Takes the demo's screenshots into docs/screenshots/ (and docs/screenshot.png, the README's):
// the main states a person sees. Build the demo first (e2e/run.sh, or
// `trunk build --dist target/e2e-dist`), then: node e2e/screenshot.mjs
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, openDemo, serveDist, waitForText } from './support.mjs';

const docs = fileURLToPath(new URL(join('..', 'docs'), import.meta.url));
const shots = join(docs, 'screenshots');
await mkdir(shots, { recursive: true });

const server = await serveDist();
const browser = await launchChromium();
try {
  // A workspace open with todos, another counting down in the panel.
  const { page, close } = await openDemo(browser, server.url, '/?ttl=60000&delay=300');
  await page.click('a[data-testid=workspace-link][data-store-id=garden]');
  await waitForText(page, '[data-testid=workspace-name]', 'garden');
  await page.goBack();
  await page.click('a[data-testid=workspace-link][data-store-id=acme]');
  await waitForText(page, '[data-testid=workspace-name]', 'acme');
  for (const title of ['Ship the Q3 roadmap', 'Review the registry PR', 'Book the offsite']) {
    await page.fill('[data-testid=todo-input]', title);
    await page.press('[data-testid=todo-input]', 'Enter');
  }
  await page.click('[data-testid=todo-item] input');
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(docs, 'screenshot.png') });
  await page.screenshot({ path: join(shots, 'workspace.png') });

  await page.goto(`${server.url}/split/acme/garden?delay=300`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=workspace-name]').length === 2);
  await page.screenshot({ path: join(shots, 'split.png') });

  await page.goto(`${server.url}/workspace/fail-archive?delay=100`);
  await page.waitForSelector('[data-testid=store-error]');
  await page.screenshot({ path: join(shots, 'error.png') });

  await page.goto(`${server.url}/?ttl=0&teardown=4000&delay=100`);
  await page.click('a[data-testid=workspace-link][data-store-id=acme]');
  await waitForText(page, '[data-testid=workspace-name]', 'acme');
  await page.goBack();
  await page.click('a[data-testid=workspace-link][data-store-id=acme]');
  await page.waitForSelector('[data-testid=store-fallback][data-waiting=true]');
  await page.screenshot({ path: join(shots, 'waiting-for-teardown.png') });
  await close();

  const phone = await openDemo(browser, server.url, '/workspace/acme?delay=100');
  await phone.page.setViewportSize({ width: 390, height: 844 });
  await waitForText(phone.page, '[data-testid=workspace-name]', 'acme');
  await phone.page.screenshot({ path: join(shots, 'phone.png'), fullPage: true });
  await phone.close();
} finally {
  await browser.close();
  await server.close();
}
console.log(`screenshots in ${shots} and ${join(docs, 'screenshot.png')}`);
