/**
 * The filter semantics of cxl/filter.c that reference/cxl-cli.md calls out, on the interleave
 * topology (03-region-4way: mem0/mem2 below ACPI0016:00, mem1/mem3 below the switch of
 * ACPI0016:01, mem4 on its second root port; region1 across both host bridges). Each run here was
 * checked equal to the real ndctl 76.1 (shared/tools/real-cxl-list) during development; most are
 * also among the recordings replayed by real-ndctl.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { cxlList } from '../../src/ndctl/cxl/list.ts';
import { mboxShim } from '../helpers/mbox-shim.ts';
import { goldenView } from './golden.ts';

const view = goldenView('interleave/03-region-4way', null, {});
const run = (...args: string[]) => cxlList(view, args, { ndctl: '76.1', ioctl: mboxShim(view) });

type Obj = Record<string, unknown>;

/** Every value of `key` anywhere in the output, in output order. */
function names(stdout: string, key: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Obj)) {
        if (k === key && typeof x === 'string') out.push(x);
        walk(x);
      }
    }
  };
  walk(stdout ? JSON.parse(stdout) : null);
  return out;
}

describe('filter tokens', () => {
  it('split on spaces when there is one, else on commas, and OR together', () => {
    expect(names(run('-M', '-m', 'mem0,mem3').stdout, 'memdev').sort()).toEqual(['mem0', 'mem3']);
    expect(names(run('-M', '-m', 'mem0 mem3').stdout, 'memdev').sort()).toEqual(['mem0', 'mem3']);
    expect(names(run('-M', '-m', 'all').stdout, 'memdev')).toHaveLength(5);
  });

  it('match a host name that starts with digits as id 0 too (sscanf "%d" quirk)', () => {
    // mem1's host is 0000:0f:00.0; "0000:0f:00.0" also reads as the number 0, i.e. mem0
    expect(names(run('-M', '-m', '0000:0f:00.0').stdout, 'memdev')).toEqual(['mem0', 'mem1']);
  });

  it('parse serials with strtoull(…, 0) and ignore malformed ones', () => {
    expect(names(run('-s', '0x3').stdout, 'memdev')).toEqual(['mem4']);
    expect(names(run('-s', '3').stdout, 'memdev')).toEqual(['mem4']);
    expect(run('-s', '3x').stderr).toBe('  Warning: no matching devices found\n\n');
  });
});

describe('implied object types', () => {
  it('a filter alone lists its own type, in single mode', () => {
    expect(names(run('-p', 'port2').stdout, 'port')).toEqual(['port2']);
    expect(names(run('-P', '-p', 'port2').stdout, 'port')).toEqual(['port2', 'port5']);
    expect(names(run('-d', 'decoder0.1').stdout, 'decoder')).toEqual(['decoder0.1']);
  });

  it('-P -p root -S is -B, and -P -p endpoint is -E', () => {
    expect(run('-P', '-p', 'root', '-S')).toEqual(run('-B'));
    expect(run('-P', '-p', 'endpoint')).toEqual(run('-E'));
  });

  it('no include flag means regions and memdevs, in containers', () => {
    const top = JSON.parse(run().stdout) as Obj[];
    expect(top.map((o) => Object.keys(o)[0])).toEqual(['memdevs', 'regions']);
  });
});

describe('association by sysfs path', () => {
  it('memdevs below a root decoder are those its targets reach', () => {
    expect(names(run('-M', '-d', 'decoder0.0').stdout, 'memdev')).toEqual(['mem4', 'mem3', 'mem1']);
    expect(names(run('-M', '-d', 'decoder0.2').stdout, 'memdev')).toEqual(['mem2', 'mem0']);
    expect(names(run('-M', '-d', 'decoder0.1').stdout, 'memdev')).toHaveLength(5);
  });

  it('-m filters decoder targets and port dports to the memdev path', () => {
    const t = JSON.parse(run('-D', '-T', '-m', 'mem0').stdout) as Array<Record<string, Obj[]>>;
    const root = (t[0]?.['root decoders'] ?? []) as Array<{ decoder: string; targets?: Obj[] }>;
    expect(root.map((d) => [d.decoder, (d.targets ?? []).map((x) => x.target)])).toEqual([
      ['decoder0.1', ['ACPI0016:00']],
      ['decoder0.2', ['ACPI0016:00']],
    ]);
    expect(names(run('-P', '-T', '-m', 'mem0').stdout, 'dport')).toEqual(['0000:40:00.0']);
  });

  it('regions filter by port in ancestry mode from their root decoder', () => {
    expect(names(run('-R', '-p', 'port1').stdout, 'region')).toEqual([]);
    expect(names(run('-R', '-p', 'root0').stdout, 'region')).toEqual(['region1']);
  });
});

describe('ordering', () => {
  it('prints targets and mappings from the highest position down', () => {
    const r = JSON.parse(run('-R', '-T').stdout) as Array<{
      mappings: Array<{ position: number }>;
    }>;
    expect(r[0]?.mappings.map((m) => m.position)).toEqual([3, 2, 1, 0]);
  });

  it('keeps decoders sorted by id', () => {
    expect(names(run('-D', '-d', 'root').stdout, 'decoder')).toEqual([
      'decoder0.0',
      'decoder0.1',
      'decoder0.2',
    ]);
  });
});
