/**
 * 6.1's decoder_populate_targets() under cxl_decoder_add_locked() (drivers/cxl/core/port.c):
 * the target map is resolved slot by slot up to the first id that is not a dport of the port
 * (-ENXIO); only an enabled decoder fails on that ("Failed to populate active decoder targets",
 * then hdm.c's "Failed to add decoder" and "Failed to add decoder to port"), an idle one is
 * registered with the slots resolved so far. Two cases, on the cxl_test single-root-port host
 * bridge (dport 4 only) of Linux 6.1.
 */
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { CxlSwitchDecoder } from '../../src/drivers/cxl/core/decoder.ts';
import { addHdmDecoder } from '../../src/drivers/cxl/core/hdm.ts';
import { CxlPort } from '../../src/drivers/cxl/core/port.ts';
import { CXL_DECODER_F_ENABLE } from '../../src/drivers/cxl/cxl.ts';
import { isErrno } from '../../src/kernel/errno.ts';
import { resolveProfile } from '../../src/profile.ts';
import { getPreset } from '../../src/topology/presets/index.ts';

describe('decoder_populate_targets() on 6.1', () => {
  const profile = resolveProfile('debian-12');
  const boot = () => {
    const m = bootMachine(getPreset('cxl_test', profile.qemu, profile.kernel), { profile });
    const port = (m.kernel.buses.get('cxl')?.devices ?? []).find(
      (d): d is CxlPort => d instanceof CxlPort && d.uportDev.name === 'cxl_host_bridge.2',
    );
    if (!port) throw new Error('no port for cxl_host_bridge.2');
    expect(port.dports.map((d) => d.portId)).toEqual([4]);
    return { m, port };
  };
  const fresh = (port: CxlPort): CxlSwitchDecoder => {
    const d = new CxlSwitchDecoder(port, port.decoderIda.alloc(), 2);
    d.interleaveWays = 2;
    d.interleaveGranularity = 4096;
    return d;
  };
  const cases = ['idle', 'enabled'] as const;

  it('builds 2 cases', () => expect(cases).toHaveLength(2));

  it('idle: registered with the slots before the missing dport', () => {
    const { m, port } = boot();
    const before = m.kernel.log.lines.length;
    const d = fresh(port);
    addHdmDecoder(port, d, [4, 0, 0, 0, 0, 0, 0, 0]);
    expect(d.targets[0]?.portId).toBe(4);
    expect(d.targets[1]).toBeUndefined();
    expect(m.sysfs.readdir('/sys/bus/cxl/devices')).toContain(d.name);
    expect(String(m.sysfs.read(`/sys/bus/cxl/devices/${d.name}/target_list`)).trim()).toBe('4');
    expect(m.kernel.log.lines.slice(before).map((l) => l.text)).not.toContainEqual(
      expect.stringContaining('Failed'),
    );
  });

  it('enabled: ENXIO with the three messages on the port', () => {
    const { m, port } = boot();
    const before = m.kernel.log.lines.length;
    const d = fresh(port);
    d.flags |= CXL_DECODER_F_ENABLE;
    let err: unknown;
    try {
      addHdmDecoder(port, d, [4, 0, 0, 0, 0, 0, 0, 0]);
    } catch (e) {
      err = e;
    }
    expect(isErrno(err) && err.code).toBe('ENXIO');
    const lines = m.kernel.log.lines.slice(before).map((l) => l.text);
    const p = `cxl_port ${port.name}: `;
    expect(lines).toEqual([
      `${p}Failed to populate active decoder targets`,
      `${p}Failed to add decoder`,
      `${p}Failed to add decoder to port`,
    ]);
    expect(m.sysfs.readdir('/sys/bus/cxl/devices')).not.toContain(d.name);
  });
});
