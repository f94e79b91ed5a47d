/**
 * The environment ndctl's test/cxl-*.sh scripts run in, for their ports under tests/ndctl-tests:
 * `modprobe cxl_test` is a boot of the `cxl_test` preset (`cxl_test_xor` for
 * `interleave_arithmetic=1`) on the latest stack (Linux 7.0, ndctl v85, whose test/ these are);
 * `$CXL …` runs ndctl's cxl tool through cxlCommand() against the live /sys and memdev ioctls;
 * `cat` / `echo >` are sysfs reads and writes; `set -e` is {@link Sh.cxl} throwing on a non-zero
 * exit. The jq filters of the scripts are small typed helpers next to each use.
 */

import type { BootedMachine } from '../../src/boot.ts';
import { bootMachine } from '../../src/boot.ts';
import { msleep } from '../../src/drivers/workqueue.ts';
import { isErrno } from '../../src/kernel/errno.ts';
import type { FileIo } from '../../src/ndctl/index.ts';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import { getPreset } from '../../src/topology/presets/index.ts';

/** What one command printed and its exit status. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A JSON value as jq sees it. */
// biome-ignore lint/suspicious/noExplicitAny: jq-style access to cxl list output
export type Json = any;

/** Files the label commands read and write (`-o f` / `-i f`), kept in memory. */
export class MemFiles implements FileIo {
  readonly files = new Map<string, Uint8Array>();
  read(path: string): Uint8Array {
    const f = this.files.get(path);
    if (!f) throw Object.assign(new Error(`${path}: no such file`), { code: 'ENOENT' });
    return f;
  }
  write(path: string, data: Uint8Array): void {
    this.files.set(path, Uint8Array.from(data));
  }
}

/** One `modprobe cxl_test` and the shell around a test script. */
export class Sh {
  readonly m: BootedMachine;
  readonly files = new MemFiles();
  /** Every command run, for failure messages. */
  readonly history: string[] = [];
  private uuidSeq = 0;

  /** @param kernel a kernel version other than the latest profile's (e.g. '6.1') */
  constructor(preset: 'cxl_test' | 'cxl_test_xor' = 'cxl_test', kernel?: string) {
    const profile = resolveProfile('latest', kernel ? { kernel } : {});
    this.m = bootMachine(getPreset(preset, profile.qemu, profile.kernel), { profile });
  }

  /** `$CXL args…` whatever its exit status. */
  tryCxl(...args: string[]): Run {
    this.history.push(`cxl ${args.join(' ')}`);
    return cxlCommand(this.m.sysfs, this.m.ioctl, args, {
      ndctl: '85',
      isTty: false,
      files: this.files,
      uuid: () => `00000000-0000-4000-8000-${(++this.uuidSeq).toString(16).padStart(12, '0')}`,
      sleep: (ms) => msleep(this.m.kernel, ms),
    });
  }

  /** `$CXL args…` under `set -e`. @throws Error with the command's stderr when it fails */
  cxl(...args: string[]): Run {
    const r = this.tryCxl(...args);
    if (r.code !== 0)
      throw new Error(`cxl ${args.join(' ')}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);
    return r;
  }

  /** `$(cxl list …)` parsed as jq would read it (no output: null). */
  json(...args: string[]): Json {
    const out = this.cxl(...args).stdout;
    return out.trim() === '' ? null : JSON.parse(out);
  }

  /** `$DAXCTL args…`: daxctl is not emulated (cxlsim has no dax bus). @throws Error always */
  daxctl(...args: string[]): Json {
    throw new Error(`daxctl ${args.join(' ')}: not emulated by cxlsim`);
  }

  /** `sleep SECONDS`: the guest's virtual clock advances, running the kernel's queued work. */
  sleep(seconds: number): void {
    this.history.push(`sleep ${seconds}`);
    msleep(this.m.kernel, seconds * 1000);
  }

  /** `cat PATH` (text). */
  cat(path: string): string {
    const v = this.m.sysfs.read(path);
    return typeof v === 'string' ? v : Buffer.from(v).toString('latin1');
  }

  /** `echo VALUE > PATH`; true when the write succeeded. */
  echo(value: string, path: string): boolean {
    this.history.push(`echo ${value} > ${path}`);
    try {
      this.m.sysfs.write(path, `${value}\n`);
      return true;
    } catch (e) {
      if (isErrno(e)) return false;
      throw e;
    }
  }

  /** `$(( $(cat PATH) ))`: a number as bash arithmetic reads the kernel's %#llx / %d. */
  num(path: string): bigint {
    return BigInt(this.cat(path).trim());
  }

  /** check_dmesg(): the kernel log must not contain a "Call Trace". */
  dmesgHasCallTrace(): boolean {
    return this.m.kernel.log.lines.some((l) => l.text.includes('Call Trace'));
  }
}

/** jq `length` of a `cxl list` result (null → 0, an object → 1 as the scripts treat it). */
export function len(j: Json): number {
  if (j === null || j === undefined) return 0;
  return Array.isArray(j) ? j.length : 1;
}

/** jq `.[]`: a list result as an array (a single unwrapped object becomes [obj]). */
export function items(j: Json): Json[] {
  if (j === null || j === undefined) return [];
  return Array.isArray(j) ? j : [j];
}

/** jq `sort_by(.key | .[n:] | tonumber)`. */
export function sortByNum(arr: Json[], key: string, from: number): Json[] {
  return [...arr].sort(
    (a, b) => Number(String(a[key]).slice(from)) - Number(String(b[key]).slice(from)),
  );
}
