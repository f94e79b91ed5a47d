/**
 * DOC: the booted CXL topology as a graph, read from the guest's /sys as ndctl reads it (a
 * {@link SysfsView} only — no driver objects): root0, its dports (host bridges) and the
 * host-bridge ports, each port's dports (root ports, switch downstream ports) with the child
 * ports below them (switch upstream ports, endpoints), the memdevs behind the endpoints, the
 * root decoders (fixed memory windows: base, size, ways, granularity and their target host
 * bridges in interleave order), and the regions (size, mode, ways, granularity) with each
 * position's endpoint decoder and memdev. Renderers: render.ts (tree, dot).
 */
import type { SysfsView } from '../sysfs/view.ts';

/** A node of the graph. */
export interface ShowNode {
  /** Unique id (sysfs device name, or "port1/dport0"). */
  id: string;
  kind: 'root' | 'host-bridge' | 'port' | 'dport' | 'endpoint' | 'memdev' | 'window' | 'region';
  /** One line of what it is. */
  label: string;
  /** Children in the decode hierarchy (tree edges). */
  children: string[];
}

/** An extra (non-tree) edge: window → host bridge target, region position → memdev. */
export interface ShowEdge {
  from: string;
  to: string;
  label: string;
}

/** The topology graph. */
export interface ShowGraph {
  nodes: Map<string, ShowNode>;
  /** Tree roots: root ports of the hierarchy (root0), then windows, then regions. */
  roots: string[];
  edges: ShowEdge[];
}

const DEV = 'bus/cxl/devices';
const natural = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });
const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

function text(v: SysfsView, p: string): string | undefined {
  try {
    const x = v.read(p);
    return (typeof x === 'string' ? x : Buffer.from(x).toString('latin1')).trim();
  } catch {
    return undefined;
  }
}

function entries(v: SysfsView, p: string): string[] {
  try {
    return v.readdir(p).sort(natural);
  } catch {
    return [];
  }
}

function humanSize(hex: string | undefined): string {
  if (hex === undefined) return '?';
  const n = BigInt(hex);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let x = n;
  while (x >= 1024n && x % 1024n === 0n && u < units.length - 1) {
    x /= 1024n;
    u++;
  }
  return `${x} ${units[u]}`;
}

/**
 * Builds the graph of the CXL bus under /sys (empty when the guest has no CXL root).
 */
export function buildShowGraph(v: SysfsView): ShowGraph {
  const nodes = new Map<string, ShowNode>();
  const edges: ShowEdge[] = [];
  const add = (n: ShowNode) => {
    nodes.set(n.id, n);
    return n;
  };
  const devs = entries(v, DEV);
  const roots = devs.filter((d) => /^root\d+$/.test(d));
  const real = (d: string) => v.realpath(`${DEV}/${d}`);

  const link = (p: string) => (v.lstat(p) ? v.realpath(p) : undefined);
  /**
   * The dport a child port hangs below: its parent_dport link (v6.3+), else the dport whose
   * device lies on the path of the child's uport (6.1 has no parent_dport).
   */
  const parentDport = (path: string, child: string, dports: Map<string, string>) => {
    const pd = link(`${path}/${child}/parent_dport`);
    const uport = link(`${path}/${child}/uport`) ?? '';
    for (const [d, target] of dports) {
      if (pd !== undefined ? pd === target : uport === target || uport.startsWith(`${target}/`))
        return d;
    }
    return undefined;
  };

  /** A port (root, host bridge, switch) and everything below it. */
  const portTree = (name: string, kind: ShowNode['kind'], label: string): ShowNode => {
    const path = real(name);
    const node = add({ id: name, kind, label, children: [] });
    const below = entries(v, path);
    const dports = new Map<string, string>();
    for (const d of below.filter((e) => /^dport\d+$/.test(e))) {
      const target = v.realpath(`${path}/${d}`);
      dports.set(d, target);
      add({
        id: `${name}/${d}`,
        kind: kind === 'root' ? 'host-bridge' : 'dport',
        label: `${d} ${base(target)}`,
        children: [],
      });
      node.children.push(`${name}/${d}`);
    }
    for (const c of below.filter((e) => /^(port|endpoint)\d+$/.test(e))) {
      let child: ShowNode;
      if (c.startsWith('endpoint')) {
        const mem = base(link(`${path}/${c}/uport`) ?? '?');
        child = add({ id: c, kind: 'endpoint', label: `${c} (${mem})`, children: [mem] });
        const host = base(real(mem).replace(/\/[^/]+$/, ''));
        add({
          id: mem,
          kind: 'memdev',
          label: `${mem} ${host} serial ${text(v, `${DEV}/${mem}/serial`) ?? '?'} ram ${humanSize(text(v, `${DEV}/${mem}/ram/size`))} pmem ${humanSize(text(v, `${DEV}/${mem}/pmem/size`))}`,
          children: [],
        });
      } else child = portTree(c, 'port', `${c} ${base(link(`${path}/${c}/uport`) ?? '?')}`);
      const d = parentDport(path, c, dports);
      (d ? (nodes.get(`${name}/${d}`) as ShowNode) : node).children.push(child.id);
    }
    return node;
  };

  const treeRoots: string[] = [];
  for (const r of roots) {
    portTree(r, 'root', `${r} (ACPI.CXL)`);
    treeRoots.push(r);
  }

  const windows: string[] = [];
  const regions: string[] = [];
  for (const r of roots) {
    for (const d of entries(v, real(r)).filter((e) => /^decoder\d+\.\d+$/.test(e))) {
      const p = `${DEV}/${d}`;
      const start = text(v, `${p}/start`);
      const size = text(v, `${p}/size`);
      const ways = text(v, `${p}/interleave_ways`);
      const gran = text(v, `${p}/interleave_granularity`);
      const caps = ['ram', 'pmem'].filter((c) => text(v, `${p}/cap_${c}`) === '1').join('+');
      add({
        id: d,
        kind: 'window',
        label: `${d} window ${start ?? '?'} ${humanSize(size)} ${ways ?? '?'}-way ${gran ?? '?'} B ${caps || '-'}`,
        children: [],
      });
      windows.push(d);
      const targets = (text(v, `${p}/target_list`) ?? '').split(',').filter((x) => x !== '');
      targets.forEach((t, i) => {
        const hb = [...nodes.values()].find(
          (n) =>
            n.kind === 'host-bridge' && n.id.startsWith(`${r}/`) && n.id.endsWith(`/dport${t}`),
        );
        if (hb) edges.push({ from: d, to: hb.id, label: `target ${i}` });
      });
      for (const reg of entries(v, real(d)).filter((e) => /^region\d+$/.test(e))) {
        const rp = `${DEV}/${reg}`;
        const rways = Number(text(v, `${rp}/interleave_ways`) ?? '0');
        add({
          id: reg,
          kind: 'region',
          label: `${reg} ${text(v, `${rp}/mode`) ?? '?'} ${humanSize(text(v, `${rp}/size`))} ${rways}-way ${text(v, `${rp}/interleave_granularity`) ?? '?'} B`,
          children: [],
        });
        regions.push(reg);
        edges.push({ from: d, to: reg, label: 'region' });
        for (let k = 0; k < rways; k++) {
          const ed = text(v, `${rp}/target${k}`);
          if (!ed) continue;
          const epName = base(v.realpath(`${DEV}/${ed}`).replace(/\/[^/]+$/, ''));
          const mem = v.lstat(`${DEV}/${epName}/uport`)
            ? base(v.realpath(`${DEV}/${epName}/uport`))
            : epName;
          edges.push({ from: reg, to: mem, label: `position ${k}: ${ed}` });
        }
      }
    }
  }
  return { nodes, roots: [...treeRoots, ...windows, ...regions], edges };
}
