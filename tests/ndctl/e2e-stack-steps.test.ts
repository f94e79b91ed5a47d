/**
 * End to end on the newer stacks: each capture of sysfs-fixtures/stacks/{latest,debian-13} booted
 * from its host/qemu-cmdline.sh with the stack's profile (latest = Linux 7.3 + QEMU 11.1 + ndctl
 * 85, debian-13 = 6.12 + 10.0 + 81), then every step of its scenario.guest replayed in order on
 * the live machine: `cxl` commands through cxlCommand(), raw `sysw` scripts through a busybox-sh
 * stand-in, the volatile scenario's memory-state script through cxlsim's guest shell. Device names
 * are translated through canon identities (the capture's sysfs.txt vs our dump); compared in
 * identity space with UUIDs masked: exit code, stdout, stderr and the dmesg lines the step caused
 * (timestamps dropped, WARN splat bodies reduced to their message, see dmesgLines()).
 *
 * Differences kept are listed in KNOWN (per step, the fields that differ, and why): the test fails
 * when a listed step becomes equal or an unlisted one differs. docs/fidelity.md repeats the list.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { KernelLog } from '../../src/kernel/log.ts';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import { dumpSysfs } from '../../src/sysfs/dump.ts';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';
import { canonEntries, identityMap, rename } from '../helpers/canon.ts';
import {
  dmesgLines,
  readStep,
  runMemState,
  runSysw,
  scriptSteps,
  UUID,
} from '../helpers/step-replay.ts';

const STACKS = join(import.meta.dirname, '../../sysfs-fixtures/stacks');

/** Steps built per stack (every NN-name/step/cmd.txt named by a scenario.guest). */
const EXPECTED_STEPS: Record<string, number> = { latest: 43, 'debian-13': 16 };

/** Steps not replayed: libnvdimm namespaces and label dumps are outside the CXL model. */
const NOT_REPLAYED: Record<string, string> = {
  'ndctl ': 'ndctl namespace commands: libnvdimm, outside the CXL stack',
  'sh -c . /gt/gtlib.sh; cxl read-labels':
    'label dump after a namespace was written by libnvdimm (outside the CXL stack)',
};

type Field = 'code' | 'stdout' | 'stderr' | 'dmesg';

/** Known differences: `<stack>/<scenario>/<step>` → fields that differ, and why. */
('"tracefs_instance_create() failed" on stderr, no "daxregion" object: `cxl list` emulation (h-list)');
const KNOWN: Record<string, { fields: Field[]; why: string }> = {
  'latest/failures/f17-no-memdevs-given': {
    fields: ['stderr', 'dmesg'],
    why: 'without memdev arguments ndctl takes the first memdev in the kernel numbering, which on the real guest follows its asynchronous probe order (cxlsim numbers in PCI order)',
  },
};

interface Tally {
  steps: number;
  replayed: number;
  equal: Record<Field | 'all', number>;
}
const tallies = new Map<string, Tally>();

function stackScenarios(stack: string): string[] {
  return readdirSync(join(STACKS, stack)).filter((s) =>
    existsSync(join(STACKS, stack, s, 'host', 'scenario.guest')),
  );
}

function runInfo(dir: string, key: string): string | undefined {
  const f = join(dir, 'host', 'run-info.txt');
  if (!existsSync(f)) return undefined;
  return new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(f, 'utf8'))?.[1];
}

for (const stack of Object.keys(EXPECTED_STEPS)) {
  const profile = resolveProfile(stack);
  const tally: Tally = {
    steps: 0,
    replayed: 0,
    equal: { code: 0, stdout: 0, stderr: 0, dmesg: 0, all: 0 },
  };
  tallies.set(stack, tally);
  let built = 0;

  for (const scenario of stackScenarios(stack)) {
    const dir = join(STACKS, stack, scenario);
    const steps = scriptSteps(dir)
      .map((s) => ({ ...s, rec: readStep(join(dir, s.name)) }))
      .filter((s) => s.rec !== undefined);
    if (steps.length === 0) continue;
    built += steps.length;

    describe(`${stack}/${scenario}: steps replayed on the booted capture`, () => {
      const text = readFileSync(join(dir, 'host', 'qemu-cmdline.sh'), 'utf8');
      const topo = parseQemuCommandLine(text, {
        qemu: profile.qemu,
        path: `${stack}/${scenario}/host/qemu-cmdline.sh`,
      });
      const m = bootMachine(topo, { profile, dyndbg: runInfo(dir, 'dyndbg') === '1' });
      const capMap = identityMap(
        canonEntries(readFileSync(join(dir, '00-boot', 'sysfs.txt'), 'utf8')),
      );
      const ourMap = identityMap(canonEntries(dumpSysfs(m.sysfs)));
      const toOurs = new Map([...ourMap].map(([name, id]) => [id, name]));
      const capToOurs = new Map([...capMap].map(([name, id]) => [name, toOurs.get(id) ?? id]));
      const translate = (s: string): string => rename(s, capToOurs);
      const norm = (s: string, map: Map<string, string>): string =>
        rename(s, map).replace(UUID, '<uuid>');

      for (const { name, cleanup, rec } of steps) {
        if (!rec) continue;
        const id = `${stack}/${scenario}/${name}`;
        const skip = Object.keys(NOT_REPLAYED).find((p) => rec.cmd.startsWith(p));
        it(`${name}: ${rec.cmd.split('\n')[0]}${skip ? ' [not replayed]' : ''}`, () => {
          tally.steps += 1;
          if (skip) {
            expect(KNOWN[id], 'a step not replayed has no known-differences entry').toBeUndefined();
            return;
          }
          tally.replayed += 1;
          const mark = m.kernel.log.mark();
          let got: { code: number; stdout: string; stderr: string };
          if (rec.cmd.startsWith('cxl ')) {
            got = cxlCommand(m.sysfs, m.ioctl, rec.argv.map(translate), {
              ndctl: profile.ndctl,
              isTty: false,
            });
          } else if (rec.cmd.includes('sysw ')) {
            got = { code: 0, stdout: runSysw(m.sysfs, translate(rec.cmd)), stderr: '' };
          } else {
            const script = translate(rec.cmd.replace(/^sh -c \. \/gt\/gtlib\.sh;\s*/, ''));
            got = runMemState(m, script, profile.ndctl);
          }
          const dmesg = m.kernel.log
            .since(mark)
            .map((l) => KernelLog.format(l))
            .join('\n');
          if (cleanup)
            cxlCommand(m.sysfs, m.ioctl, ['destroy-region', '-f', 'all'], {
              ndctl: profile.ndctl,
            });
          const ours = {
            code: got.code,
            stdout: norm(got.stdout, ourMap),
            stderr: norm(got.stderr, ourMap),
            dmesg: dmesgLines(norm(dmesg, ourMap)),
          };
          // /proc/meminfo is not modelled: its two lines leave the capture's memory-state output
          let recStdout = rec.stdout;
          if (/\/proc\/meminfo/.test(rec.cmd)) {
            const kept = recStdout.split('\n').filter((l) => !/^(MemTotal|MemFree):/.test(l));
            expect(recStdout.split('\n').length - kept.length).toBe(2);
            recStdout = kept.join('\n');
          }
          const real = {
            code: rec.rc,
            stdout: norm(recStdout, capMap),
            stderr: norm(rec.stderr, capMap),
            dmesg: dmesgLines(norm(rec.dmesg, capMap)),
          };
          const fields: Field[] = ['code', 'stdout', 'stderr', 'dmesg'];
          const differ = fields.filter((f) => JSON.stringify(ours[f]) !== JSON.stringify(real[f]));
          for (const f of fields) if (!differ.includes(f)) tally.equal[f] += 1;
          if (differ.length === 0) tally.equal.all += 1;
          const known = KNOWN[id];
          if (known)
            expect(differ, `${id}: known differences (${known.why})`).toEqual(known.fields);
          else expect(ours).toEqual(real);
        });
      }
    });
  }

  it(`${stack}: builds every step of its captures`, () => {
    expect(built).toBe(EXPECTED_STEPS[stack]);
  });
}

afterAll(() => {
  for (const [stack, t] of tallies)
    console.log(
      `steps ${stack}: ${t.steps} built, ${t.replayed} replayed, equal: all ${t.equal.all}, ` +
        `code ${t.equal.code}, stdout ${t.equal.stdout}, stderr ${t.equal.stderr}, dmesg ${t.equal.dmesg}`,
    );
});
