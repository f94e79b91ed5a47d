/**
 * DOC: Topology → topology-file text (YAML), the inverse of {@link parseTopologyFile}.
 *
 * Sizes are written the way people write them ("256M", "4G", else "0x…"), addresses (window
 * bases, decoder bases) in hexadecimal, serial numbers and XOR maps as integers, PCI
 * addresses as `{slot, fn}`. Optional fields that are absent stay absent, so parsing the text
 * back gives an equal Topology (its `source` aside). Useful to turn a QEMU command line or a
 * preset into an editable file (`cxlsim topology export`).
 */
import { stringify } from 'yaml';
import type {
  DownstreamPort,
  Endpointish,
  HdmCaps,
  HostBridge,
  PreCommittedDecoder,
  RootPort,
  Topology,
  Type3Dev,
} from './model.ts';
import { formatSize } from './qemu-size.ts';

type Obj = Record<string, unknown>;

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** Copies `src` into a new object, dropping undefined values (keeps key order). */
function compact(src: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(src)) if (v !== undefined) out[k] = v;
  return out;
}

function hdmOut(h: HdmCaps | undefined): Obj | undefined {
  return h ? { ...h } : undefined;
}

function committedOut(list: PreCommittedDecoder[] | undefined): Obj[] | undefined {
  return list?.map((d) =>
    compact({
      index: d.index,
      base: hex(d.base),
      size: formatSize(d.size),
      ways: d.ways,
      granularity: d.granularity,
      targets: d.targets ? [...d.targets] : undefined,
      skip: d.skip !== undefined ? formatSize(d.skip) : undefined,
      lock: d.lock,
    }),
  );
}

function type3Out(t: Type3Dev): Obj {
  return compact({
    kind: 'type3',
    id: t.id,
    addr: t.addr ? { ...t.addr } : undefined,
    serial: t.serial,
    volatileSize: formatSize(t.volatileSize),
    persistentSize: formatSize(t.persistentSize),
    lsaSize: formatSize(t.lsaSize),
    hdm: hdmOut(t.hdm),
    committed: committedOut(t.committed),
    backends: t.backends ? compact({ ...t.backends }) : undefined,
  });
}

function childOut(c: Endpointish): Obj {
  switch (c.kind) {
    case 'type3':
      return type3Out(c);
    case 'type2':
      return compact({
        kind: 'type2',
        id: c.id,
        addr: c.addr ? { ...c.addr } : undefined,
        host: c.host,
        dpaSize: formatSize(c.dpaSize),
        firmwareCommitted: c.firmwareCommitted,
        noHotplug: c.noHotplug,
        serial: c.serial,
        hdm: hdmOut(c.hdm),
      });
    case 'switch':
      return compact({
        kind: 'switch',
        id: c.id,
        addr: c.addr ? { ...c.addr } : undefined,
        port: c.port,
        serial: c.serial,
        hdm: hdmOut(c.hdm),
        mailboxCci: c.mailboxCci ? { ...c.mailboxCci } : undefined,
        downstream: c.downstream.map(portOut),
        committed: committedOut(c.committed),
      });
  }
}

function portOut(p: RootPort | DownstreamPort): Obj {
  return compact({
    id: p.id,
    port: p.port,
    addr: p.addr ? { ...p.addr } : undefined,
    chassis: p.chassis,
    slot: p.slot,
    child: p.child ? childOut(p.child) : undefined,
  });
}

function hostBridgeOut(hb: HostBridge): Obj {
  return compact({
    id: hb.id,
    busNr: hb.busNr,
    segment: hb.segment,
    hdmForPassthrough: hb.hdmForPassthrough,
    uid: hb.uid,
    hdm: hdmOut(hb.hdm),
    rootPorts: hb.rootPorts.map(portOut),
    committed: committedOut(hb.committed),
    rch: hb.rch,
    rcd: hb.rcd ? type3Out(hb.rcd) : undefined,
  });
}

/** The plain object written to a topology file. */
export function topologyToFileObject(t: Topology): Obj {
  const m = t.machine;
  return compact({
    name: t.name,
    machine: compact({
      type: m.type,
      ramSize: formatSize(m.ramSize),
      maxMem: m.maxMem !== undefined ? formatSize(m.maxMem) : undefined,
      slots: m.slots,
      cxl: m.cxl,
      highmemMmioSize: m.highmemMmioSize !== undefined ? formatSize(m.highmemMmioSize) : undefined,
      options: { ...m.options },
      cpu: m.cpu?.spec,
    }),
    hostBridges: t.hostBridges.map(hostBridgeOut),
    windows: t.windows.map((w) =>
      compact({
        index: w.index,
        targets: [...w.targets],
        size: formatSize(w.size),
        granularity: w.granularity,
        base: w.base !== undefined ? hex(w.base) : undefined,
        restrictions: w.restrictions,
        arithmetic: w.arithmetic,
        qtgId: w.qtgId,
      }),
    ),
    cxims: t.cxims.map((c) => ({ granularity: c.granularity, xormaps: [...c.xormaps] })),
    ignored: [...t.ignored],
    mock: t.mock,
    mockArgs: t.mockArgs,
  });
}

/** YAML text of a topology file. */
export function topologyToYaml(t: Topology): string {
  return stringify(topologyToFileObject(t), { lineWidth: 0 });
}
