/**
 * DOC: the firmware programming an unfinished auto region needed — what the kernel expects of
 * every switch and host-bridge decoder above the endpoint decoders that firmware committed
 * (core/region.c cxl_calc_interleave_pos and cxl_port_setup_targets for AUTO regions, Linux ≥
 * 6.3): a decoder whose range is exactly the region's, as many ways as distinct dports the
 * members use below the port (targets in position order), and granularity = parent granularity
 * × parent ways (the window level: the region's granularity × the window's ways, ÷ 3 for 3/6/12).
 *
 * The endpoint decoders define the region (ways and granularity come from the first one); the
 * upstream decoders are recomputed from the members in the kernel's position order, written
 * into a copy of the topology (PreCommittedDecoder entries, by component id and decoder index)
 * and verified by booting that copy.
 */
import { pciName } from '../bus/index.ts';
import type { CxlRegion } from '../drivers/cxl/core/region/index.ts';
import { cxledToMemdev } from '../drivers/cxl/core/region/region.ts';
import { PciDev } from '../drivers/pci/pci-dev.ts';
import type { Machine } from '../machine.ts';
import type { Endpointish, PreCommittedDecoder, Topology } from '../topology/model.ts';
import { topologyToYaml } from '../topology/serialize.ts';
import { members } from './region.ts';
import { type CxlPort, kernelOrder, pathDown } from './topo.ts';
import type { Fix } from './types.ts';

const hx = (v: bigint) => `0x${v.toString(16)}`;
const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** Every PreCommittedDecoder list of a topology, by component id. */
function committedLists(
  t: Topology,
): Map<string, { list: () => PreCommittedDecoder[]; set: (l: PreCommittedDecoder[]) => void }> {
  const out = new Map<
    string,
    { list: () => PreCommittedDecoder[]; set: (l: PreCommittedDecoder[]) => void }
  >();
  const walk = (c: Endpointish | undefined) => {
    if (c?.kind !== 'switch') return;
    const sw = c;
    out.set(sw.id, {
      list: () => sw.committed ?? [],
      set: (l) => {
        sw.committed = l;
      },
    });
    for (const d of sw.downstream) walk(d.child);
  };
  for (const hb of t.hostBridges) {
    out.set(hb.id, {
      list: () => hb.committed ?? [],
      set: (l) => {
        hb.committed = l;
      },
    });
    for (const rp of hb.rootPorts) walk(rp.child);
  }
  return out;
}

/** The topology id of a (host-bridge or switch) port, from the platform. */
function componentId(m: Machine, port: CxlPort): string | undefined {
  const p = m.platform;
  if (!p) return undefined;
  if (port.parentPort()?.isRoot)
    return p.hostBridges.find((h) => h.uid === port.parentDport?.portId)?.id;
  const u = port.uportDev;
  // by PCI address: a cxl_test mock function is named as the mock's platform device
  const d = p
    .functions()
    .get(u instanceof PciDev ? pciName(u.segment, u.busNr, u.devfn) : u.name)?.device;
  return d?.kind === 'switch' ? d.topo.id : undefined;
}

/**
 * The firmware fix for an unfinished auto region: the patched decoders and whether a boot of
 * the patched topology commits the region.
 */
export async function firmwareFix(
  m: Machine,
  r: CxlRegion,
  boot: (t: Topology) => Promise<Machine>,
): Promise<Fix | undefined> {
  const res = r.params.res;
  const topo = m.platform?.topology;
  if (!res || !topo) return undefined;
  const mds = members(r).map((t) => cxledToMemdev(t));
  if (mds.length !== r.params.interleaveWays) return undefined;
  const order = kernelOrder(r.cxlrd, mds);
  if (!order) return undefined;
  const t: Topology = structuredClone(topo);
  const lists = committedLists(t);
  // per port: dports in position order, and the parent level's granularity × ways
  const ports = new Map<CxlPort, { dports: number[]; depth: number }>();
  for (const md of order)
    for (const [depth, hop] of pathDown(md).entries()) {
      const e = ports.get(hop.port) ?? { dports: [], depth };
      if (!e.dports.includes(hop.dport.portId)) e.dports.push(hop.dport.portId);
      ports.set(hop.port, e);
    }
  const rw = r.cxlrd.interleaveWays;
  const gran = new Map<number, number>();
  let ig = r.params.interleaveGranularity * (pow2(rw) ? rw : rw / 3);
  for (let depth = 0; depth < 8; depth++) {
    gran.set(depth, ig);
    const w = [...ports.values()].find((e) => e.depth === depth)?.dports.length ?? 1;
    ig *= w;
  }
  const edits: string[] = [];
  for (const [port, e] of ports) {
    const id = componentId(m, port);
    const entry = id ? lists.get(id) : undefined;
    if (!id || !entry) return undefined;
    const list = entry.list();
    const old = list.find((d) => d.base < res.end + 1n && d.base + d.size > res.start) ?? list[0];
    const want: PreCommittedDecoder = {
      index: old?.index ?? 0,
      base: res.start,
      size: res.end - res.start + 1n,
      ways: e.dports.length,
      granularity: gran.get(e.depth) ?? r.params.interleaveGranularity,
      targets: e.dports,
    };
    if (
      old &&
      old.base === want.base &&
      old.size === want.size &&
      old.ways === want.ways &&
      old.granularity === want.granularity &&
      JSON.stringify(old.targets) === JSON.stringify(want.targets)
    )
      continue;
    entry.set([...list.filter((d) => d !== old), want].sort((a, b) => a.index - b.index));
    edits.push(
      `${id} committed decoder ${want.index}: base ${hx(want.base)}, size ${hx(want.size)}, ${want.ways} way(s) at ${want.granularity} B, targets [${want.targets?.join(', ')}]`,
    );
  }
  if (!edits.length) return undefined;
  let verified = false;
  try {
    const m2 = await boot(t);
    verified = (m2.kernel.buses.get('cxl')?.devices ?? []).some(
      (d) =>
        'params' in d &&
        (d as CxlRegion).params.res?.start === res.start &&
        (d as CxlRegion).params.res?.end === res.end &&
        (d as CxlRegion).params.state === 4,
    );
  } catch {
    verified = false;
  }
  return {
    description: `firmware: commit the upstream decoders the kernel expects for ${hx(res.start)}-${hx(res.end)} (topology file "committed" entries): ${edits.join('; ')}`,
    commands: [],
    verified,
    topology: topologyToYaml(t),
  };
}
