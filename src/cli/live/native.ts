/**
 * DOC: the two small C programs of `cxlsim run`, built with the host's `cc` on first use.
 *
 * native/cxlsim-shim.c (LD_PRELOAD library: memdev ioctls → the serving cxlsim) and
 * native/cxlsim-ctl.c (the `modprobe`/`dmesg`/`journalctl` stand-ins) are compiled into
 * `$XDG_CACHE_HOME/cxlsim/native-<hash of the sources>/` (default ~/.cache), once per source
 * version; a build is written to a temp name and renamed, so concurrent runs do not see half
 * a file.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '../errors.ts';
import { packageUrl } from '../paths.ts';

/** The native folder: <package>/native (same depth from src/cli/live and dist/cli/live). */
const NATIVE_DIR = fileURLToPath(packageUrl('native/'));

/** The commands cxlsim-ctl stands in for (links in the bin directory). */
const STAND_INS = ['modprobe', 'dmesg', 'journalctl', 'udevadm'];

/** What a build gives. */
export interface NativeTools {
  /** The LD_PRELOAD library. */
  shim: string;
  /** A directory with `modprobe`, `dmesg`, `journalctl`, `udevadm` (links to cxlsim-ctl), for PATH. */
  bin: string;
}

/**
 * Builds (or finds built) the shim and the stand-ins.
 * @throws CliError with exit code 77 when there is no C compiler or the build fails
 */
export function buildNative(env: NodeJS.ProcessEnv): NativeTools {
  const shimSrc = join(NATIVE_DIR, 'cxlsim-shim.c');
  const ctlSrc = join(NATIVE_DIR, 'cxlsim-ctl.c');
  let hash: string;
  try {
    hash = createHash('sha256')
      .update(readFileSync(shimSrc))
      .update(readFileSync(ctlSrc))
      .update(STAND_INS.join(','))
      .digest('hex')
      .slice(0, 16);
  } catch (e) {
    throw new CliError(`cannot read cxlsim's native sources: ${(e as Error).message}`, 77);
  }
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = join(cache, 'cxlsim', `native-${hash}`);
  const shim = join(dir, 'cxlsim-shim.so');
  const bin = join(dir, 'bin');
  if (STAND_INS.every((n) => existsSync(join(bin, n)))) return { shim, bin };
  const cc = env.CC || 'cc';
  const tmp = `${dir}.${process.pid}.tmp`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(tmp, 'bin'), { recursive: true });
    execFileSync(
      cc,
      ['-O2', '-shared', '-fPIC', '-o', join(tmp, 'cxlsim-shim.so'), shimSrc, '-ldl'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    execFileSync(cc, ['-O2', '-o', join(tmp, 'cxlsim-ctl'), ctlSrc], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    for (const n of STAND_INS) symlinkSync('../cxlsim-ctl', join(tmp, 'bin', n));
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT')
      throw new CliError(`run needs a C compiler to build its ioctl shim (${cc} not found)`, 77);
    throw new CliError(
      `building the ioctl shim with ${cc} failed: ${String(err.stderr ?? err.message).split('\n')[0]}`,
      77,
    );
  }
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another run built it first
  }
  return { shim, bin };
}
