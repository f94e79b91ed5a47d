/**
 * DOC: the host's vfio-cxl variant (docs/vfio-cxl.md): a physical CXL Type-2 function opened
 * through vfio-pci with CXL DVSEC and HDM decoder emulation, the DPA and COMP_REGS regions, and
 * reset handling. The VMM (src/hw/vmm) is its only user.
 */
export { type CompRegsGeometry, CompRegsShadow } from './comp-regs.ts';
export {
  type SparseArea,
  type VfioCxlInfoCap,
  type VfioCxlOptions,
  type VfioCxlState,
  VfioPciDevice,
} from './device.ts';
export { DvsecShadow } from './dvsec.ts';
export { type HostFunction, HostLog, type HostLogLine } from './host.ts';
export * as VFIO_CXL from './regs.ts';
