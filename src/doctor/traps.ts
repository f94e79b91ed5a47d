/**
 * DOC: known traps of a QEMU line, found from the topology and the profile alone (no guest
 * run): the hypervisor CPUID bit on x86 (predict.ts trapsFor: kernels since 6.12 refuse to
 * commit any region), a host bridge with a single root port on QEMU ≥ 8 without
 * `hdm_for_passthrough=on` (QEMU hides its HDM decoder capability; the kernel falls back to a
 * passthrough decoder — type-3 regions work), a passed-through type-2 device (its
 * firmware-committed decoder cannot be matched by upstream auto-assembly through a host bridge
 * nobody programs), and devices QEMU accepts outside any CXL hierarchy.
 */

import { qemuHas } from '../hw/qemu-compat.ts';
import type { Profile } from '../profile.ts';
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

/**
 * True when QEMU gives the host bridge no HDM decoders: a single root port and no
 * `hdm_for_passthrough=on`, on a QEMU with `QEMU_COMPAT.hdmForPassthrough` (as hw/dev/host-bridge.ts).
 */
export function passthroughHostBridge(hb: HostBridge, p: Profile): boolean {
  return (
    qemuHas(p.qemu, 'hdmForPassthrough') &&
    hb.rootPorts.length === 1 &&
    hb.hdmForPassthrough !== true
  );
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
    const below = devicesBelow(hb);
    const type2 = below.filter((d) => d.kind === 'type2').map((d) => d.id);
    const pt = passthroughHostBridge(hb, p);
    if (pt) for (const d of below) passthrough.push(`${d.id} (below ${hb.id}, ${d.kind})`);
    if (type2.length > 0) {
      // The vfio-cxl VMM writes only the endpoint's decoder 0 (hw/vmm/placement.ts); the guest's
      // find_pos_and_ways() needs a decoder in the host bridge whose range equals it: a
      // passthrough decoder has none before a region is activated, HDM decoders nobody commits
      // neither. No option of the QEMU line changes that.
      findings.push({
        severity: 'warning',
        kind: 'type2-auto-assembly',
        subject: hb.id,
        message: `${type2.join(', ')}: the VMM commits only the endpoint's decoder 0 and host bridge ${hb.id} ${pt ? `is passthrough (one root port, no HDM decoders on QEMU ${p.qemu})` : 'has HDM decoders nobody commits'}: Linux ${p.kernel}'s auto-assembly finds no decoder mapping the range ("failed to find decoder mapping", -ENXIO) and the device gets no region`,
        option:
          'none on the QEMU line (hdm_for_passthrough=on leaves the host bridge decoders uncommitted and fails the same way)',
      });
      continue;
    }
    if (!pt) continue;
    findings.push({
      severity: 'info',
      kind: 'single-root-port',
      subject: hb.id,
      message: `host bridge ${hb.id} has one root port: QEMU ${p.qemu} gives it no HDM decoders and the kernel uses a passthrough decoder (regions still work)`,
      option: `-device pxb-cxl,...,id=${hb.id},hdm_for_passthrough=on`,
    });
  }
  for (const d of t.rootBus ?? [])
    findings.push({
      severity: 'warning',
      kind: 'root-bus-type3',
      subject: d.id,
      message: `cxl-type3 '${d.id}' is on pcie.0: QEMU accepts it and the guest's cxl_pci registers a memdev for it, but cxl_mem finds no CXL port above it ("at memN no parent for dport: pci0000:00", -ENXIO): no endpoint, no region; \`cxl list -M\` shows it only with -i`,
      option: `-device cxl-type3,...,id=${d.id},bus=<a cxl-rp or cxl-downstream below a pxb-cxl>`,
    });
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
