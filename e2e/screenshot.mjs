// Takes docs/screenshot.png: the demo mid-use (one workspace open, one counting down to
// disposal, one booting after a hover, two already disposed). Run after `e2e/run.sh` has
// built the demo:  node e2e/screenshot.mjs
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, openDemo, serveDist, waitForText } from './support.mjs';

const out = fileURLToPath(new URL(join('..', 'docs', 'screenshot.png'), import.meta.url));
const link = (id) => `li[data-workspace=${id}] a`;
const server = await serveDist();
const browser = await launchChromium();
try {
  const { page, problems } = await openDemo(browser, server.url, '/');
  // Two short-lived stores: a workspace and a failed boot, both disposed 2 s after leaving.
  await page.selectOption('[data-testid=cache-time]', '2');
  await page.click(link('studio'));
  await waitForText(page, '[data-testid=workspace-name]', 'Design studio');
  await page.click(link('flaky'));
  await waitForText(page, '[data-testid=error-message]', /did not answer/);
  // Then two kept for 30 s.
  await page.selectOption('[data-testid=cache-time]', '30');
  await page.click(link('garden'));
  await waitForText(page, '[data-testid=workspace-name]', 'Community garden');
  await page.click(link('acme'));
  await waitForText(page, '[data-testid=workspace-name]', 'Acme Corp');
  await page.click('[data-testid=todo] input >> nth=1');
  await page.fill('[data-testid=new-todo]', 'Try the registry demo');
  await page.click('[data-testid=add-todo]');
  await waitForText(page, '[data-testid=disposals-count]', '2');
  await waitForText(page, '[data-testid=sync-ticks]', '2');
  // Hovering a link boots its workspace ahead of the click.
  await page.hover(link('studio'));
  await waitForText(page, 'tr[data-store-id=studio] td.state', 'loading');
  await page.mouse.move(700, 700);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
  if (problems.length) throw new Error(`the page logged errors: ${problems.join('\n')}`);
} finally {
  await browser.close();
  await server.close();
}
