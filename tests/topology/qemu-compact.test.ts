import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseQemuCommandLine } from '../../src/topology/qemu-cmdline.ts';
import { compactQemuCommandLine, KEEP_LIMIT } from '../../src/topology/qemu-compact.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const LINES = ['interleave', 'minimal', 'threeway', 'failures'].map((s) =>
  readFileSync(join(ROOT, 'sysfs-fixtures', s, 'host/qemu-cmdline.sh'), 'utf8'),
);

describe('compactQemuCommandLine', () => {
  it('keeps short lines as they are', () => {
    expect(LINES.length).toBe(4);
    for (const l of LINES) expect(compactQemuCommandLine(l)).toBe(l);
  });

  it('drops a huge ignored -append but parses to the same topology', () => {
    let n = 0;
    for (const l of LINES) {
      const big = `${l.trimEnd()} -append '${'console=ttyS0 '.repeat(100_000)}' -cpu max\n`;
      const small = compactQemuCommandLine(big);
      expect(small.length).toBeLessThan(l.length + 200);
      const a = parseQemuCommandLine(big, { qemu: '11.1' });
      const b = parseQemuCommandLine(small, { qemu: '11.1' });
      expect(b.ignored).toEqual(
        a.ignored.map((x) =>
          x.startsWith('-append ') && x.length > KEEP_LIMIT
            ? `-append cxlsim-omitted-${x.length - 8}-chars`
            : x,
        ),
      );
      expect({ ...b, ignored: [] }).toEqual({ ...a, ignored: [] });
      n++;
    }
    expect(n).toBe(4);
  });

  it('never shortens the options cxlsim reads', () => {
    const id = 'x'.repeat(KEEP_LIMIT + 10);
    const l = `qemu-system-x86_64 -M q35,cxl=on -device pcie-root-port,id=${id} -append ${'a'.repeat(KEEP_LIMIT + 1)}`;
    const c = compactQemuCommandLine(l);
    expect(c).toContain(id);
    expect(c).toContain(`-append cxlsim-omitted-${KEEP_LIMIT + 1}-chars`);
  });
});
