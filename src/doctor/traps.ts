/**
 * DOC: known traps of a QEMU line, found from the topology and the profile alone (no guest
 * run): the hypervisor CPUID bit on x86 (predict.ts trapsFor: kernels since 6.12 refuse to
 * commit any region), a host bridge with a single root port on QEMU ≥ 8 without
 * `hdm_for_passthrough=on` (QEMU hides its HDM decoder capability; the kernel falls back to a
 * passthrough decoder — type-3 regions work, but a passed-through type-2 device's
 * firmware-committed decoder cannot be matched by upstream auto-assembly), and devices QEMU
 * accepts outside any CXL hierarchy.
 */
import type { Profile } from '../profile.ts';
import { qemuAtLeast } from '../profile.ts';
import type { HostBridge, Topology } from '../topology/model.ts';
import { trapsFor } from './predict.ts';
import type { Finding } from './types.ts';

/** Ids of the devices below a host bridge. */
function devicesBelow(hb: HostBridge): { id: string; kind: string }[] {
  const out: { id: string; kind: string }[] = [];
  const walk = (d: HostBridge['rootPorts'][number]['child']) => {
    if (!d) return;
    out.push({ id: d.id, kind: d.kind });
    if (d.kind === 'switch') for (const dp of d.downstream) walk(dp.child);
  };
  for (const rp of hb.rootPorts) walk(rp.child);
  return out;
}

/** True when QEMU gives the host bridge no HDM decoders (a single root port, QEMU ≥ 8). */
export function passthroughHostBridge(hb: HostBridge, p: Profile): boolean {
  return qemuAtLeast(p.qemu, '8.0') && hb.rootPorts.length === 1 && hb.hdmForPassthrough !== true;
}

/** The static traps of `t` on `p`, and the devices decoded by passthrough. */
export function staticTraps(
  t: Topology,
  p: Profile,
): { findings: Finding[]; passthrough: string[] } {
  const findings: Finding[] = [];
  const passthrough: string[] = [];
  if (trapsFor(t, p).some((x) => x.id === 'hypervisor'))
    findings.push({
      severity: 'warning',
      kind: 'hypervisor',
      subject: 'cpu',
      message: `the guest CPU shows the hypervisor bit: Linux ${p.kernel} refuses to commit regions ("Failed to synchronize CPU cache state", ndctl: "failed to commit decode: No such device or address")`,
      option: '-cpu …,-hypervisor (e.g. -cpu qemu64,-hypervisor)',
    });
  for (const hb of t.hostBridges) {
    if (!passthroughHostBridge(hb, p)) continue;
    const below = devicesBelow(hb);
    for (const d of below) passthrough.push(`${d.id} (below ${hb.id}, ${d.kind})`);
    const type2 = below.filter((d) => d.kind === 'type2');
    findings.push({
      severity: type2.length > 0 ? 'warning' : 'info',
      kind: 'single-root-port',
      subject: hb.id,
      message:
        type2.length > 0
          ? `host bridge ${hb.id} has one root port and QEMU ${p.qemu} gives it no HDM decoders: the firmware-committed decoder of ${type2.map((d) => d.id).join(', ')} cannot be matched by the kernel's auto-assembly`
          : `host bridge ${hb.id} has one root port: QEMU ${p.qemu} gives it no HDM decoders and the kernel uses a passthrough decoder (regions still work)`,
      option: `-device pxb-cxl,...,id=${hb.id},hdm_for_passthrough=on`,
    });
  }
  for (const o of t.outsideCxl ?? [])
    findings.push({
      severity: 'info',
      kind: 'outside-cxl',
      subject:
        o
          .split(',')
          .find((x) => x.startsWith('id='))
          ?.slice(3) ?? o,
      message: `${o}: QEMU accepts it, but no CXL host bridge decodes for it (no CXL port, no region)`,
      option: 'bus= (a cxl-rp or cxl-downstream below a pxb-cxl)',
    });
  return { findings, passthrough };
}
