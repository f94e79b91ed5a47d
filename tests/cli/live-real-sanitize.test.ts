import { describe, expect, it } from 'vitest';
import { liveServe, missingRealTool } from '../helpers/live-real.ts';

const reason = await missingRealTool(79, 'wait-sanitize');

describe.skipIf(reason !== undefined)(
  `the real cxl wait-sanitize through cxlsim run${reason ? ` (skipped: needs ${reason})` : ''}`,
  () => {
    const live = liveServe('cxlsim-real-san-', 'default', 'debian-13');
    const cxlsim = live.cxlsim;

    it('sanitize returns at once, a second one is EBUSY, wait-sanitize waits for QEMU', () => {
      const s = '/sys/bus/cxl/devices/mem0/security';
      const script = [
        `cat ${s}/state`,
        `echo 1 > ${s}/sanitize`,
        `cat ${s}/state`,
        `echo 1 > ${s}/sanitize || echo refused`,
        'cxl wait-sanitize mem0 -t 1000; echo "short $?"',
        'start=$(date +%s%N)',
        'cxl wait-sanitize mem0; echo "wait $?"',
        'echo "ms $(( ($(date +%s%N) - start) / 1000000 ))"',
        `cat ${s}/state`,
      ].join('\n');
      const r = cxlsim('run', '--', 'bash', '-c', script);
      const lines = r.stdout.trim().split('\n');
      expect(lines.slice(0, 4)).toEqual(['disabled', 'sanitize', 'refused', 'short 1']);
      expect(lines[4]).toBe('wait 0');
      // the rest of QEMU's 4 s sanitize (the 1 s timeout already waited part of it)
      const ms = Number(lines[5]?.replace('ms ', ''));
      expect(ms).toBeGreaterThan(1000);
      expect(ms).toBeLessThan(5000);
      expect(lines[6]).toBe('disabled');
      expect(r.stderr).toContain('write error: Device or resource busy');
      expect(r.stderr).toContain(
        'cxl memdev: cmd_wait_sanitize: wait sanitize failed on 0 mem device\n',
      );
      expect(r.stderr).toContain(
        'cxl memdev: cmd_wait_sanitize: wait sanitize completed on 1 mem device\n',
      );
      // a one-shot cxlsim replays the live journal: the refused sanitize met the running one
      const d = cxlsim('dmesg');
      expect(d.code).toBe(0);
      expect(d.stdout).toContain('Failed to get security state : -16');
    }, 120_000);
  },
);
