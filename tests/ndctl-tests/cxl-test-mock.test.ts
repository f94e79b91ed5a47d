/**
 * The cxl_test preset as the real mock lays it out (tools/testing/cxl/test/cxl.c cxl_test_init(),
 * mock_cxl_enumerate_decoders()), per kernel version:
 * - names: host bridges `cxl_host_bridge.N` under /sys/devices/platform (with cxl_test_init()'s
 *   `physical_node` self link; the RCH's `firmware_node`), root ports `cxl_root_port.N`, switch
 *   uports `cxl_switch_uport.N`, switch dports `cxl_switch_dport.N`, memdevs `cxl_mem.N` — what
 *   libcxl reports as `host`, `parent_dport` and root decoder targets, and what
 *   cxl-topology.sh's `cxl list -M -p <switch host>` filters by (a BDF there parses as port 0);
 * - the pre-6.3 mock's idle host-bridge / switch decoders: ways = target count (2), granularity
 *   4096, target list = the uport's dports in registration order (map_targets()), so that 6.1's
 *   decoder_populate_targets() registers them; 6.3+ keeps the idle decoders 1-way;
 * - the 6.12 auto region (mock_init_hdm_decoder()) is assembled.
 */
import { describe, expect, it } from 'vitest';
import { items, type Json, Sh } from './harness.ts';

const SWITCHES = 5;
const HOST_BRIDGES = 3;
const MEMDEVS = 10;

describe('cxl_test mock naming', () => {
  const sh = new Sh('cxl_test', '6.12');
  const bus = items(sh.json('list', '-BP', '-b', 'cxl_test'))[0] as Json;
  const ports = bus['ports:root0'] as Json[];
  const switches = ports.flatMap((p) => (p[`ports:${p.port}`] ?? []) as Json[]);

  it('host bridge ports are hosted by cxl_host_bridge.N', () => {
    expect(ports).toHaveLength(HOST_BRIDGES);
    expect(ports.map((p) => p.host).sort()).toEqual([0, 1, 2].map((i) => `cxl_host_bridge.${i}`));
  });

  it('switch ports are hosted by cxl_switch_uport.N below cxl_root_port.N', () => {
    expect(switches).toHaveLength(SWITCHES);
    for (const p of switches) {
      const n = /^cxl_switch_uport\.(\d)$/.exec(p.host)?.[1];
      expect(n, p.host).toBeDefined();
      // cxl_switch_uport.i sits on cxl_root_port.i
      expect(p.parent_dport).toBe(`cxl_root_port.${n}`);
    }
  });

  it('memdevs are hosted by cxl_mem.N (serial N) and cxl list -M -p <switch host> finds 2', () => {
    const mems = items(sh.json('list', '-M'));
    expect(mems).toHaveLength(MEMDEVS);
    for (const m of mems) expect(m.host).toBe(`cxl_mem.${m.serial}`);
    for (let i = 0; i < SWITCHES; i++)
      expect(items(sh.json('list', '-M', '-p', `cxl_switch_uport.${i}`))).toHaveLength(2);
  });

  it('the sysfs tree is the mock platform devices', () => {
    const base = '/sys/devices/platform/cxl_host_bridge.0';
    expect(sh.m.sysfs.readlink(`${base}/physical_node`)).toBe('../cxl_host_bridge.0');
    expect(sh.m.sysfs.readlink('/sys/devices/platform/cxl_host_bridge.3/firmware_node')).toBe(
      '../cxl_host_bridge.3',
    );
    const mem = `${base}/cxl_root_port.0/cxl_switch_uport.0/cxl_switch_dport.0/cxl_mem.0`;
    expect(sh.m.sysfs.readdir(mem)).toContain('event_trigger');
  });

  it('the 6.12 auto region is assembled', () => {
    const r = sh.json('list', '-R', '-u');
    expect(r?.decode_state).toBe('commit');
    expect(r?.interleave_ways).toBe(2);
  });
});

describe('cxl_test mock decoders per kernel version', () => {
  /** Every idle (size 0) host-bridge and switch decoder of a boot: [name, ways, target_list]. */
  const idle = (sh: Sh): [string, number, string][] => {
    const out: [string, number, string][] = [];
    for (const d of sh.m.sysfs.readdir('/sys/bus/cxl/devices')) {
      const dir = `/sys/bus/cxl/devices/${d}`;
      if (!/^decoder[1-9]\d*\.\d$/.test(d) || !sh.m.sysfs.readdir(dir).includes('target_list'))
        continue;
      if (sh.num(`${dir}/size`) !== 0n) continue;
      out.push([d, Number(sh.num(`${dir}/interleave_ways`)), sh.cat(`${dir}/target_list`).trim()]);
    }
    return out;
  };

  it('6.1: idle decoders target every dport of the port, ways 2 (map_targets)', () => {
    const sh = new Sh('cxl_test', '6.1');
    expect(sh.m.kernel.log.lines.some((l) => l.text.includes('Failed to add decoder'))).toBe(false);
    const all = idle(sh);
    expect(sh.m.kernel.log.lines.some((l) => l.text.includes('passthrough'))).toBe(false);
    // the single-port host bridge gets the mock's 8 decoders too, not 6.1's passthrough
    // decoder (mock_cxl_port_enumerate_dports() returns 0): target count 2, ways 2, target map
    // {4, 0}; decoder_populate_targets() stops at the missing dport 0, which an idle decoder
    // survives, so target_list shows the one root port
    const pass = all.filter(([, , tl]) => tl === '4');
    expect(pass).toHaveLength(8);
    for (const [name, ways] of pass) expect(ways, name).toBe(2);
    const dec = all.filter(([, , tl]) => tl !== '4');
    // 5 dual-dport switches + 2 dual-port host bridges, 8 decoders each, none committed
    expect(dec).toHaveLength((SWITCHES + 2) * 8);
    for (const [name, ways, tl] of dec) {
      expect(ways, name).toBe(2);
      expect(tl.split(','), name).toHaveLength(2);
    }
    const bus = items(sh.json('list', '-BP', '-b', 'cxl_test'))[0] as Json;
    const hb1 = (bus['ports:root0'] as Json[]).find((p) => p.host === 'cxl_host_bridge.1');
    const id = String(hb1?.port).replace('port', '');
    expect(sh.cat(`/sys/bus/cxl/devices/decoder${id}.1/target_list`).trim()).toBe('1,3');
  });

  it('6.12: idle decoders stay 1-way', () => {
    const dec = idle(new Sh('cxl_test', '6.12'));
    expect(dec.length).toBeGreaterThan(0);
    for (const [name, ways] of dec) expect(ways, name).toBe(1);
  });
});

describe('cxl_test mock devices on the platform bus (cxl.c cxl_test_init(), mem.c)', () => {
  const sh = new Sh('cxl_test', '6.12');
  const fs = sh.m.sysfs;
  const plat = '/sys/bus/platform/devices';
  // 3 host bridges + the RCH, 5 root ports, 5 switch uports, 10 switch dports, 10 memdevs
  const MOCK_DEVICES = 4 + 5 + 5 + 10 + MEMDEVS;

  it('every mock device is on /sys/bus/platform and none is on /sys/bus/pci', () => {
    const names = fs.readdir(plat);
    const mock = names.filter((n) =>
      /^cxl_(host_bridge|root_port|switch_uport|switch_dport|mem|rcd)\.\d+$/.test(n),
    );
    expect(mock).toHaveLength(MOCK_DEVICES);
    expect(names).toContain('cxl_acpi.0');
    expect(fs.readdir('/sys/bus/pci/devices')).toEqual([]);
    for (const n of mock) {
      expect(fs.readlink(`${plat}/${n}/subsystem`), n).toMatch(/\/bus\/platform$/);
      const kind = n.replace(/\.\d+$/, '');
      expect(sh.cat(`${plat}/${n}/modalias`), n).toBe(`platform:${kind}\n`);
      expect(sh.cat(`${plat}/${n}/driver_override`), n).toBe('(null)\n');
      expect(fs.readdir(`${plat}/${n}`), n).toContain('power');
      // no PCI attributes on a platform device
      expect(fs.readdir(`${plat}/${n}`), n).not.toContain('config');
    }
  });

  it('memdevs bind cxl_mock_mem; the other mock devices have no driver', () => {
    const drv = '/sys/bus/platform/drivers/cxl_mock_mem';
    const bound = fs.readdir(drv).filter((n) => n.startsWith('cxl_mem.'));
    expect(bound).toHaveLength(MEMDEVS);
    expect(fs.readlink(`${drv}/module`)).toMatch(/\/module\/cxl_mock_mem$/);
    const mem = `${plat}/cxl_mem.0`;
    expect(fs.readlink(`${mem}/driver`)).toMatch(/\/bus\/platform\/drivers\/cxl_mock_mem$/);
    expect(sh.cat(`${mem}/uevent`)).toBe('DRIVER=cxl_mock_mem\nMODALIAS=platform:cxl_mem\n');
    expect(sh.cat(`${plat}/cxl_root_port.0/uevent`)).toBe('MODALIAS=platform:cxl_root_port\n');
    expect(fs.readdir(`${plat}/cxl_switch_dport.0`)).not.toContain('driver');
    // memN hangs below its mock device, as `cxl list` reports its host
    const memdev = fs.readdir(mem).find((n) => /^mem\d+$/.test(n)) as string;
    const m = items(sh.json('list', '-m', memdev))[0];
    expect(m?.host).toBe('cxl_mem.0');
    // mem.c mock_id()'s firmware revision
    expect(m?.firmware_version).toBe('mock fw v1 ');
  });

  it("cxl_mock_mem's attributes follow mem.c", () => {
    const mem = `${plat}/cxl_mem.1`;
    expect(fs.readdir(mem)).toEqual(
      expect.arrayContaining(['security_lock', 'event_trigger', 'fw_buf_checksum']),
    );
    expect(sh.cat(`${mem}/security_lock`)).toBe('0\n');
    // security_lock_store(): 1 without a user passphrase is ENXIO, anything else EINVAL
    expect(() => fs.write(`${mem}/security_lock`, '1\n')).toThrow(
      expect.objectContaining({ code: 'ENXIO' }),
    );
    expect(() => fs.write(`${mem}/security_lock`, '0\n')).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    expect(sh.cat(`${mem}/sanitize_timeout`)).toBe('0\n');
    expect(sh.echo('0x10', `${mem}/sanitize_timeout`)).toBe(true);
    expect(sh.cat(`${mem}/sanitize_timeout`)).toBe('16\n');
    expect(() => fs.write(`${mem}/sanitize_timeout`, 'soon\n')).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    // no image received yet: the sha256 of nothing
    expect(sh.cat(`${mem}/fw_buf_checksum`)).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n',
    );
  });

  it('unbinding cxl_mock_mem removes its attributes and the memdev; a bind adds them again', () => {
    const s = new Sh('cxl_test', '6.12');
    const mem = `${plat}/cxl_mem.2`;
    const memN = (ls: string[]) => ls.filter((n) => /^mem\d+$/.test(n));
    const before = memN(s.m.sysfs.readdir(mem));
    expect(before).toHaveLength(1);
    expect(s.echo('cxl_mem.2', '/sys/bus/platform/drivers/cxl_mock_mem/unbind')).toBe(true);
    const left = s.m.sysfs.readdir(mem);
    expect(left).not.toContain('event_trigger');
    expect(left).not.toContain('driver');
    expect(memN(left)).toEqual([]);
    expect(items(s.json('list', '-M'))).toHaveLength(MEMDEVS - 1);
    // only the mock's memdevs match the driver (platform_match() by cxl_mock_mem_ids)
    expect(s.echo('cxl_root_port.0', '/sys/bus/platform/drivers/cxl_mock_mem/bind')).toBe(false);
    expect(s.echo('cxl_mem.2', '/sys/bus/platform/drivers/cxl_mock_mem/bind')).toBe(true);
    const again = s.m.sysfs.readdir(mem);
    expect(again).toContain('event_trigger');
    expect(memN(again)).toEqual(before);
    expect(items(s.json('list', '-M'))).toHaveLength(MEMDEVS);
  });

  it('driver_override decides which driver a mock device binds (platform_match())', () => {
    const s = new Sh('cxl_test', '6.12');
    const drv = '/sys/bus/platform/drivers/cxl_mock_mem';
    const ov = `${plat}/cxl_mem.3/driver_override`;
    expect(s.echo('cxl_mem.3', `${drv}/unbind`)).toBe(true);
    expect(s.echo('cxl_acpi', ov)).toBe(true);
    expect(s.cat(ov)).toBe('cxl_acpi\n');
    expect(s.echo('cxl_mem.3', `${drv}/bind`)).toBe(false);
    expect(() => s.m.sysfs.write(ov, 'x'.repeat(4096))).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    // an empty value clears it
    expect(s.echo('', ov)).toBe(true);
    expect(s.cat(ov)).toBe('(null)\n');
    expect(s.echo('cxl_mem.3', `${drv}/bind`)).toBe(true);
    expect(s.m.sysfs.readdir(`${plat}/cxl_mem.3`)).toContain('driver');
  });

  it("6.1's cxl_mock_mem has none of the attributes", () => {
    const old = new Sh('cxl_test', '6.1');
    const ls = old.m.sysfs.readdir(`${plat}/cxl_mem.0`);
    for (const a of ['security_lock', 'event_trigger', 'fw_buf_checksum', 'sanitize_timeout'])
      expect(ls, a).not.toContain(a);
    expect(ls).toContain('driver');
  });
});

describe("the mock's event records (mem.c cxl_mock_add_event_logs())", () => {
  const sh = new Sh('cxl_test', '6.12');
  const t = 'kernel/tracing';
  expect(sh.echo('1', `${t}/events/cxl/enable`)).toBe(true);
  expect(sh.echo('1', `${t}/tracing_on`)).toBe(true);
  // twice: the second trigger replays the same records with the same handles
  for (let i = 0; i < 2; i++) {
    expect(sh.echo('', `${t}/trace`)).toBe(true);
    expect(sh.echo('1', '/sys/bus/platform/devices/cxl_mem.0/event_trigger')).toBe(true);
  }
  const lines = sh
    .cat(`${t}/trace`)
    .split('\n')
    .filter((l) => / cxl_\w+: /.test(l));

  it('21 records and one overflow per trigger, handles from 1, no timestamps', () => {
    // 3 informational, 15 failure (2 more overflow), 2 fatal
    expect(lines.filter((l) => !l.includes('cxl_overflow'))).toHaveLength(20);
    expect(lines.filter((l) => l.includes('cxl_overflow'))).toHaveLength(1);
    expect(lines.find((l) => l.includes('cxl_overflow'))).toMatch(/log=Failure : 2 records/);
    for (const l of lines.filter((x) => !x.includes('cxl_overflow'))) expect(l).toMatch(/time=0 /);
    const failHandles = lines
      .filter((l) => l.includes('log=Failure') && !l.includes('cxl_overflow'))
      .map((l) => Number.parseInt(/ handle=([0-9a-f]+)/.exec(l)?.[1] ?? '', 16));
    expect(failHandles).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });

  it('vendor, DRAM and memory module records carry the mock values', () => {
    const hw = lines.find((l) => l.includes('uuid=abcdefeb-ba11-ba5e-a55a-a55aa5a55aa5'));
    // handles print as %x
    expect(hw).toMatch(/flags='HARDWARE_REPLACEMENT_NEEDED' handle=[0-9a-f]+ related_handle=b6a5 /);
    expect(hw).toMatch(/ : de ad be ef 00/);
    const maint = lines.find((l) => l.includes('uuid=ba5eba11-abcd-efeb-a55a-a55aa5a55aa5'));
    expect(maint).toMatch(/related_handle=a5b6 /);
    const dram = lines.find((l) => l.includes('cxl_dram:'));
    expect(dram).toMatch(/flags='PERFORMANCE_DEGRADED'/);
    expect(dram).toMatch(/ dpa=8000 .* column=44510 /);
    const mod = lines.find((l) => l.includes('cxl_memory_module:'));
    expect(mod).toMatch(/event_type='Temperature Change'/);
  });
});
