/**
 * DOC: the memory device (drivers/cxl/core/memdev.c, cxlmem.h struct cxl_dev_state).
 *
 * `memN` is created by cxl_pci below its PCI function once the mailbox answered IDENTIFY;
 * {@link CxlDevState} holds what the driver learnt (capacities in bytes, DPA partitions,
 * mailbox geometry, enabled commands). The endpoint port is attached by cxl_mem.
 */

import { deviceReleaseDriver } from '../../../kernel/dd.ts';
import type { KernelContext } from '../../../kernel/device.ts';
import { Device } from '../../../kernel/device.ts';
import { copiedWeakMap } from '../../../kernel/graph-copy.ts';
import { Ida } from '../../../kernel/ida.ts';
import { env } from '../../env.ts';
import {
  type FwUploadDevice,
  type FwUploadOps,
  firmwareUploadRegister,
} from '../../firmware-loader/sysfs-upload.ts';
import type { PciDev } from '../../pci/pci-dev.ts';
import type { DelayedWork } from '../../workqueue.ts';
import { CXL_MEM_MAJOR, cxlKver } from '../kver.ts';
import { CxlEndpointDecoder } from './decoder.ts';
import { cxlMemdevFwOps } from './memdev-fw.ts';
import { memdevAttrGroups } from './memdev-sysfs.ts';
import type { CxlPort } from './port.ts';
import { cxlModalias } from './sysfs-common.ts';

/** Get FW Info (CXL 3.1 §8.2.9.3.1), the command the firmware upload device needs. */
const CXL_MBOX_OP_GET_FW_INFO = 0x0200;

/** A DPA partition: [start, start+size) bytes. */
export interface DpaPartition {
  readonly start: bigint;
  readonly size: bigint;
}

/** `struct cxl_dev_state` (the parts cxlsim models). */
export interface CxlDevState {
  pdev: PciDev;
  /** HPA of the primary mailbox registers and of the memdev status register. */
  mboxBase: bigint;
  memdevStatusBase: bigint;
  /** HPA of the device status capability (Event Status register), when found. */
  statusBase?: bigint;
  /** HPA of the component register block (BAR + offset), undefined if none. */
  componentBase: bigint | undefined;
  payloadSize: number;
  fwRevision: string;
  totalBytes: bigint;
  volatileOnlyBytes: bigint;
  persistentOnlyBytes: bigint;
  partitionAlignBytes: bigint;
  lsaSize: number;
  serial: bigint;
  ram: DpaPartition;
  pmem: DpaPartition;
  /** Opcodes enabled (in the CEL and known to the driver). */
  enabledCmds: Set<number>;
  /** Type-2 (accelerator) devices have no mailbox and are not class memory. */
  isType2: boolean;
  /**
   * ram_perf / pmem_perf qos_class (struct cxl_dpa_perf), set by cxl_endpoint_parse_cdat();
   * undefined = CXL_QOS_CLASS_INVALID.
   */
  ramQosClass?: number;
  pmemQosClass?: number;
  /**
   * struct cxl_security_state's sanitize fields (kernel ≥ 6.5, set up by cxl_pci's
   * cxl_pci_setup_mailbox()); absent on a device without a mailbox.
   */
  security?: CxlSecurityState;
}

/** The sanitize fields of struct cxl_security_state (drivers/cxl/cxlmem.h). */
export interface CxlSecurityState {
  /** Polling mode: no background-command interrupt (`poll`, 6.5–6.6 only decides from it). */
  poll: boolean;
  /** Seconds of the next sanitize poll; > 0 while a sanitize is outstanding (`poll_tmo_secs`). */
  pollTmoSecs: number;
  /** A sanitize is running (`sanitize_active`, kernel ≥ 6.7). */
  sanitizeActive: boolean;
  /** cxl_mbox_sanitize_work() (`poll_dwork`). */
  pollDwork: DelayedWork;
}

const memdevIdas = copiedWeakMap<KernelContext, Ida>();
function memdevIda(ctx: KernelContext): Ida {
  let i = memdevIdas.get(ctx);
  if (!i) {
    i = new Ida();
    memdevIdas.set(ctx, i);
  }
  return i;
}

/** `struct cxl_memdev` (`memN`). */
export class CxlMemdev extends Device {
  readonly id: number;
  readonly cxlds: CxlDevState;
  endpoint: CxlPort | undefined;
  /** Character device major shown in `dev` (MAJOR:MINOR, minor = id): {@link CXL_MEM_MAJOR}. */
  get major(): number {
    return CXL_MEM_MAJOR[env(this).profile.kernel];
  }

  constructor(ctx: KernelContext, cxlds: CxlDevState) {
    const id = memdevIda(ctx).alloc();
    super(ctx, `mem${id}`, cxlds.pdev, 'cxl', 'cxl_memdev');
    this.id = id;
    this.cxlds = cxlds;
  }

  /** Every endpoint decoder's DPA reservation. */
  dpaReservations(): { dec: CxlEndpointDecoder; start: bigint; end: bigint }[] {
    const out: { dec: CxlEndpointDecoder; start: bigint; end: bigint }[] = [];
    for (const d of this.endpoint?.children ?? []) {
      if (d instanceof CxlEndpointDecoder && d.dpaRes)
        out.push({ dec: d, start: d.dpaRes.start - d.skip, end: d.dpaRes.end });
    }
    return out;
  }

  /** Releases the memdev id. */
  release(): void {
    memdevIda(this.ctx).free(this.id);
  }
}

/** The memdev behind an endpoint port (its uport). */
export function memdevOfEndpoint(port: CxlPort): CxlMemdev | undefined {
  return port.uportDev instanceof CxlMemdev ? port.uportDev : undefined;
}

/** memN's uevent variables (cxl_memdev_type's devnode + the bus's MODALIAS). */
function memdevUeventVars(this: Device): [string, string][] {
  const cxlmd = this as CxlMemdev;
  return [
    ['MAJOR', String(cxlmd.major)],
    ['MINOR', String(cxlmd.id)],
    ['DEVNAME', `cxl/${cxlmd.name}`],
    ['MODALIAS', cxlModalias(cxlmd)],
  ];
}

/**
 * devm_cxl_add_memdev(): registers memN below the PCI function; the driver core probes it with
 * cxl_mem (device_add). The caller adds the nvdimm of a device with persistent capacity.
 * The kernel's devres action that deletes memN with the function's driver
 * ({@link cxlMemdevUnregister}) is registered by cxl_mock_mem only: cxl_pci and the
 * accelerator drivers still leave memN registered when their probe fails after this point or
 * they unbind (cxlsim's earlier behaviour, which their tests rely on; see docs/fidelity.md).
 */
export function devmCxlAddMemdev(pdev: PciDev, cxlds: CxlDevState): CxlMemdev {
  const cxlmd = new CxlMemdev(pdev.ctx, cxlds);
  cxlmd.setGroups(memdevAttrGroups());
  cxlmd.ueventVars = memdevUeventVars;
  cxlmd.add();
  return cxlmd;
}

/**
 * cxl_memdev_unregister(), the devres action of devm_cxl_add_memdev(): when the driver that
 * added memN (cxl_pci, cxl_mock_mem) unbinds, cdev_device_del() deletes memN — device_del()
 * releases its cxl_mem driver first (bus_remove_device(): the endpoint port goes) — and the
 * last reference frees its id (cxl_memdev_release()).
 */
export function cxlMemdevUnregister(cxlmd: CxlMemdev): void {
  if (!cxlmd.registered) return;
  deviceReleaseDriver(cxlmd);
  cxlmd.del();
  cxlmd.release();
}

/**
 * devm_cxl_setup_fw_upload() (6.5–6.x; cxl_memdev_setup_fw_upload() in 7.x): registers the
 * firmware upload device `memN/firmware/memN` when the device's CEL enabled Get FW Info.
 * Returns it, or undefined on kernels without it or devices without the command.
 */
export function devmCxlSetupFwUpload(cxlmd: CxlMemdev): FwUploadDevice | undefined {
  if (!cxlKver(cxlmd, 'fwUpload')) return undefined;
  if (!cxlmd.cxlds.enabledCmds.has(CXL_MBOX_OP_GET_FW_INFO)) return undefined;
  return firmwareUploadRegister(cxlmd, cxlmd.name, MEMDEV_FW_OPS);
}

/** The memdev a firmware upload device was registered for (its parent, memN/firmware/memN). */
function fwMemdev(fw: Device): CxlMemdev {
  return fw.parent as CxlMemdev;
}

/**
 * Every memdev's firmware upload ops: {@link cxlMemdevFwOps} of the upload device's memdev
 * (its parent) looked up on each call — one frozen table that copies of the machine share, each
 * call reaching the copy's own device and state.
 */
const MEMDEV_FW_OPS: FwUploadOps = Object.freeze({
  prepare: (fw, data, size) => cxlMemdevFwOps(fwMemdev(fw)).prepare(fw, data, size),
  write: (fw, data, offset, size) => cxlMemdevFwOps(fwMemdev(fw)).write(fw, data, offset, size),
  pollComplete: (fw) => cxlMemdevFwOps(fwMemdev(fw)).pollComplete(fw),
  cancel: (fw) => cxlMemdevFwOps(fwMemdev(fw)).cancel(fw),
  cleanup: (fw) => cxlMemdevFwOps(fwMemdev(fw)).cleanup?.(fw),
} satisfies FwUploadOps);
