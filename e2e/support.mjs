// Shared by the e2e tests and the screenshot script: a static server for the built demo,
// Debian's Chromium driven by playwright-core, and helpers that wait for what a person sees.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Where `e2e/run.sh` has Trunk put the built demo (override with DEMO_DIST). */
export const DIST = resolve(process.env.DEMO_DIST ?? join(here, '..', 'target', 'e2e-dist'));

/** How long to wait for something the demo must show "soon" (boots take well under 2 s). */
export const PATIENCE_MS = 15_000;

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * Serves `root` on a free loopback port, like `trunk serve`: files as they are, any other path
 * (a client-side route such as /w/acme) as index.html. Returns { url, close }.
 */
export async function serveDist(root = DIST) {
  await stat(join(root, 'index.html')).catch(() => {
    throw new Error(`no built demo in ${root}: run e2e/run.sh (or trunk build --dist ${root})`);
  });
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    const file = normalize(join(root, path));
    const inside = file.startsWith(root + sep);
    let body;
    let type = MIME['.html'];
    try {
      if (!inside || !(await stat(file)).isFile()) throw new Error('not a file');
      body = await readFile(file);
      type = MIME[extname(file)] ?? 'application/octet-stream';
    } catch {
      body = await readFile(join(root, 'index.html'));
    }
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

/** Launches Debian's Chromium (never a downloaded one): headless, as root, network closed. */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

/**
 * Opens `url` in a fresh browser context. `problems` collects console errors and warnings and
 * uncaught exceptions, for the test to check; `requests` the paths of the requests the page
 * made. With `javaScript: false`, no script (and no wasm) runs.
 */
export async function openPage(browser, url, { javaScript = true, viewport = { width: 1400, height: 860 } } = {}) {
  const context = await browser.newContext({ javaScriptEnabled: javaScript, viewport });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    // Leptos reports misuse (e.g. a signal read outside a reactive context) as warnings.
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`console.${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  const requests = [];
  page.on('request', (request) => requests.push({ path: new URL(request.url()).pathname, at: Date.now() }));
  await page.goto(url);
  return { page, problems, requests, close: () => context.close() };
}

/**
 * Opens the demo at `path` in a fresh context (a fresh registry) and waits for the app to be
 * mounted (see `openPage`).
 */
export async function openDemo(browser, baseUrl, path = '/') {
  const opened = await openPage(browser, baseUrl + path);
  await opened.page.waitForSelector('.shell', { timeout: PATIENCE_MS });
  return opened;
}

/** Waits until the text of `selector` is `expected` (a string, trimmed, or a RegExp). */
export async function waitForText(page, selector, expected, timeout = PATIENCE_MS) {
  const pattern = expected instanceof RegExp ? { source: expected.source, flags: expected.flags } : null;
  try {
    await page.waitForFunction(
      ({ selector, text, pattern }) => {
        const node = document.querySelector(selector);
        if (!node) return false;
        const actual = node.textContent.trim();
        return pattern ? new RegExp(pattern.source, pattern.flags).test(actual) : actual === text;
      },
      { selector, text: pattern ? null : expected, pattern },
      { timeout },
    );
  } catch (error) {
    const actual = await page
      .$eval(selector, (node) => node.textContent.trim())
      .catch(() => '(no such element)');
    throw new Error(`waited for ${selector} to read ${expected}, it reads ${JSON.stringify(actual)}`, {
      cause: error,
    });
  }
}

/** The trimmed text of `selector` now. */
export function textOf(page, selector) {
  return page.$eval(selector, (node) => node.textContent.trim());
}

/**
 * Starts recording whether the loading card (`selector`) is ever added to the page, however
 * briefly; `fallbackFlashes(page)` reads the count. A MutationObserver sees every insertion,
 * even one removed again before the next frame.
 */
export async function watchForFallback(page, selector = '[data-testid=store-fallback]') {
  await page.evaluate((selector) => {
    window.__fallbacks = 0;
    window.__fallbackObserver?.disconnect();
    const isFallback = (node) =>
      node.nodeType === Node.ELEMENT_NODE &&
      (node.matches(selector) || node.querySelector(selector));
    window.__fallbackObserver = new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) if (isFallback(node)) window.__fallbacks += 1;
      }
    });
    window.__fallbackObserver.observe(document.body, { childList: true, subtree: true });
  }, selector);
}

/** How many times the loading card appeared since `watchForFallback(page)`. */
export function fallbackFlashes(page) {
  return page.evaluate(() => window.__fallbacks);
}

/**
 * Starts the server-rendered example (built by `SSR_BUILD_ONLY=1 bash scripts/ssr.sh`) on a
 * free loopback port. Returns { url, close }.
 */
export async function startSsrServer({ storeDelayMs = 150 } = {}) {
  const { spawn } = await import('node:child_process');
  const { createServer: createNetServer } = await import('node:net');
  const binary = resolve(process.env.SSR_BINARY ?? join(here, '..', 'target', 'release', 'ssr-example'));
  await stat(binary).catch(() => {
    throw new Error(`no server at ${binary}: run SSR_BUILD_ONLY=1 bash scripts/ssr.sh`);
  });
  const port = await new Promise((ok, fail) => {
    const probe = createNetServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
  const child = spawn(binary, [], {
    env: {
      ...process.env,
      PORT: String(port),
      STORE_DELAY_MS: String(storeDelayMs),
      SITE_ROOT: resolve(process.env.SITE_ROOT ?? join(here, '..', 'target', 'ssr-site')),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('the ssr example did not start')), PATIENCE_MS);
    child.once('exit', (code) => fail(new Error(`the ssr example exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('serving on')) {
        clearTimeout(timer);
        ok();
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((ok) => {
        child.once('exit', ok);
        child.kill('SIGINT');
      }),
  };
}
