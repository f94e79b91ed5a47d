/**
 * The REAL ndctl `cxl` tool on cxlsim: `cxlsim serve --mount DIR` in the background and
 * `cxlsim run -- cxl …` against it (default preset, debian-12 profile = the Debian 12 ndctl
 * 76.1 these hosts install). Needs root, the `cxl` tool, fuse-native with libfuse2, /dev/fuse
 * and a C compiler; without them every test here is skipped and says which is missing (CI
 * installs ndctl and libfuse2, so there they run).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MachineState } from '../../src/cli/state.ts';
import { liveServe, missingRealTool } from '../helpers/live-real.ts';

// the host's own cxl (Debian 12's 76.1, for the debian-12 profile), not $NDCTL_BIN_DIR's
const PATH = process.env.PATH ?? '';
const reason = await missingRealTool(0, 'the memdev ioctls', PATH);

describe.skipIf(reason !== undefined)(
  `the real cxl tool through cxlsim run${reason ? ` (skipped: needs ${reason})` : ''}`,
  () => {
    const live = liveServe('cxlsim-real-', 'default', 'debian-12', PATH);
    const cxlsim = live.cxlsim;
    const journal = () =>
      (JSON.parse(readFileSync(join(live.dir(), 'st', 'state.json'), 'utf8')) as MachineState).ops;

    let region = '';
    it('creates a region with the real create-region; cxlsim list -R shows it', () => {
      const r = cxlsim(
        'run',
        '--',
        'cxl',
        'create-region',
        '-m',
        '-d',
        'decoder0.1',
        '-w',
        '2',
        '-g',
        '4096',
        'mem2',
        'mem0',
      );
      expect(r.stderr).toContain('cxl region: cmd_create_region: created 1 region');
      expect(r.code).toBe(0);
      const made = JSON.parse(r.stdout) as { region: string; decode_state: string };
      expect(made.decode_state).toBe('commit');
      region = made.region;
      const list = cxlsim('list', '-R');
      expect(list.code).toBe(0);
      const regions = JSON.parse(list.stdout) as { region: string; size: number }[];
      expect(regions.map((x) => x.region)).toEqual([region]);
      expect(regions[0]?.size).toBe(2 * 256 * 2 ** 20);
    }, 120_000);

    it("shows the guest's error when the kernel refuses a write", () => {
      // decoder0.0 is below the first region's HPA on the same host bridge: 6.1 refuses
      // the target (HPA order violation, EBUSY) and the real tool reports it
      const r = cxlsim(
        'run',
        '--',
        'cxl',
        'create-region',
        '-m',
        '-d',
        'decoder0.0',
        '-w',
        '2',
        '-g',
        '256',
        'mem4',
        'mem3',
      );
      expect(r.stderr).toContain('failed to set target0 to mem4');
      expect(r.stderr).toContain('cxl region: cmd_create_region: created 0 regions');
      // journaled with its errno (libcxl's util_bind also tries every cxl driver's bind file
      // for the new region: the others refuse it with ENODEV, as on the guest)
      const refused = journal().filter(
        (op) => op.kind === 'sysfs-write' && op.fails && !op.path.endsWith('/bind'),
      );
      expect(refused).toMatchObject([
        { path: expect.stringMatching(/\/target0$/), fails: 'EBUSY' },
      ]);
      const echo = cxlsim(
        'run',
        '--',
        'bash',
        '-c',
        'echo region9 > /sys/bus/cxl/devices/decoder0.1/create_pmem_region',
      );
      expect(echo.code).not.toBe(0);
      expect(echo.stderr).toMatch(/write error: Device or resource busy/);
    }, 120_000);

    it('destroys it with the real destroy-region', () => {
      const r = cxlsim('run', '--', 'cxl', 'destroy-region', '-f', region);
      expect(r.stderr).toContain('destroyed 1 region');
      expect(r.code).toBe(0);
      const list = cxlsim('list', '-R');
      expect(JSON.parse(list.stdout)).toEqual([]);
    }, 120_000);
  },
);
