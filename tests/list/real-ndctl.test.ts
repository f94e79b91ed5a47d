/**
 * `cxl list` against the real tool: outputs of Debian 12's ndctl 76.1 and of ndctl v85 recorded
 * over capture trees (some edited: disabled devices, unreadable or malformed attributes, debugfs)
 * with option-parsing errors, filter quirks and verbosity levels. stdout, stderr and the exit
 * code must match byte for byte (139 is v85's crash in cxl_dport_get_einj_path() without debugfs).
 * Some cases answer the mailbox richly (rich-ioctl.ts): health, alert config, partition, firmware.
 */
import { describe, expect, it } from 'vitest';
import { cxlList } from '../../src/ndctl/cxl/list.ts';
import { mboxShim } from '../helpers/mbox-shim.ts';
import { goldenView, loadGolden } from './golden.ts';
import { richIoctl } from './rich-ioctl.ts';

for (const version of ['76.1', '85'] as const) {
  const { cases, mutations } = loadGolden(version);
  describe(`real ndctl ${version}`, () => {
    for (const c of cases) {
      const where = `${c.tree}${c.mutate ? `+${c.mutate}` : ''}${c.ioctl === 'rich' ? ' (rich mailbox)' : ''}`;
      it(`${where}: cxl list ${JSON.stringify(c.args)}`, () => {
        const view = goldenView(c.tree, c.mutate, mutations);
        const ioctl = c.ioctl === 'rich' ? richIoctl(view) : mboxShim(view);
        // both were recorded on Debian 12, whose json-c 0.16 prints an empty array as "[\n]"
        const r = cxlList(view, c.args, { ndctl: version, ioctl, jsonc: '0.16' });
        expect(r.stdout).toBe(c.stdout);
        expect(r.stderr).toBe(c.stderr);
        expect(r.code).toBe(c.code);
      });
    }
  });
}
