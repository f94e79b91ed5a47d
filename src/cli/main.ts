#!/usr/bin/env node
/**
 * DOC: the `cxlsim` executable's node entry. The CLI runs from esbuild's bundle next to this
 * file when there is one (dist/cli/cxlsim-main.js and its chunks, `npm run build`: a few
 * files per command instead of ~190 modules), else from the modules (cli-main.ts).
 * The installed `cxlsim` command is the shell launcher dist/cli/cxlsim
 * (src/cli/snapshot/launcher.sh), which starts a state's machine snapshot when it has one and
 * this file otherwise.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bundled = join(dirname(fileURLToPath(import.meta.url)), 'cxlsim-main.js');
const { cliMain } = (
  existsSync(bundled) ? await import(bundled) : await import('./cli-main.ts')
) as typeof import('./cli-main.ts');
await cliMain(process.argv.slice(2));
