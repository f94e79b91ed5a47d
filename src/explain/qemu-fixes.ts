/**
 * DOC: fixes on the QEMU side of a failed region attempt — the user's QEMU command line edited
 * and verified by booting the edited line (parsed by QEMU's rules for the profile's version,
 * then a fresh guest) and running the same attempt on it. Edits, by failing check:
 *
 * * the window is too small for the request (`hpa`: "exceeds max available space", HPA
 *   allocation failures): `cxl-fmw.N.size` raised to the next power of two that holds it;
 * * the commit is refused (`commit`) on an x86 guest whose CPU shows the hypervisor bit:
 *   `-cpu …,-hypervisor`;
 * * a host bridge with a single root port on QEMU ≥ 8 (no HDM decoders, passthrough) on the
 *   request's path: `hdm_for_passthrough=on` on that pxb-cxl.
 *
 * The edited line is verified on a fresh boot (the attempts before this one are not replayed
 * on it); only edits that make the attempt succeed there are reported as verified.
 */

import { SZ_256M } from '../drivers/cxl/cxl.ts';
import { qemuHas } from '../hw/qemu-compat.ts';
import type { Machine } from '../machine.ts';
import type { Topology } from '../topology/model.ts';
import { parseQemuCommandLine } from '../topology/qemu-cmdline.ts';
import type { Classified } from './classify.ts';
import type { RegionRequest } from './request.ts';
import { rootDecoders } from './topo.ts';
import { type Attempt, runAttempt } from './trial.ts';
import type { Fix } from './types.ts';

/** What a QEMU-side fix needs: the line as given, and a way to boot a topology. */
export interface QemuFixContext {
  machine: Machine;
  qemuText: string;
  boot(t: Topology): Promise<Machine>;
}

/** ndctl's size syntax ("8G", "0x200000000", "512M") → bytes; undefined when unreadable. */
function sizeOf(s: string | undefined): bigint | undefined {
  if (s === undefined) return undefined;
  const m = /^(0x[0-9a-f]+|\d+)([kmgt]?)$/i.exec(s.trim());
  if (!m?.[1]) return undefined;
  const exp = ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
  return BigInt(m[1]) * (1n << BigInt(10 * Math.max(0, exp)));
}

function sizeText(b: bigint): string {
  const G = 1n << 30n;
  return b % G === 0n ? `${b / G}G` : `${b / (1n << 20n)}M`;
}

interface Edit {
  description: string;
  text: string;
}

/** The window (cxl-fmw index) of root decoder `name`: root decoders follow the CFMWS order. */
function windowOf(m: Machine, name: string | undefined): number | undefined {
  const i = rootDecoders(m).findIndex((d) => d.name === name);
  const w = [...m.topology.windows].sort((a, b) => a.index - b.index)[i];
  return w?.index;
}

function sizeEdit(ctx: QemuFixContext, req: RegionRequest | undefined): Edit | undefined {
  const n = windowOf(ctx.machine, req?.root);
  const w = ctx.machine.topology.windows.find((x) => x.index === n);
  if (n === undefined || !w) return undefined;
  const want = sizeOf(req?.size) ?? w.size * 2n;
  let size = SZ_256M;
  while (size < want || size <= w.size) size *= 2n;
  const re = new RegExp(`(cxl-fmw\\.${n}\\.size=)([^,\\s]+)`);
  if (!re.test(ctx.qemuText)) return undefined;
  return {
    description: `QEMU: a bigger window, cxl-fmw.${n}.size=${sizeText(size)} (was ${sizeText(w.size)})`,
    text: ctx.qemuText.replace(re, `$1${sizeText(size)}`),
  };
}

function cpuEdit(ctx: QemuFixContext): Edit | undefined {
  if (ctx.machine.topology.machine.type === 'virt') return undefined;
  const m = /(-cpu\s+)(\S+)/.exec(ctx.qemuText);
  if (m?.[2]?.split(',').includes('-hypervisor')) return undefined;
  const text = m
    ? ctx.qemuText.replace(/(-cpu\s+)(\S+)/, `$1$2,-hypervisor`)
    : `${ctx.qemuText.trimEnd()} -cpu qemu64,-hypervisor\n`;
  return {
    description: `QEMU: hide the hypervisor CPUID bit (-cpu ${m?.[2] ?? 'qemu64'},-hypervisor) so the kernel can invalidate CPU caches at commit`,
    text,
  };
}

function hdmEdits(ctx: QemuFixContext): Edit[] {
  const t = ctx.machine.topology;
  if (!qemuHas(ctx.machine.profile.qemu, 'hdmForPassthrough')) return [];
  const out: Edit[] = [];
  for (const hb of t.hostBridges) {
    if (hb.rootPorts.length !== 1 || hb.hdmForPassthrough) continue;
    const re = new RegExp(
      `(pxb-cxl,[^\\s]*\\bid=${hb.id.replace(/\./g, '\\.')}(?![\\w.-])[^\\s]*)`,
    );
    if (!re.test(ctx.qemuText)) continue;
    out.push({
      description: `QEMU: give host bridge ${hb.id} its HDM decoders (hdm_for_passthrough=on)`,
      text: ctx.qemuText.replace(re, '$1,hdm_for_passthrough=on'),
    });
  }
  return out;
}

/**
 * QEMU-side fixes for a failed attempt, each verified by booting the edited line.
 * @returns verified fixes only, with the edited line in `qemu`
 */
export async function qemuFixes(
  ctx: QemuFixContext,
  attempt: Attempt,
  c: Classified | undefined,
  req: RegionRequest | undefined,
): Promise<Fix[]> {
  const edits: Edit[] = [];
  if (c?.id === 'hpa') {
    const e = sizeEdit(ctx, req);
    if (e) edits.push(e);
  }
  if (c?.id === 'commit') {
    const e = cpuEdit(ctx);
    if (e) edits.push(e);
  }
  edits.push(...hdmEdits(ctx));
  const out: Fix[] = [];
  for (const e of edits) {
    let t: Topology;
    try {
      t = parseQemuCommandLine(e.text, { qemu: ctx.machine.profile.qemu });
    } catch {
      continue;
    }
    const m = await ctx.boot(t);
    if (!runAttempt(m, attempt).ok) continue;
    out.push({
      description: `${e.description} — the edited line boots and the same command succeeds on it`,
      commands: [
        'cxlsim boot --qemu <the edited line>',
        ...(attempt.kind === 'command' ? [`cxlsim ${attempt.argv.join(' ')}`] : []),
      ],
      verified: true,
      qemu: e.text,
    });
  }
  return out;
}
