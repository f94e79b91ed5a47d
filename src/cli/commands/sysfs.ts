/**
 * DOC: `cxlsim sysfs ls|cat|tree|write|export|dump` — the guest's /sys from the host.
 *
 * Paths may be given as `/sys/bus/cxl/…`, `/bus/cxl/…` or `bus/cxl/…`. `cat` and `write`
 * fail the way busybox would in the guest (`cat: can't open '/sys/…': Permission denied`,
 * `write error: Invalid argument`) and exit 1; a successful `write` is journaled and
 * replayed on later invocations. `cat` prints binary attributes (CDAT, PCI config) as hex,
 * 32 bytes a line, like the capture dumps.
 */
import { resolve } from 'node:path';
import { settleWork } from '../../drivers/workqueue.ts';
import { Errno, strerror } from '../../kernel/errno.ts';
import { writeSysfsDump, writeSysfsDumpBytes } from '../../sysfs/dump.ts';
import { exportSysfs } from '../../sysfs/export.ts';
import { normSysPath, type SysfsView } from '../../sysfs/view.ts';
import { type CliContext, withMachine } from '../session.ts';

/** `/sys/<path>` for messages. */
function shown(p: string): string {
  return p ? `/sys/${p}` : '/sys';
}

/** Path normalization with ENOENT for escapes above /sys. */
function norm(p: string | undefined): string {
  return normSysPath(p ?? '/sys');
}

/** `ls [-l] [PATH]`. */
export async function sysfsLs(
  ctx: CliContext,
  path: string | undefined,
  long: boolean,
): Promise<number> {
  return withMachine(ctx, ({ machine }) => {
    const v = machine.sysfs;
    const p = norm(path);
    const st = v.lstat(p);
    if (!st) throw new Errno('ENOENT', `${shown(p)}: No such file or directory`);
    const names = st.kind === 'file' ? [p.slice(p.lastIndexOf('/') + 1)] : v.readdir(p);
    const dir = st.kind === 'file' ? p.slice(0, Math.max(0, p.lastIndexOf('/'))) : v.realpath(p);
    const out: string[] = [];
    for (const n of names) {
      if (!long) {
        out.push(n);
        continue;
      }
      const e = v.lstat(dir ? `${dir}/${n}` : n);
      if (e?.kind === 'dir') out.push(`d ${'755'} ${n}/`);
      else if (e?.kind === 'link') out.push(`l ${'777'} ${n} -> ${e.target}`);
      else if (e) out.push(`- ${e.mode.toString(8).padStart(3, '0')} ${n}`);
    }
    if (out.length) ctx.io.out(`${out.join('\n')}\n`);
    return 0;
  });
}

/** Hex lines of 32 bytes. */
function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 32)
    s += `${Buffer.from(b.subarray(i, i + 32)).toString('hex')}\n`;
  return s;
}

/** busybox cat's error line for a failed open/read. */
function catError(p: string, e: Errno): string {
  if (e.code === 'EACCES' || e.code === 'ENOENT' || e.code === 'ENOTDIR')
    return `cat: can't open '${shown(p)}': ${strerror(e.code)}`;
  return `cat: read error: ${strerror(e.code)}`;
}

/** `cat PATH`. */
export async function sysfsCat(ctx: CliContext, path: string): Promise<number> {
  return withMachine(ctx, ({ machine }) => {
    const p = norm(path);
    let c: string | Uint8Array;
    try {
      c = machine.sysfs.read(p);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      ctx.io.err(`${catError(p, e)}\n`);
      return 1;
    }
    ctx.io.out(typeof c === 'string' ? c : hex(c));
    return 0;
  });
}

/** Tree lines below a directory (symlinks shown, not followed). */
function treeLines(v: SysfsView, dir: string, prefix: string, out: string[]): void {
  const names = v.readdir(dir);
  names.forEach((n, i) => {
    const last = i === names.length - 1;
    const p = dir ? `${dir}/${n}` : n;
    const e = v.lstat(p);
    const label = e?.kind === 'dir' ? `${n}/` : e?.kind === 'link' ? `${n} -> ${e.target}` : n;
    out.push(`${prefix}${last ? '└── ' : '├── '}${label}`);
    if (e?.kind === 'dir') treeLines(v, p, `${prefix}${last ? '    ' : '│   '}`, out);
  });
}

/** `tree [PATH]`. */
export async function sysfsTree(ctx: CliContext, path: string | undefined): Promise<number> {
  return withMachine(ctx, ({ machine }) => {
    const v = machine.sysfs;
    const p = norm(path);
    const real = v.realpath(p);
    const out = [real === p ? shown(p) : `${shown(p)} -> ${shown(real)}`];
    if (v.lstat(real)?.kind === 'dir') treeLines(v, real, '', out);
    ctx.io.out(`${out.join('\n')}\n`);
    return 0;
  });
}

/** `write PATH VALUE` (`echo VALUE > PATH`: a newline is appended). */
export async function sysfsWrite(ctx: CliContext, path: string, value: string): Promise<number> {
  return withMachine(ctx, ({ machine, journal }) => {
    const p = norm(path);
    const buf = `${value}\n`;
    try {
      machine.sysfs.write(p, buf);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      // refused writes are journaled too: the kernel logged them, and dmesg must keep that
      journal({ kind: 'sysfs-write', path: p, value: buf, fails: e.code });
      ctx.io.err(`write error: ${strerror(e.code)}\n`);
      return 1;
    }
    journal({ kind: 'sysfs-write', path: p, value: buf });
    // deferred work the write queued (a firmware upload) ends before this process does
    settleWork(machine.kernel);
    return 0;
  });
}

/** `export DIR [--force]`. */
export async function sysfsExport(ctx: CliContext, dir: string, force: boolean): Promise<number> {
  return withMachine(ctx, ({ machine }) => {
    const out = resolve(ctx.io.cwd, dir);
    const s = exportSysfs(machine.sysfs, out, { force });
    ctx.io.out(
      `exported /sys to ${out}: ${s.dirs} directories, ${s.files} files (${s.unreadable} unreadable, left empty), ${s.links} symlinks\n`,
    );
    return 0;
  });
}

/** `dump [ROOT…]`. */
export async function sysfsDump(ctx: CliContext, roots: string[]): Promise<number> {
  return withMachine(ctx, ({ machine }) => {
    const r = roots.length ? roots : undefined;
    // bytes when the io takes them: no record string outlives its own (dump.ts byteSink)
    if (ctx.io.outBytes) writeSysfsDumpBytes(machine.sysfs, ctx.io.outBytes, r);
    else writeSysfsDump(machine.sysfs, ctx.io.out, r);
    return 0;
  });
}
