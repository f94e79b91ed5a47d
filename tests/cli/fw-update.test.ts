/**
 * The firmware "Done when" through the whole CLI (in-process, scratch state directory):
 * `cxlsim update-firmware -F FILE mem0` starts the kernel's upload (the printed memdev shows it in
 * progress with the bytes left); the process lets it finish before exiting, so the next
 * `cxlsim list -F` — a fresh process replaying the journal — shows QEMU's slot 2 staged; `--wait`
 * prints the finished state; `--cancel` with nothing running fails as ndctl does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliRunner } from './fake-deps.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const cwd = mkdtempSync(join(tmpdir(), 'cxlsim-fw-'));
  dirs.push(cwd);
  const file = join(cwd, 'fw.bin');
  writeFileSync(file, Buffer.alloc(5000, 0x5a));
  return { run: cliRunner(cwd), file };
}

describe('cxlsim update-firmware (latest profile, default preset)', () => {
  it('starts, finishes before exit, and the next invocation sees slot 2 staged', async () => {
    const t = setup();
    expect((await t.run('boot', '--preset', 'default')).code).toBe(0);
    const u = await t.run('update-firmware', '-F', t.file, 'mem0');
    expect(u.code).toBe(0);
    expect(u.stderr).toBe('cxl memdev: cmd_update_fw: firmware update started on 1 mem device\n');
    const [started] = JSON.parse(u.stdout);
    expect(started.firmware).toMatchObject({ fw_update_in_progress: true, remaining_size: 5000 });
    const l = await t.run('list', '-m', 'mem0', '-F');
    expect(l.stderr).toBe('');
    const [after] = JSON.parse(l.stdout);
    expect(after.firmware).toMatchObject({
      num_slots: 2,
      active_slot: 1,
      staged_slot: 2,
      fw_update_in_progress: false,
    });
    expect((await t.run('sysfs', 'cat', 'bus/cxl/devices/mem0/firmware/mem0/status')).stdout).toBe(
      'idle\n',
    );
  });

  it('--wait prints the finished update; --cancel with nothing running fails', async () => {
    const t = setup();
    await t.run('boot', '--preset', 'default');
    const w = await t.run('update-firmware', '--wait', '-F', t.file, 'mem1');
    expect(w.code).toBe(0);
    expect(w.stderr).toBe('cxl memdev: cmd_update_fw: firmware update completed on 1 mem device\n');
    expect(JSON.parse(w.stdout)[0].firmware).toMatchObject({
      staged_slot: 2,
      fw_update_in_progress: false,
    });
    const c = await t.run('update-firmware', '--cancel', 'mem1');
    // cxl_memdev_cancel_fw_update(): -ENXIO when idle with nothing left; no memdev JSON
    expect(c).toEqual({
      code: 1,
      stdout: '[]\n',
      stderr:
        '  Warning: no matching devices found\n\ncxl memdev: cmd_update_fw: firmware update cancelled on 0 mem device\n',
    });
  });
});
