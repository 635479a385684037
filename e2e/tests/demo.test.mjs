// The workspaces demo in a real browser, driven like a person: type, click, hover, reload, open a
// second tab, read the page. Each test opens a fresh browser context (a fresh registry and a
// fresh IndexedDB) and ends by checking that nothing was logged as an error. Build the demo
// first: `bash e2e/run.sh` does everything.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fallbackFlashes,
  launchChromium,
  openDemo,
  PATIENCE_MS,
  serveDist,
  waitForText,
  watchForFallback,
} from '../support.mjs';

let server;
let browser;
let demo;

before(async () => {
  server = await serveDist();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

afterEach(async () => {
  if (!demo) return;
  const { problems, close } = demo;
  demo = undefined;
  await close();
  assert.deepEqual(problems, [], 'the page logged errors');
});

/** Opens the demo at `path`; the context is closed and checked for errors after the test. */
async function open(path = '/') {
  demo = await openDemo(browser, server.url, path);
  return demo.page;
}

const entry = (id) => `[data-testid=entry][data-store-id="${id}"]`;
const counter = (id) => `[data-testid=counter][data-store-id="${id}"]`;
const link = (id) => `a[data-testid=workspace-link][data-store-id="${id}"]`;

/** Waits until attribute `name` of `selector` is `value` (null: until the element is gone). */
async function waitForAttr(page, selector, name, value, timeout = PATIENCE_MS) {
  try {
    await page.waitForFunction(
      ({ selector, name, value }) => {
        const node = document.querySelector(selector);
        return value === null ? !node : node?.getAttribute(name) === value;
      },
      { selector, name, value },
      { timeout },
    );
  } catch (error) {
    const actual = await page.$eval(selector, (node, name) => node.getAttribute(name), name).catch(() => '(none)');
    throw new Error(`waited for ${selector} [${name}] to be ${value}, it is ${actual}`, { cause: error });
  }
}

/** The attribute `name` of `selector` now (null without such an element). */
function attr(page, selector, name) {
  return page.$eval(selector, (node, name) => node.getAttribute(name), name).catch(() => null);
}

/** The loads and disposals the inspector counted for `id`. */
async function counts(page, id) {
  return {
    loads: Number((await attr(page, counter(id), 'data-loads')) ?? 0),
    disposals: Number((await attr(page, counter(id), 'data-disposals')) ?? 0),
  };
}

/** Adds a todo through the input, like a person: type, Enter. */
async function addTodo(page, title, within = 'body') {
  const input = page.locator(`${within} [data-testid=todo-input]`);
  await input.fill(title);
  await input.press('Enter');
  await page.locator(`${within} [data-testid=todo-item]`, { hasText: title }).waitFor({ timeout: PATIENCE_MS });
}

async function todoTitles(page, within = 'body') {
  return page.locator(`${within} [data-testid=todo-item]`).allTextContents();
}

async function openWorkspace(page, id) {
  await page.click(link(id));
  await waitForText(page, '[data-testid=workspace-name]', id);
}

test('first load shows the loading card, then the todos', async () => {
  const page = await open('/workspace/alpha');
  await page.waitForSelector('[data-testid=store-fallback]', { timeout: PATIENCE_MS });
  await waitForAttr(page, entry('alpha'), 'data-state', 'loading');
  await waitForText(page, '[data-testid=workspace-name]', 'alpha');
  assert.equal(await page.locator('[data-testid=store-fallback]').count(), 0);
  await waitForAttr(page, entry('alpha'), 'data-state', 'ready');
  await waitForAttr(page, entry('alpha'), 'data-holders', '1');
  await waitForText(page, '[data-testid=open-connections]', '1');
  await waitForText(page, '[data-testid=open-channels]', '1');
  assert.deepEqual(await counts(page, 'alpha'), { loads: 1, disposals: 0 });
});

test('a todo added persists across a reload', async () => {
  const page = await open('/workspace/persist');
  await addTodo(page, 'Water the tomatoes');
  await addTodo(page, 'Fix the shed door');
  await page.reload();
  await waitForText(page, '[data-testid=workspace-name]', 'persist');
  assert.deepEqual(await todoTitles(page), ['Water the tomatoes', 'Fix the shed door']);
  // The start page lists the workspaces this browser has.
  await page.click('nav.crumbs a');
  await page.waitForSelector(link('persist'));
});

test('a second tab sees a new todo within a few seconds', async () => {
  const first = await open('/workspace/shared');
  await waitForText(first, '[data-testid=workspace-name]', 'shared');
  const second = await first.context().newPage();
  await second.goto(`${server.url}/workspace/shared`);
  await waitForText(second, '[data-testid=workspace-name]', 'shared');

  await addTodo(first, 'Written in the first tab');
  await second
    .locator('[data-testid=todo-item]', { hasText: 'Written in the first tab' })
    .waitFor({ timeout: 5_000 });
  await addTodo(second, 'Written in the second tab');
  await first
    .locator('[data-testid=todo-item]', { hasText: 'Written in the second tab' })
    .waitFor({ timeout: 5_000 });
  await second.close();
});

test('back within the cache time reuses the store; after it, the store and its connection are gone', async () => {
  const page = await open('/?ttl=3000&delay=300');
  await openWorkspace(page, 'acme');
  await page.goBack();
  await page.waitForSelector('[data-testid=home]');
  await waitForAttr(page, entry('acme'), 'data-holders', '0');

  await watchForFallback(page, '[data-testid=store-fallback]');
  await page.goForward();
  await waitForText(page, '[data-testid=workspace-name]', 'acme');
  assert.equal(await fallbackFlashes(page), 0, 'no loading card for a cached store');
  assert.deepEqual(await counts(page, 'acme'), { loads: 1, disposals: 0 });

  await page.goBack();
  await waitForAttr(page, entry('acme'), 'data-state', null);
  assert.deepEqual(await counts(page, 'acme'), { loads: 1, disposals: 1 });
  await waitForText(page, '[data-testid=open-connections]', '0');
  await waitForText(page, '[data-testid=open-channels]', '0');
});

test('hover and focus preload, so the click renders without a loading card', async () => {
  const page = await open('/?delay=400');
  await page.hover(link('acme'));
  await waitForAttr(page, entry('acme'), 'data-state', 'ready');
  await watchForFallback(page, '[data-testid=store-fallback]');
  await page.click(link('acme'));
  await waitForText(page, '[data-testid=workspace-name]', 'acme');
  assert.equal(await fallbackFlashes(page), 0);

  await page.goBack();
  await page.waitForSelector('[data-testid=home]');
  await page.focus(link('garden'));
  await waitForAttr(page, entry('garden'), 'data-state', 'ready');
  await watchForFallback(page, '[data-testid=store-fallback]');
  await page.keyboard.press('Enter');
  await waitForText(page, '[data-testid=workspace-name]', 'garden');
  assert.equal(await fallbackFlashes(page), 0);
  assert.deepEqual(await counts(page, 'garden'), { loads: 1, disposals: 0 });
});

test('a fail- workspace shows the error, and Retry counts a second load', async () => {
  const page = await open('/workspace/fail-archive?delay=100');
  await page.waitForSelector('[data-testid=store-error]', { timeout: PATIENCE_MS });
  await waitForAttr(page, entry('fail-archive'), 'data-state', 'failed');
  assert.match(await page.textContent('[data-testid=store-error]'), /unreachable/);
  await page.click('[data-testid=retry]');
  await waitForAttr(page, counter('fail-archive'), 'data-loads', '2');
  await page.waitForSelector('[data-testid=store-error]', { timeout: PATIENCE_MS });
});

test('a flaky- workspace recovers on Retry', async () => {
  const page = await open('/workspace/flaky-sync?delay=100');
  await page.waitForSelector('[data-testid=store-error]', { timeout: PATIENCE_MS });
  await page.click('[data-testid=retry]');
  await waitForText(page, '[data-testid=workspace-name]', 'flaky-sync');
  assert.equal(await page.locator('[data-testid=store-error]').count(), 0);
  assert.equal((await counts(page, 'flaky-sync')).loads, 2);
});

test('rapid navigation among 20 workspaces with a short cache time leaves only the held entry', async () => {
  const page = await open('/workspace/hop-0?ttl=300&delay=150');
  for (let i = 1; i < 20; i += 1) {
    await page.evaluate((path) => {
      history.pushState(null, '', path);
      dispatchEvent(new PopStateEvent('popstate'));
    }, `/workspace/hop-${i}`);
    await page.waitForTimeout(20);
  }
  await waitForText(page, '[data-testid=workspace-name]', 'hop-19');
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid=entry]').length === 1,
    null,
    { timeout: PATIENCE_MS },
  );
  assert.equal(await attr(page, entry('hop-19'), 'data-holders'), '1');
  await waitForText(page, '[data-testid=open-connections]', '1');
});

test('?max_idle=2 keeps at most two idle stores', async () => {
  const page = await open('/?max_idle=2&ttl=60000&delay=100');
  for (const id of ['acme', 'garden']) {
    await openWorkspace(page, id);
    await page.goBack();
    await page.waitForSelector('[data-testid=home]');
  }
  await page.fill('[data-testid=new-workspace]', 'Third one');
  await page.press('[data-testid=new-workspace]', 'Enter');
  await waitForText(page, '[data-testid=workspace-name]', 'third-one');
  await page.goBack();
  await page.waitForSelector('[data-testid=home]');
  await waitForAttr(page, entry('third-one'), 'data-holders', '0');
  // Three idle stores would exceed the bound: the least recently used (acme) is gone.
  await waitForAttr(page, entry('acme'), 'data-state', null);
  assert.equal(await page.locator('[data-testid=entry]').count(), 2);
  assert.deepEqual(await counts(page, 'acme'), { loads: 1, disposals: 1 });
});

test('re-opening a workspace during its teardown waits for it, then shows the store with no lost todo', async () => {
  const page = await open('/?ttl=0&teardown=2500&delay=100');
  await page.fill('[data-testid=new-workspace]', 'Slow close');
  await page.press('[data-testid=new-workspace]', 'Enter');
  await waitForText(page, '[data-testid=workspace-name]', 'slow-close');
  await addTodo(page, 'Saved before closing');
  await page.goBack();
  await page.waitForSelector('[data-testid=home]');
  await waitForAttr(page, entry('slow-close'), 'data-state', 'disposing');

  await page.click(link('slow-close'));
  await waitForAttr(page, '[data-testid=store-fallback]', 'data-waiting', 'true');
  await waitForText(page, '[data-testid=workspace-name]', 'slow-close');
  assert.deepEqual(await todoTitles(page), ['Saved before closing']);
  assert.deepEqual(await counts(page, 'slow-close'), { loads: 2, disposals: 1 });
  await waitForText(page, '[data-testid=open-connections]', '1');
});

test('the split view holds two stores; an unknown route shows the not-found page', async () => {
  const page = await open('/?delay=100');
  await page.click('[data-testid=split-link]');
  await page.waitForFunction(
    () => document.querySelectorAll('[data-testid=workspace-name]').length === 2,
    null,
    { timeout: PATIENCE_MS },
  );
  await waitForAttr(page, entry('acme'), 'data-holders', '1');
  await waitForAttr(page, entry('garden'), 'data-holders', '1');
  await waitForText(page, '[data-testid=open-connections]', '2');

  await page.evaluate(() => {
    history.pushState(null, '', '/no/such/page');
    dispatchEvent(new PopStateEvent('popstate'));
  });
  await page.waitForSelector('[data-testid=not-found]');
  await waitForAttr(page, entry('acme'), 'data-holders', '0');
});

test('Reconnect restarts the open workspace under its view: no todo lost, typed text kept', async () => {
  const page = await open('/workspace/reconnect?delay=300&teardown=300');
  await waitForText(page, '[data-testid=workspace-name]', 'reconnect');
  await addTodo(page, 'Call the plumber');
  await addTodo(page, 'Renew the domain');
  await waitForAttr(page, entry('reconnect'), 'data-generation', '0');
  assert.deepEqual(await counts(page, 'reconnect'), { loads: 1, disposals: 0 });
  await page.fill('[data-testid=todo-input]', 'half-typed');

  await watchForFallback(page, '[data-testid=store-fallback]');
  await page.click('[data-testid=restart]');
  await waitForAttr(page, entry('reconnect'), 'data-generation', '1');
  await waitForAttr(page, entry('reconnect'), 'data-state', 'ready');
  await waitForAttr(page, counter('reconnect'), 'data-loads', '2');
  await waitForAttr(page, counter('reconnect'), 'data-disposals', '1');
  await waitForText(page, '[data-testid=connection]', 'connection 2');
  assert.deepEqual(await todoTitles(page), ['Call the plumber', 'Renew the domain']);
  // The board stayed mounted: no loading card, and the input still holds what was typed.
  assert.equal(await fallbackFlashes(page), 0, 'no loading card during a reconnect');
  assert.equal(await page.inputValue('[data-testid=todo-input]'), 'half-typed');
  await waitForText(page, '[data-testid=restart]', 'Reconnect');
  await waitForText(page, '[data-testid=open-connections]', '1');
  await waitForText(page, '[data-testid=open-channels]', '1');

  // The new instance works: a todo added now is saved.
  await page.fill('[data-testid=todo-input]', '');
  await addTodo(page, 'Added after reconnecting');
  await page.reload();
  await waitForText(page, '[data-testid=workspace-name]', 'reconnect');
  assert.deepEqual(await todoTitles(page), ['Call the plumber', 'Renew the domain', 'Added after reconnecting']);
});

test('?crash=MS: a workspace that loses its channel restarts itself and keeps its todos', async () => {
  const page = await open('/workspace/crashy?delay=100');
  await addTodo(page, 'Survive the crash');
  await page.goto(`${server.url}/workspace/crashy?delay=100&crash=200`);
  await waitForText(page, '[data-testid=workspace-name]', 'crashy');
  await page.waitForFunction(
    (selector) => Number(document.querySelector(selector)?.getAttribute('data-generation')) >= 1,
    entry('crashy'),
    { timeout: PATIENCE_MS },
  );
  await waitForAttr(page, entry('crashy'), 'data-state', 'ready');
  await waitForText(page, '[data-testid=connection]', 'connection 2');
  assert.deepEqual(await todoTitles(page), ['Survive the crash']);
  assert.equal(await page.locator('[data-testid=store-error]').count(), 0);
  assert.deepEqual(await counts(page, 'crashy'), { loads: 2, disposals: 1 });
  await waitForText(page, '[data-testid=open-connections]', '1');
  await waitForText(page, '[data-testid=open-channels]', '1');
});

test('the panel says why a store is alive: held, by which component, then counting down', async () => {
  const page = await open('/?ttl=60000&delay=100');
  await openWorkspace(page, 'acme');
  const row = entry('acme');
  await waitForText(page, `${row} [data-testid=why-alive]`, /^held by 1 retain guard/);
  const locations = await page.locator(`${row} [data-testid=holder-location]`).allTextContents();
  assert.ok(locations.length >= 1, 'at least one holder location');
  assert.ok(
    locations.some((location) => location.includes('examples/workspaces/src/') && /\.rs:\d+$/.test(location)),
    `a holder in the demo's source, as file:line (got ${JSON.stringify(locations)})`,
  );

  await page.click('nav.crumbs a');
  await page.waitForSelector('[data-testid=home]');
  await waitForText(page, `${row} [data-testid=why-alive]`, /^unused; disposed in \d+(\.\d)? s/);
  assert.equal(await page.locator(`${row} [data-testid=holder-location]`).count(), 0);
});
