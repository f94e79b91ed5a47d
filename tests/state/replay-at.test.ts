/**
 * Live ops carry their guest time (`at`, src/state/ops.ts): a journal made by `cxlsim serve`
 * while a sanitize ran — the sanitize, a second one refused with EBUSY one second later, a
 * trigger_poison_list once QEMU finished (30 s later) — replays to the same outcomes, because
 * the replay lets the guest run until each op's time; the same ops without `at` (as a one-shot
 * process that lets the sanitize end before the next op) do not, and the replay names the op.
 * A malformed `at` is refused when the state file is read.
 */
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { guestNow } from '../../src/drivers/workqueue.ts';
import { resolveProfile } from '../../src/profile.ts';
import { StateError } from '../../src/state/errors.ts';
import { type JournalOp, opKind } from '../../src/state/ops.ts';
import { replay } from '../../src/state/replay.ts';
import { getPreset } from '../../src/topology/presets/index.ts';

const profile = resolveProfile('latest');
const boot = () => bootMachine(getPreset('default', profile.qemu), { profile });
const SAN = 'bus/cxl/devices/mem0/security/sanitize';
const TPL = 'bus/cxl/devices/mem0/trigger_poison_list';

function ops(t0: bigint | undefined): JournalOp[] {
  const at = (ms: number) => (t0 === undefined ? {} : { at: String(t0 + BigInt(ms) * 1_000_000n) });
  return [
    { kind: 'sysfs-write', path: SAN, value: '1\n', ...at(0) },
    { kind: 'sysfs-write', path: SAN, value: '1\n', fails: 'EBUSY', ...at(1000) },
    { kind: 'sysfs-write', path: TPL, value: '1\n', ...at(30_000) },
  ];
}

describe('replay of live ops with their guest time', () => {
  it('reproduces an op refused while a sanitize ran, and the ones after it ended', () => {
    const m = boot();
    const t0 = guestNow(m.kernel) as bigint;
    const out = replay(m, ops(t0), 'state.json');
    expect(String(out.sysfs.read('bus/cxl/devices/mem0/security/state'))).toBe('disabled\n');
    // the guest ran until the last op's time
    expect((guestNow(out.kernel) as bigint) - t0).toBeGreaterThanOrEqual(30_000_000_000n);
  });

  it('without `at` the sanitize ends before the next op: the journaled EBUSY is not met', () => {
    expect(() => replay(boot(), ops(undefined), 'state.json')).toThrow(StateError);
    expect(() => replay(boot(), ops(undefined), 'state.json')).toThrow(/operation 2, /);
  });

  it('a malformed `at` is refused', () => {
    const bad = { kind: 'sysfs-write', path: SAN, value: '1\n', at: '-5' };
    expect(opKind(bad as JournalOp).check(bad)).toBe('at is not a guest time in ns');
    const good = { ...bad, at: '12' };
    expect(opKind(good as JournalOp).check(good)).toBeUndefined();
  });
});
