/**
 * DOC: libcxl's enable/disable operations on memdevs, ports and buses (cxl/lib/libcxl.c
 * cxl_memdev_enable(), cxl_memdev_disable_invalidate(), cxl_port_enable(),
 * cxl_port_disable_invalidate(), cxl_bus_disable_invalidate(), bus_invalidate(),
 * cxl_memdev_nvdimm_bridge_active(), cxl_port_get_dport_by_memdev()).
 *
 * Enabling binds the device through util_bind() and checks its driver link; disabling unbinds it
 * and then *invalidates* the cached topology of its bus (child ports dropped, memdev→endpoint links
 * forgotten), so the next walk re-reads /sys.
 */
import { scanPrefixInt } from '../util/cstr.ts';
import { memdevBus, memdevIsEnabled, memdevName, portBus } from './memdev.ts';
import { dportMapsHostPath, dportsOf, portIsEnabled, portName } from './port.ts';
import { isEnabledPath, negErrno, relSys, utilBind, utilUnbind, writeAttr } from './sysfs.ts';
import type { CxlDport, CxlMemdev, CxlPort } from './types.ts';

const err = (p: { ctx: CxlMemdev['ctx'] }, fn: string, msg: string): void =>
  p.ctx.out.log('libcxl', fn, msg);

/** cxl_flush(): "1\n" to /sys/bus/cxl/flush (errors ignored). */
function cxlFlush(ctx: CxlMemdev['ctx']): void {
  writeAttr(ctx, '/sys/bus/cxl/flush', '1\n', true);
}

/** bus_invalidate(): forget the bus's ports and every memdev's endpoint, then flush. */
export function busInvalidate(bus: CxlPort): void {
  const ctx = bus.ctx;
  for (const m of ctx.memdevs ?? []) m.endpoint = undefined;
  bus.childPorts = undefined;
  cxlFlush(ctx);
}

/** cxl_memdev_enable() */
export function memdevEnable(m: CxlMemdev): number {
  const name = memdevName(m);
  if (memdevIsEnabled(m)) return 0;
  utilBind(m.ctx, name);
  if (!memdevIsEnabled(m)) {
    err(m, 'cxl_memdev_enable', `${name}: failed to enable\n`);
    return negErrno('ENXIO');
  }
  return 0;
}

/** cxl_memdev_disable_invalidate() */
export function memdevDisableInvalidate(m: CxlMemdev): number {
  const name = memdevName(m);
  if (!memdevIsEnabled(m)) return 0;
  const bus = memdevBus(m);
  if (!bus) {
    err(m, 'cxl_memdev_disable_invalidate', `${name}: failed to invalidate\n`);
    return negErrno('ENXIO');
  }
  utilUnbind(m.ctx, m.devPath);
  if (memdevIsEnabled(m)) {
    err(m, 'cxl_memdev_disable_invalidate', `${name}: failed to disable\n`);
    return negErrno('EBUSY');
  }
  busInvalidate(bus);
  return 0;
}

/** cxl_port_enable() */
export function portEnable(port: CxlPort): number {
  const name = portName(port);
  if (portIsEnabled(port)) return 0;
  utilBind(port.ctx, name);
  if (!portIsEnabled(port)) {
    err(port, 'cxl_port_enable', `${name}: failed to enable\n`);
    return negErrno('ENXIO');
  }
  return 0;
}

/** cxl_port_disable_invalidate(): root ports are refused. */
export function portDisableInvalidate(port: CxlPort): number {
  const name = portName(port);
  const bus = portBus(port);
  if (port.type === 'root') {
    err(
      port,
      'cxl_port_disable_invalidate',
      `${name}: can not be disabled through this interface\n`,
    );
    return negErrno('EINVAL');
  }
  if (!bus) {
    err(port, 'cxl_port_disable_invalidate', `${name}: failed to invalidate\n`);
    return negErrno('ENXIO');
  }
  utilUnbind(port.ctx, port.devPath);
  if (portIsEnabled(port)) {
    err(port, 'cxl_port_disable_invalidate', `${name}: failed to disable\n`);
    return negErrno('EBUSY');
  }
  busInvalidate(bus);
  return 0;
}

/** cxl_bus_disable_invalidate(): unbinds the bus's uport (ACPI0017:00) and forgets the bus. */
export function busDisableInvalidate(bus: CxlPort): number {
  const ctx = bus.ctx;
  const rc = utilUnbind(ctx, bus.uport);
  if (rc) return rc;
  if (ctx.buses) {
    const at = ctx.buses.indexOf(bus);
    if (at >= 0) ctx.buses.splice(at, 1);
  }
  for (const m of ctx.memdevs ?? []) {
    let top = m.endpoint;
    while (top?.parent) top = top.parent;
    if (top === bus) m.endpoint = undefined;
  }
  cxlFlush(ctx);
  return 0;
}

/** cxl_port_get_dport_by_memdev() (76.1): the dport whose device path the memdev lies below. */
export function portDportByMemdev(port: CxlPort, m: CxlMemdev): CxlDport | undefined {
  return dportsOf(port).find((d) => dportMapsHostPath(d, m.hostPath));
}

/**
 * cxl_memdev_nvdimm_bridge_active(): the memdev's pmemN child (the last one readdir lists) is
 * bound to cxl_nvdimm.
 */
export function memdevNvdimmBridgeActive(m: CxlMemdev): boolean {
  let names: string[];
  try {
    names = m.ctx.view.readdir(relSys(m.devPath));
  } catch {
    return false;
  }
  let pmem: string | undefined;
  for (const n of names) if (scanPrefixInt(n, 'pmem') !== undefined) pmem = n;
  if (pmem === undefined) return false;
  return isEnabledPath(m.ctx, `${m.devPath}/${pmem}/driver`);
}
