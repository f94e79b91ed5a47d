/**
 * DOC: a capture scenario's region steps (host/scenario.guest, `step NAME CMD` / `sh_step NAME
 * "SCRIPT"`) replayed through the cxlsim CLI: `cxl …` steps as `cxlsim <command> …`, the raw
 * `sysw` scripts (r0N) as `cxlsim sysfs cat` / `cxlsim sysfs write`. Device names of the capture's
 * boot are translated to ours through canon identities (tests/helpers/canon.ts, the rules of
 * shared/tools/canon.py). ndctl/daxctl namespace steps (libnvdimm) are left out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonEntries, identityMap, rename } from '../../tests/helpers/canon.ts';
import type { Cli } from './cli.ts';

/** A replayable step: its name, the command line (capture names) and its cleanup flag. */
export interface ScenarioStep {
  name: string;
  cmd: string;
  cleanup: boolean;
}

/** The steps of `scenarioDir/host/scenario.guest` that have a recorded cmd.txt, in order. */
export function scenarioSteps(scenarioDir: string): ScenarioStep[] {
  const guest = join(scenarioDir, 'host', 'scenario.guest');
  if (!existsSync(guest)) return [];
  const out: ScenarioStep[] = [];
  for (const line of readFileSync(guest, 'utf8').split('\n')) {
    const m = /^(?:sh_)?step (\S+) (.*)$/.exec(line);
    if (!m) continue;
    const name = m[1] as string;
    const cmdFile = join(scenarioDir, name, 'step', 'cmd.txt');
    if (!existsSync(cmdFile)) continue;
    const cmd = readFileSync(cmdFile, 'utf8').trim();
    const sysw = cmd.startsWith('sh -c . /gt/gtlib.sh;') && cmd.includes('sysw ');
    if (!cmd.startsWith('cxl ') && !sysw) continue;
    out.push({ name, cmd, cleanup: /;\s*cleanup\s*$/.test(m[2] as string) });
  }
  return out;
}

/** capture device name → our device name, through the identities of both boots' dumps. */
export async function nameTranslator(
  scenarioDir: string,
  cli: Cli,
): Promise<(s: string) => string> {
  const cap = identityMap(
    canonEntries(readFileSync(join(scenarioDir, '00-boot', 'sysfs.txt'), 'utf8')),
  );
  const ours = identityMap(canonEntries((await cli.must(['sysfs', 'dump'])).stdout));
  const byId = new Map([...ours].map(([name, id]) => [id, name]));
  const map = new Map([...cap].map(([name, id]) => [name, byId.get(id) ?? id]));
  return (s) => rename(s, map);
}

/** A fixed UUID for `$(cat /proc/sys/kernel/random/uuid)`. */
const UUID = '01234567-89ab-4def-8123-456789abcdef';

/** busybox sh running an r0N script: `R=$(cat F); echo …`, `sysw P V`, `cat F…`. */
async function runSysw(cli: Cli, script: string): Promise<void> {
  const vars = new Map<string, string>();
  const subst = (s: string): string =>
    s
      .replace(/\$\(cat \/proc\/sys\/kernel\/random\/uuid\)/g, UUID)
      .replace(/\$(\w+)/g, (_, v: string) => vars.get(v) ?? '');
  for (const raw of script.split('\n')) {
    const line = raw.trim();
    let m = /^R=\$\(cat (\S+)\); echo "region=\$R"$/.exec(line);
    if (m) {
      vars.set('R', (await cli.run(['sysfs', 'cat', m[1] as string])).stdout.trim());
      continue;
    }
    m = /^sysw (\S+) (.*)$/.exec(line);
    if (m) await cli.run(['sysfs', 'write', subst(m[1] as string), subst(m[2] as string)]);
  }
}

/** Runs one step (and its cleanup) through the CLI. */
export async function replayStep(
  cli: Cli,
  step: ScenarioStep,
  translate: (s: string) => string,
): Promise<void> {
  if (step.cmd.startsWith('cxl ')) {
    const argv = step.cmd.split(/\s+/).slice(1).map(translate);
    await cli.run(argv);
  } else {
    await runSysw(cli, translate(step.cmd));
  }
}

/** `cxl destroy-region -f all`, the scenario scripts' cleanup(). */
export async function cleanup(cli: Cli): Promise<void> {
  await cli.run(['destroy-region', '-f', 'all']);
}
