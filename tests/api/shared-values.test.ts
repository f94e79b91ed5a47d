/**
 * The shared values a booted machine is made of (issue 12/15: fewer objects per machine) keep
 * each device's state its own: a fresh event log, an empty children or hook list, a register
 * array carved from a slab, a frozen decoder range — shared until written, then the writer's
 * own — and copies of the machine stay independent of them.
 */
import { describe, expect, it } from 'vitest';
import { bootSync } from '../../src/api/boot.ts';
import { frozenRange, IDLE_RANGE } from '../../src/drivers/cxl/core/decoder.ts';
import { PciConfigSpace } from '../../src/hw/pci/config-space.ts';
import { eventInsert } from '../../src/hw/regs/mailbox/events.ts';
import { createMemDevState } from '../../src/hw/regs/memdev-state.ts';
import { resetEventLog } from '../../src/hw/regs/ras-state.ts';
import { slabDwords } from '../../src/hw/slab.ts';
import { Device } from '../../src/kernel/device.ts';
import { copyGraph } from '../../src/kernel/graph-copy.ts';
import type { Type3Dev } from '../../src/topology/model.ts';

const dev: Type3Dev = {
  kind: 'type3',
  id: 'cxl-pmem0',
  serial: 1n,
  volatileSize: 0n,
  persistentSize: 1n << 28n,
  lsaSize: 0x1000n,
};

describe('event logs: one shared fresh log until a record is added', () => {
  it('a record goes to the writer’s own log; the other devices and logs stay fresh', () => {
    const a = createMemDevState(dev, '11.1');
    const b = createMemDevState(dev, '11.1');
    a.clock = { now: () => 0n };
    expect(a.ras.events[1]).toBe(b.ras.events[1]);
    expect(Object.isFrozen(a.ras.events[1])).toBe(true);
    const rec = new Uint8Array(128).fill(7);
    expect(eventInsert(a, 1, rec, false)).toBe(true);
    expect(eventInsert(a, 1, rec, false)).toBe(true);
    // the writer's own log: handles from 1, in order; the others untouched
    expect(a.ras.events[1]?.records.map((r) => (r[0x14] ?? 0) | ((r[0x15] ?? 0) << 8))).toEqual([
      1, 2,
    ]);
    expect(a.ras.events[1]?.nextHandle).toBe(3);
    expect(b.ras.events[1]?.records).toHaveLength(0);
    expect(b.ras.events[1]?.nextHandle).toBe(1);
    expect(a.ras.events[0]).toBe(b.ras.events[0]);
    // event_reset_log(): fresh again, handles from 1
    resetEventLog(a.ras, 1);
    expect(a.ras.events[1]).toBe(b.ras.events[1]);
    expect(eventInsert(a, 1, rec, false)).toBe(true);
    expect(a.ras.events[1]?.records[0]?.[0x14]).toBe(1);
  });
});

describe('config-space hooks: one list, shared while empty', () => {
  it('read hooks in registration order, write handlers before every listener', () => {
    const cs = new PciConfigSpace(false);
    const other = new PciConfigSpace(false);
    const seen: string[] = [];
    cs.addListener((o: number, _s: number, tag: string) => seen.push(`${tag}@${o}`), 'L1');
    cs.onRead(0x100, 0x104, (_o, _s, v: number) => v, 0x11);
    cs.onRead(0x100, 0x104, (_o, _s, v: number) => v, 0x22);
    cs.onWrite(0x100, 0x104, (o, _s, _v, tag: string) => seen.push(`${tag}@${o}`), 'W');
    cs.addListener((o: number, _s: number, tag: string) => seen.push(`${tag}@${o}`), 'L2');
    expect(cs.read(0x100, 4)).toBe(0x11);
    expect(other.read(0x100, 4)).toBe(0);
    cs.write(0x100, 4, 5);
    expect(seen).toEqual(['W@256', 'L1@256', 'L2@256']);
    seen.length = 0;
    other.write(0x100, 4, 5);
    expect(seen).toEqual([]);
  });
});

describe('slab registers and frozen ranges', () => {
  it('two register arrays of one slab are independent, and so are their copies', () => {
    const a = slabDwords(22);
    const b = slabDwords(22);
    expect(a.buffer).toBe(b.buffer);
    a.fill(0xaaaa);
    expect([...b].every((x) => x === 0)).toBe(true);
    const holder = { a, b };
    const c = copyGraph(holder);
    expect(c.a.buffer).not.toBe(a.buffer);
    c.a[3] = 1;
    expect(a[3]).toBe(0xaaaa);
    expect(c.b.buffer).toBe(c.a.buffer);
    expect([...c.a].filter((x) => x === 0xaaaa)).toHaveLength(21);
  });

  it('an idle range is IDLE_RANGE, any range is frozen', () => {
    expect(frozenRange(0n, -1n)).toBe(IDLE_RANGE);
    const r = frozenRange(0x1000n, 0x1fffn);
    expect(Object.isFrozen(r)).toBe(true);
    expect(() => {
      (r as { start: bigint }).start = 0n;
    }).toThrow(TypeError);
  });
});

describe('a booted machine: shared values stay shared, state stays per copy', () => {
  it('devices without children share one frozen list; a copy’s added child is its own', () => {
    const m = bootSync({ preset: 'default' });
    const all: Device[] = [];
    const walk = (d: Device) => {
      all.push(d);
      for (const c of d.children) walk(c);
    };
    for (const r of m.raw.kernel.roots) walk(r);
    const leaves = all.filter((d) => d.children.length === 0);
    expect(leaves.length).toBeGreaterThan(10);
    const lists = new Set(leaves.map((d) => d.children));
    expect(lists.size).toBe(1);
    expect(Object.isFrozen([...lists][0])).toBe(true);
    // a copy's device that gains a child gets its own list; the original's leaf stays a leaf
    const c = m.clone();
    const leafName = (leaves[0] as Device).name;
    const find = (roots: readonly Device[]): Device | undefined => {
      const stack = [...roots];
      while (stack.length) {
        const d = stack.pop() as Device;
        if (d.name === leafName && d.children.length === 0) return d;
        stack.push(...d.children);
      }
      return undefined;
    };
    const copyLeaf = find(c.raw.kernel.roots) as Device;
    expect(copyLeaf).toBeDefined();
    const child = new Device(copyLeaf.ctx, 'cxlsim-test-child', copyLeaf);
    child.add();
    expect(copyLeaf.children).toEqual([child]);
    expect(find(m.raw.kernel.roots)?.children).toHaveLength(0);
    expect(leaves.every((d) => d.children.length === 0)).toBe(true);
  });
});

describe('caches a copy starts without (resetInCopies())', () => {
  it('the MMIO decode of a copy is made again from its config spaces and decodes the same', () => {
    const m = bootSync({ preset: 'default' });
    const mmio = m.raw.platform.bus.mmio;
    const maps = (m.raw.platform as unknown as { mmio: { mappings(): { base: bigint }[] } }).mmio;
    const bars = maps.mappings();
    expect(bars.length).toBeGreaterThan(5);
    const c = m.clone();
    const cmaps = (c.raw.platform as unknown as { mmio: Record<string, unknown> }).mmio;
    expect(cmaps.barCache).toBeUndefined();
    expect(cmaps.sorted).toBeUndefined();
    expect((maps as unknown as Record<string, unknown>).barCache).toBeDefined();
    // every mapping's first dword reads the same through the copy's rebuilt decode
    for (const b of bars) expect(c.raw.platform.bus.mmio.read32(b.base)).toBe(mmio.read32(b.base));
    expect(
      (c.raw.platform as unknown as { mmio: { mappings(): unknown } }).mmio.mappings(),
    ).toEqual(bars);
  });
});
