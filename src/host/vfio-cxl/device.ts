/**
 * DOC: one physical function bound to vfio-pci with the CXL Type-2 variant (NVIDIA vfio-cxl,
 * PATCH v2 series as carried in NVIDIA/NV-Kernels: vfio_cxl_core.c
 * vfio_pci_cxl_detect_and_init(), vfio_cxl_get_info(), vfio_cxl_get_region_info(),
 * vfio_cxl_register_cxl_region(), vfio_cxl_zap_region_locked(), vfio_cxl_reactivate_region();
 * vfio_cxl_config.c vfio_cxl_reset(); docs/vfio-cxl.md).
 *
 * Detection is fail-closed: `disable_cxl`, no CXL link, no CXL Device DVSEC, not Mem_Capable
 * or a class-code type-3, no component registers or HDM capability, media not active, or HDM
 * decoder 0 not committed by firmware — any of these leaves `cxl` undefined and the function
 * is an ordinary vfio-pci device (it still binds). On success the device exposes, after the
 * nine fixed vfio-pci regions, the DPA region (subtype 1: READ|WRITE|MMAP, the host HPA range
 * of the firmware-committed decoder) and the COMP_REGS region (subtype 2: READ|WRITE, the HDM
 * shadow), and `VFIO_DEVICE_FLAGS_CXL` with the CXL capability in device info.
 *
 * Reset: prepare (region inactive, mappings revoked) → hardware reset → re-sample the HDM
 * shadow (and, for a conventional reset, the DVSEC) → re-activate the DPA region only when
 * decoder 0 reads COMMITTED again. Registered listeners (the VMM) run afterwards.
 */
import { Errno } from '../../kernel/errno.ts';
import { CompRegsShadow } from './comp-regs.ts';
import { DvsecShadow } from './dvsec.ts';
import { type HostFunction, HostLog } from './host.ts';
import {
  type CxlRegMap,
  createDeviceState,
  findDvsec,
  pcieIsCxl,
  rangeActive,
  setupRegs,
} from './probe.ts';
import {
  CAP_CXL_RESET_CAPABLE,
  CXL_CM_OFFSET,
  DVSEC,
  DVSEC_CXL_DEVICE,
  VFIO_CXL_CAP_CACHE_CAPABLE,
  VFIO_CXL_CAP_FIRMWARE_COMMITTED,
  VFIO_DEVICE_FLAGS_CXL,
  VFIO_DEVICE_FLAGS_PCI,
  VFIO_DEVICE_INFO_CAP_CXL,
  VFIO_PCI_NUM_REGIONS,
  VFIO_REGION_INFO_FLAG_MMAP,
  VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE,
  VFIO_REGION_SUBTYPE_CXL,
  VFIO_REGION_SUBTYPE_CXL_COMP_REGS,
} from './regs.ts';

/** Module parameters / variant driver switches. */
export interface VfioCxlOptions {
  /** `modprobe vfio-pci disable_cxl=1` / `vdev->disable_cxl = true`. */
  disableCxl?: boolean;
}

/** struct vfio_device_info_cap_cxl (id 6, version 1). */
export interface VfioCxlInfoCap {
  id: typeof VFIO_DEVICE_INFO_CAP_CXL;
  version: 1;
  hdmRegsBarIndex: number;
  flags: number;
  /** comp_reg_offset + CXL_CM_OFFSET: where COMP_REGS region offset 0 sits in the BAR. */
  hdmRegsOffset: bigint;
  dpaRegionIndex: number;
  compRegsRegionIndex: number;
}

/** What vfio-cxl keeps for a detected device (struct vfio_pci_cxl_state). */
export interface VfioCxlState {
  readonly dvsec: DvsecShadow;
  readonly comp: CompRegsShadow;
  readonly regs: CxlRegMap;
  readonly cacheCapable: boolean;
  readonly precommitted: boolean;
  /** Committed capacity of decoder 0 (bytes) and the host HPA range the region covers. */
  readonly dpaSize: bigint;
  readonly regionHpa: bigint;
  readonly regionSize: bigint;
  regionActive: boolean;
  /** Times the DPA mappings were revoked (zapped) by a reset. */
  revocations: number;
}

/** Sparse mmap area of the component-register BAR (bytes). */
export interface SparseArea {
  offset: bigint;
  size: bigint;
}

/** A function opened through vfio-pci (with or without the CXL variant). */
export class VfioPciDevice {
  readonly host: HostFunction;
  readonly log: HostLog;
  private state: VfioCxlState | undefined;
  private readonly listeners: (() => void)[] = [];

  private constructor(host: HostFunction) {
    this.host = host;
    this.log = new HostLog('vfio-pci', host.bdf);
  }

  /** The CXL state, undefined for a plain vfio-pci device (vdev->cxl). */
  get cxl(): VfioCxlState | undefined {
    return this.state;
  }

  /** vfio_pci_core_register_device() → vfio_pci_cxl_detect_and_init(). Never throws. */
  static open(host: HostFunction, opts: VfioCxlOptions = {}): VfioPciDevice {
    const dev = new VfioPciDevice(host);
    if (!opts.disableCxl) dev.state = detect(host, dev.log, dev);
    return dev;
  }

  /** Runs after every reset, once the shadow is re-sampled (the VMM re-programs decoder 0). */
  onReset(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** VFIO_DEVICE_GET_INFO: flags and the CXL capability (when detected). */
  info(): { flags: number; numRegions: number; cxl?: VfioCxlInfoCap } {
    const c = this.cxl;
    if (!c) return { flags: VFIO_DEVICE_FLAGS_PCI, numRegions: VFIO_PCI_NUM_REGIONS };
    let flags = 0;
    if (c.precommitted) flags |= VFIO_CXL_CAP_FIRMWARE_COMMITTED;
    if (c.cacheCapable) flags |= VFIO_CXL_CAP_CACHE_CAPABLE;
    return {
      flags: VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_CXL,
      numRegions: VFIO_PCI_NUM_REGIONS + 2,
      cxl: {
        id: VFIO_DEVICE_INFO_CAP_CXL,
        version: 1,
        hdmRegsBarIndex: c.regs.bar,
        flags,
        hdmRegsOffset: BigInt(c.regs.offset + CXL_CM_OFFSET),
        dpaRegionIndex: VFIO_PCI_NUM_REGIONS,
        compRegsRegionIndex: VFIO_PCI_NUM_REGIONS + 1,
      },
    };
  }

  /**
   * VFIO_DEVICE_GET_REGION_INFO for the CXL device regions and the component BAR.
   * @throws EINVAL for an index the device does not have
   */
  regionInfo(index: number): {
    size: bigint;
    flags: number;
    subtype?: number;
    sparse?: SparseArea[];
  } {
    const c = this.cxl;
    if (c && index === VFIO_PCI_NUM_REGIONS)
      return {
        size: c.regionSize,
        flags:
          VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP,
        subtype: VFIO_REGION_SUBTYPE_CXL,
      };
    if (c && index === VFIO_PCI_NUM_REGIONS + 1)
      return {
        size: BigInt(c.comp.size),
        flags: VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
        subtype: VFIO_REGION_SUBTYPE_CXL_COMP_REGS,
      };
    if (index < 0 || index > 5) throw new Errno('EINVAL', undefined, this.host.bdf);
    const len = this.host.barLength(index);
    const rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
    if (!c || index !== c.regs.bar) return { size: len, flags: rw | VFIO_REGION_INFO_FLAG_MMAP };
    const off = BigInt(c.regs.offset);
    const end = off + BigInt(c.regs.size);
    if (end > len) throw new Errno('EINVAL', undefined, this.host.bdf);
    if (off === 0n && end === len) return { size: len, flags: rw };
    const sparse: SparseArea[] = [];
    if (off > 0n) sparse.push({ offset: 0n, size: off });
    if (end < len) sparse.push({ offset: end, size: len - end });
    return { size: len, flags: rw | VFIO_REGION_INFO_FLAG_MMAP, sparse };
  }

  /**
   * mmap of `len` bytes at `offset` of region `index`.
   * @throws EINVAL no mmap on that region, past its end, or overlapping the component block
   */
  mmapCheck(index: number, offset: bigint, len: bigint): void {
    const info = this.regionInfo(index);
    const bad = () => new Errno('EINVAL', undefined, this.host.bdf);
    if (!(info.flags & VFIO_REGION_INFO_FLAG_MMAP) || offset < 0n || len <= 0n) throw bad();
    if (offset + len > info.size) throw bad();
    const c = this.cxl;
    if (c && index === c.regs.bar) {
      const s = BigInt(c.regs.offset);
      if (offset < s + BigInt(c.regs.size) && offset + len > s) throw bad();
    }
  }

  /**
   * DPA region read (vfio_cxl_region_rw()): bytes at region offset `off`.
   * @throws EIO region inactive (during/after a failed reset) or undecoded on the host
   */
  dpaRead(off: bigint, len: number): Uint8Array {
    const c = this.activeRegion();
    const n = Number(off + BigInt(len) > c.regionSize ? c.regionSize - off : BigInt(len));
    if (n <= 0) return new Uint8Array(0);
    const r = this.host.memRead(c.regionHpa + off, n);
    if (!r.ok) throw new Errno('EIO', undefined, this.host.bdf);
    return r.data;
  }

  /** DPA region write. @throws EIO (see {@link dpaRead}) */
  dpaWrite(off: bigint, data: Uint8Array): void {
    const c = this.activeRegion();
    const room = c.regionSize - off;
    const part =
      room < BigInt(data.length) ? data.subarray(0, Number(room < 0n ? 0n : room)) : data;
    if (!this.host.memWrite(c.regionHpa + off, part))
      throw new Errno('EIO', undefined, this.host.bdf);
  }

  private activeRegion(): VfioCxlState {
    const c = this.cxl;
    if (!c?.regionActive) throw new Errno('EIO', undefined, this.host.bdf);
    return c;
  }

  /** VFIO_DEVICE_RESET (FLR through vfio_pci_ioctl_reset()). Returns 0 or a negative errno. */
  reset(): number {
    return this.doReset('flr', false);
  }

  /** The reset path shared by FLR and a guest-initiated CXL Reset. */
  private doReset(kind: 'flr' | 'cxl', memClear: boolean): number {
    const c = this.cxl;
    if (c) {
      // vfio_cxl_prepare_reset() / vfio_cxl_zap_region_locked()
      c.regionActive = false;
      c.revocations++;
    }
    const rc = this.host.reset(kind, { memClear });
    if (c) {
      if (kind === 'flr') c.dvsec.resample();
      c.comp.resample();
      // vfio_cxl_reactivate_region()
      if (c.precommitted && c.comp.decoder(0).committed) c.regionActive = true;
      else this.log.dbg('vfio_cxl: decoder0 not committed after reset: DPA region stays inactive');
    }
    for (const l of this.listeners) l();
    return rc;
  }

  /** vfio_cxl_reset() for the DVSEC Control2 doorbell. */
  cxlReset(memClear: boolean): number {
    return this.doReset('cxl', memClear);
  }
}

/** vfio_pci_cxl_detect_and_init(); undefined = plain vfio-pci (fail closed). */
function detect(host: HostFunction, log: HostLog, dev: VfioPciDevice): VfioCxlState | undefined {
  if (!pcieIsCxl(host)) return undefined;
  const dvsec = findDvsec(host, DVSEC_CXL_DEVICE);
  if (!dvsec) return undefined;
  let st: ReturnType<typeof createDeviceState>;
  try {
    st = createDeviceState(host, dvsec);
  } catch {
    return undefined;
  }
  let regs: CxlRegMap;
  try {
    regs = setupRegs(host);
  } catch (e) {
    log.warn(`vfio-cxl: HDM register probing failed: ${(e as Errno).errno}`);
    return undefined;
  }
  log.dbg(
    `vfio_cxl: HDM decoder at offset=0x${(CXL_CM_OFFSET + regs.hdmOffset).toString(16)}, size=0x${regs.hdmSize.toString(16)}`,
  );
  if (!rangeActive(host, dvsec)) {
    log.warn('CXL media not ready');
    return undefined;
  }
  const comp = new CompRegsShadow(
    {
      hdmOffset: regs.hdmOffset,
      hdmSize: regs.hdmSize,
      hdmCount: regs.hdmCount,
      cacheCapable: st.cacheCapable,
    },
    (off) => host.barRead32(regs.bar, regs.offset + CXL_CM_OFFSET + off),
  );
  const d0 = comp.decoder(0);
  if (!d0.committed || d0.size === 0n) {
    log.dbg(`vfio_cxl: decoder0 not committed: ctrl=0x${d0.ctrl.toString(16).padStart(8, '0')}`);
    log.info('Uncommitted region size must be configured via sysfs before bind');
    return undefined;
  }
  log.dbg(`Device capacity: ${d0.size >> 20n} MB`);
  // cxl_get_committed_decoder(): the host CXL core's view of decoder 0 (hardware, not shadow).
  const hw = (reg: number) =>
    host.barRead32(regs.bar, regs.offset + CXL_CM_OFFSET + regs.hdmOffset + reg) >>> 0;
  const regionHpa = (BigInt(hw(0x14)) << 32n) | BigInt(hw(0x10) & 0xf0000000);
  log.dbg(`CXL region: HPA 0x${regionHpa.toString(16)} size ${d0.size >> 20n} MB`);
  const shadow = new DvsecShadow(host, dvsec, st.dvsecLength, {
    resetCapable: () => (host.cfgRead(dvsec + DVSEC.CAP, 2) & CAP_CXL_RESET_CAPABLE) !== 0,
    cxlReset: (memClear) => dev.cxlReset(memClear),
  });
  log.info('CXL Type-2 device initialized successfully');
  return {
    dvsec: shadow,
    comp,
    regs,
    cacheCapable: st.cacheCapable,
    precommitted: true,
    dpaSize: d0.size,
    regionHpa,
    regionSize: d0.size,
    regionActive: true,
    revocations: 0,
  };
}
