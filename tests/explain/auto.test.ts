/**
 * `cxlsim explain` for regions the kernel could not auto-assemble from firmware-committed
 * decoders (bios-2way.yaml with one upstream decoder broken, latest): with nothing else to
 * explain, explain picks the unfinished region, names the failing firmware check on the device
 * the kernel's dev_err names, and proposes the firmware programming the kernel expects, as a
 * patched topology file — verified, and booting it gives the committed region — and a
 * guest-side way out (delete it, create it by hand) only if that works.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Explanation } from '../../src/explain/types.ts';
import type { PreCommittedDecoder } from '../../src/topology/model.ts';
import { topologyToYaml } from '../../src/topology/serialize.ts';
import { cliRunner } from '../cli/fake-deps.ts';
import { loadTopology } from '../scenarios/helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Boots bios-2way with the host bridge's decoder changed; returns the CLI runner. */
async function broken(change: Partial<PreCommittedDecoder>) {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-explain-auto-'));
  dirs.push(cwd);
  const t = loadTopology('bios-2way');
  Object.assign(t.hostBridges[0]?.committed?.[0] ?? {}, change);
  writeFileSync(join(cwd, 'broken.yaml'), topologyToYaml(t));
  const run = cliRunner(cwd);
  expect(
    (await run('boot', '--topology', 'broken.yaml', '--profile', 'latest', '--dyndbg')).code,
  ).toBe(0);
  return { run, cwd };
}

const BASE = 0x1000000000n;

describe('explain an unfinished auto region (latest)', () => {
  const cases: [string, Partial<PreCommittedDecoder>, string, RegExp][] = [
    [
      'mismatched range',
      { base: BASE + 0x20000000n },
      'firmware-mapping',
      /^cxl_mem (mem\d+): failed to find decoder mapping 0x1000000000-0x101fffffff$/,
    ],
    [
      'mismatched ways',
      { ways: 1, targets: [0] },
      'firmware-targets',
      /^cxl_mem (mem\d+): failed to find endpoint\d+:\S+ in target list of decoder\d+\.0$/,
    ],
    [
      'mismatched granularity',
      { granularity: 1024 },
      'firmware-interleave',
      /^cxl region0: \S+:(port\d+) cxl_port_setup_targets expected iw: 2 ig: 512 /,
    ],
  ];
  for (const [what, change, id, errLine] of cases) {
    it(`${what}: names "${id}", and both fixes work`, async () => {
      const { run, cwd } = await broken(change);
      const r = await run('explain', '--json');
      expect(r.code).toBe(0);
      const e = JSON.parse(r.stdout) as Explanation;
      expect(e.subject).toBe('region0');
      const f = e.checks.filter((c) => c.status === 'failed');
      expect(f.map((c) => c.id)).toEqual([id]);
      const m = errLine.exec(f[0]?.message ?? '');
      expect(m, f[0]?.message).not.toBeNull();
      expect(f[0]?.device).toBe(m?.[1]);
      expect(f[0]?.errno).toBe('ENXIO');
      // the kernel's line is in dmesg as the boot logged it
      expect((await run('dmesg')).stdout).toContain(f[0]?.message);
      const firmware = e.fixes.find((x) => x.topology);
      expect(firmware?.verified).toBe(true);
      // a guest-side way out is offered only when it works: here the endpoint decoders stay
      // committed in the hardware (cxl_dpa_free refuses: "decoder enabled"), so there is none
      const guest = e.fixes.find((x) => x.commands.length);
      if (guest) {
        for (const c of guest.commands) expect((await run(...c.split(' ').slice(1))).code).toBe(0);
        expect(JSON.parse((await run('list', '-R')).stdout)).toMatchObject([
          { decode_state: 'commit' },
        ]);
      }
      writeFileSync(join(cwd, 'fixed.yaml'), firmware?.topology ?? '');
      expect((await run('boot', '--topology', 'fixed.yaml', '--profile', 'latest')).code).toBe(0);
      expect(JSON.parse((await run('list', '-R')).stdout)).toMatchObject([
        { region: 'region0', decode_state: 'commit', interleave_ways: 2 },
      ]);
    });
  }
});
