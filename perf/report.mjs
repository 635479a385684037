// Prints the markdown report of one `scripts/perf.sh` run: node perf/report.mjs <work dir>
// Reads <work>/anchor-*.json (the anchor's results), <work>/criterion (criterion's estimates),
// <work>/memory.json (benches/memory.rs), <work>/browser.json (perf/browser/run.mjs),
// <work>/size.json and <work>/meta.json (perf.sh).
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'

const work = process.argv[2]
const read = (file) => JSON.parse(readFileSync(path.join(work, file), 'utf8'))
const meta = read('meta.json')

const anchor = {}
let anchorMeta
for (const file of readdirSync(work).filter((f) => /^anchor-.*\.json$/.test(f))) {
  const run = read(file)
  anchorMeta ??= run.meta
  for (const r of run.results) if (r.variant !== 'minimal') anchor[r.id] = r
}
const criterionIn = (dir, id) => {
  const file = path.join(work, dir, id, 'new', 'estimates.json')
  if (!existsSync(file)) throw new Error(`no criterion estimate for ${id}`)
  return JSON.parse(readFileSync(file, 'utf8')).median.point_estimate
}
const criterion = (id) => criterionIn('criterion', id)
const memory = Object.fromEntries(read('memory.json').map((r) => [r.id, r]))

const fmtNs = (ns) => {
  if (ns === undefined || Number.isNaN(ns)) return '—'
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(ns >= 1e5 ? 0 : 1)} µs`
  return `${ns.toFixed(ns >= 100 ? 0 : 1)} ns`
}
const fmtX = (x) => (x === undefined || Number.isNaN(x) ? '—' : x >= 100 ? `${Math.round(x).toLocaleString('en')}x` : `${x.toFixed(x >= 10 ? 1 : 2)}x`)
const out = []
const p = (line = '') => out.push(line)

const floor = criterion('hit/floor/1')
const floor1k = criterion('hit/floor/1000')
const W4_WAITERS = 10_000
const rows = [
  ['W1', 'cache hit, id retained (`get_or_load`)', anchor.W1?.nsPerOp_median, criterion('hit/W1_retained/1'), floor],
  ['W1k', '... the same among 1,000 retained ids (floor: a `HashMap` of 1,000)', undefined, criterion('hit/W1_retained/1000'), floor1k],
  ['W1b', 'cache hit, id idle, cache time 60 s (restarts the countdown)', anchor.W1b?.nsPerOp_median, criterion('hit/W1b_idle_60s'), floor],
  ['W2', 'retain + release of a held id', anchor.W2?.nsPerOp_median, criterion('W2_retain_release')],
  ['W3', 'load + dispose per id, cache time 0', anchor.W3?.nsPerOp_median, criterion('load_dispose/W3_cache_0')],
  ['W3c', 'load + dispose per id, cache time 1 ms (timer path)', anchor.W3c?.nsPerOp_median, criterion('load_dispose/W3c_cache_1ms')],
  ['W4', '10,000 concurrent callers of one load: issue, per caller', anchor.W4?.nsPerOp_median, criterion('W4_10000_waiters/issue') / W4_WAITERS],
  ['W4s', '... resolve until every caller has the store, per caller', anchor.W4s?.nsPerOp_median, criterion('W4_10000_waiters/resolve') / W4_WAITERS],
]

p(`# registry-core vs the TypeScript StoreRegistry: one run of \`bash scripts/perf.sh\``)
p()
p(`- date: ${meta.date}; machine: ${meta.nproc} cores, ${meta.cpu}, ${meta.memory}; ${meta.kernel}`)
p(`- load average (1, 5, 15 min) at start: ${meta.loadStart}; at end: ${meta.loadEnd} (other builds share these 2 cores: only ratios within this run count)`)
p(`- rustc: ${meta.rustc}; node: ${anchorMeta?.node ?? '?'}; anchor: \`@livestore/livestore\` ${anchorMeta?.versions?.['@livestore/livestore'] ?? '?'} (published \`StoreRegistry.js\`), \`effect\` ${anchorMeta?.versions?.effect ?? '?'}, sizes ${JSON.stringify(anchorMeta?.sizes ?? {})}`)
p(`- anchor: \`node --expose-gc bench.mjs --variant=published ${meta.anchorArgs}\` (median of its repetitions); ours: criterion median (\`cargo bench -p registry-core\`), \`TestRuntime\`, \`String\` ids`)
p()
p('## Native (Node for the anchor, x86-64 for ours)')
p()
p('| workload | what | anchor | ours | anchor/ours | floor | ours/floor |')
p('|---|---|---:|---:|---:|---:|---:|')
for (const [id, what, a, o, f] of rows) {
  p(`| ${id} | ${what} | ${fmtNs(a)} | ${fmtNs(o)} | ${fmtX(a / o)} | ${f === undefined ? '—' : fmtNs(f)} | ${f === undefined ? '—' : fmtX(o / f)} |`)
}
p()
p('floor = `HashMap<String, Rc<Store>>::get` + `Rc::clone` on the same id, in the same criterion run (W1k: in a map of the same 1,000 ids). W1k has no anchor figure: the anchor measures W1 on one id. W4: ours polls each of the 10,000 futures once (registers a waker, as `.await` does); the anchor only collects its promises. W4s: ours = the load finishes, all 10,000 waiters are polled to the same `Rc`, the entry (cache time 0) is disposed; anchor = the shared promise settled (all references released by then).')
p()
p('## Memory per entry')
p()
p('| workload | anchor (V8 heap) | anchor − plain `Map` | ours (allocator) | ours − plain `HashMap` = registry overhead | overhead ratio |')
p('|---|---:|---:|---:|---:|---:|')
const w5m = anchor.W5m?.bytesPerEntry_median
for (const id of ['W5', 'W5b', 'W5c']) {
  const a = anchor[id]?.bytesPerEntry_median
  const m = memory[id]
  const aOver = a - w5m
  p(`| ${id}: ${m.what} | ${a === undefined ? '—' : `${Math.round(a).toLocaleString('en')} B`} | ${Number.isNaN(aOver) ? '—' : `${Math.round(aOver).toLocaleString('en')} B`} | ${m.bytes_per_entry.toFixed(0)} B (${m.allocations_per_entry.toFixed(1)} allocations) | ${m.overhead_bytes_per_entry.toFixed(0)} B | ${fmtX(aOver / m.overhead_bytes_per_entry)} |`)
}
p()
p(`Ours: bytes requested from the allocator (malloc adds 8-16 B per allocation), ${memory.W5.entries.toLocaleString('en')} retained / ${memory.W5b.entries.toLocaleString('en')} idle entries, the retain guards counted in W5; the baseline holds the same \`String\` ids and \`Rc<Store>\`s (${memory.W5.baseline_bytes_per_entry.toFixed(0)} B/entry at ${memory.W5.entries.toLocaleString('en')}). Anchor: \`heapUsed\` delta after forced GCs; its plain-\`Map\` baseline (W5m) is ${w5m === undefined ? '—' : `${Math.round(w5m)} B`}.`)
p()
p('## Scaling with the number of live entries')
p()
p('| live entries | floor, 1 id | hit, 1 id | floor, 1,024 ids | hit, 1,024 ids | hit / floor | retain + release | arm an idle countdown |')
p('|---:|---:|---:|---:|---:|---:|---:|---:|')
const sizes = [1, 1000, 100000, 1000000]
const sc = {}
for (const n of sizes) {
  sc[n] = Object.fromEntries(['floor_hot', 'hit_hot', 'floor', 'hit', 'retain_release', 'arm_idle_countdown'].map((k) => [k, criterion(`scaling/${k}/${n}`)]))
  const s = sc[n]
  p(`| ${n.toLocaleString('en')} | ${fmtNs(s.floor_hot)} | ${fmtNs(s.hit_hot)} | ${fmtNs(s.floor)} | ${fmtNs(s.hit)} | ${fmtX(s.hit / s.floor)} | ${fmtNs(s.retain_release)} | ${fmtNs(s.arm_idle_countdown)} |`)
}
p()
p('Every entry is retained (hit, retain + release on held entries); "1,024 ids": the hits go round 1,024 ids spread over the whole table (an app\'s hot set while the table grows), so at 100k+ entries the floor itself pays cache and TLB misses. Arming: releasing fresh entries (cache time 1 s) while `n` other countdowns (1 h) are queued: a heap push to the top, O(log n); `rt.armed_timers()` is asserted to be 1 after every sample.')

let browser
if (existsSync(path.join(work, 'browser.json'))) {
  browser = read('browser.json')
  p()
  p(`## In the browser (${browser.browser}, headless, one page)`)
  p()
  p('| workload | anchor (esbuild bundle) | ours (wasm32) | anchor/ours | floor (wasm32 `HashMap`) | ours/floor | anchor floor (JS `Map.get`) |')
  p('|---|---:|---:|---:|---:|---:|---:|')
  const b = {}
  for (const r of browser.results) (b[r.id] ??= {})[r.side] = r.nsPerOp_median
  for (const id of ['W1', 'W1b', 'W2', 'W3', 'W3c', 'W4']) {
    if (b[id] === undefined) continue
    const hitRow = id === 'W1' || id === 'W1b'
    p(`| ${id} | ${fmtNs(b[id].anchor)} | ${fmtNs(b[id].ours)} | ${fmtX(b[id].anchor / b[id].ours)} | ${hitRow ? fmtNs(b.floor.ours) : '—'} | ${hitRow ? fmtX(b[id].ours / b.floor.ours) : '—'} | ${hitRow ? fmtNs(b.floor.anchor) : '—'} |`)
  }
  p()
  p('Timed with `performance.now()` around loops of 1,000-1,000,000 operations (median of 5 repetitions). W2 anchor includes the async completion of its releases (as in Node); W4 ours = issuing 10,000 waiters, per waiter.')
}

let size
if (existsSync(path.join(work, 'size.json'))) {
  size = read('size.json')
  const kib = (b) => `${(b / 1024).toFixed(1)} KiB`
  p()
  p('## Release wasm size')
  p()
  p('| binary | raw | gzip -9 |')
  p('|---|---:|---:|')
  p(`| small app without registry-core (\`HashMap\`) | ${kib(size.without.raw)} | ${kib(size.without.gzip)} |`)
  p(`| the same app on registry-core | ${kib(size.with.raw)} | ${kib(size.with.gzip)} |`)
  p(`| **registry-core adds** | **${kib(size.with.raw - size.without.raw)}** | **${kib(size.with.gzip - size.without.gzip)}** |`)
  p(`| budget for what it adds | ${kib(size.budget.raw)} | ${kib(size.budget.gzip)} |`)
  p()
  p('`perf/wasm-size` (opt-level "z", LTO, one codegen unit, after `wasm-bindgen --target web`), built with and without its `registry` feature: a small stand-in app, so that what registry-core adds can be told apart (the whole demo is measured below). `scripts/perf.sh` fails when the budget is exceeded.')
}

// Leptos components: use_store against LocalResource, with and without the inspector.
const mountFile = path.join(work, 'leptos-mount.json')
const mounts = existsSync(mountFile) ? JSON.parse(readFileSync(mountFile, 'utf8')) : null
const mount = mounts ? Object.fromEntries(mounts.results.map((r) => [r.kind, r])) : {}
if (mounts) {
  p()
  p(`## Leptos components in the browser (${mounts.browser}, headless)`)
  p()
  p('| 1,000 components, mounted then unmounted | median | min | max | / `LocalResource` |')
  p('|---|---:|---:|---:|---:|')
  const label = {
    store: 'each `use_store` one cached store (retain, hit, render; release)',
    resource: 'each reads one `LocalResource` holding the same value',
    store_inspected: 'each `use_store`, with `RegistryInspector` rendered beside them',
  }
  for (const kind of ['store', 'resource', 'store_inspected']) {
    const r = mount[kind]
    p(`| ${label[kind]} | ${r.ms_median.toFixed(2)} ms | ${r.ms_min.toFixed(2)} ms | ${r.ms_max.toFixed(2)} ms | ${fmtX(r.ms_median / mount.resource.ms_median)} |`)
  }
  p()
  p(`\`perf/leptos-mount\` (wasm32, release) in one page: \`mount_to\` then unmount, ${mount.store.rounds} rounds of each kind, alternating, after a warm-up; \`performance.now()\` (Chromium rounds it to 0.1 ms). Without the inspector the registry has no listener: it records no event and polls nothing.`)
}

// The lifecycle features of 0.2: the bound on idle entries, and the idle hit on a real clock.
{
  const lifecycle = [
    ['idle hit (W1b), `TestRuntime` clock', criterion('hit/W1b_idle_60s')],
    ['idle hit (W1b), real clock (`TokioRuntime`, `Instant::now` per hit)', criterion('hit/W1b_idle_60s_real_clock')],
    ['idle hit, 1,000 idle entries, no bound', criterion('idle_bound/idle_hit/unbounded')],
    ['idle hit, 1,000 idle entries, `max_idle_entries` 1,000', criterion('idle_bound/idle_hit/max_idle_1000')],
    ['retain + release of an idle entry, no bound', criterion('idle_bound/idle_retain_release/unbounded')],
    ['retain + release of an idle entry, `max_idle_entries` 1,000', criterion('idle_bound/idle_retain_release/max_idle_1000')],
    ['load a fresh id at the bound (evicts the least recently used), per load', criterion('idle_bound/load_and_evict')],
    ['for comparison: load + dispose at cache time 0 (W3)', criterion('load_dispose/W3_cache_0')],
    ['restart of a held entry (loader ready at once, one teardown callback)', criterion('restart_held_sync')],
  ]
  p()
  p('## Lifecycle features')
  p()
  p('| workload | ours | ours / floor |')
  p('|---|---:|---:|')
  for (const [what, ns] of lifecycle) p(`| ${what} | ${fmtNs(ns)} | ${fmtX(ns / floor)} |`)
}

// The provenance feature: the same benches with it on, in a second criterion pass
{
  const on = (id) => criterionIn('criterion-provenance', id)
  const rowsP = [
    ['held hit (W1)', criterion('hit/W1_retained/1'), on('hit/W1_retained/1'), criterion('hit/floor/1'), on('hit/floor/1')],
    ['retain + release (W2)', criterion('W2_retain_release'), on('W2_retain_release'), criterion('hit/floor/1'), on('hit/floor/1')],
  ]
  p()
  p('## Why is this store alive: the cost of `provenance`')
  p()
  p('The hit and retain benches without the feature (the main run) and with it (a second pass right after); each against the floor of its own pass. Without the feature a guard and an entry are no bigger and `retain` takes no location.')
  p()
  p('| workload | off | off / floor | on | on / floor | on / off |')
  p('|---|---:|---:|---:|---:|---:|')
  for (const [what, off, onNs, floorOff, floorOn] of rowsP) {
    p(`| ${what} | ${fmtNs(off)} | ${fmtX(off / floorOff)} | ${fmtNs(onNs)} | ${fmtX(onNs / floorOn)} | ${fmtX((onNs / floorOn) / (off / floorOff))} |`)
  }
}

// Server-side rendering (examples/ssr, benches/rps.rs)
const ssrFile = path.join(work, 'ssr.md')
const ssr = existsSync(ssrFile) ? JSON.parse(readFileSync(path.join(work, "ssr.json"), "utf8")) : null
if (ssr) {
  p()
  p('## Server-side rendering (loopback, `examples/ssr`)')
  p()
  p('`cargo bench -p ssr-example --bench rps`: the workspace page (two stores through `use_hydrated_store`, preloaded by the route, rendered by `SsrRenderer`) against the same page whose data comes from plain Leptos `Resource`s, rendered by `SsrRenderer` and by `leptos_axum`\'s own handler; the client runs in the same process on the same cores, so the figures are for comparison only.')
  p()
  p(readFileSync(ssrFile, "utf8").trim())
}

// Targets
const w = Object.fromEntries(rows.map(([id, , a, o, f]) => [id, { a, o, f }]))
const targets = [
  ['cache hit ≥ 1,000x faster than the anchor (W1)', w.W1.a / w.W1.o >= 1000, fmtX(w.W1.a / w.W1.o)],
  ['cache hit within 3x of the HashMap floor (W1)', w.W1.o / floor <= 3, fmtX(w.W1.o / floor)],
  ['cache hit within 1.5x of the HashMap floor (W1, 0.2)', w.W1.o / floor <= 1.5, fmtX(w.W1.o / floor)],
  ['held hit within 1.3x of the floor, 1 and 1,000 retained ids (W1, W1k)', Math.max(w.W1.o / floor, w.W1k.o / floor1k) <= 1.3,
    `${fmtX(w.W1.o / floor)} / ${fmtX(w.W1k.o / floor1k)}`],
  ['held hit no slower than an idle hit (W1 ≤ W1b)', w.W1.o <= w.W1b.o, `${fmtNs(w.W1.o)} / ${fmtNs(w.W1b.o)}`],
  ['≤ 160 B registry overhead per idle entry (W5b, 0.2)', memory.W5b.overhead_bytes_per_entry <= 160, `${memory.W5b.overhead_bytes_per_entry.toFixed(0)} B`],
  ['retain + release ≥ 500x faster than the anchor (W2)', w.W2.a / w.W2.o >= 500, fmtX(w.W2.a / w.W2.o)],
  ['retain + release under 100 ns (W2)', w.W2.o < 100, fmtNs(w.W2.o)],
  ['load + dispose at cache time 0 ≥ 100x faster (W3)', w.W3.a / w.W3.o >= 100, fmtX(w.W3.a / w.W3.o)],
  ['restart of a held entry within W3 + 20 %', criterion('restart_held_sync') <= 1.2 * w.W3.o, fmtX(criterion('restart_held_sync') / w.W3.o)],
  ['≤ 300 B registry overhead per idle entry (W5b, W5c)', Math.max(memory.W5b.overhead_bytes_per_entry, memory.W5c.overhead_bytes_per_entry) <= 300,
    `${memory.W5b.overhead_bytes_per_entry.toFixed(0)} B / ${memory.W5c.overhead_bytes_per_entry.toFixed(0)} B`],
  ['≥ 50x less overhead per idle entry than the anchor (W5b)', (anchor.W5b?.bytesPerEntry_median - w5m) / memory.W5b.overhead_bytes_per_entry >= 50,
    fmtX((anchor.W5b?.bytesPerEntry_median - w5m) / memory.W5b.overhead_bytes_per_entry)],
  ['1M live entries: hit within 2x of the 1k case (1 id)', sc[1000000].hit_hot / sc[1000].hit_hot <= 2, fmtX(sc[1000000].hit_hot / sc[1000].hit_hot)],
  ['1M live entries: hit within 2x of the 1k case (1,024 ids)', sc[1000000].hit / sc[1000].hit <= 2,
    `${fmtX(sc[1000000].hit / sc[1000].hit)} (floor: ${fmtX(sc[1000000].floor / sc[1000].floor)})`],
]
if (mounts) {
  targets.push(['1,000 `use_store` components within 1.5x of `LocalResource` ones (mount + unmount)', mount.store.ms_median / mount.resource.ms_median <= 1.5, fmtX(mount.store.ms_median / mount.resource.ms_median)])
  targets.push(['the inspector rendered costs the components at most 10 %', mount.store_inspected.ms_median / mount.store.ms_median <= 1.1, fmtX(mount.store_inspected.ms_median / mount.store.ms_median)])
}
if (ssr) targets.push(['SSR page with stores ≥ 95 % of the plain `Resource` page\'s requests per second', ssr.ratio >= 0.95, `${(ssr.ratio * 100).toFixed(1)} %`])
if (size) targets.push(['wasm size added within budget', size.with.raw - size.without.raw <= size.budget.raw && size.with.gzip - size.without.gzip <= size.budget.gzip, `${((size.with.gzip - size.without.gzip) / 1024).toFixed(1)} KiB gzip`])
p()
p('## Targets')
p()
p('| target | this run | met |')
p('|---|---:|:---:|')
for (const [what, ok, value] of targets) p(`| ${what} | ${value} | ${ok ? 'yes' : '**no**'} |`)
console.log(out.join('\n'))
