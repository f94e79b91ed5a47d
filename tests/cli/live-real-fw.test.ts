/**
 * The REAL ndctl `cxl update-firmware` (ndctl ≥ 78: Debian 13's 81, e.g. from
 * scripts/ndctl81-root with NDCTL_BIN_DIR=DIR/bin) on cxlsim's live /sys: `cxlsim serve` and
 * `cxlsim run -- cxl update-firmware …` on the default preset with the debian-13 profile. The
 * tool writes the image through the FUSE `data` file (writes of up to 128 KiB), the kernel's upload runs
 * over QEMU 10.0's Transfer FW (2 s per part, on the host-time virtual clock) and `--wait` polls
 * the loader until idle: slot 2 ends staged. Needs root, FUSE, a C compiler and a `cxl` of
 * release ≥ 78 ($NDCTL_BIN_DIR/cxl, else the one on PATH); without them it is skipped and says
 * which is missing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MachineState } from '../../src/cli/state.ts';
import { liveServe, missingRealTool } from '../helpers/live-real.ts';

const reason = await missingRealTool(78, 'update-firmware');

describe.skipIf(reason !== undefined)(
  `the real cxl update-firmware through cxlsim run${reason ? ` (skipped: needs ${reason})` : ''}`,
  () => {
    const live = liveServe('cxlsim-real-fw-', 'default', 'debian-13');
    const cxlsim = live.cxlsim;

    it('starts an upload, waits for it, and the device stages slot 2', () => {
      const file = join(live.dir(), 'fw.bin');
      writeFileSync(file, Buffer.alloc(3000, 0x3c));
      const start = cxlsim('run', '--', 'cxl', 'update-firmware', '-F', file, 'mem0');
      expect(start.stderr).toBe(
        'cxl memdev: cmd_update_fw: firmware update started on 1 mem device\n',
      );
      expect(start.code).toBe(0);
      const [started] = JSON.parse(start.stdout);
      expect(started.firmware).toMatchObject({ fw_update_in_progress: true, remaining_size: 3000 });
      // the image reached the kernel through the FUSE data file, and is journaled
      const ops = (
        JSON.parse(readFileSync(join(live.dir(), 'st', 'state.json'), 'utf8')) as MachineState
      ).ops;
      const data = ops.filter((o) => o.kind === 'sysfs-write' && o.path.endsWith('/mem0/data'));
      expect(data.length).toBeGreaterThan(0);
      const wait = cxlsim('run', '--', 'cxl', 'update-firmware', '--wait', 'mem0');
      expect(wait.stderr).toBe(
        'cxl memdev: cmd_update_fw: firmware update completed on 1 mem device\n',
      );
      const [done] = JSON.parse(wait.stdout);
      expect(done.firmware).toMatchObject({
        num_slots: 2,
        active_slot: 1,
        staged_slot: 2,
        slot_2_version: 'BWFW VERSION 1',
        fw_update_in_progress: false,
      });
      expect(done.firmware.remaining_size).toBeUndefined();
    }, 120_000);
  },
);
