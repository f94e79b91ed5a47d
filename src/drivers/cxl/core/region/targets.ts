/**
 * DOC: programming switch and host-bridge decoders in software once every region position has
 * an endpoint (core/region.c cxl_region_setup_targets, cxl_port_setup_targets,
 * check_last_peer, cxl_region_teardown_targets, check_interleave_cap).
 *
 * For each position in order, the ports from the host bridge down to the last switch get their
 * region decoder's ways (= distinct downstream targets), granularity and HPA range, and the
 * position's dport is appended to the target list unless already there (then the peer
 * `distance` positions earlier must use the same dport). Granularity: 6.1 picks the next
 * address bit above the parent's selector bits (`eig = max(peig + peiw, eiw + peig) - eiw + 1`
 * when both parent and port interleave, else the parent's), later kernels use
 * `parent_ig × parent_iw`; at the root level the parent granularity is the region's (Debian's
 * 6.1 carries that fix: capture 07-region-2way-rp shows a 2-way host bridge under an x1 window
 * at the region's 4096). No hardware is touched here.
 */
import { Errno } from '../../../../kernel/errno.ts';
import { hexll } from '../../../../sysfs/format.ts';
import { eigToGranularity, granularityToEig, waysToEiw } from '../../cxl.ts';
import {
  type CxlDecoder,
  type CxlEndpointDecoder,
  CxlSwitchDecoder,
  frozenRange,
  IDLE_RANGE,
} from '../decoder.ts';
import type { CxlPort } from '../port.ts';
import { kver } from './kver.ts';
import {
  CXL_REGION_F_AUTO,
  type CxlRegion,
  cxlEpLoad,
  cxledToMemdev,
  cxlRrLoad,
  fmtRes,
  topPort,
} from './region.ts';

const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** Ports from the host bridge down to the port directly above the endpoint (cxl_ep chain). */
export function portsTopDown(cxled: CxlEndpointDecoder): CxlPort[] {
  const cxlmd = cxledToMemdev(cxled);
  const out: CxlPort[] = [];
  let iter: CxlPort | undefined = topPort(cxled.port);
  while (iter) {
    const ep = cxlEpLoad(iter, cxlmd);
    if (!ep) break;
    out.push(iter);
    iter = ep.next;
  }
  return out;
}

/** Ports from the endpoint port up to (not including) the CXL root. */
export function portsBottomUp(cxled: CxlEndpointDecoder): CxlPort[] {
  const out: CxlPort[] = [];
  for (let iter: CxlPort | undefined = cxled.port; iter && !iter.isRoot; iter = iter.parentPort())
    out.push(iter);
  return out;
}

/**
 * check_interleave_cap(): can `cxld`'s port decode `iw` ways at `ig` bytes — the ways in its
 * iw_cap_mask and every HPA selector bit in its interleave_mask (CXL 3.1 §8.2.4.20.13).
 * Passthrough decoders (no HDM capability) support everything.
 */
export function checkInterleaveCap(cxld: CxlDecoder, iw: number, ig: number): boolean {
  const hdm = cxld.port.hdm;
  if (cxld.passthrough || !hdm) return true;
  if ((hdm.iwCapMask & (1 << iw)) === 0) return false;
  const eiw = waysToEiw(iw);
  if (eiw === 0 || eiw === 8) return true;
  const eig = granularityToEig(ig);
  const high = eiw > 8 ? eiw + eig - 1 : eiw + eig + 7;
  const low = eig + 8;
  for (let b = low; b <= high; b++) if (((hdm.interleaveMask >>> b) & 1) === 0) return false;
  return true;
}

/**
 * check_last_peer(): a position re-using a dport must share it with the endpoint `distance`
 * positions before it.
 * @throws ENXIO "cannot host" / "mismatched peer"
 */
function checkLastPeer(
  cxlr: CxlRegion,
  port: CxlPort,
  cxled: CxlEndpointDecoder,
  distance: number,
): void {
  const cxlmd = cxledToMemdev(cxled);
  const pos = cxled.pos;
  const tag = `${port.uportDev.name}:${port.name}`;
  const peer = pos >= distance ? cxlr.params.targets[pos - distance] : undefined;
  if (!peer)
    throw cxlr.dbgErr('ENXIO', `${tag}: cannot host ${cxlmd.name}:${cxled.name} at ${pos}`, {
      check: 'interleave-setup',
      device: port.name,
      args: { pos },
    });
  const mdPeer = cxledToMemdev(peer);
  const ep = cxlEpLoad(port, cxlmd);
  const epPeer = cxlEpLoad(port, mdPeer);
  if (ep?.dport !== epPeer?.dport) {
    throw cxlr.dbgErr(
      'ENXIO',
      `${tag}: ${cxlmd.name}:${cxled.name} pos ${pos} mismatched peer ${mdPeer.name}:${peer.name}`,
      { check: 'interleave-setup', device: port.name, args: { pos } },
    );
  }
}

/**
 * Encoded value or the message's errno (EINVAL) after logging `msg` on the region, with the
 * 'interleave-setup' check event on `device` (the port whose encoding failed, when named).
 */
function encode<T>(cxlr: CxlRegion, f: () => T, msg: string, device?: string): T {
  try {
    return f();
  } catch {
    throw cxlr.dbgErr('EINVAL', msg, { check: 'interleave-setup', ...(device ? { device } : {}) });
  }
}

/** Parent decoder ways/granularity as cxl_port_setup_targets() takes them. */
function parentInterleave(cxlr: CxlRegion, port: CxlPort): { ig: number; iw: number } {
  const parent = port.parentPort() as CxlPort;
  if (parent.isRoot) {
    let iw = cxlr.cxlrd.interleaveWays;
    if (!pow2(iw)) iw /= 3;
    return { ig: cxlr.params.interleaveGranularity, iw };
  }
  const d = cxlRrLoad(parent, cxlr)?.decoder;
  return { ig: d?.interleaveGranularity ?? 0, iw: d?.interleaveWays ?? 0 };
}

/**
 * First target on this port: derive and apply (manual) or validate (auto) ways/granularity.
 * @throws EINVAL bad encodings; ENXIO overflow, unsupported interleave, auto mismatch
 */
function setupPortInterleave(
  cxlr: CxlRegion,
  port: CxlPort,
  cxld: CxlSwitchDecoder,
  nrTargets: number,
): void {
  const p = cxlr.params;
  const parent = port.parentPort() as CxlPort;
  const tag = `${port.uportDev.name}:${port.name}`;
  const ptag = `${parent.uportDev.name}:${parent.name}`;
  const { ig: parentIg, iw: parentIw } = parentInterleave(cxlr, port);
  const peig = encode(
    cxlr,
    () => granularityToEig(parentIg),
    `${ptag}: invalid parent granularity: ${parentIg}`,
    parent.name,
  );
  const peiw = encode(
    cxlr,
    () => waysToEiw(parentIw),
    `${ptag}: invalid parent interleave: ${parentIw}`,
    parent.name,
  );
  const iw = nrTargets;
  const eiw = encode(
    cxlr,
    () => waysToEiw(iw),
    `${tag}: invalid port interleave: ${iw}`,
    port.name,
  );
  const res = p.res as { start: bigint; end: bigint };
  let ig: number;
  if (kver(cxlr, 'igMultiply')) {
    const eig = encode(
      cxlr,
      () => granularityToEig(parentIg * parentIw),
      `${parent.name}: invalid granularity calculation (${parentIg} * ${parentIw})`,
    );
    ig = eigToGranularity(eig);
    if (iw > 8 || iw > cxld.nrTargets) {
      throw cxlr.dbgErr(
        'ENXIO',
        `${tag}:${cxld.name}: ways: ${iw} overflows targets: ${cxld.nrTargets}`,
        { check: 'interleave-setup', device: port.name, args: { iw, nrTargets: cxld.nrTargets } },
      );
    }
    if (cxlr.flags & CXL_REGION_F_AUTO) {
      const r = cxld.hpaRange;
      if (
        cxld.interleaveWays !== iw ||
        cxld.interleaveGranularity !== ig ||
        r.start !== res.start ||
        r.end !== res.end ||
        !cxld.enabled
      ) {
        cxlr.err(
          'ENXIO',
          `${tag} cxl_port_setup_targets expected iw: ${iw} ig: ${ig} ${fmtRes(res)}`,
        );
        throw cxlr.err(
          'ENXIO',
          `${tag} cxl_port_setup_targets got iw: ${cxld.interleaveWays} ig: ${cxld.interleaveGranularity} state: ${cxld.enabled ? 'enabled' : 'disabled'} ${hexll(r.start)}:${hexll(r.end)}`,
        );
      }
    } else {
      if (kver(cxlr, 'interleaveCap') && !checkInterleaveCap(cxld, iw, ig)) {
        throw cxlr.dbgErr('ENXIO', `${tag} iw: ${iw} ig: ${ig} is not supported`, {
          check: 'interleave-cap',
          device: port.name,
        });
      }
      cxld.interleaveWays = iw;
      cxld.interleaveGranularity = ig;
      cxld.hpaRange = frozenRange(res.start, res.end);
    }
  } else {
    const eig = parentIw > 1 && nrTargets > 1 ? Math.max(peig + peiw, eiw + peig) - eiw + 1 : peig;
    ig = encode(
      cxlr,
      () => eigToGranularity(eig),
      `${tag}: invalid interleave: ${256 << eig}`,
      port.name,
    );
    cxld.interleaveWays = iw;
    cxld.interleaveGranularity = ig;
    cxld.hpaRange = frozenRange(res.start, res.end);
  }
  cxlr.dbg(`${tag} iw: ${iw} ig: ${ig}`);
}

/**
 * cxl_port_setup_targets(): set up `port`'s region decoder for the endpoint at `cxled.pos`.
 * @throws EINVAL non power-of-two target count, bad encodings; ENXIO peer, overflow, full
 */
export function cxlPortSetupTargets(
  port: CxlPort,
  cxlr: CxlRegion,
  cxled: CxlEndpointDecoder,
): void {
  const p = cxlr.params;
  const pos = cxled.pos;
  const cxlmd = cxledToMemdev(cxled);
  const rr = cxlRrLoad(port, cxlr);
  const ep = cxlEpLoad(port, cxlmd);
  const tag = `${port.uportDev.name}:${port.name}`;
  if (!rr || !ep || !(rr.decoder instanceof CxlSwitchDecoder))
    throw new Errno('ENXIO', `${tag}: no region reference`, cxlr.name);
  const cxlsd = rr.decoder;
  if (!pow2(rr.nrTargets))
    throw cxlr.dbgErr('EINVAL', `${tag}: invalid target count ${rr.nrTargets}`, {
      check: 'port-targets',
      device: port.name,
    });
  let present = false;
  if (rr.nrTargetsSet) {
    let distance: number;
    if (kver(cxlr, 'igMultiply')) {
      distance = 1;
      for (let iter: CxlPort | undefined = port; iter && !iter.isRoot; iter = iter.parentPort()) {
        distance *= cxlRrLoad(iter, cxlr)?.nrTargets ?? 1;
      }
      distance *= cxlr.cxlrd.interleaveWays;
    } else {
      distance = rr.nrTargets === 1 ? 0 : Math.floor(p.nrTargets / rr.nrTargets);
    }
    for (let i = 0; i < rr.nrTargetsSet; i++) {
      if (ep.dport === cxlsd.targets[i]) {
        checkLastPeer(cxlr, port, cxled, distance);
        present = true;
        break;
      }
    }
  } else {
    setupPortInterleave(cxlr, port, cxlsd, rr.nrTargets);
  }
  if (!present) {
    if (rr.nrTargetsSet === rr.nrTargets) {
      throw cxlr.dbgErr(
        'ENXIO',
        `${tag}: targets full trying to add ${cxlmd.name}:${cxled.name} at ${pos}`,
        { check: 'port-targets', device: port.name, args: { pos } },
      );
    }
    if (cxlr.flags & CXL_REGION_F_AUTO) {
      if (cxlsd.targets[rr.nrTargetsSet] !== ep.dport) {
        throw cxlr.dbgErr(
          'ENXIO',
          `${tag}: ${cxlsd.name} expected ${ep.dport.dport.name} at ${rr.nrTargetsSet}`,
        );
      }
    } else {
      cxlsd.targets[rr.nrTargetsSet] = ep.dport;
      cxlsd.targetMap[rr.nrTargetsSet] = ep.dport.portId;
    }
    rr.nrTargetsSet++;
  }
  cxlr.dbg(
    `${tag} target[${rr.nrTargetsSet - 1}] = ${ep.dport.dport.name} for ${cxlmd.name}:${cxled.name} @ ${pos}`,
  );
}

/** cxl_port_reset_targets(). */
function cxlPortResetTargets(port: CxlPort, cxlr: CxlRegion): void {
  const rr = cxlRrLoad(port, cxlr);
  if (!rr) return;
  rr.nrTargetsSet = 0;
  if (rr.decoder) rr.decoder.hpaRange = IDLE_RANGE;
}

/** cxl_region_teardown_targets(): undo the software setup (skipped for auto regions). */
export function cxlRegionTeardownTargets(cxlr: CxlRegion): void {
  if (cxlr.flags & CXL_REGION_F_AUTO && kver(cxlr, 'autoAssembly')) return;
  const p = cxlr.params;
  for (let i = 0; i < p.nrTargets; i++) {
    const cxled = p.targets[i];
    if (!cxled) continue;
    for (const port of portsTopDown(cxled)) cxlPortResetTargets(port, cxlr);
  }
}

/**
 * cxl_region_setup_targets(): every position, every port top-down; any failure tears the
 * software setup down again.
 * @throws cxlPortSetupTargets's errno
 */
export function cxlRegionSetupTargets(cxlr: CxlRegion): void {
  const p = cxlr.params;
  for (let i = 0; i < p.nrTargets; i++) {
    const cxled = p.targets[i];
    if (!cxled) continue;
    for (const port of portsTopDown(cxled)) {
      try {
        cxlPortSetupTargets(port, cxlr, cxled);
      } catch (e) {
        cxlRegionTeardownTargets(cxlr);
        throw e;
      }
    }
  }
}
