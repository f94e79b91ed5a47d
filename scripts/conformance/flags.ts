/**
 * DOC: the `cxl list` flag sets of the kernel captures (kernel-captures/README.md: plain, -vvv,
 * -M, -D, -P, -E, -T, -R, -B, -u -vvv, -R -vvv, -i -vvv) and the capture step layout they are
 * written in (`cxl-list/index.txt`: "<name>\tcxl list <flags>\trc=<n>", `<name>.json` stdout,
 * `<name>.stderr` when non-empty), which shared/tools/check-capture.py reads.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One flag set: its file name in cxl-list/ and the flags after `cxl list`. */
export interface FlagSet {
  name: string;
  flags: string[];
}

/** The twelve flag sets, in the captures' order. */
export const FLAG_SETS: readonly FlagSet[] = [
  { name: 'plain', flags: [] },
  { name: 'vvv', flags: ['-vvv'] },
  { name: 'M', flags: ['-M'] },
  { name: 'D', flags: ['-D'] },
  { name: 'P', flags: ['-P'] },
  { name: 'E', flags: ['-E'] },
  { name: 'T', flags: ['-T'] },
  { name: 'R', flags: ['-R'] },
  { name: 'B', flags: ['-B'] },
  { name: 'u-vvv', flags: ['-u', '-vvv'] },
  { name: 'R-vvv', flags: ['-R', '-vvv'] },
  { name: 'i-vvv', flags: ['-i', '-vvv'] },
];

/** What one `cxl list` run printed. */
export interface ListRun {
  stdout: string;
  stderr: string;
  code: number;
}

/** Writes `stepDir/cxl-list/` in the capture layout. */
export function writeListStep(stepDir: string, runs: ReadonlyArray<[FlagSet, ListRun]>): void {
  const dir = join(stepDir, 'cxl-list');
  mkdirSync(dir, { recursive: true });
  let index = '';
  for (const [set, r] of runs) {
    index += `${set.name}\tcxl list ${set.flags.join(' ')}\trc=${r.code}\n`;
    writeFileSync(join(dir, `${set.name}.json`), r.stdout);
    if (r.stderr !== '') writeFileSync(join(dir, `${set.name}.stderr`), r.stderr);
  }
  writeFileSync(join(dir, 'index.txt'), index);
}
