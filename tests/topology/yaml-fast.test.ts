import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CreateNodeOptions, parseDocument, stringify, type ToStringOptions } from 'yaml';
import { topologyArb } from '../../src/prop/arbitraries.ts';
import type { Topology } from '../../src/topology/model.ts';
import { parseTopologyFile, parseTopologyYaml } from '../../src/topology/schema.ts';
import { topologyToFileObject, topologyToYaml } from '../../src/topology/serialize.ts';
import { loadYamlFast } from '../../src/topology/yaml-fast.ts';

/** What schema.ts's `yaml` path makes of a text: its value, or undefined when it has errors. */
function slow(text: string): { value: unknown } | undefined {
  const doc = parseDocument(text, { intAsBigInt: true });
  return doc.errors.length ? undefined : { value: doc.toJS() };
}

/** The fast path either declines or gives what `yaml` gives (and `yaml` then has no error). */
function agrees(text: string): 'fast' | 'declined' {
  const f = loadYamlFast(text);
  if (!f) return 'declined';
  const s = slow(text);
  expect(s, `js-yaml took a text yaml refuses: ${JSON.stringify(text)}`).toBeDefined();
  expect(f.value).toStrictEqual(s?.value);
  return 'fast';
}

const STYLES: (ToStringOptions & CreateNodeOptions)[] = [
  { lineWidth: 0 },
  { collectionStyle: 'flow', lineWidth: 0 },
  { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 },
  { indent: 4, indentSeq: false, lineWidth: 0 },
];

/** Characters a mutation inserts: YAML's indicators and the scalars' alphabet. */
const MUTATION_CHARS = [...' \n\t-:,[]{}#?|>\'"%@`.+0123456789xoeEinfatruNUL_~'];

describe('topology files: the js-yaml fast path gives what yaml gives (yaml-fast.ts)', () => {
  it('scalars: yaml core-schema rules, bigint integers, null keys', () => {
    const cases: [string, unknown][] = [
      ['a: 1', { a: 1n }],
      ['a: 0x10', { a: 16n }],
      ['a: 0o17', { a: 15n }],
      ['a: +5', { a: 5n }],
      ['a: 99999999999999999999', { a: 99999999999999999999n }],
      ['a: 0b1', { a: '0b1' }],
      ['a: 1_000', { a: '1_000' }],
      ['a: 08', { a: 8n }],
      ['a: 0X1F', { a: '0X1F' }],
      ['a: yes', { a: 'yes' }],
      ['a: 1.5e3', { a: 1500 }],
      ['a: .inf', { a: Number.POSITIVE_INFINITY }],
      ['a: ~', { a: null }],
      ['~: 3', { '': 3n }],
      ['a: "256M"', { a: '256M' }],
    ];
    for (const [text, value] of cases) {
      expect(loadYamlFast(text)?.value, text).toStrictEqual(value);
      expect(agrees(text)).toBe('fast');
    }
  });

  it('declines anchors, aliases, tags, several documents and what js-yaml refuses', () => {
    for (const text of [
      'a: &x 1\nb: *x',
      'a: !!int 5',
      'a: 1\n---\nb: 2',
      '',
      '{a: 1, a: 2}',
      'a: [1',
    ])
      expect(loadYamlFast(text), text).toBeUndefined();
  });

  it('generated topologies in four styles: same value, same topology', () => {
    let fast = 0;
    fc.assert(
      fc.property(topologyArb({ maxEndpoints: 8 }), fc.constantFrom(...STYLES), (t, style) => {
        const text =
          style === STYLES[0] ? topologyToYaml(t) : stringify(topologyToFileObject(t), null, style);
        if (agrees(text) === 'fast') fast++;
        expect(parseTopologyFile(text, 't.yaml')).toStrictEqual(
          parseTopologyFile(`# a '!' keeps this text off the fast path\n${text}`, 't.yaml'),
        );
      }),
      { numRuns: 60, seed: 7 },
    );
    expect(fast).toBe(60);
  });

  it('mutated topology texts: parseTopologyFile accepts what the yaml path accepts, with the same topology or error', () => {
    /** A parse's outcome: the topology or the error's message and device. */
    const outcome = (parse: (t: string, p: string) => Topology, text: string): unknown => {
      try {
        return { topology: parse(text, 'm.yaml') };
      } catch (e) {
        return { error: String(e), dev: (e as { dev?: string }).dev };
      }
    };
    let accepted = 0;
    let refused = 0;
    let fastValues = 0;
    fc.assert(
      fc.property(
        topologyArb({ maxEndpoints: 2 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.constantFrom(...MUTATION_CHARS)), {
          minLength: 1,
          maxLength: 3,
        }),
        (t, edits) => {
          let text = topologyToYaml(t);
          for (const [at, kind, ch] of edits) {
            const i = at % (text.length + 1);
            if (kind === 0) text = text.slice(0, i) + text.slice(i + 1);
            else if (kind === 1) text = text.slice(0, i) + ch + text.slice(i + 1);
            else text = text.slice(0, i) + ch + text.slice(i);
          }
          const fast = outcome(parseTopologyFile, text);
          expect(fast, JSON.stringify(text)).toStrictEqual(outcome(parseTopologyYaml, text));
          if ('topology' in (fast as object)) accepted++;
          else refused++;
          // js-yaml's value of a text yaml also reads is yaml's value
          const f = loadYamlFast(text);
          const s = f && slow(text);
          if (s) {
            expect(f?.value).toStrictEqual(s.value);
            fastValues++;
          }
        },
      ),
      { numRuns: 400, seed: 11 },
    );
    // Both outcomes were compared, and values on the fast path.
    expect(accepted).toBeGreaterThan(15);
    expect(refused).toBeGreaterThan(40);
    expect(fastValues).toBeGreaterThan(100);
  });
});
