/**
 * DOC: topology files (YAML or JSON) → {@link Topology}.
 *
 * The file mirrors the model (topology/model.ts) field for field; docs/topology.md has an
 * example. Sizes and addresses may be written as numbers or QEMU size strings ("256M",
 * "0x10000000"); YAML is read with `intAsBigInt` so 64-bit values survive. Unknown keys are
 * errors (typos must not pass silently). After the shape, cross-field rules are checked
 * ({@link checkTopology}): unique ids, unique bus numbers per segment, unique port numbers
 * per host bridge / switch, window targets naming host bridges, valid interleave ways, window
 * sizes and bases in 256 MiB units.
 *
 * Every error is `Errno('EINVAL')` whose message starts with the path of the offending field,
 * e.g. "hostBridges[0].rootPorts[1].port: expected number"; `dev` is the file path.
 */
import { type Document, isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { Errno } from '../kernel/errno.ts';
import type { DownstreamPort, Endpointish, MachineConfig, Topology } from './model.ts';
import { parseCpuOption } from './qemu-cpu.ts';
import { checkTopology, formatPath } from './schema-check.ts';
import { granularity, ident, int, pciAddr, size, u64 } from './schema-types.ts';
import { loadYamlFast } from './yaml-fast.ts';

const hdmCaps = z.strictObject({
  decoderCount: int(1, 32),
  targetCount: int(1, 8),
  a11to8: z.boolean().default(false),
  a14to12: z.boolean().default(false),
  iw3612: z.boolean().default(false),
  iw16: z.boolean().default(false),
});

const committed = z.array(
  z.strictObject({
    index: int(0, 31),
    base: size,
    size,
    ways: int(1, 16),
    granularity,
    targets: z.array(int(0, 255)).optional(),
    skip: size.optional(),
    lock: z.boolean().optional(),
  }),
);

const type3 = z.strictObject({
  kind: z.literal('type3'),
  id: ident,
  addr: pciAddr.optional(),
  serial: u64.optional(),
  volatileSize: size.default(0n),
  persistentSize: size.default(0n),
  lsaSize: size.default(0n),
  hdm: hdmCaps.optional(),
  committed: committed.optional(),
  backends: z
    .strictObject({
      volatile: ident.optional(),
      persistent: ident.optional(),
      lsa: ident.optional(),
    })
    .optional(),
});

const type2 = z.strictObject({
  kind: z.literal('type2'),
  id: ident,
  addr: pciAddr.optional(),
  host: z.string().optional(),
  dpaSize: size.default(16n << 30n),
  firmwareCommitted: z.boolean().default(true),
  noHotplug: z.boolean().optional(),
  serial: u64.optional(),
  hdm: hdmCaps.optional(),
});

const downstreamPort: z.ZodType<DownstreamPort> = z.lazy(() =>
  z.strictObject({
    id: ident,
    port: int(0, 255),
    addr: pciAddr.optional(),
    chassis: int(0, 255).optional(),
    slot: int(0, 65535).optional(),
    child: endpointish.optional(),
  }),
);

const switchDev = z.strictObject({
  kind: z.literal('switch'),
  id: ident,
  addr: pciAddr.optional(),
  port: int(0, 255).optional(),
  serial: u64.optional(),
  hdm: hdmCaps.optional(),
  mailboxCci: pciAddr.optional(),
  downstream: z.array(downstreamPort).default([]),
  committed: committed.optional(),
});

const endpointish: z.ZodType<Endpointish> = z.lazy(() =>
  z.discriminatedUnion('kind', [type3, type2, switchDev]),
);

const rootPort = z.strictObject({
  id: ident,
  port: int(0, 255),
  addr: pciAddr.optional(),
  chassis: int(0, 255).optional(),
  slot: int(0, 65535).optional(),
  child: endpointish.optional(),
});

const hostBridge = z.strictObject({
  id: ident,
  busNr: int(0, 255),
  segment: int(0, 65535).default(0),
  hdmForPassthrough: z.boolean().optional(),
  uid: int(0, 0xffffffff).optional(),
  hdm: hdmCaps.optional(),
  rootPorts: z.array(rootPort).default([]),
  committed: committed.optional(),
  rch: z.boolean().optional(),
  rcd: type3.optional(),
});

const window = z.strictObject({
  index: int(0, 255).optional(),
  targets: z.array(ident),
  size,
  granularity: granularity.default(256),
  base: size.optional(),
  restrictions: int(0, 0xffff).optional(),
  arithmetic: z.enum(['modulo', 'xor']).optional(),
  qtgId: int(0, 0xffff).optional(),
});

const machine = z.strictObject({
  type: z.enum(['q35', 'virt']),
  ramSize: size.default(128n << 20n),
  maxMem: size.optional(),
  slots: int(0, 256).optional(),
  cxl: z.boolean().default(true),
  highmemMmioSize: size.optional(),
  options: z.record(z.string(), z.string()).default({}),
  /** QEMU `-cpu` argument ("qemu64,-hypervisor"); absent: the machine's default CPU. */
  cpu: z.string().optional(),
});

/** The file's machine: `cpu` parsed as QEMU's -cpu (absent: the machine's default CPU). */
function machineFromFile(m: z.infer<typeof machine>): MachineConfig {
  const { cpu, ...rest } = m;
  const out: MachineConfig = { ...rest };
  if (rest.maxMem === undefined) delete out.maxMem;
  if (rest.slots === undefined) delete out.slots;
  if (rest.highmemMmioSize === undefined) delete out.highmemMmioSize;
  if (cpu !== undefined) out.cpu = parseCpuOption(cpu, m.type);
  return out;
}

/** The whole file. */
export const topologyFileSchema = z.strictObject({
  name: z.string().optional(),
  machine,
  hostBridges: z.array(hostBridge).default([]),
  windows: z.array(window).default([]),
  cxims: z.array(z.strictObject({ granularity, xormaps: z.array(u64) })).default([]),
  ignored: z.array(z.string()).default([]),
  mock: z.boolean().optional(),
  mockArgs: z.array(z.string()).optional(),
});

/** Words for a zod issue (after the path). */
function issueText(i: z.core.$ZodIssue): string {
  switch (i.code) {
    case 'invalid_type':
      return `expected ${i.expected}`;
    case 'invalid_value':
      return `expected one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`;
    case 'invalid_union':
      return 'discriminator' in i && i.discriminator
        ? `expected ${String(i.discriminator)} to be one of 'type3', 'type2', 'switch'`
        : 'invalid value';
    case 'too_small':
      return `must not be empty`;
    default:
      return i.message;
  }
}

/** "hostBridges[0].rootPorts[1].port" → ['hostBridges', 0, 'rootPorts', 1, 'port']. */
function parsePath(p: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g))
    out.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return out;
}

/**
 * Offset in the file of the YAML node at `path` (of key `key` inside it, for an unknown key),
 * or of its nearest existing ancestor; undefined when the document has no positions.
 */
function nodeOffset(doc: Document, path: readonly PropertyKey[], key?: string): number | undefined {
  const keys = path.filter((k): k is string | number => typeof k !== 'symbol');
  for (let n = keys.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    if (!isNode(node)) continue;
    if (key !== undefined && n === keys.length && isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === key);
      if (pair && isNode(pair.key) && pair.key.range) return pair.key.range[0];
    }
    if (node.range) return node.range[0];
  }
  return undefined;
}

function baseName(path: string): string {
  const b = path.split('/').pop() ?? path;
  return b.replace(/\.(ya?ml|json)$/i, '') || b;
}

/**
 * Parses a topology file (YAML or JSON).
 * @param path where it came from: names the topology (base name) and is the error's `dev`.
 * @throws EINVAL "invalid YAML: …" or "<field path>: <problem>".
 */
export function parseTopologyFile(text: string, path?: string): Topology {
  // A good file through js-yaml (yaml-fast.ts); anything else through `yaml`, for its errors.
  const fast = loadYamlFast(text);
  if (fast) {
    const r = topologyFileSchema.safeParse(fast.value);
    if (r.success && !checkTopology(r.data)) return topologyOf(r.data, path);
  }
  return parseTopologyYaml(text, path);
}

/**
 * {@link parseTopologyFile} through the `yaml` library alone: every node keeps its position, so
 * an error names FILE:LINE:COL. Same result and errors as parseTopologyFile, ~6× slower on a big
 * file.
 * @throws EINVAL as parseTopologyFile.
 */
export function parseTopologyYaml(text: string, path?: string): Topology {
  const lines = new LineCounter();
  const fail = (msg: string, offset?: number): never => {
    let where = path ?? '';
    if (path !== undefined && offset !== undefined) {
      const { line, col } = lines.linePos(offset);
      where = `${path}:${line}:${col}`;
    }
    throw new Errno('EINVAL', msg, where);
  };
  const doc = parseDocument(text, { intAsBigInt: true, prettyErrors: true, lineCounter: lines });
  const yamlErr = doc.errors[0];
  if (yamlErr) {
    const first = (yamlErr.message.split('\n')[0] ?? '').replace(/:$/, '');
    // With a file, the position moves into the device part ("(FILE:LINE:COL)").
    const text = path !== undefined ? first.replace(/ at line \d+, column \d+$/, '') : first;
    fail(`invalid YAML: ${text}`, yamlErr.pos[0]);
  }
  const raw: unknown = doc.toJS();
  const r = topologyFileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    if (!i) return fail('invalid topology');
    const p = formatPath(i.path);
    const key = i.code === 'unrecognized_keys' ? i.keys[0] : undefined;
    return fail(p ? `${p}: ${issueText(i)}` : issueText(i), nodeOffset(doc, i.path, key));
  }
  const f = r.data;
  const problem = checkTopology(f);
  if (problem) fail(problem, nodeOffset(doc, parsePath(problem.split(': ')[0] ?? '')));
  return topologyOf(f, path);
}

/** The topology of a validated file. */
function topologyOf(f: z.infer<typeof topologyFileSchema>, path: string | undefined): Topology {
  const windows = f.windows
    .map((w, pos) => ({ ...w, index: w.index ?? pos }))
    .sort((a, b) => a.index - b.index);
  const t: Topology = {
    name: f.name ?? (path ? baseName(path) : 'topology'),
    source: path !== undefined ? { kind: 'file', path } : { kind: 'file' },
    machine: machineFromFile(f.machine),
    hostBridges: f.hostBridges,
    windows,
    cxims: f.cxims,
    ignored: f.ignored,
  };
  if (f.mock !== undefined) t.mock = f.mock;
  if (f.mockArgs !== undefined) t.mockArgs = f.mockArgs;
  return t;
}
