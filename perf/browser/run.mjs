// Runs both sides in one headless Chromium page and writes their timings as JSON:
//   node run.mjs <served dir> <out.json>
// <served dir> holds index.html, anchor.js (build.mjs), ours-page.mjs and wasm/ (wasm-bindgen
// --target web). It is served from 127.0.0.1 (a wasm module cannot be fetched from file://).
import { createServer } from 'node:http'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { launchChromium } from './chromium.mjs'

const [dir, out] = process.argv.slice(2)
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' }
const server = createServer(async (req, res) => {
  const file = path.join(dir, path.normalize(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '') || 'index.html')
  try {
    const body = await readFile(file)
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' })
    res.end(body)
  } catch {
    res.writeHead(404).end()
  }
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${server.address().port}/index.html`

const browser = await launchChromium()
try {
  const page = await browser.newPage()
  page.on('console', (msg) => console.log(`[page] ${msg.text()}`))
  page.on('pageerror', (err) => console.error(`[page error] ${err}`))
  await page.goto(url)
  await page.waitForFunction(() => window.anchorBench !== undefined && window.oursBench !== undefined)
  const version = await browser.version()
  // Operations per repetition: the anchor's W1 costs tens of µs, ours tens of ns.
  const plan = {
    floor: { anchor: 1_000_000, ours: 1_000_000 },
    W1: { anchor: 5_000, ours: 1_000_000 },
    W1b: { anchor: 5_000, ours: 1_000_000 },
    W2: { anchor: 4_000, ours: 1_000_000 },
    W3: { anchor: 1_000, ours: 100_000 },
    W3c: { ours: 100_000 },
    W4: { ours: 10_000 },
  }
  const reps = Number(process.env.BROWSER_REPS ?? 5)
  const results = await page.evaluate(async ({ plan, reps }) => {
    const median = (xs) => {
      const s = [...xs].sort((a, b) => a - b)
      return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
    }
    const rows = []
    for (const [id, sizes] of Object.entries(plan)) {
      for (const side of ['anchor', 'ours']) {
        const n = sizes[side]
        if (n === undefined) continue
        const run = (side === 'anchor' ? window.anchorBench : window.oursBench).workloads[id]
        await run(Math.max(1, Math.floor(n / 10))) // warm-up
        const nsPerOp = []
        const problems = new Set()
        for (let r = 0; r < reps; r++) {
          const { ms, problem } = await run(n)
          nsPerOp.push((ms * 1e6) / n)
          if (problem) problems.add(problem)
        }
        rows.push({ id, side, ops: n, reps, nsPerOp_median: median(nsPerOp), nsPerOp_min: Math.min(...nsPerOp),
          nsPerOp_max: Math.max(...nsPerOp), problems: [...problems] })
      }
    }
    return rows
  }, { plan, reps })
  for (const r of results) {
    console.log(`${r.side.padEnd(6)} ${r.id.padEnd(5)} ${r.nsPerOp_median.toFixed(1).padStart(12)} ns/op  (min ${r.nsPerOp_min.toFixed(1)}, max ${r.nsPerOp_max.toFixed(1)})${r.problems.length ? '  PROBLEM: ' + r.problems.join('; ') : ''}`)
  }
  await writeFile(out, JSON.stringify({ browser: `Chromium ${version}`, results }, null, 2))
  const failed = results.filter((r) => r.problems.length > 0)
  if (failed.length > 0) process.exitCode = 1
} finally {
  await browser.close()
  server.close()
}
