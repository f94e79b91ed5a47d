/**
 * The firmware upload class device driven by the cxl memdev's ops over QEMU's Transfer / Activate
 * FW (kernel sysfs_upload.c fw_upload_main() + drivers/cxl/core/memdev.c cxl_fw_*; QEMU
 * cmd_firmware_update_transfer() / _activate()): states, remaining_size per chunk, the slot the
 * device stages, cancel, empty images, and the profiles without the device or the commands.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { msleep } from '../../src/drivers/workqueue.ts';
import { isErrno } from '../../src/kernel/errno.ts';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { resolveProfile } from '../../src/profile.ts';
import { getPreset } from '../../src/topology/presets/index.ts';

/** QEMU's mailbox payload (2048) less the Transfer FW header (128): bytes per part. */
const CHUNK = 1920;

function boot(profileName = 'latest', over: { kernel?: string; qemuVersion?: string } = {}) {
  const profile = resolveProfile(profileName, over);
  const m = bootMachine(getPreset('default', profile.qemu), { profile });
  const dir = 'bus/cxl/devices/mem0/firmware/mem0';
  const cat = (f: string): string => {
    try {
      return String(m.sysfs.read(`${dir}/${f}`));
    } catch (e) {
      if (isErrno(e)) return e.code;
      throw e;
    }
  };
  const fwJson = () =>
    JSON.parse(
      cxlCommand(m.sysfs, m.ioctl, ['list', '-m', 'mem0', '-F'], { ndctl: profile.ndctl }).stdout,
    )[0]?.firmware;
  const upload = (bytes: number) => {
    m.sysfs.write(`${dir}/loading`, '1\n');
    if (bytes) m.sysfs.write(`${dir}/data`, Buffer.alloc(bytes, 0xa5).toString('latin1'));
    m.sysfs.write(`${dir}/loading`, '0\n');
  };
  /** Seconds of guest time until the loader is idle again (sleeping 1 s at a time). */
  const waitIdle = (): number => {
    let s = 0;
    while (cat('status') !== 'idle\n') {
      msleep(m.kernel, 1000);
      s++;
      if (s > 100_000) throw new Error('upload never ended');
    }
    return s;
  };
  return { m, dir, cat, fwJson, upload, waitIdle };
}

describe('firmware upload over QEMU 11.1 (latest profile)', () => {
  it('walks receiving/transferring → idle, one 1920-byte part per 2 s, and stages slot 2', () => {
    const t = boot();
    expect(t.cat('status')).toBe('idle\n');
    expect(t.cat('loading')).toBe('0\n');
    expect(t.fwJson()).toMatchObject({ num_slots: 2, active_slot: 1 });
    expect(t.fwJson().staged_slot).toBeUndefined();
    t.upload(3 * CHUNK + 100);
    // the worker has sent the Initiate part and waits for QEMU's 2 s background transfer
    expect(t.cat('status')).toBe('transferring\n');
    expect(t.cat('loading')).toBe('1\n');
    expect(t.cat('error')).toBe('EBUSY');
    expect(t.cat('remaining_size')).toBe(`${3 * CHUNK + 100}\n`);
    const json = t.fwJson();
    expect(json.fw_update_in_progress).toBe(true);
    expect(json.remaining_size).toBe(3 * CHUNK + 100);
    msleep(t.m.kernel, 2500);
    expect(t.cat('remaining_size')).toBe(`${2 * CHUNK + 100}\n`);
    // a second load while one runs is refused
    expect(() => t.m.sysfs.write(`${t.dir}/loading`, '0\n')).toThrow(
      expect.objectContaining({ code: 'EBUSY' }),
    );
    const waited = t.waitIdle();
    expect(waited).toBeGreaterThanOrEqual(5);
    expect(t.cat('remaining_size')).toBe('0\n');
    expect(t.cat('error')).toBe('');
    expect(t.cat('loading')).toBe('0\n');
    expect(t.fwJson()).toMatchObject({
      num_slots: 2,
      active_slot: 1,
      staged_slot: 2,
      slot_2_version: 'BWFW VERSION 1',
      fw_update_in_progress: false,
    });
  });

  it('an image under one part goes as one Full transfer (QEMU: 10 s)', () => {
    const t = boot();
    t.upload(1000);
    expect(t.waitIdle()).toBeGreaterThanOrEqual(10);
    expect(t.fwJson().staged_slot).toBe(2);
  });

  it('parts: ceil(size / 1920) transfers, remaining_size falls by 1920 each (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: CHUNK + 1, max: 6 * CHUNK }), (size) => {
        const t = boot();
        t.upload(size);
        const seen: number[] = [];
        while (t.cat('status') !== 'idle\n') {
          const r = Number(t.cat('remaining_size'));
          if (seen.at(-1) !== r) seen.push(r);
          msleep(t.m.kernel, 1000);
        }
        const parts = Math.ceil(size / CHUNK);
        expect(seen).toEqual(Array.from({ length: parts }, (_, i) => size - i * CHUNK));
        expect(t.fwJson().staged_slot).toBe(2);
      }),
      { numRuns: 4 },
    );
  });

  it('cancel stops the transfer: transferring:user-abort, bytes left, the device aborted', () => {
    const t = boot();
    t.upload(10 * CHUNK);
    msleep(t.m.kernel, 3500);
    t.m.sysfs.write(`${t.dir}/cancel`, '1\n');
    t.waitIdle();
    expect(t.cat('error')).toBe('transferring:user-abort\n');
    expect(Number(t.cat('remaining_size'))).toBeGreaterThan(0);
    expect(t.fwJson().staged_slot).toBeUndefined();
    // cancel when idle: ENODEV; a false value: EINVAL
    expect(() => t.m.sysfs.write(`${t.dir}/cancel`, '1\n')).toThrow(
      expect.objectContaining({ code: 'ENODEV' }),
    );
    expect(() => t.m.sysfs.write(`${t.dir}/cancel`, '0\n')).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    // cancel_store() calls the driver's cancel() even when idle: the CXL_FW_CANCEL bit it set
    // cancels the next upload in cxl_fw_prepare()
    t.upload(2 * CHUNK);
    t.waitIdle();
    expect(t.cat('error')).toBe('preparing:user-abort\n');
    expect(t.cat('remaining_size')).toBe(`${2 * CHUNK}\n`);
    // the aborted transfer left QEMU ready for a new one
    t.upload(2 * CHUNK);
    t.waitIdle();
    expect(t.cat('error')).toBe('');
    expect(t.fwJson().staged_slot).toBe(2);
  });

  it('a guest that stalls over 30 s between parts loses the transfer (QEMU: invalid input)', () => {
    const t = boot();
    t.upload(4 * CHUNK);
    // the Initiate part completes at the 2 s timer tick (host time adds a little to each step)
    msleep(t.m.kernel, 2500);
    expect(t.cat('remaining_size')).toBe(`${3 * CHUNK}\n`);
    // 40 s pass while the worker does not run (bus.delay alone runs no kernel work)
    t.m.platform?.bus.delay?.(40_000);
    t.waitIdle();
    expect(t.cat('error')).toBe('transferring:read-write-error\n');
    expect(t.fwJson().staged_slot).toBeUndefined();
    // QEMU dropped the partial transfer: a new upload starts cleanly
    t.upload(2 * CHUNK);
    t.waitIdle();
    expect(t.cat('error')).toBe('');
    expect(t.fwJson().staged_slot).toBe(2);
  });

  it('an empty load, an abort (-1) and data outside a load change nothing', () => {
    const t = boot();
    t.upload(0);
    expect(t.cat('status')).toBe('idle\n');
    t.m.sysfs.write(`${t.dir}/loading`, '1\n');
    t.m.sysfs.write(`${t.dir}/data`, 'abc');
    t.m.sysfs.write(`${t.dir}/loading`, '-1\n');
    expect(t.cat('loading')).toBe('0\n');
    expect(() => t.m.sysfs.write(`${t.dir}/data`, 'abc')).toThrow(
      expect.objectContaining({ code: 'ENODEV' }),
    );
    expect(t.cat('status')).toBe('idle\n');
    expect(t.fwJson().staged_slot).toBeUndefined();
  });
});

describe('per profile', () => {
  it('Linux 6.1 (debian-12) has no firmware upload device', () => {
    const t = boot('debian-12');
    expect(t.m.sysfs.readdir('bus/cxl/devices/mem0')).not.toContain('firmware');
  });

  it('debian-13 (Linux 6.12, QEMU 10.0) updates as the latest stack does', () => {
    const t = boot('debian-13');
    t.upload(2 * CHUNK);
    t.waitIdle();
    expect(t.cat('error')).toBe('');
    expect(t.fwJson()).toMatchObject({ active_slot: 1, staged_slot: 2 });
  });

  it('QEMU 7.2 has no Transfer FW: the upload fails transferring:read-write-error', () => {
    const t = boot('latest', { qemuVersion: '7.2' });
    t.upload(2 * CHUNK);
    t.waitIdle();
    expect(t.cat('error')).toBe('transferring:read-write-error\n');
  });
});
