/**
 * DOC: the created QEMU devices → the Topology's host-bridge tree.
 *
 * Each pxb-cxl becomes a {@link HostBridge}; each cxl-rp on its bus a {@link RootPort}; the
 * device in function 0 of slot 0 below a root port or switch downstream port becomes that
 * port's child (cxl-type3 → {@link Type3Dev}, cxl-upstream → {@link SwitchDev}, vfio-pci →
 * {@link Type2Dev}); cxl-downstream on a switch's bus become its {@link DownstreamPort}s; a
 * cxl-switch-mailbox-cci is recorded on its target switch. Addresses are the ones QEMU
 * assigned. Arrangements QEMU accepts but cxlsim does not model (a root port on pcie.0, an
 * endpoint on a switch's upstream bus, a second device below a port…) are cxlsim's own
 * EINVAL errors ({@link modelError}).
 */
import type { Errno } from '../kernel/errno.ts';
import type {
  DownstreamPort,
  Endpointish,
  HostBridge,
  RootPort,
  SwitchDev,
  Type2Dev,
  Type3Dev,
} from './model.ts';
import type { DeviceRec, DeviceState } from './qemu-devices.ts';
import { modelError } from './qemu-errors.ts';
import { devfnToAddr } from './qemu-pci.ts';

/** Serial number QEMU treats as "no DSN capability" (UI64_NULL). */
const UI64_NULL = (1n << 64n) - 1n;

/** Type-2 defaults for a passed-through function (vfio-cxl.md: firmware committed HDM 0). */
export const TYPE2_DPA_SIZE = 16n << 30n;

function type3Of(d: DeviceRec): Type3Dev {
  const pmem = d.persistentMemdev ?? d.memdev;
  const t: Type3Dev = {
    kind: 'type3',
    id: d.id,
    addr: devfnToAddr(d.devfn),
    volatileSize: d.volatileMemdev?.size ?? 0n,
    persistentSize: pmem?.size ?? 0n,
    lsaSize: d.lsa?.size ?? 0n,
  };
  if (d.sn !== undefined && d.sn !== UI64_NULL) t.serial = d.sn;
  const backends: NonNullable<Type3Dev['backends']> = {};
  if (d.volatileMemdev) backends.volatile = d.volatileMemdev.id;
  if (pmem) backends.persistent = pmem.id;
  if (d.lsa) backends.lsa = d.lsa.id;
  t.backends = backends;
  return t;
}

function type2Of(d: DeviceRec): Type2Dev {
  const t: Type2Dev = {
    kind: 'type2',
    id: d.id,
    addr: devfnToAddr(d.devfn),
    dpaSize: TYPE2_DPA_SIZE,
    firmwareCommitted: true,
  };
  if (d.host !== undefined) t.host = d.host;
  if (d.driver === 'vfio-pci-nohotplug') t.noHotplug = true;
  return t;
}

/** Builds what sits below a port's secondary bus (its slot 0 function 0 device). */
function childOf(s: DeviceState, port: DeviceRec, errs: Errno[]): Endpointish | undefined {
  const bus = port.secondary;
  if (!bus) return undefined;
  let child: Endpointish | undefined;
  for (const d of s.devices.filter((x) => x.bus === bus)) {
    if (d.driver === 'cxl-switch-mailbox-cci') continue;
    if (d.devfn !== 0) {
      errs.push(
        modelError(
          d.loc,
          `only one device (slot 0 function 0) below ${port.driver} '${port.id}' is modelled`,
        ),
      );
      continue;
    }
    if (d.driver === 'cxl-type3') child = type3Of(d);
    else if (d.driver === 'cxl-upstream') child = switchOf(s, d, errs);
    else if (d.driver === 'vfio-pci' || d.driver === 'vfio-pci-nohotplug') child = type2Of(d);
    else if (d.driver === 'cxl-downstream' || d.driver === 'cxl-rp') outside(s, d);
    else
      errs.push(
        modelError(d.loc, `a ${d.driver} below ${port.driver} '${port.id}' is not modelled`),
      );
  }
  return child;
}

function switchOf(s: DeviceState, usp: DeviceRec, errs: Errno[]): SwitchDev {
  const sw: SwitchDev = {
    kind: 'switch',
    id: usp.id,
    addr: devfnToAddr(usp.devfn),
    downstream: [],
  };
  if (usp.port !== 0) sw.port = usp.port;
  if (usp.sn !== undefined && usp.sn !== UI64_NULL) sw.serial = usp.sn;
  for (const d of s.devices) {
    if (d.driver === 'cxl-switch-mailbox-cci' && d.target === usp) {
      if (d.bus !== usp.bus)
        errs.push(
          modelError(d.loc, `the switch CCI is modelled only beside its upstream port '${usp.id}'`),
        );
      else sw.mailboxCci = devfnToAddr(d.devfn);
    }
  }
  for (const d of s.devices.filter((x) => x.bus === usp.secondary)) {
    if (d.driver !== 'cxl-downstream') {
      errs.push(
        modelError(
          d.loc,
          `only cxl-downstream ports are modelled on the bus of cxl-upstream '${usp.id}'`,
        ),
      );
      continue;
    }
    const dp: DownstreamPort = { id: d.id, port: d.port, addr: devfnToAddr(d.devfn) };
    if (d.chassis !== undefined) dp.chassis = d.chassis;
    if (d.slot !== undefined) dp.slot = d.slot;
    const c = childOf(s, d, errs);
    if (c) dp.child = c;
    sw.downstream.push(dp);
  }
  return sw;
}

/**
 * A CXL device QEMU accepts where no CXL hierarchy reaches it (a cxl-rp or cxl-upstream on
 * pcie.0; a cxl-downstream straight below a root port): the guest sees a PCI function that no
 * CXL port decodes for. cxlsim records it (with everything below it) in `DeviceState.outside`
 * and does not build it (`boot -v` lists it). A cxl-type3 on pcie.0 is built instead
 * (`DeviceState.rootBus`).
 */
function outside(s: DeviceState, d: DeviceRec): void {
  s.outside.push(d.loc);
  for (const c of s.devices) if (d.secondary && c.bus === d.secondary) outside(s, c);
}

/**
 * Assembles the host bridges in creation order.
 * @throws Errno EINVAL (cxlsim's own) for the first arrangement outside the model.
 */
export function buildHostBridges(s: DeviceState): HostBridge[] {
  const errs: Errno[] = [];
  const hbs: HostBridge[] = [];
  for (const d of s.devices) {
    const parent = d.bus.kind;
    if (d.driver === 'pxb-cxl') {
      const hb: HostBridge = { id: d.id, busNr: d.busNr, segment: 0, rootPorts: [] };
      if (d.hdmForPassthrough !== undefined) hb.hdmForPassthrough = d.hdmForPassthrough;
      for (const rpDev of s.devices.filter((x) => x.bus === d.secondary)) {
        if (rpDev.driver !== 'cxl-rp') {
          errs.push(
            modelError(
              rpDev.loc,
              `only cxl-rp root ports are modelled on the bus of pxb-cxl '${d.id}'`,
            ),
          );
          continue;
        }
        const rp: RootPort = { id: rpDev.id, port: rpDev.port, addr: devfnToAddr(rpDev.devfn) };
        if (rpDev.chassis !== undefined) rp.chassis = rpDev.chassis;
        if (rpDev.slot !== undefined) rp.slot = rpDev.slot;
        const c = childOf(s, rpDev, errs);
        if (c) rp.child = c;
        hb.rootPorts.push(rp);
      }
      hbs.push(hb);
    } else if (parent === 'root' && d.driver === 'cxl-type3') {
      // QEMU realizes it as a PCIe endpoint on the root bus: the guest's PCI scan finds it,
      // cxl_pci binds it, but no CXL host bridge is above it (hw/dev/root-bus.ts)
      s.rootBus.push(type3Of(d));
    } else if (parent === 'root') {
      outside(s, d);
    }
  }
  const first = errs[0];
  if (first) throw first;
  return hbs;
}
