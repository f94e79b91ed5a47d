/**
 * DOC: the entry of the CLI bundle (dist/cli/cxlsim.cjs, built by scripts/bundle.mjs with
 * esbuild). The bundle is one CommonJS file so that node loads one script instead of ~190
 * modules, and so that it can be the entry of a V8 startup snapshot
 * (`node --build-snapshot`, which takes a single script).
 *
 * Four ways it runs:
 * - required by main.ts: exports {@link cliMain};
 * - as `node --snapshot-blob BLOB --build-snapshot cxlsim.cjs` with CXLSIM_SNAPSHOT_BUILD=DIR
 *   (snapshot/build.ts): boots DIR's journal, replays it, prints "<key> <n>" and leaves the
 *   machine in the heap V8 serializes;
 * - as `node --snapshot-blob BLOB -- ARGS` (the shell launcher, snapshot/launcher.sh): the
 *   deserialized main runs the CLI, whose session takes the preloaded machine if it holds a
 *   prefix of the journal (with the single argument --cxlsim-snapshot-check it only prints
 *   "<key> <n>": the builder's check that the blob loads);
 * - required by `node -e` after a large boot: {@link backgroundSnapshot}.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startupSnapshot } from 'node:v8';
import { readState, stateFile } from '../state/journal.ts';
import { replay } from '../state/replay.ts';
import { prefixKey, preloadedInfo, setPreloaded } from '../state/snapshot.ts';
import { cliMain } from './cli-main.ts';
import { realDeps } from './deps.ts';
import { bootState } from './session.ts';
import { BUILD_ENV, backgroundSnapshotIn, CHECK_ARG, findBundle } from './snapshot/build.ts';

export { cliMain };

/**
 * The detached snapshot builder that a large `boot` starts (snapshot/build.ts
 * startBackgroundSnapshot(): `node -e "require(BUNDLE).backgroundSnapshot(DIR)"`).
 */
export async function backgroundSnapshot(stateDir: string): Promise<void> {
  findBundle(dirname(fileURLToPath(import.meta.url)));
  await backgroundSnapshotIn(stateDir);
}

/** The snapshot builder's work (see the DOC block); exits non-zero when it cannot. */
async function buildMachine(dir: string): Promise<void> {
  const st = readState(dir);
  if (!st) process.exit(2);
  const machine = replay(await bootState(realDeps, st), st.ops, stateFile(dir));
  setPreloaded(machine, st);
  process.stdout.write(`${prefixKey(st, st.ops.length)} ${st.ops.length}\n`);
}

if (startupSnapshot.isBuildingSnapshot()) {
  const dir = process.env[BUILD_ENV];
  if (!dir) process.exit(2);
  startupSnapshot.setDeserializeMainFunction(() => {
    const argv = process.argv.slice(1);
    if (argv.length === 1 && argv[0] === CHECK_ARG) {
      process.stdout.write(`${preloadedInfo()}\n`);
      return;
    }
    void cliMain(argv);
  });
  buildMachine(dir).catch(() => process.exit(3));
}
