/**
 * Version switches live in the version tables only: a kernel, QEMU or ndctl version literal
 * compared (or handed to kernelAtLeast / since / qemuAtLeast) outside the table files fails here.
 * Code names the behaviour instead (`ndctlHas(v, 'ramRegions')`, `cxlKver(dev, 'fwUpload')`,
 * `qemuHas(q, 'alertConfig')`), and docs/profiles.md lists every entry with its evidence.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NDCTL_VERSIONS } from '../../src/profile.ts';
import { ROOT, sourceFiles } from './graph.ts';

/** The files that hold version tables (and profile.ts, which parses and compares versions). */
const TABLES = new Set([
  'src/profile.ts',
  'src/ndctl/versions.ts',
  'src/drivers/env.ts',
  'src/drivers/cxl/kver.ts',
  'src/drivers/cxl/core/ras-kver.ts',
  'src/drivers/cxl/core/region/kver.ts',
  'src/hw/qemu-compat.ts',
  'src/hw/regs/mailbox/qemu-since.ts',
  'src/topology/qemu-props.ts',
  'src/topology/presets/cxl-test-kver.ts',
]);

type Layer = 'ndctl' | 'kernel' | 'qemu';

const CMP = '(?:===|!==|==|!=|<=|>=|<|>)';
const LIT = String.raw`['"\x60]v?\d[\d.]*['"\x60]`;
const RELEASES = NDCTL_VERSIONS.map((v) => v.replace('.', String.raw`\.`)).join('|');

/** What counts as an inline version switch, per layer. */
const RULES: Array<{ layer: Layer; re: RegExp; where?: RegExp }> = [
  // ndctl: the version compared, converted to a number, or switched on
  { layer: 'ndctl', re: new RegExp(String.raw`\bndctl\b[\w.?\])]*\s*${CMP}\s*(?:${LIT}|\d)`) },
  { layer: 'ndctl', re: new RegExp(String.raw`${LIT}\s*${CMP}\s*[\w.?]*\bndctl\b`) },
  { layer: 'ndctl', re: /\b(?:Number|parseFloat|parseInt)\([^)]*\bndctl\b/ },
  { layer: 'ndctl', re: /\bswitch\s*\([^)]*\bndctl\b/ },
  // ndctl: inside the ndctl emulation, any string that is an ndctl release
  {
    layer: 'ndctl',
    re: new RegExp(String.raw`(['"\x60])(?:${RELEASES}|8[234])\1`),
    where: /^src\/(?:ndctl|daxctl)\//,
  },
  // kernel: a literal handed to the version helpers, or the version compared
  {
    layer: 'kernel',
    re: new RegExp(
      String.raw`\b(?:kernelAtLeast|attrVisibleSince|since)\b(?:<[^>()]*>)?\((?:[^,()]*,\s*)?${LIT}`,
    ),
  },
  {
    layer: 'kernel',
    re: new RegExp(String.raw`\b(?:kernel|kernelBase\([^)]*\))[\w.?]*\s*${CMP}\s*${LIT}`),
  },
  // QEMU: the same
  { layer: 'qemu', re: new RegExp(String.raw`\bqemuAtLeast\([^,()]*,\s*${LIT}`) },
  { layer: 'qemu', re: new RegExp(String.raw`\b(?:qemu|q)\b[\w.?]*\s*${CMP}\s*${LIT}`) },
  { layer: 'qemu', re: new RegExp(String.raw`${LIT}\s*${CMP}\s*[\w.?]*\b(?:qemu|q)\b`) },
];

/** The source with comments blanked (line numbers kept). */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"\x60\\])\/\/.*$/gm, '$1');
}

interface Hit {
  file: string;
  line: number;
  layer: Layer;
  text: string;
}

/** Every inline version switch of one file's text. */
function versionSwitches(file: string, text: string): Hit[] {
  const out: Hit[] = [];
  code(text)
    .split('\n')
    .forEach((l, i) => {
      for (const r of RULES) {
        if (r.where && !r.where.test(file)) continue;
        if (r.re.test(l)) {
          out.push({ file, line: i + 1, layer: r.layer, text: l.trim() });
          break;
        }
      }
    });
  return out;
}

describe('the detector', () => {
  const hits = (file: string, src: string) => versionSwitches(file, src).map((h) => h.layer);
  it('finds the shapes the sweep removed', () => {
    expect(hits('src/ndctl/cxl/bus.ts', "const w = env.ndctl === '85' ? 'a' : 'b';")).toEqual([
      'ndctl',
    ]);
    expect(hits('src/ndctl/index.ts', "if (ndctl !== '76.1') names.push('x');")).toEqual(['ndctl']);
    expect(hits('src/cli/x.ts', "if ('81' === p.ndctl) f();")).toEqual(['ndctl']);
    expect(hits('src/cli/x.ts', 'if (Number(p.ndctl) >= 79) f();')).toEqual(['ndctl']);
    expect(hits('src/ndctl/cxl/x.ts', "const FIRST = '79';")).toEqual(['ndctl']);
    expect(hits('src/drivers/cxl/acpi.ts', "if (env(k).since('6.3')) f();")).toEqual(['kernel']);
    expect(hits('src/drivers/cxl/core/x.ts', "isVisible: since<D>('6.3', f),")).toEqual(['kernel']);
    expect(hits('src/drivers/cxl/core/x.ts', "since(m, '6.5') && g")).toEqual(['kernel']);
    expect(hits('src/doctor/x.ts', "kernelAtLeast(p, '6.2')")).toEqual(['kernel']);
    expect(hits('src/doctor/x.ts', "qemuAtLeast(p.qemu, '8.0')")).toEqual(['qemu']);
    expect(hits('src/hw/x.ts', "const old = s.qemu === '7.2';")).toEqual(['qemu']);
  });
  it('leaves names, comments and unrelated numbers alone', () => {
    expect(hits('src/ndctl/cxl/x.ts', "if (ndctlHas(env.ndctl, 'ramRegions')) f();")).toEqual([]);
    expect(hits('src/drivers/x.ts', 'if (e.since(CXL_KVER.rasCapability)) f();')).toEqual([]);
    expect(hits('src/ndctl/x.ts', "// 76.1 generates a uuid: env.ndctl === '76.1'")).toEqual([]);
    expect(hits('src/ndctl/x.ts', "/** `{ ndctl: '76.1' }` */")).toEqual([]);
    expect(hits('src/cli/x.ts', "return { ndctl: '85' };")).toEqual([]);
    expect(hits('src/hw/x.ts', 'if (ways === 3) f();')).toEqual([]);
  });
});

describe('version literals outside the version tables', () => {
  const all = sourceFiles()
    .filter((f) => !TABLES.has(f))
    .flatMap((f) => versionSwitches(f, readFileSync(join(ROOT, f), 'utf8')));

  it('no ndctl version switch outside src/ndctl/versions.ts', () => {
    expect(all.filter((h) => h.layer === 'ndctl')).toEqual([]);
  });

  it('no kernel version literal outside the kernel tables', () => {
    expect(all.filter((h) => h.layer === 'kernel')).toEqual([]);
  });

  it('no QEMU version literal outside the QEMU tables', () => {
    expect(all.filter((h) => h.layer === 'qemu')).toEqual([]);
  });
});
