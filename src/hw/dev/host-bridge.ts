/**
 * DOC: pxb-cxl — a CXL host bridge (hw/pci-bridge/pci_expander_bridge.c, hw/cxl/cxl-host.c).
 *
 * The host bridge has no CXL PCI function of its own in the guest's CXL view: it is the ACPI0016
 * device (acpi/namespace.ts), its CHBS (acpi/cedt.ts) and a 64 KiB component register block
 * (CHBCR) mapped at the address placement.ts gives it. The CHBCR has RAS, link and HDM
 * capabilities (CXL2_RC): QEMU 7.2 — always one HDM decoder, target count 8 (pxb_dev_reset);
 * QEMU 10.1 — four decoders, and when the bridge has exactly one root port and
 * `hdm_for_passthrough` is off, the HDM capability header ID reads 0 (no decoders: the guest
 * falls back to a passthrough decoder and QEMU routes everything to that port).
 * A topology `hdm` replaces the defaults; `committed` decoders are programmed before boot.
 *
 * Its root bus (bus_nr) holds the cxl-rp functions, placed by assignDevfns().
 */
import { Errno } from '../../kernel/errno.ts';
import type { QemuVersion } from '../../profile.ts';
import type { Endpointish, HostBridge, PreCommittedDecoder } from '../../topology/model.ts';
import { hostBridgeUid } from '../acpi/namespace.ts';
import { assignDevfns } from '../pci/devfn.ts';
import { qemuHas } from '../qemu-compat.ts';
import { type ComponentRegisters, createComponentRegisters } from '../regs/component.ts';
import type { BuildContext, HostBridgeModel } from './model.ts';
import { type BuildBelow, buildRootPort } from './root-port.ts';
import { buildSwitch } from './switch.ts';
import { buildType2Hardware } from './type2.ts';
import { buildType3 } from './type3.ts';

/**
 * Firmware pre-commit of topology decoders (before the OS runs).
 * @throws EINVAL/EBUSY from the HDM block, prefixed with the device id
 */
export function precommit(
  id: string,
  component: ComponentRegisters,
  decoders: PreCommittedDecoder[] | undefined,
): void {
  if (!decoders?.length) return;
  const hdm = component.hdm;
  if (!hdm)
    throw new Errno(
      'EINVAL',
      `${id}: committed decoders given but the component has no HDM decoders`,
    );
  for (const d of decoders) {
    try {
      hdm.program(d.index, d, { targetType: 'hostonly' });
    } catch (e) {
      if (e instanceof Errno) throw new Errno(e.code, `${id}: ${e.message}`, e.dev);
      throw e;
    }
  }
}

/** The builder for whatever sits below a port (switch, type-3, type-2), recursively. */
export function belowBuilder(ctx: BuildContext): BuildBelow {
  const build: BuildBelow = (dev: Endpointish) => {
    const devfn = dev.addr ? (dev.addr.slot << 3) | dev.addr.fn : 0;
    switch (dev.kind) {
      case 'switch': {
        const r = buildSwitch(dev, ctx, build);
        precommit(dev.id, r.model.component, dev.committed);
        return r;
      }
      case 'type3': {
        const r = buildType3(dev, ctx, devfn);
        precommit(dev.id, r.model.component, dev.committed);
        return r;
      }
      case 'type2':
        return (ctx.realizeType2 ?? buildType2Hardware)(dev, ctx, devfn);
    }
  };
  return build;
}

/** Builds a pxb-cxl with everything below it. `chbcrBase` comes from placement.ts. */
export function buildHostBridge(
  hb: HostBridge,
  qemu: QemuVersion,
  chbcrBase: bigint,
  realizeType2?: BuildContext['realizeType2'],
): HostBridgeModel {
  const ctx: BuildContext = {
    qemu,
    segment: hb.segment,
    ...(realizeType2 ? { realizeType2 } : {}),
  };
  const passthrough = hb.rootPorts.length === 1 && !hb.hdmForPassthrough;
  const component = createComponentRegisters('host-bridge', hb.hdm, {
    qemu,
    passthrough,
    strict: qemuHas(qemu, 'hdmCommitChecks'),
  });
  const build = belowBuilder(ctx);
  const devfns = assignDevfns(hb.rootPorts, hb.id);
  const rootPorts = hb.rootPorts
    .map((rp, i) => buildRootPort(rp, ctx, devfns[i] ?? 0, hb.busNr, build))
    .sort((a, b) => a.fn.devfn - b.fn.devfn);
  precommit(hb.id, component, hb.committed);
  return {
    kind: 'host-bridge',
    topo: hb,
    id: hb.id,
    uid: hostBridgeUid(hb),
    segment: hb.segment,
    busNr: hb.busNr,
    chbcrBase,
    component,
    rootPorts,
  };
}
