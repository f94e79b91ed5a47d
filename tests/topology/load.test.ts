import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/kernel/errno.ts';
import { loadTopology } from '../../src/topology/load.ts';
import { getPreset } from '../../src/topology/presets/index.ts';
import { QemuError } from '../../src/topology/qemu-errors.ts';
import { topologyToYaml } from '../../src/topology/serialize.ts';

const FIXTURES = join(import.meta.dirname, '../../sysfs-fixtures');
const dir = mkdtempSync(join(tmpdir(), 'cxlsim-topology-'));

function thrown(f: () => unknown): Errno {
  try {
    f();
  } catch (e) {
    if (e instanceof Errno) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('loadTopology', () => {
  it('reads a QEMU command-line file, naming the topology after it', () => {
    const p = join(dir, 'minimal.sh');
    copyFileSync(join(FIXTURES, 'minimal/host/qemu-cmdline.sh'), p);
    const t = loadTopology({ qemu: p }, '7.2');
    expect(t.name).toBe('minimal');
    expect(t.source).toEqual({ kind: 'qemu', path: p });
    expect(t.hostBridges.map((h) => h.id)).toEqual(['cxl.0']);
  });

  it('reads a topology file', () => {
    const p = join(dir, 'threeway.yaml');
    const src = getPreset('threeway', '7.2');
    writeFileSync(p, topologyToYaml(src));
    const t = loadTopology({ topology: p }, '11.1');
    expect(t.source).toEqual({ kind: 'file', path: p });
    expect(t.hostBridges).toEqual(src.hostBridges);
    expect(t.windows).toEqual(src.windows);
  });

  it('uses a preset, and the default preset when nothing is named', () => {
    expect(loadTopology({ preset: 'minimal' }, '7.2').source).toEqual({
      kind: 'preset',
      name: 'minimal',
    });
    expect(loadTopology({}, '7.2').source).toEqual({ kind: 'preset', name: 'default' });
  });

  it('reports a missing file with strerror’s words', () => {
    const p = join(dir, 'nope.qemu');
    const e = thrown(() => loadTopology({ qemu: p }, '7.2'));
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe(`cannot read ${p}: No such file or directory`);
    expect(thrown(() => loadTopology({ topology: dir }, '7.2')).message).toBe(
      `cannot read ${dir}: Is a directory`,
    );
  });

  it('refuses two sources at once', () => {
    const e = thrown(() => loadTopology({ preset: 'default', qemu: 'x' }, '7.2'));
    expect([e.code, e.message]).toEqual([
      'EINVAL',
      'give only one of --qemu, --topology and --preset',
    ]);
  });

  it('passes QEMU’s verdict through', () => {
    const p = join(dir, 'bad.qemu');
    writeFileSync(
      p,
      '-M q35,cxl=on -device pxb-cxl,bus=pcie.0,id=cxl.0 -M cxl-fmw.0.targets.0=cxl.9,cxl-fmw.0.size=4G',
    );
    const e = thrown(() => loadTopology({ qemu: p }, '7.2'));
    expect(e).toBeInstanceOf(QemuError);
    expect((e as QemuError).qemuMessage()).toBe(
      'qemu-system-x86_64: Could not resolve CXLFM target cxl.9',
    );
  });
});
