/**
 * DOC: a region's references on the ports of an endpoint's path (core/region.c
 * cxl_port_attach_region, alloc_region_ref, cxl_rr_alloc_decoder, cxl_region_find_decoder /
 * cxl_port_pick_region_decoder, cxl_rr_ep_add, cxl_port_detach_region, free_region_ref).
 *
 * The first endpoint reaching a port through a region allocates the region reference and picks
 * the port's decoder for it (the endpoint decoder itself on its own port; for auto regions the
 * switch decoder whose range is the region's; else 6.1's lowest free decoder or, later, only
 * decoder `commit_end + 1`). Every endpoint is tracked per port, and the number of distinct
 * downstream targets the decoder needs is counted (`nr_targets`).
 */
import { CXL_DECODER_F_ENABLE } from '../../cxl.ts';
import { type CxlDecoder, type CxlEndpointDecoder, CxlSwitchDecoder } from '../decoder.ts';
import type { CxlPort } from '../port.ts';
import { kver } from './kver.ts';
import {
  CXL_REGION_F_AUTO,
  CXL_REGION_F_LOCK,
  type CxlRegion,
  type CxlRegionRef,
  cxlEpLoad,
  cxledToMemdev,
  cxlRrLoad,
  fmtRes,
  regionRefs,
} from './region.ts';
import { portsBottomUp } from './targets.ts';

/** free_region_ref(): drop the ref and release the port decoder. */
function freeRegionRef(rr: CxlRegionRef): void {
  if (rr.decoder && rr.decoder.region === rr.region) rr.decoder.region = undefined;
  regionRefs(rr.port).delete(rr.region);
}

/**
 * alloc_region_ref(): a new ref, refused while another region on this port sits at a higher
 * HPA (decoders must be programmed in HPA order).
 * @throws EBUSY "%s: HPA order violation %s:%pr vs %pr"
 */
function allocRegionRef(port: CxlPort, cxlr: CxlRegion, cxled: CxlEndpointDecoder): CxlRegionRef {
  const p = cxlr.params;
  const res = p.res as { start: bigint; end: bigint };
  const v7 = kver(cxlr, 'autoAssembly');
  for (const iter of regionRefs(port).values()) {
    const ip = iter.region.params;
    if (!ip.res) continue;
    if (v7 ? ip.res.start < res.start : ip.res.start <= res.start) continue;
    if (v7 && cxlr.flags & CXL_REGION_F_AUTO) {
      const cxld = findDecoder(port, cxled, cxlr);
      const other = iter.decoder;
      if (cxld && other) {
        cxld.dbg(`check for HPA violation ${cxld.name}:${cxld.id} < ${other.name}:${other.id}`);
        if (other.id > cxld.id) continue;
      }
    }
    throw cxlr.dbgErr(
      'EBUSY',
      `${port.name}: HPA order violation ${iter.region.name}:${fmtRes(ip.res)} vs ${fmtRes(res)}`,
      { check: 'port-decoder', device: port.name },
    );
  }
  const rr: CxlRegionRef = {
    port,
    region: cxlr,
    decoder: undefined,
    endpoints: new Map(),
    nrEps: 0,
    nrTargets: 1,
    nrTargetsSet: 0,
  };
  regionRefs(port).set(cxlr, rr);
  return rr;
}

/** Whether every decoder below `cxld` on its port is enabled (check_commit_order). */
function lowerAllEnabled(cxld: CxlDecoder): boolean {
  return cxld.port
    .decoders()
    .every((d) => d.id >= cxld.id || (d.flags & CXL_DECODER_F_ENABLE) !== 0);
}

/**
 * cxl_region_find_decoder() / cxl_port_pick_region_decoder(): the endpoint decoder itself on
 * its own port; the switch decoder matching the region range for auto regions; else 6.1 takes
 * the lowest free decoder in id order, later kernels only decoder `commit_end + 1`.
 */
function findDecoder(
  port: CxlPort,
  cxled: CxlEndpointDecoder,
  cxlr: CxlRegion,
): CxlDecoder | undefined {
  if (port === cxled.port) return cxled;
  const switches = port
    .decoders()
    .filter((d): d is CxlSwitchDecoder => d instanceof CxlSwitchDecoder);
  if (cxlr.flags & CXL_REGION_F_AUTO) {
    const r = cxlr.params.res;
    return switches.find((d) => r && d.hpaRange.start === r.start && d.hpaRange.end === r.end);
  }
  if (!kver(cxlr, 'commitOrderPick')) {
    let id = 0;
    for (const d of switches) {
      if (d.id !== id) continue;
      if (!d.region) return d;
      id++;
    }
    return undefined;
  }
  for (const d of switches) {
    if (d.id !== port.commitEnd + 1) continue;
    if (d.region) {
      port.dbg(`next decoder to commit (${d.name}) is already reserved (${d.region.name})`, {
        check: 'port-decoder',
        device: d.name,
      });
      continue;
    }
    if (!lowerAllEnabled(d)) {
      port.dbg(`unable to allocate ${d.name} due to out of order shutdown`, {
        check: 'port-decoder',
        device: d.name,
      });
      continue;
    }
    return d;
  }
  return undefined;
}

/**
 * cxl_rr_alloc_decoder(): pick the port's decoder for the region.
 * @throws EBUSY "%s: no decoder available" / "%s: %s already attached to %s"
 */
function cxlRrAllocDecoder(
  port: CxlPort,
  cxlr: CxlRegion,
  cxled: CxlEndpointDecoder,
  rr: CxlRegionRef,
): void {
  const cxld = findDecoder(port, cxled, cxlr);
  if (!cxld)
    throw cxlr.dbgErr('EBUSY', `${port.name}: no decoder available`, {
      check: 'port-decoder',
      device: port.name,
    });
  if (cxld.region)
    throw cxlr.dbgErr(
      'EBUSY',
      `${port.name}: ${cxld.name} already attached to ${cxld.region.name}`,
      { check: 'port-decoder', device: port.name },
    );
  if (kver(cxlr, 'autoAssembly')) cxld.targetType = cxlr.type;
  rr.decoder = cxld;
}

/**
 * cxl_port_attach_region(): track the region's use of `port` by this endpoint.
 * @throws EBUSY HPA order, no decoder, endpoint already tracked; ENXIO target overflow
 */
export function cxlPortAttachRegion(
  port: CxlPort,
  cxlr: CxlRegion,
  cxled: CxlEndpointDecoder,
  pos: number,
): void {
  const cxlmd = cxledToMemdev(cxled);
  const ep = cxlEpLoad(port, cxlmd);
  let rr = cxlRrLoad(port, cxlr);
  let inc = false;
  const erase = (e: unknown): never => {
    if (rr) {
      if (inc) rr.nrTargets--;
      if (rr.nrEps === 0) freeRegionRef(rr);
    }
    throw e;
  };
  if (rr) {
    let found = false;
    for (const it of rr.endpoints.values()) {
      if (it === ep) continue;
      if (it.next === ep?.next) {
        found = true;
        break;
      }
    }
    if (!found || !ep?.next) {
      rr.nrTargets++;
      inc = true;
    }
  } else {
    try {
      rr = allocRegionRef(port, cxlr, cxled);
    } catch (e) {
      cxlr.dbg(`${port.name}: failed to allocate region reference`);
      throw e;
    }
    inc = true;
    try {
      cxlRrAllocDecoder(port, cxlr, cxled, rr);
    } catch (e) {
      erase(e);
    }
  }
  const cxld = rr.decoder as CxlDecoder;
  if (
    kver(cxlr, 'targetOverflow') &&
    cxld instanceof CxlSwitchDecoder &&
    rr.nrTargets > cxld.nrTargets
  ) {
    erase(
      cxlr.dbgErr(
        'ENXIO',
        `${port.uportDev.name}:${port.name} ${cxld.name} add: ${cxlmd.name}:${cxled.name} @ ${pos} overflows targets: ${cxld.nrTargets}`,
        { check: 'port-targets', device: port.name, args: { pos, nrTargets: cxld.nrTargets } },
      ),
    );
  }
  // cxl_rr_ep_add()
  if (ep) {
    if (rr.endpoints.has(cxled)) {
      erase(
        cxlr.dbgErr(
          'EBUSY',
          `${port.name}: failed to track endpoint ${cxlmd.name}:${cxld.name} reference`,
        ),
      );
    }
    rr.endpoints.set(cxled, ep);
  }
  rr.nrEps++;
  if (!cxld.region) cxld.region = cxlr;
  const next = ep ? (ep.next ? ep.next.uportDev.name : cxlmd.name) : 'none';
  cxlr.dbg(
    `${port.uportDev.name}:${port.name} ${cxld.name} add: ${cxlmd.name}:${cxled.name} @ ${pos} next: ${next} nr_eps: ${rr.nrEps} nr_targets: ${rr.nrTargets}`,
  );
}

/** cxl_port_detach_region(): drop this endpoint's use of `port`. */
export function cxlPortDetachRegion(
  port: CxlPort,
  cxlr: CxlRegion,
  cxled: CxlEndpointDecoder,
): void {
  const rr = cxlRrLoad(port, cxlr);
  if (!rr) return;
  let ep: ReturnType<typeof cxlEpLoad>;
  if (rr.decoder === cxled) rr.nrEps--;
  else {
    ep = rr.endpoints.get(cxled);
    rr.endpoints.delete(cxled);
  }
  if (ep) {
    rr.nrEps--;
    let found = false;
    for (const it of rr.endpoints.values()) if (it.next === ep.next) found = true;
    if (!found) rr.nrTargets--;
  }
  if (rr.nrEps === 0) freeRegionRef(rr);
}

/** Attach the endpoint on every port of its path; on failure detach it from all of them again. */
export function attachPorts(cxlr: CxlRegion, cxled: CxlEndpointDecoder, pos: number): void {
  try {
    for (const port of portsBottomUp(cxled)) cxlPortAttachRegion(port, cxlr, cxled, pos);
  } catch (e) {
    for (const port of portsBottomUp(cxled)) cxlPortDetachRegion(port, cxlr, cxled);
    throw e;
  }
  for (const port of portsBottomUp(cxled)) {
    const d = cxlRrLoad(port, cxlr)?.decoder;
    if (d?.locked && kver(cxlr, 'regionLock')) cxlr.flags |= CXL_REGION_F_LOCK;
  }
}
