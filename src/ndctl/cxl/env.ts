/**
 * DOC: what one `cxl` process has around it — the libcxl context (cxl_new(): the /sys view and the
 * memdev ioctls), its output streams, whether stdout is a terminal, the UUID source
 * (uuid_generate()) and the files it may open (-o/-i of the label commands).
 */

import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { ERRNO, Errno, type ErrnoName } from '../../kernel/errno.ts';
import type { SysfsView } from '../../sysfs/view.ts';
import type { CxlMemIoctl } from '../lib/ioctl.ts';
import { exists } from '../lib/sysfs.ts';
import type { CxlCtx } from '../lib/types.ts';
import type { Ndctl } from '../util/jsonc.ts';
import { Output } from '../util/print.ts';
import { ndctlHas } from '../versions.ts';

/** Host files the label commands read and write. Failures are Errno values (fopen's errno). */
export interface FileIo {
  read(path: string): Uint8Array;
  write(path: string, data: Uint8Array): void;
}

/** The options of one run: the ndctl release, stdout a tty, UUIDs and files to use. */
export interface NdctlOptions {
  ndctl: Ndctl;
  /** isatty(1): human number formats in the JSON a command prints */
  isTty?: boolean;
  /** uuid_generate() + uuid_unparse(): a lower-case 36-character UUID */
  uuid?: () => string;
  /** the host file system (node:fs by default) */
  files?: FileIo;
  /** stdin redirected from a file (`< labels.bin`); without it stdin is an empty pipe */
  stdin?: Uint8Array;
  /** sleep(3) in the guest, ms of the machine's virtual clock (absent: the tool cannot wait) */
  sleep?: (ms: number) => void;
}

/** One process's state. */
export interface CmdEnv {
  ctx: CxlCtx;
  out: Output;
  ndctl: Ndctl;
  isTty: boolean;
  uuid: () => string;
  files: FileIo;
  stdin: Uint8Array | undefined;
  sleep: ((ms: number) => void) | undefined;
}

/** Errno name for a Node.js system error code (EACCES, ENOENT, …), EIO when unknown. */
function errnoOf(e: unknown): Errno {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && code in ERRNO) return new Errno(code as ErrnoName);
  return new Errno('EIO');
}

/** node:fs as fopen()/fread()/fwrite() would see it. */
export const nodeFiles: FileIo = {
  read(path) {
    try {
      return new Uint8Array(readFileSync(path));
    } catch (e) {
      throw errnoOf(e);
    }
  },
  write(path, data) {
    let fd: number;
    try {
      fd = openSync(path, 'w+');
    } catch (e) {
      throw errnoOf(e);
    }
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
  },
};

/** cxl_new() plus the process around it. */
export function newEnv(
  view: SysfsView,
  ioctl: CxlMemIoctl | undefined,
  opts: NdctlOptions,
): CmdEnv {
  const out = new Output();
  const ctx: CxlCtx = {
    view,
    ioctl,
    ndctl: opts.ndctl,
    out,
    debugfs: undefined,
    memdevs: undefined,
    buses: undefined,
  };
  if (ndctlHas(opts.ndctl, 'debugfsInjection') && exists(ctx, '/sys/kernel/debug/cxl'))
    ctx.debugfs = '/sys/kernel/debug/cxl';
  return {
    ctx,
    out,
    ndctl: opts.ndctl,
    isTty: opts.isTty ?? false,
    uuid: opts.uuid ?? randomUUID,
    files: opts.files ?? nodeFiles,
    stdin: opts.stdin,
    sleep: opts.sleep,
  };
}

/** What the process wrote and its exit status. */
export interface CmdResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** The result of a run that ended with `code`. */
export function done(env: CmdEnv, code: number): CmdResult {
  return { stdout: env.out.stdout, stderr: env.out.stderr, code };
}
