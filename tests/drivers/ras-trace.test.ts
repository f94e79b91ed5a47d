/**
 * The kernel's trace helpers and QEMU's QMP argument checks, as properties:
 * __print_flags() names the set bits in table order with the leftover bits as 0x…,
 * __print_symbolic() falls back to 0x…; QAPI's uintN visitors accept exactly their range and
 * answer "Parameter 'x' expects uintN_t" outside it; a missing or unknown member is QEMU's message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printFlags, printHex, printSymbolic } from '../../src/drivers/cxl/core/trace.ts';
import { QmpError, visit, visitStruct } from '../../src/hw/qmp/visit.ts';

const NAMES: [number, string][] = [
  [1 << 2, 'PERMANENT_CONDITION'],
  [1 << 3, 'MAINTENANCE_NEEDED'],
  [1 << 4, 'PERFORMANCE_DEGRADED'],
  [1 << 5, 'HARDWARE_REPLACEMENT_NEEDED'],
];

describe('trace.h helpers', () => {
  it('__print_flags: named bits in table order, then the rest in hex', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xff }), (v) => {
        const named = NAMES.filter(([b]) => v & b).map(([, n]) => n);
        const rest = v & ~NAMES.reduce((a, [b]) => a | b, 0);
        const want = [...named, ...(rest ? [`0x${rest.toString(16)}`] : [])].join(' | ');
        expect(printFlags(v, ' | ', NAMES)).toBe(want);
      }),
    );
  });

  it('__print_symbolic and __print_hex', () => {
    expect(printSymbolic(1, ['Unknown', 'Host Read'])).toBe('Host Read');
    expect(printSymbolic(9, ['Unknown'])).toBe('0x9');
    expect(printHex(Uint8Array.of(0, 0xab, 7))).toBe('00 ab 07');
  });
});

describe('QMP argument visitors', () => {
  it('uint8 accepts 0..255 and rejects the rest with QEMU message', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), (n) => {
        if (n >= 0 && n <= 255) expect(visit('flags', 'uint8', n)).toBe(BigInt(n));
        else expect(() => visit('flags', 'uint8', n)).toThrow("Parameter 'flags' expects uint8_t");
      }),
    );
  });

  it('missing, unexpected and mistyped members', () => {
    const s = { path: 'str', start: 'uint64', '*rank': 'uint8' } as const;
    expect(() => visitStruct(undefined, s, { path: 'x' })).toThrow("Parameter 'start' is missing");
    expect(() => visitStruct(undefined, s, { path: 'x', start: 1, y: 2 })).toThrow(
      "Parameter 'y' is unexpected",
    );
    expect(() => visitStruct(undefined, s, { path: 1, start: 1 })).toThrow(
      "Invalid parameter type for 'path', expected: string",
    );
    expect(visitStruct(undefined, s, { path: 'x', start: 2 })).toEqual({ path: 'x', start: 2n });
    expect(() => visit('errors', { array: 'uint32' }, [1, 'a'])).toThrow(QmpError);
  });
});
