/**
 * DOC: `cxlsim export --qemu` — a topology as a QEMU command line (src/export/qemu.ts): the
 * booted machine's, or `--preset NAME` / `--topology FILE`'s. `--qemu-version V` picks the QEMU
 * the line is for (default: the machine's profile, else latest). What QEMU cannot express is
 * one EOPNOTSUPP line naming it, exit 1.
 *
 *   cxlsim export --qemu --preset default --qemu-version 7.2 -o default.qemu
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { topologyToQemu } from '../../export/qemu.ts';
import { Errno } from '../../kernel/errno.ts';
import { resolveProfile } from '../../profile.ts';
import { readText } from '../../topology/load.ts';
import type { Topology } from '../../topology/model.ts';
import { getPreset } from '../../topology/presets/index.ts';
import { parseTopologyFile } from '../../topology/schema.ts';
import { type CliContext, withMachine } from '../session.ts';

/** Options of `cxlsim export`. */
export interface ExportArgs {
  qemu?: boolean;
  qemuVersion?: string;
  preset?: string;
  topology?: string;
  output?: string;
}

/** Runs `cxlsim export`. */
export async function exportCommand(ctx: CliContext, o: ExportArgs): Promise<number> {
  if (!o.qemu) throw new Errno('EINVAL', 'cxlsim: say what to export: --qemu');
  if (o.preset !== undefined && o.topology !== undefined)
    throw new Errno('EINVAL', 'give only one of --preset and --topology');
  const qemuOf = (dflt: string) =>
    resolveProfile('latest', { qemuVersion: o.qemuVersion ?? dflt }).qemu;
  let t: Topology;
  let qemu: ReturnType<typeof qemuOf>;
  if (o.preset !== undefined || o.topology !== undefined) {
    qemu = qemuOf(resolveProfile(undefined).qemu);
    t =
      o.preset !== undefined
        ? getPreset(o.preset, qemu)
        : parseTopologyFile(readText(resolve(ctx.io.cwd, o.topology as string)), o.topology);
  } else {
    const m = await withMachine(ctx, ({ machine }) => machine);
    t = m.topology;
    qemu = qemuOf(m.profile.qemu);
  }
  const line = topologyToQemu(t, { qemu });
  if (o.output && o.output !== '-') {
    writeFileSync(resolve(ctx.io.cwd, o.output), line);
    ctx.io.out(`wrote ${o.output}: QEMU ${qemu} command line for ${t.name}\n`);
  } else ctx.io.out(line);
  return 0;
}
