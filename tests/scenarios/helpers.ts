/**
 * Scenario helpers: topology files of tests/scenarios/topologies, booted on a profile; ndctl's
 * `cxl` commands on the machine (as the CLI runs them); memdev names by serial number; the
 * backing store of a device by PCI function; random data checks through the platform's memory
 * bus against a predicted (memdev, DPA).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type BootedMachine, bootMachine } from '../../src/boot.ts';
import { translateHpa } from '../../src/explain/translate.ts';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import type { Topology } from '../../src/topology/model.ts';
import { parseTopologyFile } from '../../src/topology/schema.ts';

export const TOPO_DIR = join(import.meta.dirname, 'topologies');

/** A topology file of tests/scenarios/topologies, parsed afresh (callers may mutate it). */
export function loadTopology(name: string): Topology {
  const path = join(TOPO_DIR, `${name}.yaml`);
  return parseTopologyFile(readFileSync(path, 'utf8'), path);
}

/** Boots a topology on a profile (dynamic debug on by default). */
export function boot(t: Topology, profile = 'latest', dyndbg = true): BootedMachine {
  const p = resolveProfile(profile);
  return bootMachine(t, { profile: p, dyndbg });
}

/** Runs `cxl ARGS…` (ndctl emulation) on the machine. */
export function cxl(m: BootedMachine, ...args: string[]) {
  return cxlCommand(m.sysfs, m.ioctl, args, { ndctl: m.profile.ndctl, isTty: false });
}

/** memN by device serial number (`cxl list -M`). */
export function memdevsBySerial(m: BootedMachine): Map<bigint, string> {
  const r = cxl(m, 'list', '-M');
  expect(r.code).toBe(0);
  const list = JSON.parse(r.stdout) as { memdev: string; serial: number }[];
  return new Map(list.map((x) => [BigInt(x.serial), x.memdev]));
}

/** The memory of the type-3 device at PCI function `bdf` (hardware inspection). */
export function deviceStore(m: BootedMachine, bdf: string) {
  const d = m.platform.functions().get(bdf)?.device;
  if (d?.kind !== 'type3') throw new Error(`${bdf} is not a type-3 device`);
  return d.state.store;
}

/** PCI function of a memdev. */
export function memdevBdf(m: BootedMachine, memdev: string): string {
  const d = m.kernel.buses.get('cxl')?.devices.find((x) => x.name === memdev);
  if (!d?.parent) throw new Error(`no ${memdev}`);
  return d.parent.name;
}

/** A deterministic byte pattern for an address (so checks do not depend on a fixed result). */
export function pattern(hpa: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = Number(hpa % 0xfffffffbn) | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Stores a pattern at `hpa` through the platform's memory bus and checks that it lands in
 * `memdev`'s memory at `dpa`, reads back through the bus, and that the driver's translation
 * and the hardware's decode both name (memdev, dpa).
 */
export function checkStore(
  m: BootedMachine,
  hpa: bigint,
  memdev: string,
  dpa: bigint,
  n = 16,
): void {
  const data = pattern(hpa, n);
  expect(m.platform.bus.mem.write(hpa, data), `store at 0x${hpa.toString(16)}`).toBe(true);
  expect(
    deviceStore(m, memdevBdf(m, memdev)).read(dpa, n),
    `${memdev} DPA 0x${dpa.toString(16)}`,
  ).toEqual(data);
  const back = m.platform.bus.mem.read(hpa, n);
  expect(back.ok).toBe(true);
  expect(back.data).toEqual(data);
  const t = translateHpa(m, hpa);
  expect(t.agree, t.disagreement).toBe(true);
  expect([t.hardware.memdev, t.hardware.dpa, t.driver.memdev, t.driver.dpa]).toEqual([
    memdev,
    dpa,
    memdev,
    dpa,
  ]);
}

/** Kernel lines (with their printk level) logged since `mark`. */
export function linesSince(m: BootedMachine, mark = 0): string[] {
  return m.kernel.log.since(mark).map((l) => `<${l.level}>${l.text}`);
}

/** 0x-hex of a bigint. */
export const hx = (v: bigint) => `0x${v.toString(16)}`;
