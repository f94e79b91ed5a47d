/**
 * Input errors name FILE:LINE:COLUMN (issue 15, item 7): QEMU lines point at the option QEMU
 * names, topology files at the offending YAML node; QEMU's own words stay unchanged.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/kernel/errno.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { splitQemuOptions } from '../../src/topology/qemu-args.ts';
import { QemuError, sourcePosition } from '../../src/topology/qemu-errors.ts';
import { splitShellWords } from '../../src/topology/qemu-shell.ts';

const dir = mkdtempSync(join(tmpdir(), 'cxlsim-srcpos-'));

function thrown(f: () => unknown): Errno {
  try {
    f();
  } catch (e) {
    if (e instanceof Errno) return e;
    throw e;
  }
  throw new Error('no error');
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const LINE = [
  'qemu-system-x86_64 -machine q35,cxl=on -m 4G \\',
  '  -object memory-backend-ram,id=vmem0,share=on,size=256M \\',
  '  -device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \\',
  '  -device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 \\',
  '  -device cxl-type3,bus=root_port13,volatile-memdev=vmem0,id=cxl-vmem0 \\',
  '  -M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G',
];

describe('source positions of QEMU line errors', () => {
  it('names the line and column of the -device QEMU refuses, after its exact words', () => {
    const lines = [...LINE];
    lines[3] = lines[3]?.replace('port=0', 'prot=0') ?? '';
    const p = file('prop.sh', lines.join('\n'));
    const e = thrown(() => loadTopology({ qemu: p }, '11.1'));
    expect(e).toBeInstanceOf(QemuError);
    expect(e.describe()).toBe(
      `EINVAL: qemu-system-x86_64: -device cxl-rp,prot=0,bus=cxl.1,id=root_port13,chassis=0,slot=2: Property 'cxl-rp.prot' not found (${p}:4:3)`,
    );
    expect((e as QemuError).qemuMessage()).not.toContain(p);
  });

  it('names a realize-time error (missing backend) at its -device', () => {
    const lines = [...LINE];
    lines[4] = lines[4]?.replace('vmem0,id', 'vmem9,id') ?? '';
    const p = file('realize.sh', lines.join('\n'));
    const e = thrown(() => loadTopology({ qemu: p }, '11.1'));
    expect(e.describe()).toMatch(/Device 'vmem9' not found/);
    expect(e.describe().endsWith(`(${p}:5:3)`)).toBe(true);
  });

  it('prints no position for text that did not come from a file', async () => {
    const { parseQemuCommandLine } = await import('../../src/topology/qemu-cmdline.ts');
    const text = LINE.join('\n').replace('port=0', 'prot=0');
    const e = thrown(() => parseQemuCommandLine(text, { qemu: '11.1' }));
    expect(e.describe()).not.toMatch(/\(.*:\d+:\d+\)$/);
  });

  it('gives every option the offset of its flag word (property)', () => {
    const word = fc.stringMatching(/^[a-z0-9=,.]{1,12}$/);
    const opt = fc.tuple(fc.constantFrom('-device', '-M', '-object', '-m'), word);
    const sep = fc.constantFrom(' ', '  ', ' \\\n  ', '\n', '\t');
    fc.assert(
      fc.property(fc.array(fc.tuple(opt, sep, sep), { minLength: 1, maxLength: 8 }), (opts) => {
        let text = 'qemu-system-x86_64';
        const expected: number[] = [];
        for (const [[flag, arg], s1, s2] of opts) {
          text += s1;
          expected.push(text.length);
          text += `${flag}${s2}${arg}`;
        }
        const starts: number[] = [];
        const argv = splitQemuOptions(splitShellWords(text, starts), starts);
        expect(argv.options.map((o) => o.at)).toEqual(expected);
        for (const o of argv.options) expect(text.startsWith(o.flag, o.at)).toBe(true);
      }),
    );
  });

  it('counts lines and columns from 1', () => {
    expect(sourcePosition('f', 'ab\ncd\n', 0)).toBe('f:1:1');
    expect(sourcePosition('f', 'ab\ncd\n', 4)).toBe('f:2:2');
    expect(sourcePosition('f', 'ab\ncd\n', 6)).toBe('f:3:1');
  });
});

const TOPOLOGY = `name: t
machine:
  type: q35
  ramSize: 2G
  cxl: true
hostBridges:
  - id: cxl.0
    busNr: 1
    rootPorts:
      - id: rp0
        port: 0
        child:
          kind: type3
          id: mem0
          persistentSize: 256M
      - id: rp1
        port: 1
windows:
  - targets: [cxl.0]
    size: 4G
`;

describe('source positions of topology file errors', () => {
  const cases: [string, string, string, string][] = [
    ['a bad value', 'size: 4G', 'size: 4Q', 'windows[0].size: expected a size in bytes'],
    ['an unknown key', '        port: 1', '        port: 1\n        prot: 2', "unknown key 'prot'"],
    ['a cross-field rule', '        port: 1', '        port: 0', 'port 0 already used'],
    ['a YAML syntax error', '  - targets: [cxl.0]', '  - targets: [cxl.0', 'invalid YAML'],
  ];
  const where: Record<string, string> = {
    'a bad value': ':20:11)',
    'an unknown key': ':18:9)',
    'a cross-field rule': ':17:15)',
    'a YAML syntax error': ':20:5)',
  };

  it.each(cases)('points at %s', (name, from, to, words) => {
    expect(TOPOLOGY).toContain(from);
    const p = file(`${name.replace(/ /g, '-')}.yaml`, TOPOLOGY.replace(from, to));
    const e = thrown(() => loadTopology({ topology: p }, '11.1'));
    expect(e.message).toContain(words);
    expect(e.describe()).toMatch(new RegExp(`\\(${p.replace(/[.]/g, '\\.')}:\\d+:\\d+\\)$`));
    expect(e.describe().endsWith(where[name] ?? 'missing')).toBe(true);
  });

  it('boots the unmodified file (the cases above are the only fault)', () => {
    const p = file('good.yaml', TOPOLOGY);
    expect(loadTopology({ topology: p }, '11.1').hostBridges).toHaveLength(1);
  });
});
