/**
 * The kernel's asynchronous sanitize (drivers/cxl/pci.c __cxl_pci_mbox_send_cmd() sanitize
 * branch, cxl_pci_mbox_irq(), cxl_mbox_sanitize_work(); core/memdev.c security_state_show())
 * over QEMU's Sanitize (cmd_sanitize_overwrite(), get_sanitize_duration()), on the virtual clock:
 * - the write returns at once and security/state reads "sanitize" until QEMU's timer completes
 *   the command (its MSI-X kicks the poll work), then "disabled";
 * - 6.7+ (debian-13's 6.12, latest's 7.3): a second sanitize and any other command but Get
 *   Health Info get EBUSY from the driver ("Failed to get security state : -16");
   (the 6.5–6.6 variant of RAS_KVER.sanitizeActive is on no modelled kernel, so not tested here);
 * - `cxl wait-sanitize` waits for it, and `-t` shorter than the sanitize times out.
 */
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { msleep } from '../../src/drivers/workqueue.ts';
import { sanitizeDurationSecs } from '../../src/hw/regs/mailbox/sanitize.ts';
import { isErrno } from '../../src/kernel/errno.ts';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import { getPreset } from '../../src/topology/presets/index.ts';

function boot(profileName: string, over: { kernel?: string } = {}) {
  const profile = resolveProfile(profileName, over);
  const m = bootMachine(getPreset('default', profile.qemu), { profile });
  const fns = [...(m.platform?.functions().values() ?? [])];
  const t3 = fns.find((f) => f.kind === 'type3');
  if (t3?.device.kind !== 'type3') throw new Error('no type-3 device');
  const dev = t3.device.state;
  const clock = (): bigint => dev.clock.now();
  const mem = 'mem0';
  const sec = `bus/cxl/devices/${mem}/security`;
  const state = (): string => String(m.sysfs.read(`${sec}/state`));
  const write = (path: string): string => {
    try {
      m.sysfs.write(path, '1\n');
      return 'ok';
    } catch (e) {
      if (isErrno(e)) return e.code;
      throw e;
    }
  };
  const sanitize = () => write(`${sec}/sanitize`);
  const dmesg = () => m.kernel.log.lines.map((l) => l.text);
  const cxl = (...argv: string[]) =>
    cxlCommand(m.sysfs, m.ioctl, argv, {
      ndctl: profile.ndctl,
      sleep: (ms) => msleep(m.kernel, ms),
    });
  // every type-3 device of the preset has the same capacity: QEMU's duration for it (ms)
  const durationMs =
    sanitizeDurationSecs((dev.volatileSize + dev.persistentSize) / (1n << 20n)) * 1000;
  return { m, clock, state, write, sanitize, dmesg, cxl, mem, durationMs };
}

/** Sleeps 100 ms at a time until security/state leaves "sanitize"; the virtual ms it took. */
function waitDisabled(b: ReturnType<typeof boot>): number {
  const t0 = b.clock();
  for (let i = 0; b.state() === 'sanitize\n'; i++) {
    if (i > 100_000) throw new Error('sanitize never ended');
    msleep(b.m.kernel, 100);
  }
  return Number((b.clock() - t0) / 1_000_000n);
}

const ASYNC_PROFILES = ['latest', 'debian-13'];

describe('asynchronous sanitize, kernel ≥ 6.7', () => {
  it.each(ASYNC_PROFILES)('%s: state "sanitize" until QEMU completes it, then "disabled"', (p) => {
    const b = boot(p);
    expect(b.state()).toBe('disabled\n');
    const t0 = b.clock();
    expect(b.sanitize()).toBe('ok');
    // the write returned long before QEMU's duration
    expect(Number((b.clock() - t0) / 1_000_000n)).toBeLessThan(b.durationMs);
    expect(b.state()).toBe('sanitize\n');
    // a second one: the driver refuses Get Security State while the sanitize is polled
    expect(b.sanitize()).toBe('EBUSY');
    expect(b.dmesg().some((l) => l.endsWith('Failed to get security state : -16'))).toBe(true);
    // other commands too (Get Poison List through trigger_poison_list)
    expect(b.write(`bus/cxl/devices/${b.mem}/trigger_poison_list`)).toBe('EBUSY');
    const took = waitDisabled(b);
    const total = Number((b.clock() - t0) / 1_000_000n);
    // QEMU completes at its first 1 s timer tick at or after the duration; the interrupt runs
    // the poll work at once (the 100 ms sleeps see it within one step)
    expect(total).toBeGreaterThanOrEqual(b.durationMs);
    expect(total).toBeLessThan(b.durationMs + 1000 + 200);
    expect(took).toBeGreaterThan(0);
    expect(b.state()).toBe('disabled\n');
    // the mailbox is free again
    expect(b.write(`bus/cxl/devices/${b.mem}/trigger_poison_list`)).toBe('ok');
    expect(b.sanitize()).toBe('ok');
  });

  it('cxl wait-sanitize waits for the end; -t shorter than the sanitize times out', () => {
    const b = boot('latest');
    expect(b.sanitize()).toBe('ok');
    const short = b.cxl('wait-sanitize', b.mem, '-t', '1000');
    expect(short.code).toBe(1);
    expect(short.stderr).toBe(
      'cxl memdev: cmd_wait_sanitize: wait sanitize failed on 0 mem device\n',
    );
    const t0 = b.clock();
    const r = b.cxl('wait-sanitize', b.mem);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'cxl memdev: cmd_wait_sanitize: wait sanitize completed on 1 mem device\n',
    );
    expect(b.state()).toBe('disabled\n');
    // it waited the rest of QEMU's duration
    expect(Number((b.clock() - t0) / 1_000_000n)).toBeGreaterThan(b.durationMs - 1000 - 200);
    // nothing to wait for now
    const t1 = b.clock();
    expect(b.cxl('wait-sanitize', b.mem).code).toBe(0);
    expect(Number((b.clock() - t1) / 1_000_000n)).toBeLessThan(100);
  });
});
