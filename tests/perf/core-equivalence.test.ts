/**
 * The driver model's and the list emulation's fast paths against the plain algorithms they
 * replaced: the IDA's lowest-free allocation, bus lookups by name and find_cxl_port() after
 * ports come and go, sysfs path normalisation, kernfs readdir order, glibc strtoull() digits
 * and json-c's pretty printer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { findCxlPort } from '../../src/drivers/cxl/core/add-port.ts';
import { CxlPort } from '../../src/drivers/cxl/core/port.ts';
import { Ida } from '../../src/kernel/ida.ts';
import {
  scanInt,
  scanPrefixInt,
  strtol,
  strtoull,
  strtoullEnd,
} from '../../src/ndctl/util/cstr.ts';
import { type JVal, toJsonPretty } from '../../src/ndctl/util/jsonc.ts';
import { resolveProfile } from '../../src/profile.ts';
import { cachedHash, kernfsNameHash, kernfsOrder } from '../../src/sysfs/kernfs-hash.ts';
import { normSysPath } from '../../src/sysfs/view.ts';
import { generateTopology } from '../../src/topology/generate.ts';

describe('driver model', () => {
  it('the IDA hands out the lowest free id ≥ min, as a linear search would', () => {
    const step = fc.oneof(fc.record({ alloc: fc.nat(6) }), fc.record({ free: fc.nat(12) }));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const ida = new Ida();
        const used = new Set<number>();
        for (const s of steps) {
          if ('alloc' in s) {
            let i = s.alloc;
            while (used.has(i)) i++;
            used.add(i);
            expect(ida.alloc(s.alloc)).toBe(i);
          } else {
            used.delete(s.free);
            ida.free(s.free);
          }
          for (let i = 0; i < 20; i++) expect(ida.has(i)).toBe(used.has(i));
        }
      }),
    );
  });

  it('bus lookups and find_cxl_port() agree with list walks as ports are torn down and rebuilt', () => {
    const profile = resolveProfile('latest');
    const m = bootMachine(
      generateTopology({ hostBridges: 2, rootPorts: 2, switchLevels: 1, fanout: 2 }),
      {
        profile,
      },
    );
    const names = new Set<string>(['nosuch']);
    const check = () => {
      const cxl = m.kernel.buses.get('cxl')?.devices ?? [];
      for (const d of cxl) names.add(d.name);
      // names seen at any point, so that devices deleted (and numbers reused) are looked up too
      for (const n of names) expect(m.kernel.find('cxl', n)).toBe(cxl.find((x) => x.name === n));
      expect(m.kernel.find('cxl', 'nosuch')).toBeUndefined();
      for (const dev of m.kernel.buses.get('pci')?.devices ?? []) {
        let ref: { port: CxlPort; dport: unknown } | undefined;
        for (const d of cxl) {
          const dp = d instanceof CxlPort ? d.findDportByDev(dev) : undefined;
          if (dp && d instanceof CxlPort) {
            ref = { port: d, dport: dp };
            break;
          }
        }
        expect(findCxlPort(m.kernel, dev)).toEqual(ref);
      }
    };
    check();
    const ports = m.sysfs.readdir('bus/cxl/drivers/cxl_port').filter((n) => /^port\d+$/.test(n));
    for (const p of ports.reverse()) {
      // deepest first; a port an earlier teardown already removed is ENODEV
      if (m.sysfs.lstat(`bus/cxl/devices/${p}`))
        m.sysfs.write('bus/cxl/drivers/cxl_port/unbind', `${p}\n`);
      check();
    }
    for (const mem of m.sysfs.readdir('bus/cxl/devices').filter((n) => /^mem\d+$/.test(n))) {
      try {
        m.sysfs.write('bus/cxl/drivers/cxl_mem/unbind', `${mem}\n`);
        m.sysfs.write('bus/cxl/drivers/cxl_mem/bind', `${mem}\n`);
      } catch {
        // a memdev whose port went away may refuse to bind: what matters is the lookups
      }
      check();
    }
  });
});

describe('sysfs paths and order', () => {
  it('normSysPath returns what its full parse returns for any input', () => {
    const part = fc.constantFrom('a', 'bus', '.', '..', '', ' ', '\t', '.x', 'x.', 'sys', 'é');
    fc.assert(
      fc.property(
        fc.array(part, { maxLength: 8 }),
        fc.constantFrom('', '/', '/sys/', ' '),
        (parts, pre) => {
          const p = pre + parts.join('/');
          const run = (s: string) => {
            try {
              return normSysPath(s);
            } catch (e) {
              return (e as Error).message;
            }
          };
          // a leading blank forces the full parse (trim first), which must agree
          const full = run(` ${p.trim()} `).replace(
            `no such path:  ${p.trim()} `,
            `no such path: ${p.trim()}`,
          );
          expect(run(p.trim())).toBe(full);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('kernfs_name_hash on 32-bit halves equals the 64-bit (BigInt) arithmetic', () => {
    const M64 = (1n << 64n) - 1n;
    /** partial_name_hash()/end_name_hash() in unsigned 64-bit arithmetic, byte by byte. */
    const ref = (name: string): number => {
      let h = 0n;
      for (const b of Buffer.from(name, 'utf8')) {
        const c = b < 0x80 ? BigInt(b) : (BigInt(b) - 0x100n) & M64; // signed char
        h = ((h + ((c << 4n) & M64) + (c >> 4n)) * 11n) & M64;
      }
      let r = Number(((h * 0x61c8864680b583ebn) & M64) >> 32n) & 0x7fffffff;
      if (r < 2) r += 2;
      if (r >= 0x7fffffff) r = 0x7fffffff - 1;
      return r;
    };
    const names = ['', 'mem0', 'decoder12.3', 'endpoint4095', 'é', '日本', '\x7f\x80', '\uffff'];
    for (const n of names) expect(kernfsNameHash(n)).toBe(ref(n));
    expect(names).toHaveLength(8);
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 64 }), fc.string({ unit: 'binary', maxLength: 24 })),
        (n) => {
          expect(kernfsNameHash(n)).toBe(ref(n));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('kernfsOrder sorts by kernfs_name_hash, then bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 40 }), (names) => {
        const ref = [...names].sort(
          (a, b) => cachedHash(a) - cachedHash(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)),
        );
        expect(kernfsOrder(names)).toEqual(ref);
      }),
    );
  });
});

describe('list emulation', () => {
  /** strtoull's subject sequence, digit by digit (the plain algorithm). */
  function refStrtoull(s: string, base0: number): { value: bigint; end: number } {
    const U64 = (1n << 64n) - 1n;
    const digits = (i: number, base: number) => {
      let v = 0n;
      let j = i;
      for (; j < s.length; j++) {
        const d = Number.parseInt(s[j] as string, 36);
        if (Number.isNaN(d) || d >= base) break;
        v = v * BigInt(base) + BigInt(d);
      }
      return { v, end: j };
    };
    let i = 0;
    while (' \t\n\v\f\r'.includes(s[i] ?? 'x')) i++;
    let neg = false;
    if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
    let base = base0;
    let mag = 0n;
    let end: number;
    if ((base === 0 || base === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
      const d = digits(i + 2, 16);
      [mag, end] = d.end > i + 2 ? [d.v, d.end] : [0n, i + 1];
    } else {
      if (base === 0) base = s[i] === '0' ? 8 : 10;
      const d = digits(i, base);
      if (d.end === i) return { value: 0n, end: 0 };
      [mag, end] = [d.v, d.end];
    }
    if (mag > U64) return { value: U64, end };
    return { value: neg ? BigInt.asUintN(64, -mag) : mag, end };
  }

  it('strtoull parses like glibc, long and overflowing numbers included', () => {
    const ch = fc.constantFrom(...'0123456789abcdefxXzZ+- \tAF9g'.split(''));
    fc.assert(
      fc.property(
        fc.array(ch, { maxLength: 45 }).map((a) => a.join('')),
        fc.constantFrom(0, 8, 10, 16),
        (s, b) => {
          expect(strtoullEnd(s, b)).toEqual(refStrtoull(s, b));
        },
      ),
      { numRuns: 3000 },
    );
    expect(strtol('-9223372036854775809')).toBe(-(1n << 63n));
  });

  it('strtoull and sscanf("<prefix>%d") take their plain-number shortcut only where it agrees', () => {
    // the shapes sysfs attributes and device names have (decimal, 0x hex, up to 20 digits,
    // leading zeros) and their near misses (signs, blanks, upper-case X, trailing text)
    const digit = fc.constantFrom(...'0123456789'.split(''));
    const hex = fc.constantFrom(...'0123456789abcdefABCDEF'.split(''));
    const number = fc.oneof(
      fc.array(digit, { minLength: 1, maxLength: 22 }).map((a) => a.join('')),
      fc.array(hex, { minLength: 0, maxLength: 19 }).map((a) => `0x${a.join('')}`),
      fc.array(hex, { minLength: 1, maxLength: 17 }).map((a) => `0X${a.join('')}`),
    );
    const affix = fc.constantFrom('', ' ', '+', '-', '\t', 'x', '.1', 'g');
    let cases = 0;
    fc.assert(
      fc.property(affix, number, affix, (pre, n, post) => {
        const s = `${pre}${n}${post}`;
        cases++;
        expect(strtoull(s)).toBe(refStrtoull(s, 0).value);
        const r = scanInt(s, 0);
        expect(scanPrefixInt(`mem${s}`, 'mem')).toBe(r?.v);
        expect(scanPrefixInt(`decoder${s}`, 'mem')).toBeUndefined();
      }),
      { numRuns: 4000 },
    );
    expect(cases).toBe(4000);
  });

  it('toJsonPretty prints like json-c’s pretty printer', () => {
    /** JSON_C_TO_STRING_PRETTY of json-c 0.16 as a direct recursion (no custom serializers). */
    const ref = (x: JVal, level: number): string => {
      const ind = (n: number) => '  '.repeat(n);
      const esc = (s: string) => JSON.stringify(s).slice(1, -1).replace(/\//g, '\\/');
      switch (x.t) {
        case 'str':
          return `"${esc(x.s)}"`;
        case 'bool':
          return String(x.b);
        case 'int':
          return x.v.toString();
        case 'obj':
          return x.e.length === 0
            ? `{\n${ind(level)}}`
            : `{\n${x.e.map(([k, v]) => `${ind(level + 1)}"${esc(k)}":${ref(v, level + 1)}`).join(',\n')}\n${ind(level)}}`;
        case 'arr':
          return x.a.length === 0
            ? `[\n${ind(level)}]`
            : `[\n${x.a.map((v) => ind(level + 1) + ref(v, level + 1)).join(',\n')}\n${ind(level)}]`;
      }
    };
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', '"', '/', '\\', '\n', 'é', ' ') });
    const { value } = fc.letrec<{ value: JVal }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        text.map((s): JVal => ({ t: 'str', s })),
        fc.boolean().map((b): JVal => ({ t: 'bool', b })),
        fc
          .bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n })
          .map((v): JVal => ({ t: 'int', v, u64: v >= 0n })),
        fc
          .array(fc.tuple(text, tie('value')), { maxLength: 4 })
          .map((e): JVal => ({ t: 'obj', e })),
        fc.array(tie('value'), { maxLength: 4 }).map((a): JVal => ({ t: 'arr', a })),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expect(toJsonPretty(v, '85', '0.16')).toBe(ref(v, 0));
      }),
      { numRuns: 500 },
    );
  });
});
