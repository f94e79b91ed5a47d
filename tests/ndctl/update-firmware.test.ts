/**
 * `cxl update-firmware` as ndctl 81 has it (cxl/memdev.c action_update_fw(), cmd_update_fw()):
 * its option table and usage byte for byte as the real 81 tool printed them over cxlsim's live
 * /sys (scripts/ndctl-tests run of cxl-update-firmware.sh, 2026-12-07), the -b/--bus filter the
 * memdev commands have since v78, and the summary line per operation.
 */
import { describe, expect, it } from 'vitest';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { MemFiles, Sh } from '../ndctl-tests/harness.ts';

/** The real ndctl 81's stderr for `cxl update-firmware -b cxl_test -F FILE --wait ''`. */
const REAL_81_EMPTY_NAME = `cxl memdev: memdev_action: '' is not a valid memdev name

 usage: cxl update-firmware <mem0> [<mem1>..<memn>] [<options>]

    -b, --bus <bus name>  Limit operation to the specified bus
    -v, --verbose         turn on debug
    -S, --serial          use serial numbers to id memdevs
    -F, --firmware-file <firmware-file>
                          firmware image file to use for the update
    -c, --cancel          attempt to abort an in-progress firmware update
    -w, --wait            wait for firmware update to complete before returning

`;

describe('cxl update-firmware (ndctl 81)', () => {
  const sh = new Sh();
  const files = new MemFiles();
  const run = (...argv: string[]) =>
    cxlCommand(sh.m.sysfs, sh.m.ioctl, argv, { ndctl: '81', isTty: false, files });

  it('an empty memdev name: the real tool’s error and usage, exit 129', () => {
    const r = run('update-firmware', '-b', 'cxl_test', '-F', '/tmp/x', '--wait', '');
    expect(r).toEqual({ stdout: '', stderr: REAL_81_EMPTY_NAME, code: 129 });
  });

  it('-b filters memdevs by bus (v78): another bus matches nothing', () => {
    files.write('/fw', new Uint8Array(256).fill(1));
    const r = run('update-firmware', '-b', 'nosuchbus', '-F', '/fw', 'mem0');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('firmware update started on 0 mem device\n');
    expect(sh.cat('bus/cxl/devices/mem0/firmware/mem0/status')).toBe('idle\n');
  });

  it('a missing file: libcxl\'s open error and "<mem> error: …", the memdev still printed', () => {
    const r = run('update-firmware', '-F', '/nope', 'mem0');
    expect(r.stderr).toBe(
      'libcxl: cxl_memdev_update_fw: failed to open: /nope: (No such file or directory)\n' +
        'cxl memdev: action_update_fw: mem0 error: No such file or directory\n' +
        'cxl memdev: cmd_update_fw: firmware update started on 0 mem device\n',
    );
    expect(JSON.parse(r.stdout)[0].memdev).toBe('mem0');
    expect(r.code).toBe(1);
  });

  it('ndctl 76.1 has no update-firmware', () => {
    const r = cxlCommand(sh.m.sysfs, sh.m.ioctl, ['update-firmware', 'mem0'], { ndctl: '76.1' });
    expect(r.code).not.toBe(0);
  });
});
