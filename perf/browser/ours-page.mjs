// registry-core (perf/wasm-bench, wasm32) in the page: the same workloads, timed here with
// performance.now() around `run()`; `prepare` and `check` are untimed.
import init, { Bench } from './wasm/wasm_bench.js'

await init()

const workload = (name) => async (n) => {
  const bench = new Bench(name)
  bench.prepare(n)
  const t0 = performance.now()
  bench.run()
  const ms = performance.now() - t0
  const problem = bench.check()
  bench.free()
  return { ms, problem }
}

window.oursBench = {
  workloads: Object.fromEntries(['floor', 'W1', 'W1b', 'W2', 'W3', 'W3c', 'W4'].map((n) => [n, workload(n)])),
}
