/**
 * DOC: a topology as a QEMU command line (`cxlsim export --qemu`), the inverse of
 * qemu-cmdline.ts: `-machine q35|virt,cxl=on`, `-m`, one `-object memory-backend-*` per
 * volatile / persistent / label area (persistent and LSA backends file-backed and shared, as
 * QEMU's docs/system/devices/cxl.rst examples), `-device pxb-cxl,bus_nr=…` per host bridge,
 * `cxl-rp`, `cxl-upstream` + `cxl-downstream` (+ `cxl-switch-mailbox-cci`), `cxl-type3`
 * (`memdev=` on QEMU 7.2, `volatile-memdev=` / `persistent-memdev=` later), and the windows as
 * `-M cxl-fmw.N.targets.K=…,cxl-fmw.N.size=…,cxl-fmw.N.interleave-granularity=…`
 * (hw/cxl/cxl-host.c). Ids, bus numbers, port numbers, chassis/slot and `addr=` are the
 * topology's; root and downstream ports without chassis/slot get unused slot numbers (QEMU
 * refuses two ports on one chassis slot).
 *
 * What QEMU cannot build is an error naming it (EOPNOTSUPP, "cxlsim: …"): XOR windows (QEMU
 * only writes modulo CFMWS and no CXIMS), pinned window bases, restrictions or QTG ids other
 * than QEMU's, HDM capabilities other than QEMU's for that version (e.g. more HDM decoders than
 * QEMU gives), decoders committed by firmware, PCI segments other than 0, _UIDs other than the
 * bus number, restricted (CXL 1.1) hosts, cxl_test mocks, type-2 devices other than a vfio-pci
 * host function with the default host-device state, and on QEMU 7.2
 * volatile capacity or `hdm_for_passthrough`.
 */

import { defaultHdmCaps } from '../hw/regs/component.ts';
import { Errno } from '../kernel/errno.ts';
import type { QemuVersion } from '../profile.ts';
import type { Endpointish, HdmCaps, PciAddr, Topology, Type3Dev } from '../topology/model.ts';
import { hasProperty, isCxlModel } from '../topology/qemu-props.ts';
import { formatSize } from '../topology/qemu-size.ts';
import { TYPE2_DPA_SIZE } from '../topology/qemu-tree.ts';

/** Options of {@link topologyToQemu}. */
export interface QemuExportOptions {
  /** The QEMU version the line is for. */
  qemu: QemuVersion;
  /** Directory prefix of the backend files (default: none, files in the current directory). */
  backendDir?: string;
}

const nope = (what: string): never => {
  throw new Errno('EOPNOTSUPP', `cxlsim: QEMU cannot express ${what}`);
};
const addr = (a: PciAddr | undefined) => (a ? `,addr=${a.slot.toString(16)}.${a.fn}` : '');
const sameCaps = (a: HdmCaps, b: HdmCaps | undefined) =>
  b !== undefined &&
  a.decoderCount === b.decoderCount &&
  a.targetCount === b.targetCount &&
  a.a11to8 === b.a11to8 &&
  a.a14to12 === b.a14to12 &&
  a.iw3612 === b.iw3612 &&
  a.iw16 === b.iw16;

/**
 * The QEMU command line (one argument per line, joined with " \\\n  ") that builds `t`.
 * @throws Errno EOPNOTSUPP naming what QEMU cannot express (see the DOC block)
 */
export function topologyToQemu(t: Topology, o: QemuExportOptions): string {
  const q = o.qemu;
  const dir = o.backendDir ? `${o.backendDir.replace(/\/$/, '')}/` : '';
  if (t.mock) nope(`a cxl_test mock platform (${t.name})`);
  if (t.cxims.length || t.windows.some((w) => w.arithmetic === 'xor'))
    nope('XOR interleave windows (QEMU writes modulo CFMWS entries and no CXIMS)');
  const args: string[] = [];
  const m = t.machine;
  const opts = { ...m.options };
  const physBits = opts['phys-bits'];
  delete opts['phys-bits'];
  const mopts = Object.entries(opts)
    .map(([k, v]) => `,${k}=${v}`)
    .join('');
  const hmmio =
    m.highmemMmioSize !== undefined ? `,highmem-mmio-size=${formatSize(m.highmemMmioSize)}` : '';
  args.push(`-machine ${m.type},cxl=on${mopts}${hmmio}`);
  const mem = [formatSize(m.ramSize)];
  if (m.slots !== undefined) mem.push(`slots=${m.slots}`);
  if (m.maxMem !== undefined) mem.push(`maxmem=${formatSize(m.maxMem)}`);
  args.push(`-m ${mem.join(',')}`);
  const cpu = t.ignored.find((a) => a.startsWith('-cpu '));
  if (physBits !== undefined) {
    if (m.type !== 'q35') nope('phys-bits on an arm virt machine');
    const base = cpu ? cpu.slice(5).trim() : 'qemu64';
    args.push(`-cpu ${base.replace(/,?phys-bits=\d+/, '')},phys-bits=${physBits}`);
  } else if (cpu) args.push(cpu);
  else if (m.type === 'virt') args.push('-cpu max');

  const objects: string[] = [];
  const devices: string[] = [];
  const usedSlots = new Set<string>();
  const ports: { chassis?: number; slot?: number }[] = [];
  const collect = (c: Endpointish | undefined): void => {
    if (c?.kind !== 'switch') return;
    for (const d of c.downstream) {
      ports.push(d);
      collect(d.child);
    }
  };
  for (const hb of t.hostBridges)
    for (const rp of hb.rootPorts) {
      ports.push(rp);
      collect(rp.child);
    }
  for (const p of ports)
    if (p.chassis !== undefined || p.slot !== undefined)
      usedSlots.add(`${p.chassis ?? 0}:${p.slot ?? 0}`);
  let nextSlot = 0;
  const chassisSlot = (p: { chassis?: number; slot?: number }): string => {
    if (p.chassis !== undefined || p.slot !== undefined)
      return `,chassis=${p.chassis ?? 0},slot=${p.slot ?? 0}`;
    while (usedSlots.has(`0:${nextSlot}`)) nextSlot++;
    usedSlots.add(`0:${nextSlot}`);
    return `,chassis=0,slot=${nextSlot}`;
  };
  const checkCaps = (
    what: string,
    kind: Parameters<typeof defaultHdmCaps>[0],
    caps: HdmCaps | undefined,
  ) => {
    if (caps && !sameCaps(caps, defaultHdmCaps(kind, q))) {
      const d = defaultHdmCaps(kind, q);
      nope(
        `${what}'s HDM capability (${caps.decoderCount} decoders, ${caps.targetCount} targets; QEMU ${q} gives ${d ? `${d.decoderCount} decoders, ${d.targetCount} targets` : 'none'})`,
      );
    }
  };
  const type3 = (d: Type3Dev, bus: string): void => {
    checkCaps(d.id, 'type3', d.hdm);
    if (d.committed?.length) nope(`decoders of ${d.id} committed by firmware`);
    const named = !/#\d+$/.test(d.id);
    const base = named ? d.id : `t3-${devices.length}`;
    const props: string[] = [];
    const backend = (kind: 'volatile' | 'persistent' | 'lsa', size: bigint): string => {
      const id =
        d.backends?.[kind] ??
        `${base}-${kind === 'volatile' ? 'vmem' : kind === 'persistent' ? 'pmem' : 'lsa'}`;
      objects.push(
        kind === 'volatile'
          ? `-object memory-backend-ram,id=${id},size=${formatSize(size)}`
          : `-object memory-backend-file,id=${id},share=on,mem-path=${dir}${id}.raw,size=${formatSize(size)}`,
      );
      return id;
    };
    if (!hasProperty(q, 'cxl-type3', 'volatile-memdev')) {
      if (d.volatileSize > 0n) nope(`volatile capacity on QEMU 7.2 (${d.id})`);
      if (d.persistentSize === 0n) nope(`a type-3 device without capacity (${d.id})`);
      if (d.lsaSize === 0n) nope(`a QEMU 7.2 type-3 device without label storage (${d.id})`);
      props.push(`memdev=${backend('persistent', d.persistentSize)}`);
    } else {
      if (d.volatileSize === 0n && d.persistentSize === 0n)
        nope(`a type-3 device without capacity (${d.id})`);
      if (d.volatileSize > 0n) props.push(`volatile-memdev=${backend('volatile', d.volatileSize)}`);
      if (d.persistentSize > 0n) {
        if (d.lsaSize === 0n) nope(`persistent capacity without label storage (${d.id})`);
        props.push(`persistent-memdev=${backend('persistent', d.persistentSize)}`);
      }
    }
    if (d.lsaSize > 0n) props.push(`lsa=${backend('lsa', d.lsaSize)}`);
    devices.push(
      `-device cxl-type3,bus=${bus}${addr(d.addr)},${props.join(',')}${named ? `,id=${d.id}` : ''}${d.serial !== undefined ? `,sn=${d.serial}` : ''}`,
    );
  };
  const child = (c: Endpointish | undefined, bus: string): void => {
    if (!c) return;
    if (c.kind === 'type2') {
      // vfio-pci passes a host function through; its memory and HDM state are the host's
      if (c.host === undefined)
        nope(`type-2 device ${c.id} without a host function to pass through`);
      if (c.dpaSize !== TYPE2_DPA_SIZE || !c.firmwareCommitted || c.hdm || c.serial !== undefined)
        nope(
          `type-2 device ${c.id}'s memory, HDM or serial (they are the host function's, not options)`,
        );
      const drv = c.noHotplug ? 'vfio-pci-nohotplug' : 'vfio-pci';
      devices.push(`-device ${drv},host=${c.host},bus=${bus}${addr(c.addr)},id=${c.id}`);
      return;
    }
    if (c.kind === 'type3') {
      type3(c, bus);
      return;
    }
    checkCaps(c.id, 'usp', c.hdm);
    if (c.committed?.length) nope(`decoders of switch ${c.id} committed by firmware`);
    const mf = c.mailboxCci ? ',multifunction=on' : '';
    devices.push(
      `-device cxl-upstream,bus=${bus}${addr(c.addr)}${mf},id=${c.id}${c.port ? `,port=${c.port}` : ''}${c.serial !== undefined ? `,sn=${c.serial}` : ''}`,
    );
    if (c.mailboxCci) {
      if (!isCxlModel(q, 'cxl-switch-mailbox-cci'))
        nope(`a switch mailbox CCI on QEMU 7.2 (${c.id})`);
      devices.push(`-device cxl-switch-mailbox-cci,bus=${bus}${addr(c.mailboxCci)},target=${c.id}`);
    }
    for (const d of c.downstream) {
      devices.push(
        `-device cxl-downstream,port=${d.port},bus=${c.id}${addr(d.addr)},id=${d.id}${chassisSlot(d)}`,
      );
      child(d.child, d.id);
    }
  };
  for (const hb of t.hostBridges) {
    if (hb.rch || hb.rcd) nope(`a restricted CXL host (${hb.id})`);
    if (hb.segment !== 0)
      nope(`PCI segment ${hb.segment} (${hb.id}); QEMU puts every pxb-cxl in segment 0`);
    if (hb.uid !== undefined && hb.uid !== hb.busNr)
      nope(`_UID ${hb.uid} for ${hb.id} (QEMU uses the bus number ${hb.busNr})`);
    if (hb.committed?.length) nope(`decoders of ${hb.id} committed by firmware`);
    checkCaps(hb.id, 'host-bridge', hb.hdm);
    if (hb.hdmForPassthrough && !hasProperty(q, 'pxb-cxl', 'hdm_for_passthrough'))
      nope(`hdm_for_passthrough on QEMU 7.2 (${hb.id})`);
    devices.push(
      `-device pxb-cxl,bus_nr=${hb.busNr},bus=pcie.0,id=${hb.id}${hb.hdmForPassthrough ? ',hdm_for_passthrough=on' : ''}`,
    );
    for (const rp of hb.rootPorts) {
      devices.push(
        `-device cxl-rp,port=${rp.port},bus=${hb.id}${addr(rp.addr)},id=${rp.id}${chassisSlot(rp)}`,
      );
      child(rp.child, rp.id);
    }
  }
  const fmw: string[] = [];
  for (const [i, w] of [...t.windows].sort((a, b) => a.index - b.index).entries()) {
    if (w.index !== i) nope(`window index ${w.index} (QEMU numbers windows 0, 1, …)`);
    if (w.base !== undefined) nope(`a pinned base for window ${i} (QEMU places windows itself)`);
    if (w.restrictions !== undefined && w.restrictions !== 0x0f)
      nope(`restrictions 0x${w.restrictions.toString(16)} on window ${i} (QEMU: 0xf)`);
    if (w.qtgId !== undefined && w.qtgId !== 0) nope(`QTG id ${w.qtgId} on window ${i} (QEMU: 0)`);
    for (const [k, tg] of w.targets.entries()) fmw.push(`cxl-fmw.${i}.targets.${k}=${tg}`);
    fmw.push(`cxl-fmw.${i}.size=${formatSize(w.size)}`);
    if (w.granularity !== 256)
      fmw.push(`cxl-fmw.${i}.interleave-granularity=${formatSize(BigInt(w.granularity))}`);
  }
  const binary = m.type === 'virt' ? 'qemu-system-aarch64' : 'qemu-system-x86_64';
  const all = [
    binary,
    ...args,
    ...objects,
    ...devices,
    ...(fmw.length ? [`-M ${fmw.join(',')}`] : []),
  ];
  return `${all.join(' \\\n  ')}\n`;
}
