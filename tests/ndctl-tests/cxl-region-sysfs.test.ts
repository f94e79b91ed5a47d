/**
 * ndctl test/cxl-region-sysfs.sh (v85) on the cxl_test preset: an x8 pmem region across the 8
 * memdevs of the two dual-port host bridges, built purely through sysfs — `cxl reserve-dpa`,
 * create_pmem_region, uuid, interleave_ways / granularity, size, target<N> in the hard-coded
 * provisioning order — then every endpoint and switch decoder's geometry checked, commit and
 * de-commit, targets detached and `cxl free-dpa`.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { items, type Json, Sh } from './harness.ts';

const SZ_256M = 256n << 20n;

describe('cxl-region-sysfs.sh', () => {
  const sh = new Sh();
  const dev = (p: string) => `bus/cxl/devices/${p}`;
  let decoder = '';
  let mem: string[] = [];
  let endpoint: string[] = [];
  let region = '';
  let nrTargets = 0;
  let rIg = 0n;
  let regionSize = 0n;
  let regionBase = 0n;

  it('finds the pmem x2 window, its 8 memdevs, and reserves 256 MiB of pmem on each', () => {
    const roots: Json[] = items(sh.json('list', '-b', 'cxl_test', '-D', '-d', 'root'));
    const found = roots.filter((d) => d.pmem_capable === true && d.nr_targets === 2);
    expect(found.length).toBe(1);
    decoder = found[0].decoder;
    mem = items(sh.json('list', '-M', '-d', decoder)).map((m) => m.memdev);
    expect(mem.length).toBe(8);
    const reserved = items(sh.json('reserve-dpa', '-t', 'pmem', ...mem, '-s', String(SZ_256M)));
    endpoint = reserved.map((m) => m.decoder.decoder);
    expect(endpoint.length).toBe(8);
  });

  it('instantiates an empty region and sets its geometry', () => {
    region = sh.cat(dev(`${decoder}/create_pmem_region`)).trim();
    expect(sh.echo(region, dev(`${decoder}/create_pmem_region`))).toBe(true);
    expect(sh.echo(randomUUID(), dev(`${region}/uuid`))).toBe(true);
    nrTargets = endpoint.length;
    expect(sh.echo(String(nrTargets), dev(`${region}/interleave_ways`))).toBe(true);
    rIg = sh.num(dev(`${decoder}/interleave_granularity`));
    expect(sh.echo(String(rIg), dev(`${region}/interleave_granularity`))).toBe(true);
    expect(sh.echo(String(BigInt(nrTargets) * SZ_256M), dev(`${region}/size`))).toBe(true);
  });

  it('attaches the endpoint decoders in provisioning order', () => {
    const targets: Json[] = items(sh.json('list', '-T', '-d', decoder))[0].targets;
    const at = (pos: number) => targets.find((t) => t.position === pos)?.target as string;
    const s0: string[] = items(sh.json('list', '-M', '-p', at(0))).map((m) => m.memdev);
    const s1: string[] = items(sh.json('list', '-M', '-p', at(1))).map((m) => m.memdev);
    // the script's hard-coded order: needs -p <host bridge> to list memdevs grouped by switch
    const memSort = [s0[0], s1[0], s0[2], s1[2], s0[1], s1[1], s0[3], s1[3]] as string[];
    endpoint = memSort.flatMap((m) =>
      items(sh.json('list', '-Di', '-d', 'endpoint', '-m', m))
        .filter((d) => d.mode === 'pmem')
        .map((d) => d.decoder as string),
    );
    expect(endpoint.length).toBe(8);
    endpoint.forEach((e, pos) => {
      expect(sh.echo(e, dev(`${region}/target${pos}`)), `${e} > target${pos}`).toBe(true);
    });
  });

  it('programs every endpoint decoder with the region geometry', () => {
    regionSize = sh.num(dev(`${region}/size`));
    regionBase = sh.num(dev(`${region}/resource`));
    for (const e of endpoint) {
      expect(sh.num(dev(`${e}/interleave_ways`))).toBe(BigInt(nrTargets));
      expect(sh.num(dev(`${e}/interleave_granularity`))).toBe(rIg);
      expect(sh.num(dev(`${e}/size`))).toBe(regionSize);
      expect(sh.num(dev(`${e}/start`))).toBe(regionBase);
    }
  });

  it('programs the 6 switch decoders (4 switches + 2 host bridges) x2 at ig << depth', () => {
    const nrSwitches = nrTargets / 2;
    const nrHostBridges = nrSwitches / 2;
    const json: Json[] = items(sh.json('list', '-D', '-r', region, '-d', 'switch'));
    expect(json.length).toBe(nrSwitches + nrHostBridges);
    for (const d of json) {
      const portId = String(d.decoder).slice('decoder'.length).split('.')[0] as string;
      const depth = BigInt(items(sh.json('list', '-p', portId, '-S'))[0].depth);
      expect(d.interleave_ways).toBe(2);
      expect(BigInt(d.interleave_granularity)).toBe(rIg << depth);
      expect(BigInt(d.size)).toBe(regionSize);
      expect(BigInt(d.resource)).toBe(regionBase);
    }
  });

  it('commits and de-commits, detaches the targets and frees the DPA', () => {
    expect(sh.echo('1', dev(`${region}/commit`))).toBe(true);
    expect(sh.echo('0', dev(`${region}/commit`))).toBe(true);
    endpoint.forEach((_, pos) => {
      expect(sh.echo('', dev(`${region}/target${pos}`))).toBe(true);
    });
    const freed = items(sh.json('free-dpa', '-t', 'pmem', ...mem)).map((m) => m.decoder.decoder);
    expect(freed.length).toBe(8);
    expect(sh.dmesgHasCallTrace()).toBe(false);
  });
});
