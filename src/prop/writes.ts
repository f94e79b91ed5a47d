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
 * guest reads under /sys/bus/cxl/devices, without the path walk), one per line.
 */
export function cxlTreeFingerprint(m0: Machine | BootedMachine): string {
  return fingerprintLines(m0).join('\n');
}

/** The lines {@link cxlTreeFingerprint} joins. */
function fingerprintLines(m0: Machine | BootedMachine): string[] {
  const out: string[] = [];
  renderTree(m0, (line) => {
    out.push(line);
    return true;
  });
  return out;
}

/**
 * Hands the fingerprint's lines to `line` in order, while it returns true (the comparison of
 * {@link rendersAs} stops at the first difference and keeps no copy).
 */
function renderTree(m0: Machine | BootedMachine, line: (s: string) => boolean): void {
  for (const d of cxlDevices(rawOf(m0))) {
    if (!line(`@${d.name} ${d.driver?.name ?? '-'}`)) return;
    for (const g of d.groups) {
      if (g.isVisible && !g.isVisible(d)) continue;
      for (const a of g.attrs) {
        if (!a.show || !(a.mode & 0o444) || (a.isVisible && !a.isVisible(d))) continue;
        let s: string;
        try {
          s = a.show(d);
        } catch (e) {
          s = `!${e instanceof Errno ? e.code : 'error'}`;
        }
        if (!line(s)) return;
      }
    }
  }
}

/**
 * Whether the tree's fingerprint now equals `lines` joined: line by line first (no string
 * built); lines that differ are joined and compared as {@link cxlTreeFingerprint}'s strings
 * (the lines hold newlines of their own, so different lines could still join the same).
 */
function rendersAs(m: Machine | BootedMachine, lines: readonly string[]): boolean {
  let i = 0;
  let same = true;
  renderTree(m, (s) => {
    if (i >= lines.length || lines[i] !== s) same = false;
    i++;
    return same;
  });
  if (same && i === lines.length) return true;
  return cxlTreeFingerprint(m) === lines.join('\n');
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
  /** The tree's fingerprint now, when known: as given, or as lines. */
  #fp: string | string[] | undefined;

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
    const fp = this.#known();
    return typeof fp === 'string' ? fp : fp.join('\n');
  }

  /** The fingerprint now, in whichever form is at hand (its lines when taken here). */
  #known(): string | string[] {
    this.#fp ??= fingerprintLines(this.#m);
    return this.#fp;
  }

  /** `echo VALUE > PATH`, checked as {@link checkedWrite} checks it. Does not throw for a refused write. */
  write(path: string, value: string): CheckedWrite {
    const m = this.#m;
    const before = exemptByPath(path) ? undefined : this.#known();
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
      if (!exempt) {
        const same =
          typeof before === 'string' ? cxlTreeFingerprint(m) === before : rendersAs(m, before);
        // unchanged: the fingerprint before is the one now
        if (same) this.#fp = before;
        else
          violations.push({
            invariant: 'refused-write',
            device: path,
            message: `refused write '${value.trim()}' (${e.code}) changed the cxl tree`,
          });
      }
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
