/**
 * DOC: the CXL.mem data path — CPU loads and stores at an HPA, routed as QEMU's cxl-host.c
 * (cfmws_ops → cxl_cfmws_find_device() → cxl_type3_read/write) does, to any depth.
 *
 * 1. Window: the CFMWS whose [base, base + size) holds the HPA (unplaced windows decode nothing).
 * 2. Host bridge: modulo arithmetic picks target `(HPA / granularity) % ways` on the *absolute*
 *    HPA (reference/cedt.md §6); XOR arithmetic takes bit i of the index from
 *    XORALLBITS(HPA & map[i]) over the maps of the CXIMS whose granularity matches (the last
 *    one, as cxl_parse_cxims() keeps it) and, for 6/12 ways, adds the modulo-3 digit above the
 *    XOR bits (`(HPA >> (log2(gran) + k)) % 3 << k`, the old kernel cxl_xor_calc_n() order;
 *    unverified against the spec).
 * 3. Host bridge → root port: the first *committed* HDM decoder whose range holds the HPA gives
 *    the target port number (HdmDecoderBlock.decodeToTarget()); a host bridge without HDM
 *    decoders (QEMU 10.1 passthrough) routes to its only root port.
 * 4. Below a port: a switch decodes the same way through its USP's HDM decoders to a DSP port
 *    number (again passthrough if it has no decoders and one DSP), recursively; an endpoint's
 *    decoders turn the HPA into a DPA (decodeToDpa()), which indexes the device's memory.
 * Undecoded reads return zeros with ok = false; undecoded writes are dropped (MEMTX_ERROR).
 * Accesses are split at 256-byte boundaries (the smallest interleave granule), so each piece
 * reaches exactly one device.
 */
import type { MemoryBus } from '../../bus/index.ts';
import type { Cxims } from '../../topology/model.ts';
import { type BelowPortModel, functionName, type HostBridgeModel } from '../dev/model.ts';
import type { PlacedWindow } from '../placement.ts';
import type { BackingStore } from '../regs/backing-store.ts';

/** One decoder used on the way. */
export interface RouteDecoder {
  /** Device id (host bridge, switch or endpoint id). */
  component: string;
  decoder: number;
}

/** The path an HPA takes (for `cxlsim translate`), or where it stopped and why. */
export interface RouteResult {
  hpa: bigint;
  ok: boolean;
  /** CFMWS index. */
  window?: number;
  /** Interleave position within the window (index into its target list). */
  position?: number;
  /** Host bridge _UID and id. */
  hostBridge?: number;
  hostBridgeId?: string;
  /** Port numbers chosen, from the root port down (root port, then DSPs). */
  ports: number[];
  decoders: RouteDecoder[];
  /** Endpoint function BDF ('0000:0f:00.0') and id. */
  endpoint?: string;
  endpointId?: string;
  dpa?: bigint;
  /** Where decoding stopped (device id or 'platform') and why. */
  stop?: { at: string; reason: string };
}

/** Smallest interleave granule (bytes): accesses never straddle one. */
const GRANULE = 256n;

function popcountParity(v: bigint): number {
  let x = v;
  let p = 0;
  while (x > 0n) {
    p ^= Number(x & 1n);
    x >>= 1n;
  }
  return p;
}

/** Interleave position of `hpa` in a window (modulo or XOR arithmetic). */
export function windowPosition(
  w: PlacedWindow,
  hpa: bigint,
  cxims: readonly Cxims[],
): number | undefined {
  const ways = BigInt(w.ways);
  const gran = BigInt(w.granularity);
  if (w.arithmetic === 'modulo' || w.ways === 1 || w.ways === 3) return Number((hpa / gran) % ways);
  const k = w.ways % 3 === 0 ? Math.log2(w.ways / 3) : Math.log2(w.ways);
  const set = [...cxims].reverse().find((c) => c.granularity === w.granularity);
  if (!set || set.xormaps.length < k) return undefined;
  let n = 0;
  for (let i = 0; i < k; i++) n |= popcountParity(hpa & (set.xormaps[i] ?? 0n)) << i;
  if (w.ways % 3 === 0) {
    const shift = BigInt(Math.log2(w.granularity) + k);
    n |= Number((hpa >> shift) % 3n) << k;
  }
  return n;
}

/** Routes HPAs through windows and committed decoders to device memory. */
export class MemoryRouter implements MemoryBus {
  private readonly windows: readonly PlacedWindow[];
  private readonly byUid: Map<number, HostBridgeModel>;
  private readonly cxims: readonly Cxims[];

  constructor(
    windows: readonly PlacedWindow[],
    hostBridges: readonly HostBridgeModel[],
    cxims: readonly Cxims[],
  ) {
    this.windows = windows;
    this.byUid = new Map(hostBridges.map((hb) => [hb.uid, hb]));
    this.cxims = cxims;
  }

  /** The path one HPA takes. */
  route(hpa: bigint): RouteResult {
    return this.walk(hpa).result;
  }

  private walk(hpa: bigint): { result: RouteResult; store?: BackingStore } {
    const r: RouteResult = { hpa, ok: false, ports: [], decoders: [] };
    const stop = (at: string, reason: string) => ({ result: { ...r, stop: { at, reason } } });
    const w = this.windows.find((x) => x.base !== 0n && hpa >= x.base && hpa < x.base + x.size);
    if (!w) return stop('platform', 'no CXL fixed memory window contains this address');
    r.window = w.index;
    const pos = windowPosition(w, hpa, this.cxims);
    if (pos === undefined)
      return stop(`window ${w.index}`, 'no CXIMS matches the window granularity');
    r.position = pos;
    const uid = w.targets[pos];
    const hb = uid === undefined ? undefined : this.byUid.get(uid);
    if (!hb) return stop(`window ${w.index}`, `target ${pos} (UID ${uid}) is not a host bridge`);
    r.hostBridge = hb.uid;
    r.hostBridgeId = hb.id;

    let portNum: number;
    const hbHdm = hb.component.hdm;
    if (!hbHdm) {
      const only = hb.rootPorts.length === 1 ? hb.rootPorts[0] : undefined;
      if (!only) return stop(hb.id, 'host bridge has no HDM decoders and more than one root port');
      portNum = only.port;
    } else {
      const t = hbHdm.decodeToTarget(hpa);
      if (!t) return stop(hb.id, 'no committed HDM decoder decodes this address');
      r.decoders.push({ component: hb.id, decoder: t.decoder });
      portNum = t.target;
    }
    const rp = hb.rootPorts.find((p) => p.port === portNum);
    if (!rp) return stop(hb.id, `no root port with port number ${portNum}`);
    r.ports.push(portNum);

    let below: BelowPortModel | undefined = rp.child;
    let at = rp.topo.id;
    for (let depth = 0; depth < 32; depth++) {
      if (!below) return stop(at, 'nothing is attached below this port');
      if (below.kind === 'switch') {
        const sw = below;
        let dspNum: number;
        const hdm = sw.component.hdm;
        if (!hdm) {
          const only = sw.dsps.length === 1 ? sw.dsps[0] : undefined;
          if (!only)
            return stop(sw.topo.id, 'switch has no HDM decoders and more than one downstream port');
          dspNum = only.port;
        } else {
          const t = hdm.decodeToTarget(hpa);
          if (!t) return stop(sw.topo.id, 'no committed HDM decoder decodes this address');
          r.decoders.push({ component: sw.topo.id, decoder: t.decoder });
          dspNum = t.target;
        }
        const dsp = sw.dsps.find((d) => d.port === dspNum);
        if (!dsp) return stop(sw.topo.id, `no downstream port with port number ${dspNum}`);
        r.ports.push(dspNum);
        at = dsp.fn.id;
        below = dsp.child;
        continue;
      }
      const ep = below;
      r.endpoint = functionName(ep.fn);
      r.endpointId = ep.topo.id;
      const hdm = ep.component.hdm;
      const d = hdm?.decodeToDpa(hpa);
      if (!d) return stop(ep.topo.id, 'no committed HDM decoder decodes this address');
      r.decoders.push({ component: ep.topo.id, decoder: d.decoder });
      const store = ep.kind === 'type3' ? ep.state.store : ep.memory;
      if (d.dpa >= store.size)
        return stop(ep.topo.id, `DPA 0x${d.dpa.toString(16)} is beyond the device's capacity`);
      return { result: { ...r, ok: true, dpa: d.dpa }, store };
    }
    return stop(at, 'hierarchy too deep');
  }

  private pieces(hpa: bigint, len: number): { hpa: bigint; off: number; n: number }[] {
    const out: { hpa: bigint; off: number; n: number }[] = [];
    let off = 0;
    while (off < len) {
      const a = hpa + BigInt(off);
      const n = Math.min(len - off, Number(GRANULE - (a % GRANULE)));
      out.push({ hpa: a, off, n });
      off += n;
    }
    return out;
  }

  read(hpa: bigint, len: number): { data: Uint8Array; ok: boolean } {
    const data = new Uint8Array(len);
    let ok = true;
    for (const p of this.pieces(hpa, len)) {
      const { result: r, store: s } = this.walk(p.hpa);
      if (!s || r.dpa === undefined || r.dpa + BigInt(p.n) > s.size) {
        ok = false;
        continue;
      }
      data.set(s.read(r.dpa, p.n), p.off);
    }
    return { data, ok };
  }

  write(hpa: bigint, data: Uint8Array): boolean {
    let ok = true;
    for (const p of this.pieces(hpa, data.length)) {
      const { result: r, store: s } = this.walk(p.hpa);
      if (!s || r.dpa === undefined || r.dpa + BigInt(p.n) > s.size) {
        ok = false;
        continue;
      }
      s.write(r.dpa, data.subarray(p.off, p.off + p.n));
    }
    return ok;
  }
}
