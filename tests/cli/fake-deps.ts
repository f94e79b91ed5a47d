/**
 * CLI dependencies over a hand-built machine (tests/sysfs/minimal-tree.ts), so the CLI's
 * state, lock, replay and error handling can be tested without the platform, the drivers
 * or the list emulation.
 */
import type { CliDeps } from '../../src/cli/deps.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { runCli } from '../../src/cli/program.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { KERN } from '../../src/kernel/log.ts';
import type { CxlMemIoctl } from '../../src/ndctl/lib/ioctl.ts';
import type { Topology } from '../../src/topology/model.ts';
import { buildMinimal } from '../sysfs/minimal-tree.ts';

export const PRESETS = ['default', 'minimal'];

const ioctl: CxlMemIoctl = {
  queryCommands: () => new Errno('ENOTTY'),
  send: () => new Errno('ENOTTY'),
};

function topology(name: string, source: Topology['source'], ignored: string[] = []): Topology {
  return {
    name,
    source,
    machine: { type: 'q35', ramSize: 2n << 30n, cxl: true, options: {} },
    hostBridges: [],
    windows: [],
    cxims: [],
    ignored,
  };
}

/** Fake deps; `calls` records what ran. */
export function fakeDeps(): CliDeps & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async topology(input) {
      calls.push(`topology ${input.kind}`);
      if (input.kind === 'preset') {
        if (!PRESETS.includes(input.name))
          throw new Errno(
            'EINVAL',
            `unknown preset '${input.name}' (known: ${PRESETS.join(', ')})`,
          );
        return topology(input.name, { kind: 'preset', name: input.name });
      }
      if (input.text.includes('bogus')) throw new Errno('EINVAL', "Bus 'bogus' not found");
      return topology('file', { kind: input.kind === 'qemu' ? 'qemu' : 'file', path: input.path }, [
        '-nographic',
      ]);
    },
    async boot(t, opts) {
      calls.push(`boot ${t.name} ${opts.profile.name}${opts.dyndbg ? ' dyndbg' : ''}`);
      const m = buildMinimal();
      m.kernel.log.dyndbg = opts.dyndbg ?? false;
      m.dev.p17.info('booted');
      m.kernel.log.printk(KERN.DEBUG, 'cxl_port port1: debug line');
      return { topology: t, profile: opts.profile, kernel: m.kernel, sysfs: m.view, ioctl };
    },
    async list(view, args, opts) {
      calls.push(`list ${JSON.stringify(args)} ${opts.ndctl}`);
      if (args.includes('--bogus'))
        return { stdout: '', stderr: " error: unknown option `bogus'\n", code: 129 };
      return {
        stdout: `${JSON.stringify(view.readdir('bus/cxl/devices'))}\n`,
        stderr: '',
        code: 0,
      };
    },
  };
}

/** An in-memory CliIo. */
export function memIo(
  cwd: string,
  env: Record<string, string | undefined> = {},
): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (s: string) => {
      io.stdout += s;
    },
    err: (s: string) => {
      io.stderr += s;
    },
    env,
    cwd,
  };
  return io;
}

/**
 * cxlsim's CLI run in-process in `cwd` (its state in `cwd/.cxlsim`): `run(...argv)` gives the
 * exit code and what it printed.
 */
export function cliRunner(
  cwd: string,
): (...argv: string[]) => Promise<{ code: number; stdout: string; stderr: string }> {
  return async (...argv) => {
    const io = memIo(cwd, {});
    const code = await runCli(argv, io);
    return { code, stdout: io.stdout, stderr: io.stderr };
  };
}
