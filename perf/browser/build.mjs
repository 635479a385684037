// Bundles the TypeScript original for the browser: node build.mjs <anchor dir with node_modules> <out dir>
// The published StoreRegistry.js is bundled unmodified; only its `./create-store.js` import is
// redirected to the trivial store of anchor-page.mjs (what the anchor's hooks.mjs does in Node).
import { build } from 'esbuild'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const [anchorDir, outDir] = process.argv.slice(2).map((p) => path.resolve(p))
const here = path.dirname(fileURLToPath(import.meta.url))
const entry = path.join(here, 'anchor-page.mjs')
const published = path.join(anchorDir, 'node_modules/@livestore/livestore/dist/store/StoreRegistry.js')

await build({
  entryPoints: [entry],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome120',
  minify: true,
  outfile: path.join(outDir, 'anchor.js'),
  nodePaths: [path.join(anchorDir, 'node_modules')],
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [
    {
      name: 'store-registry',
      setup(b) {
        b.onResolve({ filter: /^livestore-store-registry$/ }, () => ({ path: published }))
        b.onResolve({ filter: /^\.\/create-store\.js$/ }, (args) =>
          args.importer === published ? { path: entry } : undefined,
        )
      },
    },
  ],
})
