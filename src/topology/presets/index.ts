/**
 * DOC: named topologies (`--preset NAME`).
 *
 * `default` (= the `interleave` capture), `minimal` and `threeway` are the kernel captures'
 * QEMU lines; `armvirt-2hb-switches` is an arm `virt` report's line (QEMU ≥ 10.1);
 * `armvirt-vfio-4gpu` a vfio-cxl pull request's four passed-through type-2 GPUs (QEMU ≥ 10.1);
 * `cxl_test` is the kernel's mock topology (tools/testing/cxl) and `cxl_test_xor` the same
 * module loaded with `interleave_arithmetic=1`. QEMU-defined presets are parsed with the
 * profile's QEMU version, so a preset that version rejects fails as QEMU would.
 */
import { Errno } from '../../kernel/errno.ts';
import type { KernelVersion, QemuVersion } from '../../profile.ts';
import type { Topology } from '../model.ts';
import { armvirt2hbSwitchesPreset } from './armvirt-2hb-switches.ts';
import { armvirtVfio4gpuPreset } from './armvirt-vfio-4gpu.ts';
import { cxlTestTopology } from './cxl-test.ts';
import { defaultPreset } from './default.ts';
import { minimalPreset } from './minimal.ts';
import { threewayPreset } from './threeway.ts';

const PRESETS: Record<string, (qemu: QemuVersion, kernel?: KernelVersion) => Topology> = {
  default: defaultPreset,
  minimal: minimalPreset,
  threeway: threewayPreset,
  'armvirt-2hb-switches': armvirt2hbSwitchesPreset,
  'armvirt-vfio-4gpu': armvirtVfio4gpuPreset,
  cxl_test: (_q, kernel) => cxlTestTopology({ kernel }),
  cxl_test_xor: (_q, kernel) => cxlTestTopology({ interleaveArithmetic: 1, kernel }),
};

/** Preset names, in the order `--help` lists them. */
export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);

/**
 * The preset `name` built for QEMU version `qemu` (and, for the cxl_test mock, which is kernel
 * code, the guest's `kernel`; absent: the latest); a fresh object on every call.
 * @throws EINVAL "unknown preset 'x' (known: default, minimal, …)"; QemuError when the QEMU
 *   version rejects a QEMU-defined preset.
 */
export function getPreset(name: string, qemu: QemuVersion, kernel?: KernelVersion): Topology {
  const make = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  if (!make)
    throw new Errno('EINVAL', `unknown preset '${name}' (known: ${PRESET_NAMES.join(', ')})`);
  return make(qemu, kernel);
}
