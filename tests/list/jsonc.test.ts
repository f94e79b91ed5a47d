/**
 * json-c printing (JSON_C_TO_STRING_PRETTY), util/json.c number formats and the C string
 * conversions the list code relies on, against documented behaviour: the examples of ndctl's
 * Documentation/cxl/cxl-list.txt (as quoted in reference/cxl-cli.md), json-c's escaping rules and
 * the C standard's strtoull().
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanPrefixInt, strtok, strtoull } from '../../src/ndctl/util/cstr.ts';
import { hexObj, sizeObj } from '../../src/ndctl/util/json.ts';
import {
  arrAdd,
  displaySize,
  jArr,
  jBool,
  jObj,
  jStr,
  objAdd,
  toJsonPretty,
} from '../../src/ndctl/util/jsonc.ts';
import { displayJsonArray, Output, UTIL_JSON } from '../../src/ndctl/util/print.ts';

const HUMAN = UTIL_JSON.HUMAN;

describe('json-c pretty printing', () => {
  it('prints the cxl-list.txt "cxl list -BMu" example', () => {
    const mem = jObj();
    objAdd(mem, 'memdev', jStr('mem0'));
    objAdd(mem, 'pmem_size', sizeObj(256n << 20n, HUMAN));
    objAdd(mem, 'serial', hexObj(0n, HUMAN));
    const anon = jArr();
    arrAdd(anon, mem);
    const bus = jObj();
    objAdd(bus, 'bus', jStr('root0'));
    objAdd(bus, 'provider', jStr('ACPI.CXL'));
    const buses = jArr();
    arrAdd(buses, bus);
    const top = jArr();
    for (const [k, a] of [
      ['anon memdevs', anon],
      ['buses', buses],
    ] as const) {
      const c = jObj();
      objAdd(c, k, a);
      arrAdd(top, c);
    }
    const out = new Output();
    displayJsonArray(out, top, HUMAN, '76.1');
    expect(out.stdout).toBe(`[
  {
    "anon memdevs":[
      {
        "memdev":"mem0",
        "pmem_size":"256.00 MiB (268.44 MB)",
        "serial":"0"
      }
    ]
  },
  {
    "buses":[
      {
        "bus":"root0",
        "provider":"ACPI.CXL"
      }
    ]
  }
]
`);
  });

  it('unwraps a single element with -u, prints nothing for none, warns on an empty array', () => {
    const one = jArr();
    const o = jObj();
    objAdd(o, 'x', jBool(true));
    arrAdd(one, o);
    const a = new Output();
    displayJsonArray(a, one, HUMAN, '76.1');
    expect(a.stdout).toBe('{\n  "x":true\n}\n');
    const b = new Output();
    displayJsonArray(b, jArr(), HUMAN, '76.1');
    expect([b.stdout, b.stderr]).toEqual(['', '']);
    const c = new Output();
    displayJsonArray(c, jArr(), 0, '76.1');
    expect([c.stdout, c.stderr]).toEqual(['[\n]\n', '  Warning: no matching devices found\n\n']);
  });

  it('escapes "/" and control characters as json-c does, and replaces duplicate keys in place', () => {
    const o = jObj();
    objAdd(o, 'alias', jStr('a/b"\\\n\t\u0001'));
    objAdd(o, 'id', jStr('x'));
    objAdd(o, 'alias', jStr('c'));
    expect(toJsonPretty(o, '76.1')).toBe('{\n  "alias":"c",\n  "id":"x"\n}');
    expect(toJsonPretty(jStr('a/b"\\\n\t\u0001'), '76.1')).toBe('"a\\/b\\"\\\\\\n\\t\\u0001"');
  });
});

describe('util/json.c numbers', () => {
  it('formats the documented sizes', () => {
    const show = (n: bigint) => toJsonPretty(sizeObj(n, HUMAN), '76.1');
    expect(show(256n << 20n)).toBe('"256.00 MiB (268.44 MB)"');
    expect(show(1n << 30n)).toBe('"1024.00 MiB (1073.74 MB)"');
    expect(show(2n << 30n)).toBe('"2.00 GiB (2.15 GB)"');
    expect(show(64n)).toBe('64');
    expect(toJsonPretty(sizeObj(256n << 20n, 0), '76.1')).toBe('268435456');
  });

  it('rounds MiB half up to two decimals below 2 GiB, keeps bytes below 5000 KiB', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (2n << 30n) - 1n }), (n) => {
        const s = displaySize({ v: n, u64: false });
        if (n < 5000n * 1024n) {
          expect(s).toBe(n.toString());
          return;
        }
        const centi = (n * 200n + (1n << 20n)) / (2n << 20n);
        const want = `${centi / 100n}.${(centi % 100n).toString().padStart(2, '0')} MiB`;
        expect(s.startsWith(`"${want} (`)).toBe(true);
      }),
    );
  });

  it('prints hex values with %#llx (0 without 0x)', () => {
    expect(toJsonPretty(hexObj(0n, HUMAN), '76.1')).toBe('"0"');
    expect(toJsonPretty(hexObj(5n, HUMAN), '76.1')).toBe('"0x5"');
    expect(toJsonPretty(hexObj(0x110000000n, HUMAN), '85')).toBe('"0x110000000"');
    expect(toJsonPretty(hexObj(12n, 0), '76.1')).toBe('12');
  });
});

describe('C conversions', () => {
  it('strtoull(…, 0) follows the C standard', () => {
    expect(strtoull('0x10')).toBe(16n);
    expect(strtoull('010')).toBe(8n);
    expect(strtoull('  12abc')).toBe(12n);
    expect(strtoull('-1')).toBe((1n << 64n) - 1n);
    expect(strtoull('99999999999999999999')).toBe((1n << 64n) - 1n);
    expect(strtoull('')).toBe(0n);
    expect(strtoull('0x')).toBe(0n);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (n) => {
        expect(strtoull(`0x${n.toString(16)}\n`)).toBe(n);
      }),
    );
  });

  it('sscanf("<prefix>%d") and strtok behave as glibc', () => {
    expect(scanPrefixInt('mem12', 'mem')).toBe(12);
    expect(scanPrefixInt('0000:41:00.0', '')).toBe(0);
    expect(scanPrefixInt('mem', 'mem')).toBeUndefined();
    expect(scanPrefixInt('memx1', 'mem')).toBeUndefined();
    expect(strtok(',64,,12,', ',')).toEqual(['64', '12']);
  });
});
