#!/usr/bin/env node
/**
 * DOC: `npm run build`'s second step (esbuild): the CLI bundled, next to tsc's output.
 * - dist/cli/cxlsim-main.js + dist/cli/cxlsim-chunk-*.js: the CLI as ES modules split at its
 *   lazy imports, so that a command loads a few files holding what it needs instead of ~190
 *   modules (main.ts runs it);
 * - dist/cli/cxlsim.cjs: the whole CLI in one CommonJS script, the entry of the V8 startup
 *   snapshots of machines (src/cli/bundle.ts, src/cli/snapshot/), and its build id
 *   dist/cli/cxlsim.build-id (SHA-256 of the script), which keys those snapshots;
 * - dist/cli/cxlsim: the `cxlsim` command, src/cli/snapshot/launcher.sh with that build id.
 * Usage: node scripts/bundle.mjs [OUTDIR] (default dist/cli).
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(process.argv[2] ?? join(root, 'dist/cli'));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // optional native or optional modules, loaded from node_modules when a command needs them
  external: ['fuse-native', 'cli-progress'],
  logLevel: 'warning',
  legalComments: 'none',
};

mkdirSync(outDir, { recursive: true });
for (const f of readdirSync(outDir))
  if (/^cxlsim-(main|chunk-\w+)\.js$/.test(f)) rmSync(join(outDir, f));
await build({
  ...common,
  entryPoints: { 'cxlsim-main': join(root, 'src/cli/cli-main.ts') },
  outdir: outDir,
  format: 'esm',
  splitting: true,
  chunkNames: 'cxlsim-chunk-[hash]',
  // CommonJS dependencies bundled into ES modules call require() for node's built-ins
  banner: {
    js: 'import { createRequire as __cxlsimCreateRequire } from "node:module"; const require = __cxlsimCreateRequire(import.meta.url);',
  },
});

const cjs = join(outDir, 'cxlsim.cjs');
await build({
  ...common,
  entryPoints: [join(root, 'src/cli/bundle.ts')],
  outfile: cjs,
  format: 'cjs',
  // each module's import.meta.url becomes the bundle's own URL (src/cli/paths.ts)
  define: { 'import.meta.url': '__cxlsimBundleUrl' },
  banner: {
    js: [
      // `node --build-snapshot` runs the file as a script without `module`
      'var module = typeof module === "object" && module ? module : { exports: {} };',
      'const __cxlsimBundleUrl = require("node:url").pathToFileURL(__filename).href;',
    ].join('\n'),
  },
});
const id = createHash('sha256').update(readFileSync(cjs)).digest('hex');
writeFileSync(join(outDir, 'cxlsim.build-id'), `${id}\n`);
// the `cxlsim` command (package.json bin): the shell launcher with this build's id
const launcher = readFileSync(join(root, 'src/cli/snapshot/launcher.sh'), 'utf8');
writeFileSync(join(outDir, 'cxlsim'), launcher.replace('@CXLSIM_BUILD_ID@', id), { mode: 0o755 });
chmodSync(join(outDir, 'cxlsim'), 0o755);
