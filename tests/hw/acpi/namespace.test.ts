import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCedt } from '../../../src/hw/acpi/cedt.ts';
import {
  acpiNamespace,
  chbsOrder,
  childListOrder,
  hostBridgeUid,
} from '../../../src/hw/acpi/namespace.ts';
import { GStrHashTable, gStrHash, qomPeripheralOrder } from '../../../src/hw/acpi/qom-order.ts';
import {
  FIXTURES,
  interleaveTopology,
  readFixture,
  readXxd,
  threewayTopology,
} from '../fixtures.ts';

/** The ACPI0016:NN → (path, uid) facts of a capture's sysfs.txt. */
function captureHostBridges(scenario: string): { name: string; path: string; uid: number }[] {
  const lines = readFixture(scenario, '00-boot', 'sysfs.txt').split('\n');
  const out = new Map<string, { name: string; path: string; uid: number }>();
  for (let i = 0; i < lines.length; i++) {
    const m = /^F\tdevices\/LNXSYSTM:00\/LNXSYBUS:00\/(ACPI0016:\d\d)\/(path|uid)\t/.exec(
      lines[i] ?? '',
    );
    if (!m?.[1] || !m[2]) continue;
    const v = (lines[i + 1] ?? '').slice(1);
    const e = out.get(m[1]) ?? { name: m[1], path: '', uid: -1 };
    if (m[2] === 'path') e.path = v;
    else e.uid = Number(v);
    out.set(m[1], e);
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

describe('ACPI namespace (DSDT order = root bus child list = reverse creation)', () => {
  for (const [scenario, topo] of [
    ['interleave', interleaveTopology],
    ['threeway', threewayTopology],
  ] as const) {
    it(`ACPI0016:NN paths and _UIDs match the ${scenario} capture`, () => {
      const ours = acpiNamespace(topo()).filter((n) => n.hid === 'ACPI0016');
      const want = captureHostBridges(scenario);
      expect(want.length).toBeGreaterThan(0);
      expect(ours.map((n) => ({ path: n.path, uid: n.uid }))).toEqual(
        want.map((w) => ({ path: w.path, uid: w.uid })),
      );
    });
  }

  it('declares _CID PNP0A08/PNP0A03, _ADR 0, _BBN = bus_nr, then one ACPI0017 with _STA 0x0b', () => {
    const t = interleaveTopology();
    const nodes = acpiNamespace(t);
    expect(nodes.at(-1)).toEqual({ hid: 'ACPI0017', cid: [], path: '\\_SB_.CXLM', sta: 0x0b });
    for (const n of nodes.slice(0, -1)) {
      expect(n.cid).toEqual(['PNP0A08', 'PNP0A03']);
      expect(n.adr).toBe(0);
      expect(n.pciRoot?.bus).toBe(n.uid);
    }
    // ACPI0017 status as the capture's sysfs shows it (decimal 11).
    expect(readFixture('interleave', '00-boot', 'sysfs.txt')).toContain(
      'ACPI0017:00/status\t444\t3\n|11\n',
    );
  });

  it('child-list order is the reverse of creation order, whatever the bus numbers', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 8 }),
        (buses) => {
          const t = interleaveTopology();
          t.hostBridges = buses.map((b, i) => ({
            id: `hb${i}`,
            busNr: b,
            segment: 0,
            rootPorts: [],
          }));
          t.windows = [];
          expect(childListOrder(t).map((h) => h.id)).toEqual(
            buses.map((_, i) => `hb${i}`).reverse(),
          );
        },
      ),
    );
  });
});

describe('CHBS order (QOM walk = GLib hash-table bucket order of /machine/peripheral)', () => {
  for (const [scenario, topo] of [
    ['interleave', interleaveTopology],
    ['threeway', threewayTopology],
  ] as const) {
    it(`reproduces the ${scenario} capture's CHBS UID order`, () => {
      const cap = parseCedt(readXxd(`${FIXTURES}/${scenario}/00-boot/acpi/CEDT.xxd`));
      const want = cap.entries.flatMap((e) => (e.type === 'chbs' ? [e.uid] : []));
      expect(chbsOrder(topo()).map(hostBridgeUid)).toEqual(want);
    });
  }

  it('is neither creation order nor bus order in general (interleave vs threeway)', () => {
    expect(chbsOrder(interleaveTopology()).map((h) => h.id)).toEqual(['cxl.0', 'cxl.1']);
    expect(chbsOrder(threewayTopology()).map((h) => h.id)).toEqual(['cxl.3', 'cxl.2', 'cxl.1']);
  });

  it('g_str_hash is djb2 over signed chars', () => {
    expect(gStrHash('')).toBe(5381);
    expect(gStrHash('a')).toBe((5381 * 33 + 97) >>> 0);
    expect(gStrHash('\u00e9')).toBe(
      ((((5381 * 33) >>> 0) + (0xc3 - 256)) * 33 + (0xa9 - 256)) >>> 0,
    );
  });

  it('a GHashTable keeps every key exactly once, through resizes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 200 }),
        (keys) => {
          const t = new GStrHashTable();
          for (const k of keys) t.insert(k);
          const order = t.iterationOrder();
          expect([...order].sort()).toEqual([...new Set(keys)].sort());
          expect(qomPeripheralOrder(keys)).toEqual(order);
        },
      ),
    );
  });
});
