/**
 * DOC: the invariants that need writes (invariants.ts lists them all): `refused-write` — a
 * write the kernel refuses leaves the cxl tree unchanged, except the kernel's documented side
 * effects — and `teardown` — destroying every region leaves every decoder disabled and every
 * DPA freeable.
 */
import type { Machine } from '../api/machine.ts';
import type { BootedMachine } from '../boot.ts';
import { CxlDecoder, CxlEndpointDecoder, CxlRootDecoder } from '../drivers/cxl/core/decoder.ts';
import { isCxlRegion } from '../drivers/cxl/core/region/region.ts';
import { Errno, type ErrnoName } from '../kernel/errno.ts';
import { cxlDevices, injected, rawOf, type Violation } from './invariants.ts';

/**
 * What a refused-write check compares: for every device on the cxl bus, its name, the driver
 * bound to it and every visible, readable text attribute as its show() prints it (what the
 * guest reads under /sys/bus/cxl/devices, without the path walk).
 */
export function cxlTreeFingerprint(m0: Machine | BootedMachine): string {
  // one string built by concatenation (the same text as the lines joined by "\n"): a join of a
  // thousand pieces per checked write cost more than the pieces
  let out = '';
  let first = true;
  for (const d of cxlDevices(rawOf(m0))) {
    const head = `@${d.name} ${d.driver?.name ?? '-'}`;
    if (first) {
      out = head;
      first = false;
    } else out += `\n${head}`;
    for (const g of d.groups) {
      if (g.isVisible && !g.isVisible(d)) continue;
      for (const a of g.attrs) {
        if (!a.show || !(a.mode & 0o444) || (a.isVisible && !a.isVisible(d))) continue;
        try {
          out += `\n${a.show(d)}`;
        } catch (e) {
          out += `\n!${e instanceof Errno ? e.code : 'error'}`;
        }
      }
    }
  }
  return out;
}

/** Outcome of {@link checkedWrite}. */
export interface CheckedWrite {
  result: 'ok' | ErrnoName;
  violations: Violation[];
}

/**
 * `echo VALUE > PATH` through the machine's /sys, checking the `refused-write` invariant: when
 * the kernel refuses the write, the cxl tree must be as before it, except the documented
 * side effects (see the DOC block). Does not throw for a refused write. `before` is the tree's
 * fingerprint before the write when the caller has it (a sequence of checked writes passes the
 * `after` of the previous one); `after` is returned for that.
 */
export function checkedWrite(
  m: Machine,
  path: string,
  value: string,
  before: string = cxlTreeFingerprint(m),
): CheckedWrite & { after: string } {
  const w = new CheckedWriter(m, before);
  const r = w.write(path, value);
  return { ...r, after: w.fingerprint() };
}

/** A refused write to a `dpa_size` is exempt whatever it changed (see the DOC block). */
const exemptByPath = (path: string): boolean => path.endsWith('/dpa_size');

/**
 * Checked writes in a sequence ({@link checkedWrite} for each, what a property case makes),
 * sharing fingerprints: the tree's fingerprint before a write is taken only when the write
 * could need it (not for `dpa_size`, exempt whatever it does) and not taken again when the
 * previous refused write left it known. The result of every write is the one
 * {@link checkedWrite} gives for it.
 */
export class CheckedWriter {
  readonly #m: Machine;
  /** The tree's fingerprint now, when known. */
  #fp: string | undefined;

  /** `known`: the tree's fingerprint now, when the caller has it. */
  constructor(m: Machine, known?: string) {
    this.#m = m;
    this.#fp = known;
  }

  /** Forgets the fingerprint (the machine was changed by other means than {@link write}). */
  invalidate(): void {
    this.#fp = undefined;
  }

  /** The tree's fingerprint now (taken if not known). */
  fingerprint(): string {
    this.#fp ??= cxlTreeFingerprint(this.#m);
    return this.#fp;
  }

  /** `echo VALUE > PATH`, checked as {@link checkedWrite} checks it. Does not throw for a refused write. */
  write(path: string, value: string): CheckedWrite {
    const m = this.#m;
    const before = exemptByPath(path) ? undefined : this.fingerprint();
    try {
      m.sysfs.write(path, value);
      this.#fp = undefined;
      return { result: 'ok', violations: [] };
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      this.#fp = undefined;
      const violations = injected('refused-write', m.raw);
      const exempt =
        before === undefined ||
        (/\/target\d+$/.test(path) && safeRead(m, path).trim() === value.trim());
      if (!exempt && this.fingerprint() !== before)
        violations.push({
          invariant: 'refused-write',
          device: path,
          message: `refused write '${value.trim()}' (${e.code}) changed the cxl tree`,
        });
      return { result: e.code, violations };
    }
  }
}

const safeRead = (m: Machine, path: string): string => {
  try {
    return m.sysfs.read(path);
  } catch {
    return '';
  }
};

/**
 * The `teardown` invariant; changes the machine: destroys every region (last created first:
 * commit 0, targets cleared, delete_region), then checks that every decoder is disabled and out
 * of every region, then frees every endpoint DPA allocation (highest decoder first) and checks
 * each free succeeds and no region is left.
 */
export function checkTeardown(
  m: Machine,
  onWrite?: (path: string, value: string, result: string) => void,
): Violation[] {
  const raw = () => m.raw;
  const out: Violation[] = injected('teardown', m.raw);
  const v = (device: string, message: string) =>
    out.push({ invariant: 'teardown', device, message });
  const write = (path: string, value: string): string => {
    let result = 'ok';
    try {
      m.sysfs.write(path, value);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      result = e.code;
    }
    onWrite?.(path, value, result);
    return result;
  };
  const regions = cxlDevices(raw())
    .filter(isCxlRegion)
    .sort((a, b) => b.id - a.id);
  for (const r of regions) {
    const R = `bus/cxl/devices/${r.name}`;
    const rc = write(`${R}/commit`, '0\n');
    if (rc !== 'ok') v(r.name, `commit 0 refused: ${rc}`);
    for (let i = 0; i < r.params.interleaveWays; i++) {
      const t = write(`${R}/target${i}`, '\n');
      if (t !== 'ok') v(r.name, `clearing target${i} refused: ${t}`);
    }
    const d = write(`bus/cxl/devices/${r.cxlrd.name}/delete_region`, `${r.name}\n`);
    if (d !== 'ok') v(r.name, `delete_region refused: ${d}`);
  }
  for (const d of cxlDevices(raw())) {
    if (!(d instanceof CxlDecoder)) continue;
    if (!(d instanceof CxlRootDecoder) && d.enabled) v(d.name, 'still enabled after teardown');
    if (d.region !== undefined) v(d.name, `still in ${d.region.name} after teardown`);
  }
  const eps = cxlDevices(raw())
    .filter(
      (d): d is CxlEndpointDecoder => d instanceof CxlEndpointDecoder && d.dpaRes !== undefined,
    )
    .sort((a, b) => b.id - a.id);
  for (const d of eps) {
    const rc = write(`bus/cxl/devices/${d.name}/dpa_size`, '0\n');
    if (rc !== 'ok') v(d.name, `freeing DPA refused: ${rc}`);
  }
  const left = cxlDevices(raw()).filter(isCxlRegion);
  if (left.length) v(left[0]?.name ?? 'region', `${left.length} region(s) left after teardown`);
  return out;
}
