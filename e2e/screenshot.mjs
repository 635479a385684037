// Takes docs/screenshot.png: the demo mid-use (one workspace open, one counting down to
// disposal, one booting after a hover). Run after `e2e/run.sh` has built the demo:
//   node e2e/screenshot.mjs
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, openDemo, serveDist, waitForText } from './support.mjs';

const out = fileURLToPath(new URL(join('..', 'docs', 'screenshot.png'), import.meta.url));
const server = await serveDist();
const browser = await launchChromium();
try {
  const { page, problems } = await openDemo(browser, server.url, '/');
  await page.selectOption('[data-testid=cache-time]', '30');
  await page.click('li[data-workspace=garden] a');
  await waitForText(page, '[data-testid=workspace-name]', 'Community garden');
  await page.click('li[data-workspace=acme] a');
  await waitForText(page, '[data-testid=workspace-name]', 'Acme Corp');
  await page.click('[data-testid=todo] input >> nth=1');
  await page.fill('[data-testid=new-todo]', 'Try the registry demo');
  await page.click('[data-testid=add-todo]');
  // Let the sync connection tick and garden's countdown run a little.
  await waitForText(page, '[data-testid=sync-ticks]', '2');
  await page.hover('li[data-workspace=studio] a');
  await waitForText(page, 'tr[data-store-id=studio] td.state', 'loading');
  await page.mouse.move(700, 600);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
  if (problems.length) throw new Error(`the page logged errors: ${problems.join('\n')}`);
} finally {
  await browser.close();
  await server.close();
}
