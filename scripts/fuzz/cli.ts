/**
 * DOC: the fuzzer's whole-process sections, on the built CLI (dist/cli/main.js):
 *
 * - kill9: `cxlsim mem write` of unique bytes at unique addresses, each killed with SIGKILL at a
 *   random moment of its life; afterwards every write that reported success must be in the
 *   journal and in memory (`mem read`), none that failed may be, and each next command must
 *   start at once (the dead holder's lock is taken over) on a state file that still reads;
 * - concurrent: rounds of N `mem write`s started together on one state: all succeed, none is
 *   lost (journal and memory).
 * A lost write, a wrongly kept one, an unreadable state or an exit other than 0 is a *loss*;
 * a process that outlives its timeout is a *hang*.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from './rng.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist/cli/main.js');
/** Longest a single command may take before it counts as a hang, ms. */
const HANG_MS = 120_000;

/** One finished process. */
interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  hung: boolean;
}

/** Starts `cxlsim ARGS` in `cwd`; `killAfter` ms later sends SIGKILL if it still runs. */
function cxlsim(cwd: string, args: string[], killAfter?: number): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, [MAIN, ...args], {
      cwd,
      env: { ...process.env, CXLSIM_STATE: '', CXLSIM_DEBUG: '' },
    });
    let stdout = '';
    let stderr = '';
    let hung = false;
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    const kill =
      killAfter !== undefined ? setTimeout(() => p.kill('SIGKILL'), killAfter) : undefined;
    const hang = setTimeout(() => {
      hung = true;
      p.kill('SIGKILL');
    }, HANG_MS);
    p.on('close', (code, signal) => {
      if (kill) clearTimeout(kill);
      clearTimeout(hang);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0, hung });
    });
  });
}

/** What a CLI section saw. */
export interface CliResult {
  cases: number;
  killed: number;
  /** Commands that finished (exit 0) before their kill came. */
  completed?: number;
  hangs: string[];
  losses: string[];
}

/** Boots the default preset and commits a region; returns its HPA. */
async function setup(cwd: string): Promise<bigint> {
  const b = await cxlsim(cwd, ['boot']);
  if (b.code !== 0) throw new Error(`boot failed: ${b.stderr}`);
  const c = await cxlsim(cwd, [
    'create-region',
    '-m',
    '-d',
    'decoder0.1',
    '-w',
    '2',
    '-g',
    '4096',
    'mem2',
    'mem0',
  ]);
  if (c.code !== 0) throw new Error(`create-region failed: ${c.stderr}`);
  const r = JSON.parse(c.stdout) as { resource: number } | { resource: number }[];
  return BigInt(Array.isArray(r) ? (r[0]?.resource ?? 0) : r.resource);
}

/** The mem-write ops of the journal, as "hpa=data". */
function journaled(cwd: string): Set<string> {
  const st = JSON.parse(readFileSync(join(cwd, '.cxlsim/state.json'), 'utf8')) as {
    ops: { kind: string; hpa?: string; data?: string }[];
  };
  return new Set(st.ops.filter((o) => o.kind === 'mem-write').map((o) => `${o.hpa}=${o.data}`));
}

/** Bytes at [hpa, hpa+len) through `cxlsim mem read` (a replay of the whole journal). */
async function memRead(cwd: string, hpa: bigint, len: number): Promise<Buffer> {
  const r = await cxlsim(cwd, ['mem', 'read', `0x${hpa.toString(16)}`, String(len)]);
  if (r.code !== 0) throw new Error(`mem read failed: ${r.stderr.trim()}`);
  // hexdump lines: "ADDR  xx xx … |ascii|"
  const bytes: number[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^[0-9a-f]+\s+((?:[0-9a-f]{2}\s+)+)/.exec(line);
    if (m) for (const h of (m[1] as string).trim().split(/\s+/)) bytes.push(Number.parseInt(h, 16));
  }
  return Buffer.from(bytes);
}

/** Checks journal and memory against the outcomes: `ok` must be there, `failed` must not. */
async function verify(
  cwd: string,
  base: bigint,
  slots: number,
  ok: Map<number, string>,
  failed: Map<number, string>,
  res: CliResult,
): Promise<void> {
  let j: Set<string>;
  try {
    j = journaled(cwd);
  } catch (e) {
    res.losses.push(`state unreadable: ${(e as Error).message}`);
    return;
  }
  const key = (i: number, d: string) => `0x${(base + BigInt(i * 64)).toString(16)}=${d}`;
  for (const [i, d] of ok)
    if (!j.has(key(i, d))) res.losses.push(`write ${i} reported success, not journaled`);
  for (const [i, d] of failed)
    if (j.has(key(i, d))) res.losses.push(`write ${i} failed, but journaled`);
  const mem = await memRead(cwd, base, slots * 64).catch((e: Error) => {
    res.losses.push(e.message);
    return undefined;
  });
  if (!mem) return;
  for (const [i, d] of ok)
    if (mem.subarray(i * 64, i * 64 + 8).toString('hex') !== d)
      res.losses.push(`write ${i} reported success, memory does not hold it`);
}

/** The kill -9 section (see the DOC block). */
export async function fuzzKill9(cwd: string, seed: number, count: number): Promise<CliResult> {
  const r = new Rng(seed);
  const res: CliResult = { cases: 0, killed: 0, hangs: [], losses: [] };
  const base = await setup(cwd);
  const ok = new Map<number, string>();
  const failed = new Map<number, string>();
  // how long a command lives on this machine now: kills are spread over [0, 1.5 × that]
  let typical = 0;
  for (let k = 0; k < 2; k++) typical += (await cxlsim(cwd, ['list', '-B'])).ms / 2;
  for (let i = 0; i < count; i++) {
    const data = `${r.u32().toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`;
    const hpa = `0x${(base + BigInt(i * 64)).toString(16)}`;
    const run = await cxlsim(cwd, ['mem', 'write', hpa, data], r.int(Math.ceil(typical * 1.5)));
    res.cases++;
    if (run.hung) res.hangs.push(`kill9 case ${i} (seed ${seed})`);
    if (run.signal === 'SIGKILL') res.killed++;
    else if (run.code === 0) ok.set(i, data);
    else failed.set(i, data);
    if (run.signal !== 'SIGKILL' && run.code !== 0 && !run.stderr.startsWith('EFAULT'))
      res.losses.push(`write ${i}: exit ${run.code}: ${run.stderr.trim().split('\n')[0]}`);
  }
  res.completed = ok.size;
  await verify(cwd, base, count, ok, failed, res);
  return res;
}

/** The concurrent-writers section (see the DOC block). */
export async function fuzzConcurrent(
  cwd: string,
  seed: number,
  rounds: number,
  writers: number,
): Promise<CliResult> {
  const r = new Rng(seed);
  const res: CliResult = { cases: 0, killed: 0, hangs: [], losses: [] };
  const base = await setup(cwd);
  const ok = new Map<number, string>();
  for (let k = 0; k < rounds; k++) {
    const runs = await Promise.all(
      Array.from({ length: writers }, (_, w) => {
        const i = k * writers + w;
        const data = `${r.u32().toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`;
        const hpa = `0x${(base + BigInt(i * 64)).toString(16)}`;
        return cxlsim(cwd, ['mem', 'write', hpa, data]).then((run) => ({ i, data, run }));
      }),
    );
    for (const { i, data, run } of runs) {
      res.cases++;
      if (run.hung) res.hangs.push(`concurrent round ${k} writer ${i} (seed ${seed})`);
      else if (run.code !== 0)
        res.losses.push(`round ${k} writer ${i}: exit ${run.code}: ${run.stderr.trim()}`);
      else ok.set(i, data);
    }
  }
  await verify(cwd, base, rounds * writers, ok, new Map(), res);
  return res;
}
