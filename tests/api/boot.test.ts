/**
 * The library's boot inputs: a preset, its QEMU command line, its topology as a model object, as
 * a topology-file object and as YAML text all boot the same guest (byte-identical /sys); bad input
 * rejects with one Errno (QEMU's message for a QEMU line), never a stack-trace crash.
 */
import { describe, expect, it } from 'vitest';
import { topologyToQemu } from '../../src/export/qemu.ts';
import { boot, Errno, loadTopology, parseQemuLine, QemuError } from '../../src/index.ts';
import { dumpSysfs } from '../../src/sysfs/dump.ts';
import { topologyToFileObject, topologyToYaml } from '../../src/topology/serialize.ts';

describe('boot(input)', () => {
  it('preset, QEMU line, model object, file object and YAML text boot the same guest', async () => {
    const { topology: t } = loadTopology({ preset: 'default' }, 'latest');
    const inputs = [
      { preset: 'default' },
      { qemu: topologyToQemu(t, { qemu: '11.1' }) },
      { topology: t },
      { topology: topologyToFileObject(t) },
      { topology: topologyToYaml(t) },
    ];
    const dumps: string[] = [];
    for (const i of inputs) dumps.push(dumpSysfs((await boot(i)).raw.sysfs));
    expect(dumps).toHaveLength(5);
    expect(dumps[0]?.length).toBeGreaterThan(1000);
    for (const d of dumps) expect(d).toBe(dumps[0]);
  });

  it('profiles by name or object; unknown ones are refused', async () => {
    const m = await boot(
      { preset: 'minimal' },
      { profile: { name: 'x', kernel: '6.1', qemu: '7.2', ndctl: '76.1' } },
    );
    expect(m.profile.kernel).toBe('6.1');
    await expect(boot({ preset: 'minimal' }, { profile: 'nope' })).rejects.toThrow(
      /unknown profile 'nope'/,
    );
  });

  it('bad input rejects with an Errno', async () => {
    await expect(boot({ preset: 'nope' })).rejects.toBeInstanceOf(Errno);
    const e = await boot({
      qemu: 'qemu-system-x86_64 -machine q35,cxl=on -device cxl-rp,bus=nope',
    }).catch((x) => x);
    expect(e).toBeInstanceOf(QemuError);
    expect((e as Errno).message).toMatch(/Bus 'nope' not found/);
    expect(() => parseQemuLine('qemu-system-x86_64 -device cxl-type3,bus=nope')).toThrow(QemuError);
    await expect(boot({ topology: 'hostBridges: 3' })).rejects.toBeInstanceOf(Errno);
    await expect(boot({} as never)).rejects.toThrow(/needs one of preset, qemu or topology/);
  });
});

describe('Machine', () => {
  it('explain() names the failing check of the last failed create-region', async () => {
    const m = await boot({ preset: 'default' });
    const r = m.ndctl(['create-region', '-m', '-d', 'decoder0.1', '-w', '1', 'mem0']);
    expect(r.code).toBe(1);
    expect(m.ops()[0]).toMatchObject({
      kind: 'command',
      argv: ['create-region', '-m', '-d', 'decoder0.1', '-w', '1', 'mem0'],
      code: 1,
    });
    const e = await m.explain();
    expect(e.ok).toBe(false);
    expect(e.summary).toMatch(/fails at "ways" on decoder0\.1 with EINVAL/);
  });

  it("list() errors are Errno values with ndctl's message; mem accesses outside regions are EFAULT", async () => {
    const m = await boot({ preset: 'minimal' });
    expect(() => m.list(['--bogus'])).toThrow(Errno);
    expect(() => m.mem.read(0x1000n, 4)).toThrow(/not decoded/);
    expect(() => m.mem.read(0x1000n, 0)).toThrow(/bad length/);
    expect(m.ops()).toEqual([]);
  });
});
