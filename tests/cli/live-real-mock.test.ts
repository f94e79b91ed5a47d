/**
 * The REAL ndctl (≥ 79: Debian 13's 81, NDCTL_BIN_DIR from scripts/ndctl81-root) on the
 * cxl_test preset's live /sys through `cxlsim serve` + `cxlsim run`: the mock's devices are
 * platform devices (tools/testing/cxl/test/cxl.c cxl_test_init(), mem.c cxl_mock_mem), so the
 * real `cxl list` reports `"host":"cxl_mem.N"` and the mock's attributes are read and written
 * under /sys/bus/platform/devices/cxl_mem.N as ndctl's cxl-events.sh, cxl-sanitize.sh and
 * cxl-update-firmware.sh do; a triggered event burst reads back in full through the mount
 * (tracefs files are not cut at 4096 bytes). Needs root, FUSE, a C compiler and the real tool;
 * skipped otherwise, saying which is missing.
 */
import { describe, expect, it } from 'vitest';
import { liveServe, missingRealTool } from '../helpers/live-real.ts';

const reason = await missingRealTool(79, 'wait-sanitize');

describe.skipIf(reason !== undefined)(
  `the real cxl on the cxl_test mock's platform devices${reason ? ` (skipped: needs ${reason})` : ''}`,
  () => {
    const live = liveServe('cxlsim-real-mock-', 'cxl_test', 'debian-13');
    const cxlsim = live.cxlsim;

    it('lists cxl_mem.N hosts and serves the mock attributes and the trace', () => {
      const d = '/sys/bus/platform/devices';
      const t = '/sys/kernel/tracing';
      const list = cxlsim('run', '--', 'cxl', 'list', '-m', 'mem0');
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout)[0]?.host).toBe('cxl_mem.0');
      const script = [
        `readlink ${d}/cxl_mem.0/driver`,
        `cat ${d}/cxl_mem.0/modalias`,
        `echo 3000 > ${d}/cxl_mem.0/sanitize_timeout`,
        `cat ${d}/cxl_mem.0/sanitize_timeout`,
        `cat ${d}/cxl_mem.0/fw_buf_checksum`,
        `echo "" > ${t}/trace`,
        `echo 1 > ${t}/events/cxl/enable`,
        `echo 1 > ${t}/tracing_on`,
        `echo 1 > ${d}/cxl_mem.0/event_trigger`,
        `echo 0 > ${t}/tracing_on`,
        `grep -c "log=Failure" ${t}/trace`,
        `ls /sys/bus/pci/devices | wc -l`,
      ].join('\n');
      const r = cxlsim('run', '--', 'bash', '-c', script);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n')).toEqual([
        '../../../../../../../bus/platform/drivers/cxl_mock_mem',
        'platform:cxl_mem',
        '3000',
        // the sha256 of no image
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        // 15 failure records and the overflow line, as cxl-events.sh counts
        '16',
        '0',
      ]);
    }, 120_000);
  },
);
