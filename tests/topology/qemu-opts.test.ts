import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QemuError } from '../../src/topology/qemu-errors.ts';
import {
  type KvDict,
  keyvalParse,
  keyvalParseInto,
  optGet,
  parseQemuOpts,
} from '../../src/topology/qemu-opts.ts';

function qemuText(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof QemuError) return e.message;
    throw e;
  }
  throw new Error('no error');
}

describe('parseQemuOpts (QemuOpts)', () => {
  it('takes the implied first key, ,, escapes, flags and id', () => {
    const o = parseQemuOpts(
      'cxl-rp,port=0,bus=cxl.0,id=rp0,name=a,,b,multifunction,nofoo',
      'driver',
    );
    expect(o.id).toBe('rp0');
    expect(o.params).toEqual([
      ['driver', 'cxl-rp'],
      ['port', '0'],
      ['bus', 'cxl.0'],
      ['name', 'a,b'],
      ['multifunction', 'on'],
      ['foo', 'off'],
    ]);
  });

  it('reads the last occurrence of a repeated key', () => {
    const o = parseQemuOpts('size=1G,size=2G', 'size');
    expect(optGet(o, 'size')).toBe('2G');
  });

  it('refuses ids that are not identifiers', () => {
    expect(qemuText(() => parseQemuOpts('cxl-rp,id=0rp', 'driver'))).toBe(
      "Parameter 'id' expects an identifier",
    );
  });
});

/** A keyval dictionary as plain JSON for comparisons. */
function plain(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

describe('keyvalParseInto (util/keyval.c)', () => {
  it('builds lists from index keys and honours the implied key', () => {
    const d = keyvalParse(
      'q35,cxl=on,cxl-fmw.0.targets.0=cxl.0,cxl-fmw.0.targets.1=cxl.1,cxl-fmw.0.size=4G',
      'type',
    );
    expect(plain(d)).toEqual({
      type: 'q35',
      cxl: 'on',
      'cxl-fmw': [{ targets: ['cxl.0', 'cxl.1'], size: '4G' }],
    });
  });

  it('reports the first missing list index', () => {
    expect(qemuText(() => keyvalParse('cxl-fmw.0.size=4G,cxl-fmw.2.size=4G', 'type'))).toBe(
      "Parameter 'cxl-fmw.1' missing",
    );
    expect(qemuText(() => keyvalParse('cxl-fmw.0.targets.1=a', 'type'))).toBe(
      "Parameter 'cxl-fmw.0.targets.0' missing",
    );
  });

  it('reports keys used both as a value and as a dictionary', () => {
    expect(qemuText(() => keyvalParse('cxl=on,cxl.a=1', 'type'))).toBe(
      "Parameters 'cxl.*' used inconsistently",
    );
    expect(qemuText(() => keyvalParse('a.0=x,a.b=y', 'type'))).toBe(
      "Parameters 'a.*' used inconsistently",
    );
  });

  it('rejects malformed keys', () => {
    expect(qemuText(() => keyvalParse('q35,0abc=1', 'type'))).toBe("Invalid parameter '0abc'");
    expect(qemuText(() => keyvalParse('q35,flag', 'type'))).toBe(
      "Expected '=' after parameter 'flag'",
    );
  });

  it('merges several options into one dictionary, later values replacing earlier ones', () => {
    const d: KvDict = new Map();
    keyvalParseInto(d, 'q35,cxl=off', 'type');
    keyvalParseInto(d, 'cxl=on', 'type');
    keyvalParseInto(d, 'cxl-fmw.0.size=4G,cxl-fmw.0.targets.0=cxl.0', 'type');
    expect(plain(d)).toEqual({
      type: 'q35',
      cxl: 'on',
      'cxl-fmw': [{ size: '4G', targets: ['cxl.0'] }],
    });
    expect(qemuText(() => keyvalParseInto(d, 'cxl-fmw.1.size=4G', 'type'))).toBe(
      "Parameters 'cxl-fmw.*' used inconsistently",
    );
  });

  it('parses any key=value list back to its values (property)', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/);
    const value = fc.string({ maxLength: 10 }).filter((s) => !s.includes('\u0000'));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(key, value), { selector: (t) => t[0], maxLength: 6 }),
        (pairs) => {
          const text = pairs.map(([k, v]) => `${k}=${v.replaceAll(',', ',,')}`).join(',');
          expect(plain(keyvalParse(text, undefined))).toEqual(Object.fromEntries(pairs));
        },
      ),
    );
  });
});
