/**
 * Generates the cxlsim side of the ndctl conformance run (scripts/ndctl-conformance).
 *
 * usage: node --import tsx scripts/conformance/generate.ts OUT_DIR [FIXTURES_DIR]
 *
 * For every preset, every fixture topology (FIXTURES_DIR/<scenario>/host/qemu-cmdline.sh) and the
 * state after each of that scenario's region steps, through the cxlsim CLI (in-process, machine
 * booted with `--profile debian-12`: Linux 6.1, QEMU 7.2, ndctl 76.1):
 *   OUT_DIR/<case>/sys         `cxlsim sysfs export` of the state
 *   OUT_DIR/<case>/cxl-list/   `cxlsim list <flags>` for the twelve capture flag sets, in the
 *                              capture layout (index.txt, <name>.json, <name>.stderr)
 * and one line per case in OUT_DIR/cases.tsv: "<case>\t<case dir>\t<tree dir>\t<note>", ready for
 * shared/tools/check-capture.py --mbox-shim <case dir> <tree dir>.
 * A preset QEMU 7.2 rejects (arm virt needs a newer QEMU) is booted with `--qemu-version 11.1`
 * (kernel 6.1 and ndctl 76.1 kept) and noted. Its devices' mailboxes are QEMU 11.1's, which also
 * answer GET_ALERT_CONFIG; the shim on the real tool's side answers as a QEMU 7.2 device does, so
 * for the flag sets that query the mailbox (-vvv) cxlsim's `cxl list` runs over the same machine
 * with the shim's answers (tests/helpers/mbox-shim.ts) instead of the device's own.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bootMachine } from '../../src/boot.ts';
import { cxlList } from '../../src/ndctl/cxl/list.ts';
import { resolveProfile } from '../../src/profile.ts';
import { getPreset, PRESET_NAMES } from '../../src/topology/presets/index.ts';
import { mboxShim } from '../../tests/helpers/mbox-shim.ts';
import { Cli } from './cli.ts';
import { FLAG_SETS, type FlagSet, type ListRun, writeListStep } from './flags.ts';
import { cleanup, nameTranslator, replayStep, scenarioSteps } from './scenario.ts';

const [outArg, fixturesArg] = process.argv.slice(2);
if (!outArg) {
  process.stderr.write('usage: generate.ts OUT_DIR [FIXTURES_DIR]\n');
  process.exit(2);
}
const OUT = resolve(outArg);
const FIXTURES = resolve(fixturesArg ?? join(import.meta.dirname, '..', '..', 'sysfs-fixtures'));
mkdirSync(OUT, { recursive: true });
const CASES = join(OUT, 'cases.tsv');
writeFileSync(CASES, '');

/** Flag sets that send mailbox commands (-vvv implies -I -H -A). */
const usesMailbox = (set: FlagSet): boolean => set.flags.includes('-vvv');

/**
 * Exports the state and runs the twelve flag sets; records the case. `shimList` replaces the
 * mailbox flag sets' runs (see the file comment).
 */
async function snapshot(
  cli: Cli,
  id: string,
  note = '',
  shimList?: (flags: string[]) => ListRun,
): Promise<void> {
  const dir = join(OUT, id);
  const tree = join(dir, 'sys');
  mkdirSync(dir, { recursive: true });
  await cli.must(['sysfs', 'export', tree]);
  const runs: Array<[FlagSet, ListRun]> = [];
  for (const set of FLAG_SETS) {
    const r =
      shimList && usesMailbox(set) ? shimList(set.flags) : await cli.run(['list', ...set.flags]);
    runs.push([set, r]);
  }
  writeListStep(dir, runs);
  appendFileSync(CASES, `${id}\t${dir}\t${tree}\t${note}\n`);
}

/** A fresh state directory. */
function newCli(): Cli {
  const state = mkdtempSync(join(tmpdir(), 'cxlsim-conformance-'));
  return new Cli(state, process.cwd());
}

async function presets(): Promise<void> {
  for (const name of PRESET_NAMES) {
    const cli = newCli();
    try {
      const boot = ['boot', '--preset', name, '--profile', 'debian-12'];
      if ((await cli.run(boot)).code === 0) {
        await snapshot(cli, `preset/${name}`);
        continue;
      }
      await cli.must([...boot, '--qemu-version', '11.1']);
      const profile = resolveProfile('debian-12', { qemuVersion: '11.1' });
      const m = bootMachine(getPreset(name, profile.qemu), { profile });
      const shimList = (flags: string[]): ListRun =>
        cxlList(m.sysfs, flags, { ndctl: '76.1', ioctl: mboxShim(m.sysfs) });
      const note = 'QEMU 7.2 rejects it: --qemu-version 11.1, -vvv sets over the shim mailbox';
      await snapshot(cli, `preset/${name}`, note, shimList);
    } finally {
      rmSync(cli.stateDir, { recursive: true, force: true });
    }
  }
}

async function scenarios(): Promise<void> {
  for (const scenario of readdirSync(FIXTURES).sort()) {
    const dir = join(FIXTURES, scenario);
    const qemu = join(dir, 'host', 'qemu-cmdline.sh');
    if (!existsSync(qemu)) continue;
    const cli = newCli();
    try {
      await cli.must(['boot', '--qemu', qemu, '--profile', 'debian-12']);
      await snapshot(cli, `qemu/${scenario}/00-boot`);
      const steps = scenarioSteps(dir);
      if (steps.length === 0) continue;
      const translate = await nameTranslator(dir, cli);
      for (const step of steps) {
        await replayStep(cli, step, translate);
        await snapshot(cli, `qemu/${scenario}/${step.name}`);
        if (step.cleanup) await cleanup(cli);
      }
    } finally {
      rmSync(cli.stateDir, { recursive: true, force: true });
    }
  }
}

await presets();
await scenarios();
