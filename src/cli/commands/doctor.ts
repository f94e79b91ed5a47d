/**
 * DOC: `cxlsim doctor --qemu FILE [--profile P] [--try 'create-region …']… [--json]` — what a
 * guest will do with a QEMU line, per profile, before any boot (src/doctor). Reads nothing
 * from and writes nothing to the state directory. Exit code 0 when every profile's QEMU
 * accepts the line, 1 otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { doctor, renderDoctor } from '../../doctor/index.ts';
import { ERRNO, Errno, type ErrnoName } from '../../kernel/errno.ts';
import { PROFILES, resolveProfile } from '../../profile.ts';
import { splitShellWords } from '../../topology/qemu-shell.ts';
import type { CliContext } from '../session.ts';

/** Options of `cxlsim doctor`. */
export interface DoctorArgs {
  qemu?: string;
  profile?: string;
  try?: string[];
  json?: boolean;
}

/** Runs `cxlsim doctor`. */
export async function doctorCommand(ctx: CliContext, a: DoctorArgs): Promise<number> {
  if (a.qemu === undefined) throw new Errno('EINVAL', 'doctor needs --qemu FILE');
  let text: string;
  try {
    text = readFileSync(resolve(ctx.io.cwd, a.qemu), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    const name: ErrnoName = code in ERRNO ? (code as ErrnoName) : 'EIO';
    throw new Errno(name, `cannot read ${a.qemu}: ${ERRNO[name][1]}`);
  }
  const profiles =
    a.profile !== undefined
      ? [resolveProfile(a.profile)]
      : Object.keys(PROFILES).map((n) => resolveProfile(n));
  const tries = (a.try ?? []).map((s) => {
    const w = splitShellWords(s);
    return w[0] === 'cxl' ? w.slice(1) : w;
  });
  const rs = doctor({
    text,
    path: a.qemu,
    profiles,
    fileExists: (f) => existsSync(resolve(ctx.io.cwd, f)),
    tries,
  });
  ctx.io.out(a.json ? `${JSON.stringify(rs, null, 2)}\n` : renderDoctor(rs));
  return rs.some((r) => r.qemuError !== undefined) ? 1 : 0;
}
