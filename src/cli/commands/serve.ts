/**
 * DOC: `cxlsim serve --mount DIR` and `cxlsim run -- CMD…` — the real tools on cxlsim.
 *
 * `serve` holds the state directory's machine and serves its /sys live over FUSE at DIR and
 * its memdev ioctls on a unix socket (src/cli/live/serving.ts) until SIGINT/SIGTERM, then
 * unmounts. `run` runs CMD in a private mount namespace (`unshare -m`, propagation private)
 * where /sys is that live mount (a running `serve` of the state directory, else a server of
 * its own for the duration of CMD) — with the live /sys/kernel/tracing bound over a tracefs
 * mount, so that /proc/mounts names a "tracefs" there: libtracefs looks for that type (else
 * it mounts the host's own tracefs over the directory, find_tracing_dir()), and the host's
 * tracefs stays hidden under cxlsim's — /dev is a small tmpfs with null/zero/full/random/urandom/
 * tty, the host's pts/shm, and /dev/cxl/memN (char 1:3; their ioctls are answered by the
 * LD_PRELOADed native/cxlsim-shim.c), and PATH starts with the `modprobe`/`dmesg`/
 * `journalctl` stand-ins. CMD's exit code is run's. Without root, `unshare`, FUSE or a C
 * compiler, `run` exits 77 (the automake/meson "skip") with the reason on stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../errors.ts';
import { buildNative } from '../live/native.ts';
import { findServing, loadFuse, type Serving, startServing } from '../live/serving.ts';
import type { CliContext } from '../session.ts';

/** Resolves when the process gets SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** `cxlsim serve --mount DIR`. */
export async function serveCommand(ctx: CliContext, mount: string): Promise<number> {
  const s = await startServing(ctx, mount, true);
  ctx.io.err(
    `cxlsim: serving the /sys of ${ctx.stateDir} at ${s.info.mount} (memdev socket ${s.info.socket}); Ctrl-C stops\n`,
  );
  await untilSignal();
  // a second signal while the unmount waits on a busy mount: detach it now and go, so that
  // Ctrl-C always works and no stale mount is left behind
  const again = (second: NodeJS.Signals) => {
    s.abort();
    ctx.io.err(`cxlsim: unmounted ${s.info.mount} (lazily, on a second ${second})\n`);
    process.exit(128 + (constants.signals[second] ?? 15));
  };
  process.on('SIGINT', again);
  process.on('SIGTERM', again);
  await s.close();
  process.off('SIGINT', again);
  process.off('SIGTERM', again);
  ctx.io.err(`cxlsim: unmounted ${s.info.mount}\n`);
  return 0;
}

/**
 * The namespace setup, run by bash inside `unshare -m`: $1 the live mount, $2 the stand-in
 * bin directory, $3 the shim; the command follows `--`.
 */
const INSIDE = `
set -e
mnt=$1 bin=$2 shim=$3; shift 4
mount --bind "$mnt" /sys
if [ -d "$mnt/kernel/tracing" ] && mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then
	mount --bind "$mnt/kernel/tracing" /sys/kernel/tracing || umount /sys/kernel/tracing
fi
if [ -d "$mnt/kernel/debug" ] && mount -t debugfs nodev /sys/kernel/debug 2>/dev/null; then
	mount --bind "$mnt/kernel/debug" /sys/kernel/debug || umount /sys/kernel/debug
fi
d=$(mktemp -d "${'$'}{TMPDIR:-/tmp}/cxlsim-dev.XXXXXX")
mount -t tmpfs -o mode=755,size=1m cxlsim-dev "$d"
for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
	IFS=: read -r name maj min <<<"$n"
	mknod -m 666 "$d/$name" c "$maj" "$min"
done
ln -s /proc/self/fd "$d/fd"; ln -s /proc/self/fd/0 "$d/stdin"
ln -s /proc/self/fd/1 "$d/stdout"; ln -s /proc/self/fd/2 "$d/stderr"
for x in pts shm mqueue; do
	if [ -d "/dev/$x" ]; then mkdir "$d/$x"; mount --rbind "/dev/$x" "$d/$x"; fi
done
[ -e /dev/pts/ptmx ] && ln -s pts/ptmx "$d/ptmx"
mkdir "$d/cxl"
for m in /sys/bus/cxl/devices/mem*; do
	[ -e "$m" ] || continue
	mknod -m 600 "$d/cxl/${'$'}{m##*/}" c 1 3
done
mount --move "$d" /dev
rmdir "$d" 2>/dev/null || true
export LD_PRELOAD=$shim${'$'}{LD_PRELOAD:+:$LD_PRELOAD}
export PATH=$bin:$PATH
exec "$@"
`;

/** `cxlsim run -- CMD…`. */
export async function runCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const cmd = argv[0] === '--' ? argv.slice(1) : argv;
  if (cmd.length === 0) throw new CliError('usage: cxlsim run [--] COMMAND [ARGS…]', 2);
  if (process.getuid?.() !== 0)
    throw new CliError('run needs root (a private mount namespace and a FUSE mount)', 77);
  const probe = spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], {
    stdio: 'ignore',
  });
  if (probe.error || probe.status !== 0)
    throw new CliError("run needs 'unshare -m' (util-linux, CAP_SYS_ADMIN)", 77);
  try {
    await loadFuse();
  } catch (e) {
    throw new CliError((e as Error).message, 77);
  }
  const tools = buildNative(ctx.io.env);
  let own: Serving | undefined;
  let ownDir: string | undefined;
  let info = findServing(ctx.stateDir);
  if (!info) {
    ownDir = mkdtempSync(join(tmpdir(), 'cxlsim-sys-'));
    own = await startServing(ctx, ownDir, false);
    info = own.info;
  }
  try {
    const child = spawn(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'bash',
        '-c',
        INSIDE,
        'cxlsim-run',
        info.mount,
        tools.bin,
        tools.shim,
        '--',
        ...cmd,
      ],
      {
        stdio: 'inherit',
        cwd: ctx.io.cwd,
        env: { ...ctx.io.env, CXLSIM_SOCKET: info.socket },
      },
    );
    const forward = (s: NodeJS.Signals) => child.kill(s);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const code = await new Promise<number>((resolve) => {
      child.on('error', (e) => {
        ctx.io.err(`cxlsim: run: ${e.message}\n`);
        resolve(127);
      });
      child.on('exit', (c, sig) => resolve(c ?? 128 + (sig ? (constants.signals[sig] ?? 1) : 1)));
    });
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    return code;
  } finally {
    if (own) await own.close();
    if (ownDir) {
      try {
        rmdirSync(ownDir);
      } catch {}
    }
  }
}
