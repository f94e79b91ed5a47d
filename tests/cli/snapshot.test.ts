/**
 * Machine snapshots (src/state/snapshot.ts, src/cli/snapshot/): a command started from a
 * snapshot of any prefix of a random journal prints byte for byte what a full boot and replay
 * prints (list -vvv, sysfs dump, dmesg), through the node process started from the blob and
 * through the `cxlsim` shell launcher; a damaged, foreign or stale snapshot is never used.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BACKGROUND_AFTER_BOOT_CPU_S,
  backgroundSnapshotIn,
  buildSnapshot,
  findBundle,
  SNAPSHOT_NODE_FLAGS,
  startBackgroundSnapshot,
} from '../../src/cli/snapshot/build.ts';
import { readState, writeState } from '../../src/state/journal.ts';
import {
  prefixKey,
  readSnapshotMeta,
  snapshotDir,
  snapshotMetaFile,
  snapshotTail,
} from '../../src/state/snapshot.ts';
import { cliRunner } from './fake-deps.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'cxlsim-snapshot-'));
const out = join(work, 'cli');
afterAll(() => rmSync(work, { recursive: true, force: true }));

let build = '';
beforeAll(() => {
  // the bundle and the launcher as `npm run build` makes them, in a scratch directory
  execFileSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), out], { stdio: 'pipe' });
  writeFileSync(
    join(out, 'main.js'),
    "import { cliMain } from './cxlsim-main.js';\nawait cliMain(process.argv.slice(2));\n",
  );
  build = readFileSync(join(out, 'cxlsim.build-id'), 'utf8').trim();
}, 120_000);

type Result = { code: number | null; stdout: string; stderr: string };
const env = { ...process.env, CXLSIM_STATE: '' };
/** A process started from `blob`. */
const fromBlob = (blob: string, argv: string[]): Result => {
  const r = spawnSync(
    process.execPath,
    [...SNAPSHOT_NODE_FLAGS, '--snapshot-blob', blob, '--', ...argv],
    {
      encoding: 'utf8',
      env,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
/** The `cxlsim` command (shell launcher). */
const launcher = (argv: string[], extra: Record<string, string> = {}): Result => {
  const r = spawnSync(join(out, 'cxlsim'), argv, { encoding: 'utf8', env: { ...env, ...extra } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** Commands that change the default preset's machine (some of them fail, as ndctl would). */
const COMMANDS: string[][] = [
  ['create-region', '-m', '-d', 'decoder0.0', '-w', '1', 'mem2'],
  ['create-region', '-m', '-d', 'decoder0.1', '-w', '2', '-g', '4096', 'mem3', 'mem4'],
  ['destroy-region', 'all', '-f'],
  ['disable-memdev', 'mem2', '-f'],
  ['enable-memdev', 'mem2'],
  ['sysfs', 'write', '/sys/bus/cxl/devices/decoder2.0/mode', 'pmem'],
  ['sysfs', 'write', '/sys/bus/cxl/flush', '2'],
  ['mem', 'write', '0x110000000', 'deadbeef'],
  ['reboot'],
];
const READS: string[][] = [['list', '-vvv'], ['sysfs', 'dump'], ['dmesg']];

describe('machine snapshots', () => {
  it('give the same output as a full boot and replay for any prefix of a random journal (property)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: COMMANDS.length - 1 }), { minLength: 1, maxLength: 7 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (picks, at) => {
          const cwd = mkdtempSync(join(work, 'case-'));
          const state = join(cwd, 'st');
          const run = cliRunner(cwd);
          for (const p of picks) await run('--state', state, ...(COMMANDS[p] as string[]));
          const full = readState(state);
          if (!full) throw new Error('no journal');
          // a snapshot of a prefix of the journal, then the whole journal back in place
          const k = Math.floor(at * full.ops.length);
          writeState(state, { ...full, ops: full.ops.slice(0, k) });
          const meta = buildSnapshot(state, { path: join(out, 'cxlsim.cjs'), build });
          writeState(state, full);
          expect(meta?.n).toBe(k);
          expect(snapshotTail(full, readSnapshotMeta(state))).toBe(full.ops.length - k);
          const blob = join(snapshotDir(state), meta?.blob as string);
          for (const argv of READS) {
            const want = await run('--state', state, ...argv);
            expect(want.code).toBe(0);
            expect(fromBlob(blob, ['--state', state, ...argv])).toEqual(want);
            expect(launcher(['--state', state, ...argv])).toEqual(want);
            n++;
          }
          // a state-changing command through the snapshot journals what the full replay would
          const cmd = ['create-region', '-m', '-d', 'decoder0.0', '-w', '1', 'mem2'];
          const viaSnap = launcher(['--state', state, ...cmd]);
          const after = readFileSync(join(state, 'state.json'), 'utf8');
          writeState(state, full);
          const viaBoot = launcher(['--state', state, ...cmd], { CXLSIM_SNAPSHOT: '0' });
          // (a new region's UUID is random)
          const noUuid = (x: string) =>
            x.replace(/[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}/g, 'UUID');
          expect(viaSnap.code).toBe(viaBoot.code);
          expect(noUuid(viaSnap.stdout)).toBe(noUuid(viaBoot.stdout));
          expect(noUuid(viaSnap.stderr)).toBe(noUuid(viaBoot.stderr));
          expect(noUuid(after)).toBe(noUuid(readFileSync(join(state, 'state.json'), 'utf8')));
          expect(readState(state)?.ops.length).toBeGreaterThan(full.ops.length);
          rmSync(cwd, { recursive: true, force: true });
        },
      ),
      { numRuns: 3, seed: 15, endOnFailure: true },
    );
    expect(n).toBe(3 * READS.length);
  }, 300_000);

  it('never uses a damaged, foreign or stale snapshot, and the output stays the same', async () => {
    const cwd = mkdtempSync(join(work, 'bad-'));
    const state = join(cwd, 'st');
    const run = cliRunner(cwd);
    await run('--state', state, ...(COMMANDS[0] as string[]));
    const meta = buildSnapshot(state, { path: join(out, 'cxlsim.cjs'), build });
    if (!meta) throw new Error('no snapshot');
    const blob = join(snapshotDir(state), meta.blob);
    const want = await run('--state', state, 'list', '-vvv');
    const list = () => launcher(['--state', state, 'list', '-vvv']);
    expect(list()).toEqual(want);
    // a byte of the blob changed: its cksum no longer matches, node never sees it
    const bytes = readFileSync(blob);
    const bad = Buffer.from(bytes);
    bad[bad.length >> 1] = (bad[bad.length >> 1] as number) ^ 0xff;
    writeFileSync(blob, bad);
    expect(list()).toEqual(want);
    writeFileSync(blob, bytes.subarray(0, 1000));
    expect(list()).toEqual(want);
    writeFileSync(blob, bytes);
    // a meta that is not one, or names another build
    const metaText = readFileSync(snapshotMetaFile(state), 'utf8');
    writeFileSync(snapshotMetaFile(state), 'junk\n');
    expect(readSnapshotMeta(state)).toBeUndefined();
    expect(list()).toEqual(want);
    writeFileSync(snapshotMetaFile(state), metaText.replace(build, 'f'.repeat(64)));
    expect(list()).toEqual(want);
    writeFileSync(snapshotMetaFile(state), metaText);
    const kept = join(cwd, 'kept.blob');
    copyFileSync(blob, kept);
    // a journal the snapshot is not a prefix of (a new boot, an edited file)
    await run('--state', state, 'boot', '--preset', 'minimal');
    expect(existsSync(snapshotDir(state))).toBe(false);
    const minimal = await run('--state', state, 'list', '-vvv');
    const st = readState(state);
    if (!st) throw new Error('no journal');
    expect(snapshotTail(st, meta)).toBe(st.ops.length);
    expect(fromBlob(kept, ['--state', state, 'list', '-vvv'])).toEqual(minimal);
    rmSync(cwd, { recursive: true, force: true });
  }, 120_000);

  it('the launcher loads blobs with the flags they were built with', () => {
    const sh = readFileSync(join(out, 'cxlsim'), 'utf8');
    const line = sh.split('\n').find((l) => l.startsWith('if snapshot '));
    expect(line).toContain(`exec "$node" ${SNAPSHOT_NODE_FLAGS.join(' ')} --snapshot-blob "$blob"`);
    expect(sh).toContain(`build=${build}\n`);
  });

  it('rebuilds a damaged snapshot once the journal has 256 operations it lacks', async () => {
    const cwd = mkdtempSync(join(work, 'rebuild-'));
    const state = join(cwd, 'st');
    const run = cliRunner(cwd);
    await run('--state', state, ...(COMMANDS[0] as string[]));
    await run('--state', state, 'destroy-region', 'all', '-f');
    // one create/destroy cycle's operations, repeated (each leaves the machine as it was)
    const st = readState(state);
    if (!st) throw new Error('no journal');
    let ops = st.ops;
    while (ops.length < 256) ops = [...ops, ...st.ops];
    writeState(state, { ...st, ops });
    const meta = buildSnapshot(state, { path: join(out, 'cxlsim.cjs'), build });
    if (!meta) throw new Error('no snapshot');
    const blob = join(snapshotDir(state), meta.blob);
    const bad = readFileSync(blob);
    bad[bad.length >> 2] = (bad[bad.length >> 2] as number) ^ 0x5a;
    writeFileSync(blob, bad);
    const want = await run('--state', state, 'list', '-vvv');
    expect(launcher(['--state', state, 'list', '-vvv'])).toEqual(want);
    const next = readSnapshotMeta(state);
    expect(next?.blob).not.toBe(meta.blob);
    expect(next?.n).toBe(ops.length);
    const fresh = join(snapshotDir(state), next?.blob as string);
    expect(fromBlob(fresh, ['--state', state, 'list', '-vvv'])).toEqual(want);
    rmSync(cwd, { recursive: true, force: true });
  }, 120_000);

  it('a large boot is snapshotted in the background', async () => {
    const cwd = mkdtempSync(join(work, 'background-'));
    const state = join(cwd, 'st');
    const run = cliRunner(cwd);
    await run('--state', state, 'boot', '--preset', 'default');
    // what `boot` does when its machine took >= BACKGROUND_AFTER_BOOT_CPU_S: a detached
    // `node -e "require(BUNDLE).backgroundSnapshot(DIR)"`; below the threshold nothing
    findBundle(out);
    startBackgroundSnapshot(state, env, BACKGROUND_AFTER_BOOT_CPU_S / 2);
    startBackgroundSnapshot(state, { ...env, CXLSIM_SNAPSHOT: '0' }, 100);
    await new Promise((r) => setTimeout(r, 300));
    expect(readSnapshotMeta(state)).toBeUndefined();
    startBackgroundSnapshot(state, env, BACKGROUND_AFTER_BOOT_CPU_S);
    const t0 = Date.now();
    while (!readSnapshotMeta(state) && Date.now() - t0 < 60_000)
      await new Promise((r) => setTimeout(r, 100));
    const meta = readSnapshotMeta(state);
    expect(meta?.n).toBe(0);
    const want = await run('--state', state, 'list', '-vvv');
    expect(launcher(['--state', state, 'list', '-vvv'])).toEqual(want);
    expect(
      fromBlob(join(snapshotDir(state), meta?.blob as string), ['--state', state, 'list', '-vvv']),
    ).toEqual(want);
    // a new boot drops it; the in-process builder installs one of the journal on disk
    await run('--state', state, 'boot', '--preset', 'minimal');
    expect(existsSync(snapshotDir(state))).toBe(false);
    await backgroundSnapshotIn(state);
    const st = readState(state);
    if (!st) throw new Error('no journal');
    expect(readSnapshotMeta(state)?.key).toBe(prefixKey(st, 0));
    rmSync(cwd, { recursive: true, force: true });
  }, 120_000);
});
