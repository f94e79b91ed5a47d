/**
 * DOC: deferred kernel work on the machine's virtual clock (kernel/workqueue.c queue_work(),
 * kernel/time/timer.c msleep()), for work that outlives the call that queued it — the firmware
 * upload worker (fw_upload_main() on system_long_wq) is the user.
 *
 * cxlsim's guest is single-threaded, so a work item is a generator: it runs until it sleeps,
 * yielding the milliseconds it sleeps (msleep() / usleep_range() / a mailbox poll interval),
 * and resumes when the virtual clock (bus.now) reaches its wake time. Work runs:
 * - when a caller sleeps through {@link msleep} (a user-space `sleep 1`, a driver's poll loop):
 *   the clock advances from one wake time to the next, running what is due at each, so a long
 *   sleep sees all the work a real guest would have done meanwhile;
 * - when something observes the state the work changes ({@link runPendingWork}: the firmware
 *   class attributes, the memdev ioctls) — host time also advances the virtual clock.
 * Without a clock (a hand-built bus), queued work runs to completion at once.
 */
import type { KernelContext } from '../kernel/device.ts';
import { copiedWeakMap } from '../kernel/graph-copy.ts';
import { env } from './env.ts';

/** A work function: yields the ms it sleeps, returns when done. */
export type WorkGen = Generator<number, void, void>;

interface Work {
  gen: WorkGen;
  /** Virtual time (ns) at which it runs next. */
  wakeAt: bigint;
  /** Inside gen.next() (a nested pump must not re-enter it). */
  running: boolean;
}

const queues = copiedWeakMap<KernelContext, Work[]>();

/** Steps a clockless run is allowed before it is abandoned (a work that never ends). */
const CLOCKLESS_STEP_LIMIT = 10_000_000;

function queueOf(ctx: KernelContext): Work[] {
  let q = queues.get(ctx);
  if (!q) {
    q = [];
    queues.set(ctx, q);
  }
  return q;
}

/** queue_work(): the work starts at the next pump (at once on a clockless bus). */
export function queueWork(ctx: KernelContext, gen: WorkGen): void {
  const now = env(ctx).hw.now;
  const w: Work = { gen, wakeAt: now ? now() : 0n, running: false };
  queueOf(ctx).push(w);
  if (!now) runClockless(ctx, w);
}

function runClockless(ctx: KernelContext, w: Work): void {
  const hw = env(ctx).hw;
  const q = queueOf(ctx);
  w.running = true;
  try {
    for (let i = 0; i < CLOCKLESS_STEP_LIMIT; i++) {
      const r = w.gen.next();
      if (r.done) break;
      hw.delay?.(r.value);
    }
  } finally {
    w.running = false;
    q.splice(q.indexOf(w), 1);
  }
}

/** Runs one step of `w`; false when it finished. */
function step(w: Work, now: () => bigint): boolean {
  w.running = true;
  try {
    const r = w.gen.next();
    if (r.done) return false;
    w.wakeAt = now() + BigInt(Math.max(0, Math.round(r.value * 1000))) * 1000n;
    return true;
  } finally {
    w.running = false;
  }
}

/**
 * Runs every queued step that is due at the current virtual time (the work a real guest's
 * worker threads did while the caller was not looking).
 */
export function runPendingWork(ctx: KernelContext): void {
  const q = queues.get(ctx);
  if (!q || q.length === 0) return;
  const hw = env(ctx).hw;
  // the device timers due by now fire first: their interrupts move queued work (the sanitize
  // poll); with nothing queued they are left to the next register read (QEMU's status is
  // computed on read)
  hw.timers?.run();
  const now = hw.now;
  if (!now) return;
  for (const w of [...q]) {
    while (!w.running && w.wakeAt <= now()) {
      if (!step(w, now)) {
        q.splice(q.indexOf(w), 1);
        break;
      }
    }
  }
}

/**
 * Milliseconds (rounded up) until queued work or, while work is queued, a device timer is
 * due: 0 when something is due now, undefined when nothing is queued or the bus has no clock.
 * A live machine (`cxlsim serve`) uses it to run its work when it is due, as the kernel's
 * timers would, instead of at a fixed tick (a firmware transfer sleeping 2 ms per part would
 * otherwise take a whole tick per part).
 */
export function msUntilPendingWork(ctx: KernelContext): number | undefined {
  const t = nextWake(ctx);
  const now = env(ctx).hw.now;
  if (t === undefined || !now) return undefined;
  const d = t - now();
  return d <= 0n ? 0 : Number((d + 999_999n) / 1_000_000n);
}

/**
 * The earliest wake time among the queued work that is not running and, while work is
 * queued, the device timers (a background command's completion raises an interrupt whose
 * handler may move queued work), or undefined.
 */
function nextWake(ctx: KernelContext): bigint | undefined {
  const q = queues.get(ctx) ?? [];
  let t = q.length > 0 ? env(ctx).hw.timers?.next() : undefined;
  for (const w of q) if (!w.running && (t === undefined || w.wakeAt < t)) t = w.wakeAt;
  return t;
}

/**
 * msleep(): waits `ms` of virtual time, running queued work at its wake times on the way.
 * Without a clock it only calls bus.delay.
 */
export function msleep(ctx: KernelContext, ms: number): void {
  const hw = env(ctx).hw;
  const now = hw.now;
  if (!now) {
    hw.delay?.(ms);
    return;
  }
  const target = now() + BigInt(Math.max(0, Math.round(ms))) * 1_000_000n;
  for (;;) {
    runPendingWork(ctx);
    const next = nextWake(ctx);
    const t = now();
    if (next === undefined || next > target) {
      if (target > t) hw.delay?.(Number((target - t + 999_999n) / 1_000_000n));
      runPendingWork(ctx);
      return;
    }
    if (next > t) hw.delay?.(Number((next - t + 999_999n) / 1_000_000n));
  }
}

/** True while work is queued. */
export function workPending(ctx: KernelContext): boolean {
  return (queues.get(ctx)?.length ?? 0) > 0;
}

/**
 * Sleeps until no work is queued or `limitMs` of virtual time has passed (a `flush_work()` of
 * everything, used where a caller cannot keep the machine running, e.g. a one-shot CLI).
 * @returns true when the queue drained
 */
export function flushPendingWork(ctx: KernelContext, limitMs: number): boolean {
  if (!workPending(ctx)) return true;
  const hw = env(ctx).hw;
  const now = hw.now;
  if (!now) return !workPending(ctx);
  const end = now() + BigInt(limitMs) * 1_000_000n;
  while (workPending(ctx) && now() < end) {
    const next = nextWake(ctx);
    if (next === undefined) break;
    const t = now();
    msleep(ctx, next > t ? Number((next - t + 999_999n) / 1_000_000n) : 0);
  }
  return !workPending(ctx);
}

/** How long {@link settleWork} lets deferred work run: a day of virtual time (ms). */
export const SETTLE_LIMIT_MS = 24 * 3600 * 1000;

/**
 * Lets queued work run to its end (at most {@link SETTLE_LIMIT_MS} of virtual time): what a
 * guest left running reaches. Used where the machine does not keep running after the call — a
 * one-shot CLI command, the journal's replay — so that the saved state and its replay agree.
 * @returns true when nothing is left queued
 */
export function settleWork(ctx: KernelContext): boolean {
  return flushPendingWork(ctx, SETTLE_LIMIT_MS);
}

/**
 * A delayed work item (struct delayed_work): `fn(arg)` runs once per queueing, at its timer's
 * expiry (the kernel's work function finds its object with container_of(); here `arg` is that
 * object, kept as data so a copy of the machine copies the reference). `queued` is the pending
 * run, if any; `running` is set while `fn` runs.
 */
export interface DelayedWork {
  fn: (arg: never) => void;
  arg: unknown;
  queued?: Work;
  running: boolean;
}

/** A delayed work item running `fn(arg)` (INIT_DELAYED_WORK()). */
export function initDelayedWork<A>(fn: (arg: A) => void, arg: A): DelayedWork {
  return { fn: fn as (arg: never) => void, arg, running: false };
}

/** Runs `dw`'s function on its argument. */
function runWork(dw: DelayedWork): void {
  (dw.fn as (arg: unknown) => void)(dw.arg);
}

/** A delayed work's run: one step that never sleeps (the empty `yield*` sleeps nowhere). */
function* delayedRun(dw: DelayedWork): WorkGen {
  dw.queued = undefined;
  dw.running = true;
  try {
    runWork(dw);
  } finally {
    dw.running = false;
  }
  yield* [];
}

/**
 * queue_delayed_work() / schedule_delayed_work(): runs `dw` `delayMs` from now (virtual time).
 * Without a clock it runs at once, after bus.delay(delayMs).
 * @returns false when it was already pending (the kernel leaves the pending timer as is)
 */
export function queueDelayedWork(ctx: KernelContext, dw: DelayedWork, delayMs: number): boolean {
  if (dw.queued) return false;
  const hw = env(ctx).hw;
  const now = hw.now;
  if (!now) {
    hw.delay?.(delayMs);
    runWork(dw);
    return true;
  }
  const w: Work = {
    gen: delayedRun(dw),
    wakeAt: now() + BigInt(Math.max(0, Math.round(delayMs))) * 1_000_000n,
    running: false,
  };
  dw.queued = w;
  queueOf(ctx).push(w);
  return true;
}

/**
 * mod_delayed_work(): the pending run of `dw` moves to `delayMs` from now, or one is queued.
 * While `fn` runs, nothing is queued: cxlsim's devices signal lazily (when a register is read),
 * so an interrupt raised by the running work's own register read stands for one that arrived
 * just before it ran (the kernel would have moved the timer of this same run).
 */
export function modDelayedWork(ctx: KernelContext, dw: DelayedWork, delayMs: number): void {
  if (dw.running) return;
  const now = env(ctx).hw.now;
  if (dw.queued && now) {
    dw.queued.wakeAt = now() + BigInt(Math.max(0, Math.round(delayMs))) * 1_000_000n;
    return;
  }
  queueDelayedWork(ctx, dw, delayMs);
}

/** cancel_delayed_work_sync(): drops the pending run of `dw`. @returns true when one was pending */
export function cancelDelayedWork(ctx: KernelContext, dw: DelayedWork): boolean {
  const w = dw.queued;
  if (!w) return false;
  dw.queued = undefined;
  const q = queueOf(ctx);
  const i = q.indexOf(w);
  if (i >= 0) q.splice(i, 1);
  return true;
}

/** The guest's virtual clock (ns since boot), or undefined on a clockless bus. */
export function guestNow(ctx: KernelContext): bigint | undefined {
  return env(ctx).hw.now?.();
}
