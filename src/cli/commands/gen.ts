/**
 * DOC: `cxlsim gen` — write a generated topology file (src/topology/generate.ts) that
 * `cxlsim boot --topology FILE` boots.
 *
 *   cxlsim gen --host-bridges 4 --root-ports 8 --switch-levels 1 --fanout 8 -o big.yaml
 *   cxlsim gen --endpoints 4096 -o 4k.yaml        # a balanced shape with exactly 4096 devices
 *
 * The shape options and `--endpoints` combine: with all four shape options `--endpoints`
 * spreads that many devices over the shape; with `--endpoints` alone the balanced shape of
 * shapeForEndpoints() is used; the shape options default to 1 host bridge, 1 root port, no
 * switch, fanout 1. The shape's needs (devices, bus numbers, segments, windows, address bits)
 * are checked before anything is built, and the YAML is parsed back as `boot` parses it
 * before it is written, so gen never writes a topology boot refuses. Without `-o` (or with `-o -`) the YAML goes to stdout; with `-o` a summary
 * line goes to stdout. The machine is not touched. Bad values are one-line EINVAL errors
 * naming the option.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ERRNO, Errno, type ErrnoName } from '../../kernel/errno.ts';
import {
  endpointCount,
  type GenOptions,
  generateTopology,
  parseWindowSpec,
  shapeForEndpoints,
} from '../../topology/generate.ts';
import { qemuStrtosz } from '../../topology/qemu-size.ts';
import { parseTopologyFile } from '../../topology/schema.ts';
import { topologyToYaml } from '../../topology/serialize.ts';
import type { CliIo } from '../io.ts';

/** Options of `cxlsim gen` as commander hands them over (strings). */
export interface GenArgs {
  hostBridges?: string;
  rootPorts?: string;
  switchLevels?: string;
  fanout?: string;
  endpoints?: string;
  windows?: string;
  granularity?: string;
  deviceSize?: string;
  seed?: string;
  name?: string;
  output?: string;
}

/** A decimal integer option. @throws EINVAL "--OPT: 'V' is not an integer" */
function int(opt: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(v))
    throw new Errno('EINVAL', `--${opt}: '${v}' is not a non-negative integer`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Errno('EINVAL', `--${opt}: '${v}' is too large`);
  return n;
}

/**
 * The generator options for the command line (see the DOC block).
 * @throws EINVAL for a malformed number, size or window list
 */
export function genOptions(a: GenArgs): GenOptions {
  const shape = {
    hostBridges: int('host-bridges', a.hostBridges),
    rootPorts: int('root-ports', a.rootPorts),
    switchLevels: int('switch-levels', a.switchLevels),
    fanout: int('fanout', a.fanout),
  };
  const endpoints = int('endpoints', a.endpoints);
  const anyShape = Object.values(shape).some((v) => v !== undefined);
  let o: GenOptions;
  if (endpoints !== undefined && !anyShape) o = shapeForEndpoints(endpoints);
  else {
    o = {
      hostBridges: shape.hostBridges ?? 1,
      rootPorts: shape.rootPorts ?? 1,
      switchLevels: shape.switchLevels ?? 0,
      fanout: shape.fanout ?? 1,
    };
    if (endpoints !== undefined) o.endpoints = endpoints;
  }
  if (a.windows !== undefined) o.windows = parseWindowSpec(a.windows);
  const granularity = int('granularity', a.granularity);
  if (granularity !== undefined) o.granularity = granularity;
  const seed = int('seed', a.seed);
  if (seed !== undefined) o.seed = seed;
  if (a.deviceSize !== undefined) {
    const r = qemuStrtosz(a.deviceSize, 'M');
    if (!r.ok) throw new Errno('EINVAL', `--device-size: '${a.deviceSize}' is not a size`);
    o.deviceSize = r.value;
  }
  if (a.name !== undefined) o.name = a.name;
  return o;
}

/** Writes the file. @throws Errno "cannot write FILE: <strerror>" */
function writeOut(cwd: string, file: string, text: string): void {
  try {
    writeFileSync(resolve(cwd, file), text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    const name: ErrnoName = code in ERRNO ? (code as ErrnoName) : 'EIO';
    throw new Errno(name, `cannot write ${file}: ${ERRNO[name][1]}`);
  }
}

/** Runs `cxlsim gen`; returns the exit code. */
export async function genCommand(io: CliIo, a: GenArgs): Promise<number> {
  const o = genOptions(a);
  const t = generateTopology(o);
  const text = topologyToYaml(t);
  // what `boot --topology` does with the file: a topology it refuses is never written
  parseTopologyFile(text, a.output);
  if (a.output === undefined || a.output === '-') {
    io.out(text);
    return 0;
  }
  writeOut(io.cwd, a.output, text);
  const segments = new Set(t.hostBridges.map((h) => h.segment)).size;
  io.out(
    `${a.output}: ${t.name}: ${endpointCount(o)} type-3 devices below ${t.hostBridges.length} host bridges (${segments} PCI segment${segments === 1 ? '' : 's'}), ${t.windows.length} windows\n`,
  );
  return 0;
}
