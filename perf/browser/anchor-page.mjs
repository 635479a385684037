// The TypeScript original in the page: the published StoreRegistry.js (its `./create-store.js`
// import redirected to the trivial store below by build.mjs, as the anchor's hooks.mjs does in
// Node), run through the anchor's workloads W1, W1b, W2, W3 and the floor (Map.get).
import { StoreRegistry } from 'livestore-store-registry'
import { Effect } from 'effect'

const counters = { lookups: 0, created: 0, disposed: 0 }
// The anchor's trivial store (stub-create-store.mjs + bench.mjs): scoped to the entry.
export const createStore = (options) => {
  counters.lookups++
  return Effect.acquireRelease(
    Effect.sync(() => {
      counters.created++
      return { storeId: options.storeId, disposed: false }
    }),
    (store) =>
      Effect.sync(() => {
        store.disposed = true
        counters.disposed++
      }),
  )
}

// A macrotask hop without setTimeout's 4 ms clamp.
const channel = new MessageChannel()
const queue = []
channel.port1.onmessage = () => queue.shift()()
const tick = () => new Promise((resolve) => {
  queue.push(resolve)
  channel.port2.postMessage(null)
})
const drain = async () => {
  await tick()
  await tick()
}
const waitFor = async (cond, what) => {
  const start = performance.now()
  while (!cond()) {
    if (performance.now() - start > 60_000) throw new Error(`timeout waiting for ${what}`)
    await tick()
  }
}
const isPromise = (x) => x instanceof Promise

// Each workload: async (n) => { ns: elapsed, ops: n, problem }
const workloads = {
  async floor(n) {
    const map = new Map([['w1', { storeId: 'w1' }]])
    let sink = 0
    const t0 = performance.now()
    for (let i = 0; i < n; i++) if (map.get('w1') !== undefined) sink++
    const ms = performance.now() - t0
    return { ms, problem: sink === n ? '' : 'Map.get missed' }
  },
  async W1(n, retained = true) {
    const reg = new StoreRegistry()
    const opts = { storeId: retained ? 'w1' : 'w1b', unusedCacheTime: 60_000 }
    const store = await reg.getOrLoadPromise(opts)
    const holder = retained ? reg.retain(opts) : undefined
    await drain()
    let bad = 0
    const t0 = performance.now()
    for (let i = 0; i < n; i++) if (reg.getOrLoadPromise(opts) !== store) bad++
    const ms = performance.now() - t0
    holder?.()
    await drain()
    await reg.dispose()
    return { ms, problem: bad === 0 ? '' : `${bad} calls returned another store` }
  },
  async W1b(n) {
    return workloads.W1(n, false)
  },
  async W2(n) {
    const reg = new StoreRegistry()
    const opts = { storeId: 'w2', unusedCacheTime: 0 }
    const holder = reg.retain(opts)
    await drain()
    const d0 = counters.disposed
    const t0 = performance.now()
    for (let done = 0; done < n; done += 1_000) {
      const m = Math.min(1_000, n - done)
      for (let i = 0; i < m; i++) {
        const release = reg.retain(opts)
        release()
      }
      await drain() // the interruptions run on the Effect scheduler
    }
    const ms = performance.now() - t0
    const problem = counters.disposed === d0 ? '' : 'disposed while held'
    holder()
    await reg.dispose()
    return { ms, problem }
  },
  async W3(n) {
    const reg = new StoreRegistry()
    const optsList = Array.from({ length: n }, (_, i) => ({ storeId: `w3-${performance.now()}-${i}`, unusedCacheTime: 0 }))
    const d0 = counters.disposed
    await drain()
    let promises = 0
    const t0 = performance.now()
    for (let i = 0; i < n; i++) if (isPromise(reg.getOrLoadPromise(optsList[i]))) promises++
    await waitFor(() => counters.disposed - d0 === n, 'W3 disposal')
    const ms = performance.now() - t0
    await reg.dispose()
    return { ms, problem: promises === 0 ? '' : `${promises} loads were not synchronous` }
  },
}

window.anchorBench = { workloads, counters }
