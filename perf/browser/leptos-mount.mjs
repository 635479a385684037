// Mounting and unmounting 1,000 Leptos components in one headless Chromium page
// (perf/leptos-mount, wasm32): `use_store` readers of one cached store, `LocalResource`
// readers of the same value, and `use_store` readers with the inspector rendered. Rounds of the
// three kinds alternate, so that drift hits them alike. Writes the medians as JSON:
//   node leptos-mount.mjs <dir with wasm/ from wasm-bindgen --target web> <out.json>
import { createServer } from 'node:http'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { launchChromium } from './chromium.mjs'

const [dir, out] = process.argv.slice(2)
const page_html = `<!doctype html><meta charset="utf-8"><body><script type="module">
import init, { run } from './wasm/leptos_mount.js'
await init()
window.leptosMount = { run }
</script>`
const types = { '.js': 'text/javascript', '.wasm': 'application/wasm' }
const server = createServer(async (req, res) => {
  const pathname = new URL(req.url, 'http://x').pathname
  if (pathname === '/' || pathname === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html' }).end(page_html)
    return
  }
  const file = path.join(dir, path.normalize(pathname).replace(/^\/+/, ''))
  let body
  try {
    body = await readFile(file)
  } catch {
    res.writeHead(404).end()
    return
  }
  res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' })
  res.end(body)
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))

const browser = await launchChromium()
try {
  const page = await browser.newPage()
  page.on('pageerror', (err) => console.error(`[page error] ${err}`))
  await page.goto(`http://127.0.0.1:${server.address().port}/`)
  await page.waitForFunction(() => window.leptosMount !== undefined)
  const components = 1000
  const rounds = Number(process.env.MOUNT_ROUNDS ?? 15)
  const kinds = ['store', 'resource', 'store_inspected']
  const results = await page.evaluate(async ({ kinds, components, rounds }) => {
    const times = Object.fromEntries(kinds.map((kind) => [kind, []]))
    for (const kind of kinds) await window.leptosMount.run(kind, components, 2) // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const kind of kinds) times[kind].push(...(await window.leptosMount.run(kind, components, 1)))
    }
    const median = (xs) => {
      const s = [...xs].sort((a, b) => a - b)
      return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
    }
    return kinds.map((kind) => ({ kind, components, rounds, ms_median: median(times[kind]),
      ms_min: Math.min(...times[kind]), ms_max: Math.max(...times[kind]) }))
  }, { kinds, components, rounds })
  for (const r of results) {
    console.log(`${r.kind.padEnd(16)} ${r.ms_median.toFixed(2).padStart(8)} ms per mount + unmount of ${components} (min ${r.ms_min.toFixed(2)}, max ${r.ms_max.toFixed(2)})`)
  }
  await writeFile(out, JSON.stringify({ browser: `Chromium ${await browser.version()}`, results }, null, 2))
} finally {
  await browser.close()
  server.close()
}
