/**
 * Every create-region / destroy-region step of the kernel captures (Linux 6.1 + ndctl 76.1),
 * replayed over the capture's own tree of the state before the step, with the kernel's side of
 * the region stores scripted (region-model.ts): exit code, stdout and stderr must equal the
 * guest's byte for byte. Device names need no translation: tree and command come from one boot.
 */
import { describe, expect, it } from 'vitest';
import type { ErrnoName } from '../../src/kernel/errno.ts';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { FakeSysfs } from './fake-sysfs.ts';
import { snapshot, step } from './fixtures.ts';
import { regionKernel } from './region-model.ts';

interface Case {
  step: string;
  base: string;
  after?: string;
  fail?: Array<{ re: RegExp; errno: ErrnoName }>;
}

const CASES: Case[] = [
  {
    step: 'interleave/01-region-2way-hb',
    base: 'interleave/00-boot',
    after: 'interleave/01-region-2way-hb',
  },
  { step: 'interleave/02-destroy-2way-hb', base: 'interleave/01-region-2way-hb' },
  {
    step: 'interleave/03-region-4way',
    base: 'interleave/02-destroy-2way-hb',
    after: 'interleave/03-region-4way',
  },
  { step: 'interleave/04-destroy-4way', base: 'interleave/03-region-4way' },
  {
    step: 'interleave/07-region-2way-rp',
    base: 'interleave/04-destroy-4way',
    after: 'interleave/07-region-2way-rp',
  },
  { step: 'interleave/08-destroy-2way-rp', base: 'interleave/07-region-2way-rp' },
  {
    step: 'interleave-dyndbg/01-region-4way',
    base: 'interleave-dyndbg/00-boot',
    after: 'interleave-dyndbg/01-region-4way',
  },
  { step: 'interleave-dyndbg/02-destroy', base: 'interleave-dyndbg/01-region-4way' },
  { step: 'minimal/01-create-region', base: 'minimal/00-boot', after: 'minimal/01-create-region' },
  { step: 'minimal/05-destroy-region', base: 'minimal/02-create-namespace' },
  { step: 'failures/f01-size-larger-than-window', base: 'failures/00-boot' },
  { step: 'failures/f03-memdev-not-below-decoder', base: 'failures/00-boot' },
  {
    step: 'failures/f05-granularity-invalid',
    base: 'failures/00-boot',
    fail: [{ re: /region0\/interleave_granularity$/, errno: 'EINVAL' }],
  },
  {
    step: 'failures/f07-1way-in-2way-window',
    base: 'failures/00-boot',
    fail: [{ re: /region1\/interleave_ways$/, errno: 'EINVAL' }],
  },
  { step: 'failures/f09-same-memdev-twice', base: 'failures/00-boot' },
  {
    step: 'failures/f11-4way-wrong-order',
    base: 'failures/00-boot',
    fail: [{ re: /region1\/target1$/, errno: 'ENXIO' }],
  },
  { step: 'failures/f13-switch-granularity-256', base: 'failures/00-boot' },
  {
    step: 'failures/f15a-region-hb0',
    base: 'failures/00-boot',
    after: 'failures/f15-after-decoder-busy',
  },
  {
    step: 'failures/f15b-second-region-needs-busy-hb-decoder',
    base: 'failures/f15-after-decoder-busy',
    fail: [{ re: /region1\/target0$/, errno: 'EBUSY' }],
  },
  { step: 'failures/f15c-endpoint-already-in-region', base: 'failures/f15-after-decoder-busy' },
  {
    step: 'failures/f15d-destroy-busy-region-without-force',
    base: 'failures/f15-after-decoder-busy',
  },
  { step: 'failures/f15e-cleanup', base: 'failures/f15-after-decoder-busy' },
  { step: 'failures/f16-no-decoder-given', base: 'failures/00-boot' },
  {
    step: 'failures/f17-no-memdevs-given',
    base: 'failures/00-boot',
    fail: [{ re: /region1\/target0$/, errno: 'ENXIO' }],
  },
];

/** Runs one case; returns the result and the fake for write checks. */
function runCase(c: Case): { r: ReturnType<typeof cxlCommand>; fake: FakeSysfs } {
  const s = step(c.step);
  const fake = new FakeSysfs(snapshot(c.base));
  regionKernel(fake, {
    ...(c.after ? { after: snapshot(c.after) } : {}),
    ...(c.fail ? { fail: c.fail } : {}),
  });
  let n = 0;
  const uuid = (): string => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  const r = cxlCommand(fake, undefined, s.argv, { ndctl: '76.1', isTty: false, uuid });
  return { r, fake };
}

describe('region steps of the captures (ndctl 76.1 over the capture trees)', () => {
  for (const c of CASES) {
    it(`${c.step}: ${step(c.step).cmd}`, () => {
      const s = step(c.step);
      const { r } = runCase(c);
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({
        code: s.rc,
        stdout: s.stdout,
        stderr: s.stderr,
      });
    });
  }
});
