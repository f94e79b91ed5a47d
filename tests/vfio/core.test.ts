/**
 * The host's vfio-cxl variant (host/vfio-cxl/device.ts): detection and its fail-closed
 * fallback to plain vfio-pci (with the host log lines the series prints), precommitted region
 * discovery, the VFIO device info and regions (DPA, COMP_REGS, the component BAR's sparse
 * mmap in the series' three layouts), and reset: revoke → reset → re-sample → re-activate.
 */
import { describe, expect, it } from 'vitest';
import { type HostFunction, VfioPciDevice } from '../../src/host/vfio-cxl/index.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { boot, GPU4, rec } from './helpers.ts';

const HOST = '0002:81:00.0';

describe('detection', () => {
  it('a firmware-committed type-2 function is a vfio-cxl device: flags, cap, regions', () => {
    const m = boot(GPU4);
    const v = rec(m, 'dev0').vfio;
    const info = v.info();
    expect(info.flags).toBe((1 << 1) | (1 << 9));
    expect(info.cxl).toMatchObject({
      id: 6,
      version: 1,
      hdmRegsBarIndex: 0,
      flags: 3,
      hdmRegsOffset: 0x1000n,
      dpaRegionIndex: 9,
      compRegsRegionIndex: 10,
    });
    expect(v.regionInfo(9)).toEqual({ size: 16n << 30n, flags: 7, subtype: 1 });
    expect(v.regionInfo(10)).toMatchObject({ flags: 3, subtype: 2 });
    expect(v.log.lines.map((l) => l.text)).toContain(
      `vfio-pci ${HOST}: CXL Type-2 device initialized successfully`,
    );
    // the DPA region covers the host HPA range firmware committed decoder 0 at
    expect(v.cxl?.regionHpa).toBe(rec(m, 'dev0').host.hpa);
  });

  it('HDM decoder 0 not committed by firmware: plain vfio-pci, with the info line, and the guest gets no region', () => {
    const m = boot(GPU4, { hosts: [{ host: HOST, committed: false }] });
    const r = rec(m, 'dev0');
    expect(r.vfio.cxl).toBeUndefined();
    expect(r.vfio.info().flags).toBe(1 << 1);
    expect(r.vfio.log.lines.map((l) => l.text)).toContain(
      `vfio-pci ${HOST}: Uncommitted region size must be configured via sysfs before bind`,
    );
    expect(r.placement).toBeUndefined();
    // the device still binds in the guest (as vfio-pci passes it), but maps no memory
    const regions = (m.kernel.buses.get('cxl')?.devices ?? []).filter((d) =>
      /^region\d+$/.test(d.name),
    );
    expect(regions).toHaveLength(3);
    expect(() => r.vfio.dpaRead(0n, 4)).toThrow(Errno);
  });

  it('disable_cxl: plain vfio-pci; the guest sees the hardware decoder at the host HPA, outside every window', () => {
    const m = boot(GPU4, { hosts: [{ host: HOST, disableCxl: true }] });
    const r = rec(m, 'dev0');
    expect(r.vfio.cxl).toBeUndefined();
    expect(r.vfio.log.lines).toEqual([]);
    const errs = m.kernel.log.lines.filter((l) => l.level <= 3).map((l) => l.text);
    expect(errs.some((l) => l.includes('no CXL window for range'))).toBe(true);
  });

  it('media not active: "CXL media not ready", plain vfio-pci', () => {
    const m = boot(GPU4);
    const phys = rec(m, 'dev0').host;
    const dv = phys.model.fn.config.findExtCapability(0x23);
    phys.model.fn.config.set32(dv + 0x1c, phys.model.fn.config.get32(dv + 0x1c) & ~0x2);
    const v = VfioPciDevice.open(phys.fn);
    expect(v.cxl).toBeUndefined();
    expect(v.log.lines.map((l) => `${l.level} ${l.text}`)).toContain(
      `warn vfio-pci ${HOST}: CXL media not ready`,
    );
  });

  it('a class-code type-3 function or one without Mem_Capable is not this variant’s (silent)', () => {
    const m = boot(GPU4);
    const phys = rec(m, 'dev0').host;
    const dv = phys.model.fn.config.findExtCapability(0x23);
    const wrap = (cfg: (o: number, s: 1 | 2 | 4) => number): HostFunction => ({
      ...phys.fn,
      cfgRead: cfg,
    });
    const type3 = wrap((o, s) => (o === 0x08 && s === 4 ? 0x05021000 : phys.fn.cfgRead(o, s)));
    const noMem = wrap((o, s) =>
      o === dv + 0x0a && s === 2 ? phys.fn.cfgRead(o, s) & ~4 : phys.fn.cfgRead(o, s),
    );
    for (const h of [type3, noMem]) {
      const v = VfioPciDevice.open(h);
      expect(v.cxl).toBeUndefined();
      expect(v.log.lines).toEqual([]);
    }
  });
});

describe('the component BAR (sparse mmap around the component block)', () => {
  /** The physical function with a bigger BAR 0 holding the component block at `offset`. */
  function withBar(size: bigint, offset: number): VfioPciDevice {
    const m = boot(GPU4);
    const phys = rec(m, 'dev0').host;
    const dv = phys.model.fn.config.findExtCapability(0x23, 0x100);
    let loc = dv;
    while (loc && phys.fn.cfgRead(loc + 8, 2) !== 8)
      loc = phys.model.fn.config.findExtCapability(0x23, phys.fn.cfgRead(loc, 4) >>> 20);
    const h: HostFunction = {
      ...phys.fn,
      barLength: (i) => (i === 0 ? size : phys.fn.barLength(i)),
      cfgRead: (o, s) =>
        o === loc + 0x0c && s === 4
          ? (phys.fn.cfgRead(o, 4) & 0xffff) | offset
          : phys.fn.cfgRead(o, s),
      barRead32: (i, o) =>
        i === 0
          ? o >= offset && o < offset + 0x10000
            ? phys.fn.barRead32(0, o - offset)
            : 0
          : phys.fn.barRead32(i, o),
    };
    return VfioPciDevice.open(h);
  }

  it('block = whole BAR: read/write only, no mmap', () => {
    const v = VfioPciDevice.open(rec(boot(GPU4), 'dev0').host.fn);
    expect(v.regionInfo(0)).toEqual({ size: 0x10000n, flags: 3 });
    expect(() => v.mmapCheck(0, 0n, 0x1000n)).toThrow(Errno);
  });

  it('block at the end, at the start, in the middle: 1, 1, 2 areas; an mmap over the block is EINVAL', () => {
    const end = withBar(0x100000n, 0xf0000);
    expect(end.regionInfo(0).sparse).toEqual([{ offset: 0n, size: 0xf0000n }]);
    const start = withBar(0x100000n, 0);
    expect(start.regionInfo(0).sparse).toEqual([{ offset: 0x10000n, size: 0xf0000n }]);
    const mid = withBar(0x100000n, 0x80000);
    expect(mid.regionInfo(0).sparse).toEqual([
      { offset: 0n, size: 0x80000n },
      { offset: 0x90000n, size: 0x70000n },
    ]);
    expect(mid.info().cxl?.hdmRegsOffset).toBe(0x81000n);
    expect(() => mid.mmapCheck(0, 0n, 0x80000n)).not.toThrow();
    expect(() => mid.mmapCheck(0, 0x7f000n, 0x2000n)).toThrow(Errno);
    expect(() => mid.mmapCheck(0, 0x90000n, 0x70001n)).toThrow(Errno);
    expect(() => mid.mmapCheck(10, 0n, 0x1000n)).toThrow(Errno); // COMP_REGS: no mmap
    expect(() => mid.mmapCheck(9, 0n, 16n << 30n)).not.toThrow(); // DPA: mmap
    expect(() => mid.mmapCheck(9, 0x1000n, 16n << 30n)).toThrow(Errno);
  });
});

describe('reset', () => {
  it('revokes the mappings, resets, re-samples and re-activates; the VMM re-programs the guest base', () => {
    const m = boot(GPU4);
    const r = rec(m, 'dev0');
    const base = r.placement?.base ?? 0n;
    m.platform.bus.mem.write(base, Uint8Array.of(9));
    const active: boolean[] = [];
    r.vfio.onReset(() => active.push(r.vfio.cxl?.regionActive ?? false));
    expect(r.vfio.reset()).toBe(0);
    expect(r.vfio.cxl?.revocations).toBe(1);
    expect(active).toEqual([true]);
    expect(r.vfio.cxl?.comp.decoder(0)).toMatchObject({ base, committed: true, locked: true });
    expect(m.platform.bus.mem.read(base, 1)).toEqual({ data: Uint8Array.of(9), ok: true }); // FLR kept memory
  });

  it('a decoder firmware does not re-commit after the reset leaves the region inactive (EIO)', () => {
    const m = boot(GPU4, { hosts: [{ host: HOST, recommitAfterReset: false }] });
    const r = rec(m, 'dev0');
    const base = r.placement?.base ?? 0n;
    r.vfio.reset();
    expect(r.vfio.cxl?.regionActive).toBe(false);
    expect(
      r.vfio.log.lines.some((l) => l.text.includes('decoder0 not committed after reset')),
    ).toBe(true);
    expect(() => r.vfio.dpaRead(0n, 1)).toThrow(Errno);
    expect(m.platform.bus.mem.read(base, 1).ok).toBe(false);
  });
});
