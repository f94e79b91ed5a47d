/**
 * ndctl test/cxl-update-firmware.sh (v81) on the cxl_test preset, every assertion kept:
 * - test_blocking_update: `update-firmware -F <8 MiB> --wait mem` prints the memdev idle
 *   (fw_update_in_progress false) with staged_slot 3 (the mock starts in slot 2), and the
 *   mock's fw_buf_checksum is the file's sha256;
 * - test_nonblocking_update: without --wait the JSON shows the update in progress; polling
 *   `cxl list -m mem -F` once a second until it is idle, then idle and the checksum matches;
 * - test_multiple_memdev: one 16 MiB file to two memdevs (both in progress), then
 *   `update-firmware --wait` on both (no file) prints both idle, both checksums match;
 * - test_cancel: an update, then `--cancel`; once idle it stays idle;
 * - check_dmesg: no "Call Trace".
 * find_memdevs selects hosts starting with "cxl_mem.", as the script does (the mock's memdevs
 * are its platform devices), and check_sha reads
 * `/sys/bus/platform/devices/<host>/fw_buf_checksum` (cxl_mock_mem's attribute,
 * drivers/cxl/mock-mem.ts). `sleep 1` is a
 * second of the machine's virtual clock, in which the kernel's upload worker runs (each mock
 * transfer takes 2 ms, so a 16 MiB upload is about 17 s of guest time).
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { items, type Json, Sh } from './harness.ts';

const BUS = 'cxl_test';

describe('cxl-update-firmware.sh', () => {
  const sh = new Sh();
  let fileSeq = 0;

  /** mk_fw_file(): `size` MiB of random bytes in a new file. */
  const mkFwFile = (size: number): string => {
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThanOrEqual(64);
    const name = `/tmp/fw_file_${++fileSeq}`;
    sh.files.write(name, randomBytes(size * 1024 * 1024));
    return name;
  };

  /** find_memdevs(): the first `count` memdevs of the bus on a mock memdev host. */
  const findMemdevs = (count = 1): string[] =>
    items(sh.json('list', '-M', '-b', BUS))
      .filter((m: Json) => String(m.host).startsWith('cxl_mem.'))
      .map((m: Json) => m.memdev as string)
      .slice(0, count);

  const doUpdateFw = (...args: string[]): Json => sh.json('update-firmware', '-b', BUS, ...args);

  /** wait_complete(): poll `cxl list -m mem -F` once a second while an update is in progress. */
  const waitComplete = (mem: string, maxWait: number): number => {
    let waited = 0;
    for (;;) {
      const inProg = items(sh.json('list', '-m', mem, '-F')).map(
        (m: Json) => m.firmware?.fw_update_in_progress,
      );
      if (inProg[0] === true) {
        sh.sleep(1);
        waited++;
        // the script's max_wait check sits after `continue` and never fires; cxlsim bounds it
        expect(waited).toBeLessThan(maxWait * 10);
        continue;
      }
      return waited;
    }
  };

  /** validate_json_state(): every memdev's fw_update_in_progress is `state`. */
  const validateJsonState = (json: Json, state: boolean) => {
    const states = items(json).map((m: Json) => m.firmware?.fw_update_in_progress);
    expect(states.length).toBeGreaterThan(0);
    for (const s of states) expect(s).toBe(state);
  };

  const validateStagedSlot = (json: Json, slot: number) => {
    const slots = items(json).map((m: Json) => m.firmware?.staged_slot);
    expect(slots.length).toBeGreaterThan(0);
    for (const s of slots) expect(s).toBe(slot);
  };

  /** check_sha(): the mock's fw_buf_checksum is the file's sha256. */
  const checkSha = (mem: string, file: string) => {
    const host = items(sh.json('list', '-m', mem))[0]?.host as string;
    const memCsum = sh.cat(`bus/platform/devices/${host}/fw_buf_checksum`).trim();
    const fileCsum = createHash('sha256').update(sh.files.read(file)).digest('hex');
    expect(memCsum).toBe(fileCsum);
  };

  it('test_blocking_update', () => {
    const file = mkFwFile(8);
    const [mem] = findMemdevs(1);
    expect(mem).toBeDefined();
    const json = doUpdateFw('-F', file, '--wait', mem as string);
    validateJsonState(json, false);
    // cxl_test's starting slot is '2', so staged should be 3
    validateStagedSlot(json, 3);
    checkSha(mem as string, file);
  });

  it('test_nonblocking_update', () => {
    const file = mkFwFile(16);
    const [mem] = findMemdevs(1);
    const json = doUpdateFw('-F', file, mem as string);
    validateJsonState(json, true);
    // the in-progress JSON names how much is left to send
    expect(items(json)[0]?.firmware?.remaining_size).toBeGreaterThan(0);
    expect(waitComplete(mem as string, 15)).toBeGreaterThan(0);
    validateJsonState(sh.json('list', '-m', mem as string, '-F'), false);
    checkSha(mem as string, file);
  });

  it('test_multiple_memdev', () => {
    const file = mkFwFile(16);
    const mems = findMemdevs(2);
    expect(mems).toHaveLength(2);
    const json = doUpdateFw('-F', file, ...mems);
    validateJsonState(json, true);
    expect(items(json)).toHaveLength(2);
    // use the in-band wait this time
    const done = doUpdateFw('--wait', ...mems);
    validateJsonState(done, false);
    expect(items(done)).toHaveLength(2);
    for (const mem of mems) checkSha(mem, file);
  });

  it('test_cancel', () => {
    const file = mkFwFile(16);
    const [mem] = findMemdevs(1);
    const json = doUpdateFw('-F', file, mem as string);
    validateJsonState(json, true);
    sh.cxl('update-firmware', '-b', BUS, '--cancel', mem as string);
    // cancellation is asynchronous, and the result looks the same as idle
    waitComplete(mem as string, 15);
    validateJsonState(sh.json('list', '-m', mem as string, '-F'), false);
    // the kernel's record of it: the upload stopped while transferring, by the user
    const fwdir = `bus/cxl/devices/${mem}/firmware/${mem}`;
    expect(sh.cat(`${fwdir}/error`)).toBe('transferring:user-abort\n');
    expect(Number(sh.cat(`${fwdir}/remaining_size`))).toBeGreaterThan(0);
  });

  it('check_dmesg', () => {
    expect(sh.dmesgHasCallTrace()).toBe(false);
  });
});
