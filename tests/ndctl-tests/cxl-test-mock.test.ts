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
