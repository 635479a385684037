// The server-rendered example (examples/ssr) in a real browser: the server's HTML holds the
// stores' data before any wasm runs, hydration boots the stores from the server's snapshots
// with no load in the browser, client navigation loads through the browser's registry
// (preloaded by the route), and nothing is logged as an error or a hydration warning. Build
// the example first: `bash e2e/run.sh` does everything (SSR_BUILD_ONLY=1 bash scripts/ssr.sh).
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, openPage, PATIENCE_MS, startSsrServer, waitForText } from '../support.mjs';

let server;
let browser;
let opened;

before(async () => {
  server = await startSsrServer({ storeDelayMs: 150 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Closes the open page, checking that it logged no error or warning. */
async function closeChecked() {
  if (!opened) return;
  const { problems, close } = opened;
  opened = undefined;
  await close();
  assert.deepEqual(problems, [], 'the page logged errors or warnings');
}

afterEach(closeChecked);

/**
 * Opens `path` in a fresh context (see `openPage`). `apiCalls()` lists the page's requests to
 * the API so far.
 */
async function open(path, { javaScript = true } = {}) {
  opened = await openPage(browser, server.url + path, { javaScript, viewport: { width: 1200, height: 800 } });
  const { requests } = opened;
  const apiCalls = () => requests.filter((request) => request.path.startsWith('/api/'));
  return { page: opened.page, apiCalls };
}

/** The texts of the elements matching `selector`. */
const texts = (page, selector) =>
  page.$$eval(selector, (nodes) => nodes.map((node) => node.textContent.trim()));

/** `window.__stores`, the example's counters in the browser (by store and event). */
const counters = (page) => page.evaluate(() => ({ ...(window.__stores ?? {}) }));

/** Waits until the page has hydrated (the example marks `<html data-hydrated>`). */
async function hydrated(page) {
  await page.waitForSelector('html[data-hydrated=true]', { timeout: PATIENCE_MS });
}

test('without JavaScript the server HTML shows both stores and the browser-only fallback', async () => {
  const { page } = await open('/ws/acme', { javaScript: false });
  assert.deepEqual(await texts(page, '[data-testid=todos] li'), [
    'Plan the week of acme',
    'Review the backlog of acme',
  ]);
  assert.deepEqual(await texts(page, '[data-testid=members] li'), [
    'Ada (acme)',
    'Grace (acme)',
    'Linus (acme)',
  ]);
  // The clock does not opt in to hydration: the server rendered its fallback.
  assert.equal(await page.textContent('[data-testid=clock]'), 'Open in this tab: …');
  // Nor does the badge's read of the members (`use_store`), though the cards' reads do.
  assert.equal(await page.textContent('[data-testid=member-badge]'), 'Members: …');
  assert.equal(await page.$('.loading'), null, 'no store fallback in the server HTML');
});

test('hydration boots the stores from the snapshots: zero loads in the browser', async () => {
  const { page, apiCalls } = await open('/ws/acme');
  await hydrated(page);
  // The browser-only clock store loads after hydration and ticks.
  await waitForText(page, '[data-testid=clock]', /^Open in this tab: \d+ s$/);
  // The badge reads the members with `use_store`, before the cards: it shows the fallback while
  // the page hydrates (as the server did), then the store the cards hydrated, with no load.
  await waitForText(page, '[data-testid=member-badge]', 'Members: 3');
  const seen = await counters(page);
  assert.equal(seen['todos:hydrations'], 1, JSON.stringify(seen));
  assert.equal(seen['members:hydrations'], 1, JSON.stringify(seen));
  assert.equal(seen['todos:loads'], undefined, JSON.stringify(seen));
  assert.equal(seen['members:loads'], undefined, JSON.stringify(seen));
  // The store that stays in the browser loaded there, once.
  assert.equal(seen['clock:loads'], 1, JSON.stringify(seen));
  assert.deepEqual(apiCalls(), [], 'the browser fetched store data');
  // The server's nodes were kept: the same text, no fallback.
  assert.deepEqual(await texts(page, '[data-testid=todos] li'), [
    'Plan the week of acme',
    'Review the backlog of acme',
  ]);
  // A component inside the todos' Suspense reads the members store: it hydrated too.
  assert.equal(await page.textContent('[data-testid=owner]'), 'Owned by Ada (acme)');
  assert.equal(await page.$('.loading'), null);
});

test('a store that failed on the server renders its failure there, hydrates it with no load, and retries in the browser', async () => {
  {
    const { page } = await open('/ws/offline-lab', { javaScript: false });
    // The members' readers carry failures: the server rendered the failure, not a fallback.
    assert.match(await page.textContent('[data-testid=members-error]'), /member directory is offline/);
    assert.equal(await page.textContent('[data-testid=owner]'), 'Owned by nobody');
    assert.equal(await page.$('.loading'), null, 'no store fallback in the server HTML');
    await closeChecked();
  }
  const { page, apiCalls } = await open('/ws/offline-lab');
  await hydrated(page);
  await waitForText(page, '[data-testid=members-error]', /member directory is offline/);
  await waitForText(page, '[data-testid=owner]', 'Owned by nobody');
  assert.deepEqual(await texts(page, '[data-testid=todos] li'), [
    'Plan the week of offline-lab',
    'Review the backlog of offline-lab',
  ]);
  let seen = await counters(page);
  // Started from the server's failure: no load in the browser.
  assert.equal(seen['members:loads'], undefined, JSON.stringify(seen));
  assert.equal(seen['todos:hydrations'], 1, JSON.stringify(seen));
  assert.deepEqual(apiCalls(), []);
  // A retry loads (and fails again: the directory is still offline).
  await page.click('[data-testid=members-retry]');
  await page.waitForFunction(() => (window.__stores ?? {})['members:loads'] === 1, null, { timeout: PATIENCE_MS });
  await waitForText(page, '[data-testid=members-error]', /member directory is offline/);
  seen = await counters(page);
  assert.equal(seen['todos:loads'], undefined, JSON.stringify(seen));
  assert.deepEqual(apiCalls().map((call) => call.path), ['/api/members/offline-lab']);
});

test('an unknown path gets the app\'s not-found page, rendered by the server, and it hydrates', async () => {
  const { page, apiCalls } = await open('/no/such/page');
  await hydrated(page);
  assert.equal(await page.textContent('main p'), 'Not found.');
  assert.equal(await page.textContent('header a'), 'Workspaces');
  assert.deepEqual(apiCalls(), []);
  // The browser reports the document's 404 status itself; that is the point here.
  opened.problems.splice(
    0,
    opened.problems.length,
    ...opened.problems.filter((problem) => !/status of 404/.test(problem)),
  );
});

test('a hydrated store then lives by the browser registry: cache time and teardown', async () => {
  const { page } = await open('/ws/acme?ttl=200');
  await hydrated(page);
  assert.equal((await counters(page))['todos:teardowns'], undefined);
  // Leave the workspace (client navigation): nothing holds its stores any more.
  await page.click('header a');
  await page.waitForSelector('[data-testid=workspaces]', { timeout: PATIENCE_MS });
  // The browser's cache time (200 ms) and the stores' browser teardown apply.
  await page.waitForFunction(
    () => window.__stores?.['todos:teardowns'] === 1 && window.__stores?.['members:teardowns'] === 1,
    null,
    { timeout: PATIENCE_MS },
  );
  const seen = await counters(page);
  assert.equal(seen['todos:loads'], undefined, JSON.stringify(seen));
  assert.equal(seen['clock:teardowns'], 1, JSON.stringify(seen));
});

test('client navigation loads through the browser registry, preloaded by the route', async () => {
  const { page, apiCalls } = await open('/');
  await hydrated(page);
  await page.click('text=Community garden');
  await waitForText(page, '[data-testid=workspace]', 'garden');
  await waitForText(page, '[data-testid=todos] li:first-child', 'Plan the week of garden');
  await waitForText(page, '[data-testid=member-count]', '3 members');
  const seen = await counters(page);
  assert.equal(seen['todos:loads'], 1, JSON.stringify(seen));
  assert.equal(seen['members:loads'], 1, JSON.stringify(seen));
  assert.equal(seen['todos:hydrations'], undefined, JSON.stringify(seen));
  // A client-side navigation, not a page load: the store data came from the API.
  const paths = apiCalls().map((call) => call.path).sort();
  assert.deepEqual(paths, ['/api/members/garden', '/api/todos/garden']);
  // Preloaded by the route: both requests started together, not one after the other (each
  // takes 150 ms on the server).
  const [first, second] = apiCalls().map((call) => call.at);
  assert.ok(Math.abs(first - second) < 100, `requests started ${Math.abs(first - second)} ms apart`);
  // The members page of the same workspace uses the members store already loaded.
  await page.click('text=Members');
  await waitForText(page, '[data-testid=roles] li:first-child', 'Ada (garden): owner');
  assert.equal((await counters(page))['members:loads'], 1, 'the members store was loaded again');
});

test('markup in store data stays text, in the server HTML and after hydration', async () => {
  const expected = [
    'Plan the week of tricky',
    'Review the backlog of tricky',
    'Close the </script><script>window.__broken = true</script> tag',
    'Keep <!-- this --> visible',
    `Quote "double" and 'single' & ampersand`,
  ];
  {
    const { page } = await open('/ws/tricky', { javaScript: false });
    assert.deepEqual(await texts(page, '[data-testid=todos] li'), expected);
    await closeChecked();
  }
  const { page } = await open('/ws/tricky');
  await hydrated(page);
  assert.deepEqual(await texts(page, '[data-testid=todos] li'), expected);
  assert.equal(await page.evaluate(() => window.__broken), undefined, 'a script in the data ran');
  const seen = await counters(page);
  assert.equal(seen['todos:hydrations'], 1, JSON.stringify(seen));
  assert.equal(seen['todos:loads'], undefined, JSON.stringify(seen));
});

for (const mode of ['async', 'out-of-order', 'partially-blocked']) {
  test(`SsrMode ${mode}: the data is in the page and hydrates with no load`, async () => {
    const { page } = await open(`/${mode}/ws/acme`);
    await hydrated(page);
    assert.deepEqual(await texts(page, '[data-testid=todos] li'), [
      'Plan the week of acme',
      'Review the backlog of acme',
    ]);
    const seen = await counters(page);
    assert.equal(seen['todos:hydrations'], 1, JSON.stringify(seen));
    assert.equal(seen['todos:loads'], undefined, JSON.stringify(seen));
  });
}
