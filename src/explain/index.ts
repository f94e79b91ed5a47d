/**
 * DOC: `cxlsim explain` — why an attempt failed (or what an existing region rests on), check by
 * check, and what would work instead.
 *
 * The journal (state/journal.ts) is read as *attempts*: an ndctl create-region (its `command` note
 * and the writes it made) or a single sysfs write. An attempt is explained by replaying it on a
 * fresh copy of the machine as it was just before (`at(start)`), with dynamic debug on: the
 * kernel's dev_dbg/dev_err lines and ndctl's error lines name the failing check
 * (classify.ts); the chain of checks is re-derived from the guest's objects (chain.ts,
 * writes.ts, region.ts); fixes are verified on further fresh copies (fixes.ts).
 *
 * Targets: nothing (the last failed attempt), `create-region ARGS…` (a what-if, on the current
 * state), `regionN` (an existing region — e.g. one auto-assembly left unfinished — or the last
 * attempt that made it), any other device name (the last failed attempt that named it, else
 * its state).
 */

import type { CxlRegion } from '../drivers/cxl/core/region/index.ts';
import { cxledToMemdev } from '../drivers/cxl/core/region/region.ts';
import { Errno } from '../kernel/errno.ts';
import type { Machine } from '../machine.ts';
import type { JournalOp } from '../state/ops.ts';
import type { Topology } from '../topology/model.ts';
import { mergeOutcome, regionChain } from './chain.ts';
import { type Classified, classify } from './classify.ts';
import { hypervisorCause, nameCause } from './cpu-cache.ts';
import { firmwareFix } from './firmware.ts';
import { type Candidate, type Factory, regionCandidates, verify } from './fixes.ts';
import { qemuFixes } from './qemu-fixes.ts';
import { autoChain, autoFailure, isFailedAuto, members, regionStatusChain } from './region.ts';
import { commandLine, formatCreateRegion, parseCreateRegion } from './request.ts';
import { hostBridgeOf, kernelOrder, regionByName } from './topo.ts';
import { type Attempt, isBindProbe, runAttempt } from './trial.ts';
import type { Check, Explanation } from './types.ts';
import { writeAnalysis } from './writes.ts';

export type { Check, Explanation, Fix } from './types.ts';

/** What explain needs from the session. */
export interface ExplainContext {
  /** The machine with the whole journal replayed. */
  machine: Machine;
  ops: readonly JournalOp[];
  /** A fresh machine with ops[0..n) replayed. */
  at(n: number): Promise<Machine>;
  /** Boots another topology on the same profile (to verify firmware fixes). */
  boot?(t: Topology): Promise<Machine>;
  /** The QEMU command line the machine was booted from (QEMU-side fixes edit it). */
  qemuText?: string;
}

/** One attempt of the journal: ops[start..end). */
export interface JournalAttempt {
  start: number;
  end: number;
  attempt: Attempt;
  /** Failed for sure (an exit code or a refused write); undefined: replay to know. */
  failed?: boolean;
}

/** The journal's attempts, in order. */
export function attempts(ops: readonly JournalOp[]): JournalAttempt[] {
  const out: JournalAttempt[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as JournalOp;
    if (op.kind === 'command') {
      const end = i + 1 + op.ops;
      const refused = ops
        .slice(i + 1, end)
        .some((x) => x.kind === 'sysfs-write' && x.fails !== undefined && !isBindProbe(x.path));
      out.push({
        start: i,
        end,
        attempt: { kind: 'command', argv: op.argv },
        ...(op.code !== 0 || refused ? { failed: true } : {}),
      });
      i = end - 1;
    } else if (op.kind === 'sysfs-write' && op.path !== 'bus/cxl/flush')
      out.push({
        start: i,
        end: i + 1,
        attempt: { kind: 'write', path: op.path, value: op.value },
        failed: op.fails !== undefined,
      });
  }
  return out;
}

/** Words for an attempt. */
export function describeAttempt(a: Attempt): string {
  if (a.kind === 'command') return commandLine(a.argv);
  return `echo '${a.value.replace(/\0.*$/s, '').replace(/\n$/, '')}' > /sys/${a.path}`;
}

/** Does the attempt involve `name`? */
function mentions(j: JournalAttempt, ops: readonly JournalOp[], name: string): boolean {
  const re = new RegExp(`(^|[/\\s,])${name}($|[/\\s,\\n\\0])`);
  if (j.attempt.kind === 'command' && j.attempt.argv.includes(name)) return true;
  return ops
    .slice(j.start, j.end)
    .some((o) => o.kind === 'sysfs-write' && (re.test(o.path) || re.test(o.value)));
}

/** The last failed attempt (optionally one that involves `name`). */
async function lastFailure(
  ctx: ExplainContext,
  name?: string,
): Promise<JournalAttempt | undefined> {
  let trials = 0;
  for (const j of attempts(ctx.ops).reverse()) {
    if (name && !mentions(j, ctx.ops, name)) continue;
    if (j.failed) return j;
    if (j.attempt.kind !== 'command' || j.failed === false || trials >= 8) continue;
    trials++;
    if (!runAttempt(await ctx.at(j.start), j.attempt).ok) return j;
  }
  return undefined;
}

function summarize(subject: string, ok: boolean, checks: Check[], by?: 'ndctl' | 'kernel'): string {
  if (ok) return `${subject}: succeeds; every check passes`;
  const who =
    by === 'ndctl' ? ' (refused by ndctl)' : by === 'kernel' ? ' (refused by the kernel)' : '';
  const f = checks.find((c) => c.status === 'failed');
  if (!f) return `${subject}: fails${who}`;
  return `${subject}: fails at "${f.id}" on ${f.device}${f.errno ? ` with ${f.errno}` : ''}${who}${f.message ? `: ${f.message}` : ''}`;
}

/** Explains one attempt replayed on `at(start)`. */
export async function explainAttempt(ctx: ExplainContext, j: JournalAttempt): Promise<Explanation> {
  const factory: Factory = () => ctx.at(j.start);
  const pre = await factory();
  const o = runAttempt(await factory(), j.attempt);
  const c = o.ok ? undefined : classify(o);
  let checks: Check[] = [];
  let cands: Candidate[] = [];
  if (j.attempt.kind === 'command' && j.attempt.argv[0] === 'create-region') {
    const req = parseCreateRegion(j.attempt.argv);
    checks = mergeOutcome(regionChain(pre, req), c);
    if (!o.ok) cands = regionCandidates(pre, req, c);
  } else if (j.attempt.kind === 'write') {
    const w = writeAnalysis(pre, j.attempt.path, j.attempt.value);
    checks = mergeOutcome(w.checks, c);
    cands = o.ok ? [] : w.candidates;
  } else if (c) checks = mergeOutcome([], c);
  const subject = describeAttempt(j.attempt);
  const fixes = o.ok ? [] : await verify(factory, cands);
  if (!o.ok && ctx.qemuText !== undefined && ctx.boot) {
    const req =
      j.attempt.kind === 'command' && j.attempt.argv[0] === 'create-region'
        ? parseCreateRegion(j.attempt.argv)
        : undefined;
    fixes.push(
      ...(await qemuFixes(
        { machine: pre, qemuText: ctx.qemuText, boot: ctx.boot },
        j.attempt,
        c,
        req,
      )),
    );
  }
  const hv = o.ok
    ? undefined
    : hypervisorCause(
        pre,
        c,
        fixes.some((f) => f.qemu !== undefined),
      );
  if (hv) {
    nameCause(checks, hv.cause);
    fixes.push(...hv.fixes);
  }
  const e: Explanation = {
    subject,
    ok: o.ok,
    summary: summarize(subject, o.ok, checks, o.ok ? undefined : o.failed ? 'kernel' : 'ndctl'),
    checks,
    fixes,
  };
  if (!o.ok) {
    e.failure = {
      by: o.failed ? 'kernel' : 'ndctl',
      ...(o.failed
        ? { write: { path: o.failed.path, value: o.failed.value.replace(/\0.*$/s, '') } }
        : {}),
      ...(o.failed?.errno ? { errno: o.failed.errno } : {}),
      kernel: o.failed?.kernel.filter((l) => !/ probe: -?\d+$|config state: \d+$/.test(l)) ?? [],
      tool: o.tool,
    };
  }
  return e;
}

/** Explains a region that exists on the current machine. */
async function explainRegion(ctx: ExplainContext, r: CxlRegion): Promise<Explanation> {
  const subject = r.name;
  if (!isFailedAuto(r)) {
    const checks = regionStatusChain(r);
    const ok = checks.every((x) => x.status === 'ok');
    return { subject, ok, summary: summarize(subject, ok, checks), checks, fixes: [] };
  }
  const c = autoFailure(ctx.machine, r);
  const checks = mergeOutcome(autoChain(r), c ?? { id: 'firmware-mapping' });
  // guest-side way out: drop the half-assembled region, build it by hand from the same memdevs
  const mds = members(r).map((t) => cxledToMemdev(t));
  const order = kernelOrder(
    r.cxlrd,
    mds.filter((x) => hostBridgeOf(x)),
  );
  const cands: Candidate[] = [];
  if (order)
    cands.push({
      description: `delete the unfinished ${r.name} and create the region by hand (${order.map((x) => x.name).join(' ')})`,
      commands: [
        ['destroy-region', '-f', r.name],
        formatCreateRegion({
          root: r.cxlrd.name,
          type: r.mode,
          ways: order.length,
          granularity: r.params.interleaveGranularity,
          memdevs: order.map((x) => x.name),
          other: [],
        }),
      ],
    });
  const fixes = await verify(() => ctx.at(ctx.ops.length), cands);
  const fw = ctx.boot ? await firmwareFix(ctx.machine, r, ctx.boot) : undefined;
  const bad = checks.find((x) => x.status === 'failed');
  if (fw) fixes.push(fw);
  else if (bad)
    fixes.push({
      description: `firmware: program the decoders so that ${bad.id === 'firmware-mapping' ? `a decoder of every port above ${bad.device} maps exactly the region's range` : bad.id === 'firmware-targets' ? `the parent decoder lists ${bad.device}'s dport in its target list` : bad.id === 'firmware-interleave' ? `${bad.device}'s decoder has as many ways as distinct dports below it, at the parent's granularity × ways` : 'each endpoint is committed once, at its own position of one interleave set'} (topology file "committed" entries)`,
      commands: [],
      verified: false,
    });
  return {
    subject,
    ok: false,
    summary: summarize(
      `${subject} (auto-assembled from firmware-committed decoders)`,
      false,
      checks,
    ),
    checks,
    fixes,
  };
}

/**
 * Explains `target` (see the DOC block).
 * @throws ENOENT when there is nothing to explain
 */
export async function explain(ctx: ExplainContext, target: string[] = []): Promise<Explanation> {
  if (target[0] === 'create-region') {
    const n = ctx.ops.length;
    return explainAttempt(ctx, { start: n, end: n, attempt: { kind: 'command', argv: target } });
  }
  const name = target[0];
  if (name) {
    const r = regionByName(ctx.machine, name) as CxlRegion | undefined;
    if (r) return explainRegion(ctx, r);
    const j = await lastFailure(ctx, name);
    if (j) return explainAttempt(ctx, j);
    const any = attempts(ctx.ops)
      .reverse()
      .find((x) => mentions(x, ctx.ops, name));
    if (any) return explainAttempt(ctx, any);
    throw new Errno(
      'ENOENT',
      `nothing recorded about ${name}: no region of that name, and no command or write named it`,
    );
  }
  const j = await lastFailure(ctx);
  if (j) return explainAttempt(ctx, j);
  const auto = (ctx.machine.kernel.buses.get('cxl')?.devices ?? []).find(
    (d) => 'params' in d && isFailedAuto(d as CxlRegion),
  );
  if (auto) return explainRegion(ctx, auto as CxlRegion);
  throw new Errno(
    'ENOENT',
    'no failed command or write since boot (give a region, a device, or create-region ARGS…)',
  );
}

export type { Classified };
