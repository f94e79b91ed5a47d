/**
 * The README's first command on the default profile (`latest`: Linux 7.3, QEMU 11.1, ndctl 85):
 * `cxlsim boot --preset default && cxlsim list -vvv` prints nothing on stderr (a 7.3 guest has the
 * firmware upload device memN/firmware/memN and tracefs, so libcxl's fw loader status and
 * libtracefs's instance both work), and every memdev's firmware, health and alert information
 * is what ndctl 85 printed on the latest `interleave` capture (the default preset's topology).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { cxlList } from '../../src/ndctl/cxl/list.ts';
import { DEFAULT_PROFILE, resolveProfile } from '../../src/profile.ts';
import { getPreset } from '../../src/topology/presets/index.ts';

const CAPTURE = join(
  import.meta.dirname,
  '..',
  '..',
  'sysfs-fixtures/stacks/latest/interleave/00-boot/cxl-list/vvv.json',
);

type Obj = Record<string, unknown>;

/** Every memdev object of a `cxl list` output, in document order. */
function memdevs(x: unknown, out: Obj[] = []): Obj[] {
  if (Array.isArray(x)) for (const v of x) memdevs(v, out);
  else if (x && typeof x === 'object') {
    const o = x as Obj;
    if (typeof o.memdev === 'string') out.push(o);
    for (const v of Object.values(o)) memdevs(v, out);
  }
  return out;
}

/** The memdev's firmware, health and alert information, and its key order. */
const info = (m: Obj) => ({
  keys: Object.keys(m),
  firmware: m.firmware,
  firmware_version: m.firmware_version,
  health: m.health,
  alert_config: m.alert_config,
  partition_info: m.partition_info,
});

describe('cxlsim list -vvv on the default preset and profile', () => {
  const profile = resolveProfile(undefined);
  const m = bootMachine(getPreset('default', profile.qemu), { profile });
  const r = cxlList(m.sysfs, ['-vvv'], { ndctl: profile.ndctl, ioctl: m.ioctl });

  it('runs ndctl 85 on the latest stack and prints nothing on stderr', () => {
    expect(DEFAULT_PROFILE).toBe('latest');
    expect(profile.ndctl).toBe('85');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('prints each memdev’s firmware, health and alert information as the capture does', () => {
    const ours = memdevs(JSON.parse(r.stdout));
    const real = memdevs(JSON.parse(readFileSync(CAPTURE, 'utf8')));
    expect(ours.length).toBe(5);
    expect(real.length).toBe(5);
    // memdev names follow probe order, which differs: compare in serial order
    const bySerial = (a: Obj, b: Obj) => Number(a.serial) - Number(b.serial);
    expect(ours.sort(bySerial).map(info)).toEqual(real.sort(bySerial).map(info));
    expect(ours[0]?.firmware).toMatchObject({ num_slots: 2, fw_update_in_progress: false });
  });
});
