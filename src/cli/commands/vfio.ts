/**
 * DOC: `cxlsim vfio show [DEVICE]` — a passed-through CXL type-2 function as the host and the
 * guest see it.
 *
 * DEVICE is the QEMU id (`dev0`), the host BDF (`0002:81:00.0`) or the guest BDF; without it
 * every passed-through function is shown. For each: the vfio side (detection result, device
 * flags, the DPA and COMP_REGS regions, the component BAR's sparse mmap, the VMM's placement,
 * the host's vfio log), then the PCIe DVSEC for CXL Devices decoded as `lspci -vvv` prints it
 * (pciutils ls-ecaps.c dvsec_cxl_device()) — one `host` row (the physical function's config
 * space) and one `guest` row (what the guest reads through the vfio DVSEC shadow) per
 * register, with the raw value — and the HDM decoders as the host reads them from the
 * component BAR and as the guest reads them through COMP_REGS.
 */

import { CxlMemdev } from '../../drivers/cxl/core/memdev.ts';
import { functionName } from '../../hw/dev/model.ts';
import type { VfioType2 } from '../../hw/vmm/index.ts';
import { Errno } from '../../kernel/errno.ts';
import { CliError } from '../errors.ts';
import { type CliContext, withMachine } from '../session.ts';

const f = (w: number, bit: number) => ((w & bit) !== 0 ? '+' : '-');
const h = (v: number, n: number) => `0x${(v >>> 0).toString(16).padStart(n, '0')}`;
const hx = (v: bigint) => `0x${v.toString(16)}`;

/** The lspci -vvv decode of each CXL Device DVSEC register (dvsec_cxl_device()). */
const DECODERS: {
  name: string;
  off: number;
  size: 2 | 4;
  text: (w: number, rev: number) => string;
}[] = [
  {
    name: 'CXLCap',
    off: 0x0a,
    size: 2,
    text: (w) =>
      `Cache${f(w, 1)} IO${f(w, 2)} Mem${f(w, 4)} MemHWInit${f(w, 8)} HDMCount ${(w >> 4) & 3} Viral${f(w, 1 << 14)}`,
  },
  {
    name: 'CXLCtl',
    off: 0x0c,
    size: 2,
    text: (w) =>
      `Cache${f(w, 1)} IO${f(w, 2)} Mem${f(w, 4)} CacheSFCov ${(w >> 3) & 0x1f} CacheSFGran ${(w >> 8) & 7} CacheClean${f(w, 1 << 11)} Viral${f(w, 1 << 14)}`,
  },
  { name: 'CXLSta', off: 0x0e, size: 2, text: (w) => `Viral${f(w, 1 << 14)}` },
  {
    name: 'CXLCtl2',
    off: 0x10,
    size: 2,
    text: (w, rev) =>
      `DisableCaching${f(w, 1)} InitCacheWB&Inval${f(w, 2)} InitRst${f(w, 4)} RstMemClrEn${f(w, 8)}${rev >= 2 ? ` DesiredVolatileHDMStateAfterHotReset${f(w, 16)}` : ''}`,
  },
  {
    name: 'CXLSta2',
    off: 0x12,
    size: 2,
    text: (w) => `ResetComplete${f(w, 2)} ResetError${f(w, 4)} PMComplete${f(w, 1 << 15)}`,
  },
  { name: 'CXLLock', off: 0x14, size: 2, text: (w) => `ConfigLock${f(w, 1)}` },
  {
    name: 'CXLCap2',
    off: 0x16,
    size: 2,
    text: (w) =>
      (w & 0xf) === 0
        ? 'Cache Size Not Reported'
        : `Cache Size unit ${w & 0xf} size ${(w >> 8) & 0xff}`,
  },
];

/** One DVSEC as both sides read it. */
function dvsecLines(rec: VfioType2): string[] {
  const host = rec.vfio.host;
  const guest = rec.guest.fn.config;
  let at = 0x100;
  let dv = 0;
  for (let n = 0; n < 64 && at >= 0x100; n++) {
    const hdr = host.cfgRead(at, 4) >>> 0;
    if (
      (hdr & 0xffff) === 0x23 &&
      (host.cfgRead(at + 4, 4) & 0xffff) === 0x1e98 &&
      host.cfgRead(at + 8, 2) === 0
    ) {
      dv = at;
      break;
    }
    at = hdr >>> 20;
  }
  if (!dv) return ['  (no PCIe DVSEC for CXL Devices)'];
  const h1 = host.cfgRead(dv + 4, 4) >>> 0;
  const rev = (h1 >>> 16) & 0xf;
  const len = h1 >>> 20;
  const out = [
    `\tCapabilities: [${dv.toString(16)} v1] Designated Vendor-Specific: Vendor=1e98 ID=0000 Rev=${rev} Len=${len}: CXL`,
    '\t\tPCIe DVSEC for CXL Devices',
  ];
  const row = (side: string, name: string, text: string, raw: string) =>
    `\t\t${side.padEnd(5)} ${`${name}:`.padEnd(9)} ${text}  [${raw}]`;
  for (const d of DECODERS) {
    const hv = host.cfgRead(dv + d.off, d.size);
    const gv = guest.read(dv + d.off, d.size);
    out.push(
      row('host', d.name, d.text(hv, rev), h(hv, 4)),
      row('guest', d.name, d.text(gv, rev), h(gv, 4)),
    );
  }
  for (const r of [1, 2]) {
    const o = dv + 0x18 + (r - 1) * 0x10;
    const side = (name: string, read: (off: number) => number) => {
      const size = (BigInt(read(o) >>> 0) << 32n) | BigInt(read(o + 4) >>> 0);
      const base = (BigInt(read(o + 8) >>> 0) << 32n) | BigInt(read(o + 12) >>> 0);
      const w = Number(size & 0xffffn);
      const sz = size & ~0x0fffffffn;
      const types = ['Volatile', 'Non-volatile', 'CDAT'];
      const classes = ['DRAM', 'Storage', 'CDAT'];
      return `\t\t${name.padEnd(5)} Range${r}: ${base.toString(16).padStart(16, '0')}-${BigInt.asUintN(
        64,
        base + sz - 1n,
      )
        .toString(16)
        .padStart(
          16,
          '0',
        )} [size=${hx(sz)}] Valid${f(w, 1)} Active${f(w, 2)} Type=${types[(w >> 2) & 7] ?? '?'} Class=${classes[(w >> 5) & 7] ?? '?'} timeout=${1 << (((w >> 13) & 7) * 2)}s`;
    };
    out.push(
      side('host', (x) => host.cfgRead(x, 4)),
      side('guest', (x) => guest.read(x, 4)),
    );
  }
  if (rev >= 2 && len >= 0x3c) {
    const c3 = (w: number) =>
      `ColdReset${f(w, 1)} WarmReset${f(w, 2)} HotReset${f(w, 4)} HotResetConfigurability${f(w, 8)}`;
    const hv = host.cfgRead(dv + 0x38, 2);
    const gv = guest.read(dv + 0x38, 2);
    out.push(row('host', 'CXLCap3', c3(hv), h(hv, 4)), row('guest', 'CXLCap3', c3(gv), h(gv, 4)));
  }
  return out;
}

/** Decoder CTRL decoded. */
function ctrlText(c: number): string {
  return `IG ${256 << (c & 0xf)} IW ${[1, 2, 4, 8, 16][(c >> 4) & 0xf] ?? (c >> 4) & 0xf} Lock${f(c, 1 << 8)} Commit${f(c, 1 << 9)} Committed${f(c, 1 << 10)} Err${f(c, 1 << 11)} HostOnly${f(c, 1 << 12)}`;
}

/** HDM decoders as the host (component BAR) and the guest (COMP_REGS) read them. */
function hdmLines(rec: VfioType2): string[] {
  const c = rec.vfio.cxl;
  if (!c)
    return [
      '\tHDM decoders: not emulated (plain vfio-pci: the guest reaches the hardware registers)',
    ];
  const hdm = c.regs.hdmOffset;
  const hw = (off: number) =>
    rec.vfio.host.barRead32(c.regs.bar, c.regs.offset + 0x1000 + hdm + off) >>> 0;
  const gs = (off: number) => c.comp.read(hdm + off) >>> 0;
  const out = [
    `\tHDM Decoder Capability: BAR${c.regs.bar} + ${h(c.regs.offset + 0x1000 + hdm, 4)} (COMP_REGS offset ${h(hdm, 3)}, ${c.regs.hdmCount} decoder${c.regs.hdmCount === 1 ? '' : 's'})`,
    `\t\t${'host'.padEnd(5)} cap ${h(hw(0), 8)} global ${h(hw(4), 8)}`,
    `\t\t${'guest'.padEnd(5)} cap ${h(gs(0), 8)} global ${h(gs(4), 8)}`,
  ];
  for (let n = 0; n < c.regs.hdmCount; n++) {
    const at = 0x10 + 0x20 * n;
    out.push(`\t\tDecoder ${n}:`);
    for (const [side, r] of [
      ['host', hw],
      ['guest', gs],
    ] as const) {
      const base = (BigInt(r(at + 4)) << 32n) | BigInt(r(at) & 0xf0000000);
      const size = (BigInt(r(at + 0xc)) << 32n) | BigInt(r(at + 8) & 0xf0000000);
      const ctl = r(at + 0x10);
      out.push(
        `\t\t${side.padEnd(5)} base ${hx(base)} size ${hx(size)} ctrl ${h(ctl, 8)} ${ctrlText(ctl)}`,
      );
    }
  }
  return out;
}

/** Everything shown for one device. */
function showLines(rec: VfioType2, guestName: string, driver: string): string[] {
  const v = rec.vfio;
  const c = v.cxl;
  const info = v.info();
  const out = [`${rec.topo.id}: host ${rec.host.bdf} (vfio-pci) → guest ${guestName} (${driver})`];
  if (!c) out.push('\tvfio-cxl: not detected — plain vfio-pci (fail closed)');
  else {
    const fl = [
      'VFIO_DEVICE_FLAGS_CXL',
      ...(info.cxl && info.cxl.flags & 1 ? ['FIRMWARE_COMMITTED'] : []),
      ...(info.cxl && info.cxl.flags & 2 ? ['CACHE_CAPABLE'] : []),
    ];
    out.push(
      `\tvfio-cxl: ${fl.join(' ')}; device flags ${h(info.flags, 4)}, ${info.numRegions} regions`,
    );
    const dpa = v.regionInfo(info.cxl?.dpaRegionIndex ?? 9);
    const comp = v.regionInfo(info.cxl?.compRegsRegionIndex ?? 10);
    out.push(
      `\tregion ${info.cxl?.dpaRegionIndex}: DPA size ${hx(dpa.size)} flags ${h(dpa.flags, 1)} host HPA ${hx(c.regionHpa)}-${hx(c.regionHpa + c.regionSize - 1n)} ${c.regionActive ? 'active' : 'inactive'} (revoked ${c.revocations}×)`,
      `\tregion ${info.cxl?.compRegsRegionIndex}: COMP_REGS size ${hx(comp.size)} flags ${h(comp.flags, 1)} at BAR${c.regs.bar} + ${hx(info.cxl?.hdmRegsOffset ?? 0n)}`,
    );
    const bar = v.regionInfo(c.regs.bar);
    out.push(
      `\tBAR${c.regs.bar}: size ${hx(bar.size)} ${bar.sparse ? `sparse mmap ${bar.sparse.map((a) => `[${hx(a.offset)}, ${hx(a.offset + a.size)})`).join(' ')}` : 'no mmap (the component block is the whole BAR)'}`,
    );
  }
  const p = rec.placement;
  out.push(
    p
      ? `\tplacement: ${p.mode}, window ${p.window}, decoder 0 at ${hx(p.base)} size ${hx(p.size)}`
      : '\tplacement: none',
  );
  out.push(...dvsecLines(rec), ...hdmLines(rec));
  if (v.log.lines.length) {
    out.push('\thost log:');
    for (const l of v.log.lines) out.push(`\t\t<${l.level}> ${l.text}`);
  }
  return out;
}

/** Runs `cxlsim vfio show`. */
export async function vfioShowCommand(
  ctx: CliContext,
  device: string | undefined,
): Promise<number> {
  return withMachine(ctx, ({ machine }) => {
    const p = machine.platform;
    if (!p) throw new CliError('this machine has no platform to inspect');
    const all = p.vfio();
    const named = (r: VfioType2) => [r.topo.id, r.host.bdf, functionName(r.guest.fn)];
    const sel = device === undefined ? all : all.filter((r) => named(r).includes(device));
    if (device !== undefined && sel.length === 0)
      throw new Errno(
        'ENODEV',
        `no passed-through device '${device}' (${all.map((r) => r.topo.id).join(', ') || 'none'})`,
      );
    const blocks = sel.map((r) => {
      const name = functionName(r.guest.fn);
      const pdev = machine.kernel.buses.get('pci')?.devices.find((d) => d.name === name);
      const md = pdev?.driverData instanceof CxlMemdev ? pdev.driverData : undefined;
      const drv = pdev?.driver ? `${pdev.driver.name}${md ? `, ${md.name}` : ''}` : 'no driver';
      return showLines(r, name, drv).join('\n');
    });
    ctx.io.out(blocks.length ? `${blocks.join('\n\n')}\n` : 'no passed-through CXL devices\n');
    return 0;
  });
}
