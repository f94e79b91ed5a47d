/**
 * The ndctl version table (src/ndctl/versions.ts, NDCTL_SINCE) at its boundaries: each entry's
 * behaviour with the release before its first one and with that first release, on a booted
 * latest-kernel guest (`--ndctl N`). The releases are ndctl's git tags; the commit each entry
 * names is in its comment. The three stacks' releases (76.1, 81, 85) are checked against the
 * captures by tests/list, tests/ndctl/e2e-*.test.ts and tests/e2e.
 */
import { describe, expect, it } from 'vitest';
import { bootSync } from '../../src/index.ts';
import { NDCTL_SINCE } from '../../src/ndctl/versions.ts';
import { NDCTL_VERSIONS, type NdctlVersion, resolveProfile } from '../../src/profile.ts';
import { invalidState } from '../../src/state/journal.ts';
import { MINIMAL_QEMU } from '../../src/topology/presets/minimal.ts';

/** The `minimal` capture's line with its type-3 device volatile (256M ram, 1M LSA). */
const VOLATILE_QEMU = MINIMAL_QEMU.replace(
  'memdev=cxl-mem0,lsa=cxl-lsa0,id=cxl-pmem0',
  'volatile-memdev=cxl-mem0,lsa=cxl-lsa0,id=cxl-vmem0',
);

/** Linux 7.3 + QEMU 11.1 with ndctl `v`. */
function guest(v: NdctlVersion, qemu = VOLATILE_QEMU) {
  return bootSync({ qemu }, { profile: resolveProfile('latest', { ndctl: v }) });
}

const RAM_1WAY = ['create-region', '-t', 'ram', '-m', '-d', 'decoder0.0', '-w', '1', 'mem0'];

describe('--ndctl accepts every release the table can tell apart', () => {
  it('76.1, 77 … 81 and 85; the profile is then custom', () => {
    expect(NDCTL_VERSIONS).toEqual(['76.1', '77', '78', '79', '80', '81', '85']);
    expect(resolveProfile('debian-12', { ndctl: '79' })).toMatchObject({
      name: 'custom',
      ndctl: '79',
    });
    expect(() => resolveProfile('latest', { ndctl: '83' })).toThrow(
      "unknown ndctl version '83' (known: 76.1, 77, 78, 79, 80, 81, 85, latest)",
    );
  });

  it('a machine booted with --ndctl 79 is a valid journal; 83 is not', () => {
    const state = (ndctl: string) => ({
      format: 'cxlsim-state',
      version: 1,
      writtenBy: '0.1.0',
      input: { kind: 'preset', name: 'default' },
      profile: { name: 'custom', kernel: '7.3', qemu: '11.1', ndctl },
      dyndbg: false,
      ops: [],
    });
    expect(invalidState(state('79'))).toBeUndefined();
    expect(invalidState(state('83'))).toBe('unknown ndctl version "83"');
  });

  it('every first release of the table is a version --ndctl accepts', () => {
    for (const v of Object.values(NDCTL_SINCE)) expect(NDCTL_VERSIONS).toContain(v);
  });
});

describe('the command table (cxl/cxl.c commands[])', () => {
  const cmds = (v: NdctlVersion) => guest(v).ndctl(['--list-cmds']).stdout.split('\n');
  it('updateFirmwareCommand (78): update-firmware after free-dpa', () => {
    expect(cmds('77')).not.toContain('update-firmware');
    const c78 = cmds('78');
    expect(c78.slice(c78.indexOf('free-dpa'), c78.indexOf('free-dpa') + 3)).toEqual([
      'free-dpa',
      'update-firmware',
      'disable-port',
    ]);
  });
  it('setAlertConfigCommand, waitSanitizeCommand (79)', () => {
    expect(cmds('78')).not.toContain('set-alert-config');
    expect(cmds('78')).not.toContain('wait-sanitize');
    const c79 = cmds('79');
    const at = c79.indexOf('update-firmware');
    expect(c79.slice(at, at + 4)).toEqual([
      'update-firmware',
      'set-alert-config',
      'wait-sanitize',
      'disable-port',
    ]);
    expect(guest('78').ndctl(['wait-sanitize', 'mem0'])).toEqual({
      code: 1,
      stdout: '',
      stderr: "Unknown command: 'wait-sanitize'\n",
    });
  });
  it('injectCommands (85)', () => {
    expect(cmds('81')).not.toContain('inject-media-poison');
    expect(cmds('85')).toContain('inject-media-poison');
  });
});

describe('create-region', () => {
  it('ramRegions (77): 76.1 sizes a region by pmem capacity only; 77 creates a ram region', () => {
    expect(guest('76.1').ndctl(RAM_1WAY)).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'cxl region: create_region: create_region: unable to determine region size\ncxl region: cmd_create_region: created 0 regions\n',
    });
    const r = guest('77').ndctl(RAM_1WAY);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('cxl region: cmd_create_region: created 1 region\n');
    expect(JSON.parse(r.stdout)).toMatchObject({ region: 'region0', type: 'ram' });
  });

  it('regionUuidOption (77): -U is unknown to 76.1; 77 refuses it for ram', () => {
    const argv = [...RAM_1WAY, '-U', '11111111-2222-3333-4444-555555555555'];
    const r76 = guest('76.1').ndctl(argv);
    expect(r76.code).toBe(129);
    expect(r76.stderr).toMatch(/^ {2}Error: unknown switch `U'\n/);
    expect(guest('77').ndctl(argv)).toEqual({
      code: 1,
      stdout: '',
      stderr:
        "cxl region: parse_create_options: can't set UUID for ram / volatile regionscxl region: cmd_create_region: created 0 regions\n",
    });
  });

  it('regionSizeErrNoFuncName (78): "unable to determine region size" loses its prefix', () => {
    const pmem = ['create-region', '-t', 'pmem', '-m', '-d', 'decoder0.0', '-w', '1', 'mem0'];
    expect(guest('77').ndctl(pmem).stderr).toBe(
      'cxl region: create_region: create_region: unable to determine region size\ncxl region: cmd_create_region: created 0 regions\n',
    );
    expect(guest('78').ndctl(pmem).stderr).toBe(
      'cxl region: create_region: unable to determine region size\ncxl region: cmd_create_region: created 0 regions\n',
    );
  });

  it('regionEnforceQos (79): -Q is unknown to 78, checked by 79', () => {
    const argv = ['create-region', '-Q', ...RAM_1WAY.slice(1)];
    expect(guest('78').ndctl(argv).stderr).toMatch(/^ {2}Error: unknown switch `Q'\n/);
    // QEMU's window has no QTG _DSM: the root decoder has no qos_class, nothing to enforce
    expect(guest('79').ndctl(argv).code).toBe(0);
  });

  it('regionMaxSizeReported (81): the exceeded maximum is named', () => {
    const argv = ['create-region', '-s', '64G', ...RAM_1WAY.slice(1)];
    const msg =
      'cxl region: create_region: decoder0.0: region size 0x1000000000 exceeds max available space';
    expect(guest('80').ndctl(argv).stderr).toBe(
      `${msg}\ncxl region: cmd_create_region: created 0 regions\n`,
    );
    expect(guest('81').ndctl(argv).stderr).toBe(
      `${msg} (0x100000000)\ncxl region: cmd_create_region: created 0 regions\n`,
    );
  });
});

describe('disable-region, disable-memdev, disable-bus', () => {
  it('disableRegionForce (79): disable-region -f', () => {
    const m78 = guest('78');
    expect(m78.ndctl(RAM_1WAY).code).toBe(0);
    const r78 = m78.ndctl(['disable-region', '-f', 'region0']);
    expect(r78.code).toBe(129);
    expect(r78.stderr).toMatch(/^ {2}Error: unknown switch `f'\n/);
    const m79 = guest('79');
    expect(m79.ndctl(RAM_1WAY).code).toBe(0);
    expect(m79.ndctl(['disable-region', '-f', 'region0'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'cxl region: cmd_disable_region: disabled 1 region\n',
    });
  });

  it('memdevDisableChecksCommitted (79): 78 assumes an enabled memdev is in a region', () => {
    expect(guest('78').ndctl(['disable-memdev', 'mem0'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'cxl memdev: action_disable: mem0 is part of an active region\ncxl memdev: cmd_disable_memdev: disabled 0 mem\n',
    });
    expect(guest('79').ndctl(['disable-memdev', 'mem0'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'cxl memdev: cmd_disable_memdev: disabled 1 mem\n',
    });
    const m = guest('79');
    expect(m.ndctl(RAM_1WAY).code).toBe(0);
    expect(m.ndctl(['disable-memdev', 'mem0']).stderr).toBe(
      'cxl memdev: action_disable: mem0 is part of an active region\ncxl memdev: cmd_disable_memdev: disabled 0 mem\n',
    );
  });

  it('busIdentifierSpelling (85): "identifer" until the codespell fix', () => {
    expect(guest('81').ndctl(['disable-bus', 'foo']).stderr).toMatch(
      /^cxl bus: bus_action: 'foo' is not a valid bus identifer\n/,
    );
    expect(guest('85').ndctl(['disable-bus', 'foo']).stderr).toMatch(
      /^cxl bus: bus_action: 'foo' is not a valid bus identifier\n/,
    );
  });
});
