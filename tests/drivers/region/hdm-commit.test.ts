/**
 * Guest-side HDM programming (hdm-commit.ts) as seen on the MMIO bus: the register order of a
 * commit (base, size, target list or DPA skip, control last) and of a reset (control, size,
 * base), bottom-up commit and top-down reset across a region's chain, the in-order rule, and
 * the Error-Not-Committed / timeout paths (driven by the control register the bus returns).
 */
import { describe, expect, it } from 'vitest';
import type { BootedMachine } from '../../../src/boot.ts';
import {
  type CxlDecoder,
  CxlEndpointDecoder,
  CxlRootDecoder,
  CxlSwitchDecoder,
} from '../../../src/drivers/cxl/core/decoder.ts';
import { COMMIT_TIMEOUT_MS, cxlDecoderCommit } from '../../../src/drivers/cxl/core/hdm-commit.ts';
import type { CxlMemdev } from '../../../src/drivers/cxl/core/memdev.ts';
import { hostBridgeDport } from '../../../src/drivers/cxl/core/region/region.ts';
import {
  CTRL_COMMIT,
  CTRL_COMMIT_ERROR,
  CTRL_COMMITTED,
  hdmBaseHigh,
  hdmBaseLow,
  hdmCtrl,
  hdmSizeHigh,
  hdmSizeLow,
  hdmTlHigh,
  hdmTlLow,
} from '../../../src/drivers/cxl/cxl.ts';
import { Errno } from '../../../src/kernel/errno.ts';
import {
  B,
  bootReshaped,
  epDecoder,
  logSince,
  ndctlCreateRegion,
  regionDev,
  sysw,
} from './helpers.ts';

const GiB = 1n << 30n;

/** Records MMIO writes (decoder-register names) while `f` runs. */
function recordWrites(
  m: BootedMachine,
  f: () => void,
): { dec: CxlDecoder; reg: string; value: number }[] {
  const mmio = m.platform.bus.mmio;
  const orig = mmio.write32.bind(mmio);
  const decs = (m.kernel.buses.get('cxl')?.devices ?? []).filter(
    (d): d is CxlSwitchDecoder | CxlEndpointDecoder =>
      d instanceof CxlSwitchDecoder || d instanceof CxlEndpointDecoder,
  );
  const names: [string, (i: number) => number][] = [
    ['BASE_HI', hdmBaseHigh],
    ['BASE_LO', hdmBaseLow],
    ['SIZE_HI', hdmSizeHigh],
    ['SIZE_LO', hdmSizeLow],
    ['CTRL', hdmCtrl],
    ['TL_HI', hdmTlHigh],
    ['TL_LO', hdmTlLow],
  ];
  const out: { dec: CxlDecoder; reg: string; value: number }[] = [];
  mmio.write32 = (addr: bigint, value: number) => {
    for (const d of decs) {
      const hdm = d.port.hdm;
      if (!hdm) continue;
      for (const [n, off] of names) {
        if (hdm.base + BigInt(off(d.id)) === addr) {
          const reg = d instanceof CxlEndpointDecoder ? n.replace('TL', 'SKIP') : n;
          out.push({ dec: d, reg, value });
        }
      }
    }
    orig(addr, value);
  };
  try {
    f();
  } finally {
    mmio.write32 = orig;
  }
  return out;
}

/** A 1-way root decoder whose target is `memdev`'s host bridge. */
function oneWayRootFor(m: BootedMachine, memdev: string): string {
  const md = m.kernel.buses.get('cxl')?.devices.find((d) => d.name === memdev) as CxlMemdev;
  const cxled = md.endpoint?.decoders()[0] as CxlEndpointDecoder;
  for (const d of md.endpoint?.root().decoders() ?? []) {
    if (
      d instanceof CxlRootDecoder &&
      d.interleaveWays === 1 &&
      d.targets[0] === hostBridgeDport(cxled, d.port)
    )
      return d.name;
  }
  throw new Error(`no 1-way window for ${memdev}`);
}

describe('HDM commit and reset through MMIO (latest, 4 decoders per component)', () => {
  const m = bootReshaped('latest', { volatileSize: 0n, persistentSize: GiB, decoders: 4 });

  it('commits a region bottom-up, each decoder base, size, list/skip, control last', () => {
    const root = oneWayRootFor(m, 'mem0');
    let region = '';
    const writes = recordWrites(m, () => {
      const r = ndctlCreateRegion(m, root, ['mem0'], { granularity: 4096 });
      expect(r.failed).toBeUndefined();
      region = r.region;
    });
    const order = writes.map((w) => `${w.dec.name}:${w.reg}`);
    const chain = [...new Set(writes.map((w) => w.dec))];
    expect(chain[0]).toBeInstanceOf(CxlEndpointDecoder);
    for (let i = 1; i < chain.length; i++)
      expect(chain[i]?.port.depth).toBeLessThan(chain[i - 1]?.port.depth ?? 0);
    const expected = chain.flatMap((d) => {
      const l = d instanceof CxlEndpointDecoder ? 'SKIP' : 'TL';
      return ['BASE_HI', 'BASE_LO', 'SIZE_HI', 'SIZE_LO', `${l}_HI`, `${l}_LO`, 'CTRL'].map(
        (r) => `${d.name}:${r}`,
      );
    });
    expect(order).toEqual(expected);
    for (const w of writes.filter((x) => x.reg === 'CTRL')) {
      expect(w.value & CTRL_COMMIT).toBe(CTRL_COMMIT);
      expect(w.dec.enabled).toBe(true);
    }
    const r = regionDev(m, region);
    const res = r.params.res as { start: bigint };
    const base = writes.filter((w) => w.reg === 'BASE_LO' || w.reg === 'BASE_HI');
    expect(
      base.every(
        (w) => w.value === Number(w.reg === 'BASE_HI' ? res.start >> 32n : res.start & 0xffffffffn),
      ),
    ).toBe(true);
  });

  it('resets top-down on de-commit: control first, then size and base zeroed, with reap lines', () => {
    const region = m.sysfs.readdir(B).find((d) => /^region\d+$/.test(d)) as string;
    const mark = m.kernel.log.mark();
    const writes = recordWrites(m, () => expect(sysw(m, `${B}/${region}/commit`, '0')).toBe('ok'));
    const chain = [...new Set(writes.map((w) => w.dec))];
    expect(chain[chain.length - 1]).toBeInstanceOf(CxlEndpointDecoder);
    expect(writes.map((w) => `${w.dec.name}:${w.reg}`)).toEqual(
      chain.flatMap((d) =>
        ['CTRL', 'SIZE_HI', 'SIZE_LO', 'BASE_HI', 'BASE_LO'].map((x) => `${d.name}:${x}`),
      ),
    );
    expect(writes.filter((w) => w.reg !== 'CTRL').every((w) => w.value === 0)).toBe(true);
    expect(logSince(m, mark)).toEqual(
      chain.map((d) => `<7>cxl_port ${d.port.name}: reap: ${d.name} commit_end: -1`),
    );
    for (const d of chain) expect(d.enabled).toBe(false);
  });

  it('refuses an out-of-order commit before touching a register', () => {
    const d1 = m.kernel.buses
      .get('cxl')
      ?.devices.find((d) => d.name === epDecoder(m, 'mem0', 1)) as CxlEndpointDecoder;
    const port = d1.port;
    const mark = m.kernel.log.mark();
    const writes = recordWrites(m, () => expect(() => cxlDecoderCommit(d1)).toThrow(Errno));
    expect(writes).toEqual([]);
    expect(logSince(m, mark)).toEqual([
      `<7>cxl_port ${port.name}: ${d1.name}: out of order commit, expected decoder${port.id}.0`,
    ]);
  });

  for (const [name, ctrlBits, code, rc] of [
    ['Error Not Committed', CTRL_COMMIT_ERROR, 'EIO', -5],
    ['no answer', 0, 'ETIMEDOUT', -110],
  ] as const) {
    it(`${name}: the commit fails with ${code}, commit_end stays advanced as in hdm.c`, () => {
      const d0 = m.kernel.buses
        .get('cxl')
        ?.devices.find((d) => d.name === epDecoder(m, 'mem1', 0)) as CxlEndpointDecoder;
      const port = d0.port;
      const hdm = port.hdm;
      if (!hdm) throw new Error('no hdm');
      const ctrlAddr = hdm.base + BigInt(hdmCtrl(d0.id));
      const mmio = m.platform.bus.mmio;
      const read = mmio.read32.bind(mmio);
      let polls = 0;
      mmio.read32 = (a: bigint) => {
        if (a !== ctrlAddr) return read(a);
        polls++;
        return polls === 1 ? read(a) : ((read(a) & ~CTRL_COMMITTED) | ctrlBits) >>> 0;
      };
      const before = port.commitEnd;
      d0.hpaRange = { start: 0x10000000n, end: 0x1fffffffn };
      const mark = m.kernel.log.mark();
      try {
        expect(() => cxlDecoderCommit(d0)).toThrow(expect.objectContaining({ code }));
      } finally {
        mmio.read32 = read;
      }
      expect(polls).toBe(ctrlBits ? 2 : COMMIT_TIMEOUT_MS + 1);
      expect(logSince(m, mark)).toEqual([
        `<7>cxl_port ${port.name}: ${d0.name}: error ${rc} committing decoder`,
      ]);
      expect(d0.enabled).toBe(false);
      expect(port.commitEnd).toBe(before + 1);
      port.commitEnd = before;
      d0.hpaRange = { start: 0n, end: -1n };
    });
  }
});
