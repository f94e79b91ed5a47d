import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { resolveProfile } from '../../src/profile.ts';
import { fastYaml } from '../../src/topology/fast-yaml.ts';
import { generateTopology, shapeForEndpoints } from '../../src/topology/generate.ts';
import { getPreset, PRESET_NAMES } from '../../src/topology/presets/index.ts';
import { parseTopologyFile } from '../../src/topology/schema.ts';
import { topologyToYaml } from '../../src/topology/serialize.ts';

/** What parseTopologyFile's slow path reads: the yaml package's value, or 'error'. */
function slow(text: string): unknown {
  const doc = parseDocument(text, { intAsBigInt: true, prettyErrors: true });
  return doc.errors.length > 0 ? 'error' : doc.toJS();
}

/** The fast path either declines or agrees with the yaml package exactly. */
function agrees(text: string): boolean {
  const fast = fastYaml(text);
  if (fast === undefined) return true;
  const s = slow(text);
  expect(s).not.toBe('error');
  expect(fast).toStrictEqual(s);
  return true;
}

const generated = [
  generateTopology({ ...shapeForEndpoints(1), name: 'g1' }),
  generateTopology({ ...shapeForEndpoints(37), name: 'g37' }),
  generateTopology({
    hostBridges: 4,
    rootPorts: 8,
    switchLevels: 2,
    fanout: 4,
    windows: [{ kind: 'hb' }, { kind: 'group', ways: 4 }],
    name: 'deep',
  }),
];

describe('fastYaml (the plain block YAML fast path of topology files)', () => {
  it('reads generated topologies and presets exactly as the yaml package does', () => {
    const qemu = resolveProfile('latest').qemu;
    const texts = [
      ...generated.map(topologyToYaml),
      ...PRESET_NAMES.map((n) => topologyToYaml(getPreset(n, qemu))),
    ];
    for (const text of texts) agrees(text);
    // generated files are in the subset (that is the point of the fast path)
    for (const t of generated) expect(fastYaml(topologyToYaml(t))).not.toBeUndefined();
  });

  it('parseTopologyFile gives the same topology through either path', () => {
    for (const t of generated) {
      const text = topologyToYaml(t);
      // a comment line takes the yaml package's path, with the same meaning
      const viaYaml = parseTopologyFile(`# slow path\n${text}`, 'x.yaml');
      expect(parseTopologyFile(text, 'x.yaml')).toStrictEqual(viaYaml);
    }
  });

  it('declines or agrees on tricky scalars and layouts', () => {
    const cases = [
      'a: 1\n',
      'a: 007\n',
      'a: 0x1f\n',
      'a: 0o17\n',
      'a: 1e3\n',
      'a: 1.5\n',
      'a: .inf\n',
      'a: -1\n',
      'a: +1\n',
      'a: True\n',
      'a: true\n',
      'a: false\n',
      'a: null\n',
      'a: ~\n',
      'a:\n',
      'a: "x"\n',
      'a: "x\\ty"\n',
      "a: 'x'\n",
      'a: b: c\n',
      'a: b:\n',
      'a: x:y\n',
      'a: 256M\n',
      'a: 0000:00:01.0\n',
      'a: qemu64,-hypervisor\n',
      'a: x  y\n',
      'a: x \n',
      'a: [1]\n',
      'a: {}\n',
      'a: []\n',
      'a: &x 1\n',
      'a: *x\n',
      'a: !!str 1\n',
      'a: 1\na: 2\n',
      '__proto__: 1\n',
      'a:\n- 1\n- 2\nb: 3\n',
      'a:\n  - 1\n  - 2\nb: 3\n',
      'a:\n  - 1\n  b: 3\n',
      'a:\n  - b: 1\n    c: 2\n  - d\n',
      'a:\n  - - 1\n',
      'a:\n  -\n',
      'a:\n  - b: 1\n   c: 2\n',
      'a:\n  b: 1\n    c: 2\n',
      'a:\n    b: 1\n  c: 2\n',
      'a: 1\n\nb: 2\n',
      'a: 1\n---\nb: 2\n',
      '%YAML 1.1\n---\na: yes\n',
      '- 1\n',
      'a: 1',
      '',
      'a: x\n  y\n',
      'a:\n  b:\n    c: 1\n  d: 2\n',
    ];
    for (const c of cases) agrees(c);
    expect(fastYaml('a: 007\n')).toBeUndefined();
    expect(fastYaml('a: 1.5\n')).toBeUndefined();
    expect(fastYaml('a: 1\na: 2\n')).toBeUndefined();
    expect(fastYaml('a:\n- 1\n- 2\nb: 3\n')).toStrictEqual({ a: [1n, 2n], b: 3n });
  });

  it('declines or agrees on mutated generated files', () => {
    const base = topologyToYaml(generated[1] as (typeof generated)[number]);
    const alphabet = [' ', '-', ':', '"', '0', '1', 'a', '.', '\n', '{', '}', '[', ']', ',', "'"];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.nat(base.length),
            del: fc.nat(3),
            ins: fc.array(fc.constantFrom(...alphabet), { maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (edits) => {
          let t = base;
          for (const e of edits) {
            const at = e.at % (t.length + 1);
            t = t.slice(0, at) + e.ins.join('') + t.slice(at + e.del);
          }
          return agrees(t);
        },
      ),
      { numRuns: 300, seed: 15 },
    );
  });
});
