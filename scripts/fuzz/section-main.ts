/**
 * DOC: one in-process fuzz section in its own process (so that a hang can be stopped and named):
 * `section-main.ts NAME SEED COUNT PROGRESS_FILE` prints the SectionResult as JSON; before each
 * case it writes the case's seed into PROGRESS_FILE.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { SECTIONS } from './sections.ts';

const [name = '', seed = '1', count = '0', progress = '/dev/null'] = process.argv.slice(2);
const run = SECTIONS[name];
if (!run) {
  process.stderr.write(`unknown section ${name}\n`);
  process.exit(2);
}
const fd = openSync(progress, 'w');
const res = await run(Number(seed), Number(count), (s) => {
  writeSync(fd, `${String(s).padEnd(12)}\n`, 0);
});
closeSync(fd);
process.stdout.write(`${JSON.stringify(res)}\n`);
