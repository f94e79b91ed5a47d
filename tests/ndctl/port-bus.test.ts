/**
 * enable-port, disable-port and disable-bus over the interleave capture (cxl.0 = port2 with the
 * switch port5 below it, cxl.1 = port1; memdevs.txt: mem0/mem2 below port1, mem1/mem3 below the
 * switch, mem4 on port2's second root port). Refusal texts follow cxl/port.c and cxl/bus.c.
 */
import { describe, expect, it } from 'vitest';
import { cxlCommand } from '../../src/ndctl/index.ts';
import { driverCore } from './driver-model.ts';
import { FakeSysfs } from './fake-sysfs.ts';
import { snapshot } from './fixtures.ts';

function tree(): FakeSysfs {
  const f = new FakeSysfs(snapshot('interleave/00-boot'));
  driverCore(f);
  // the platform driver of the bus's uport (ACPI0017:00 -> cxl_acpi; bus/platform is not dumped)
  f.mkdirs('bus/platform/drivers/cxl_acpi');
  f.on(/^bus\/platform\/drivers\/cxl_acpi\/unbind$/, (fake, _real, cstr) => {
    fake.remove(`devices/platform/${cstr}/driver`);
  });
  return f;
}

describe('disable-port / enable-port', () => {
  it('refuses a port with enabled memdevs below it', () => {
    const v = tree();
    expect(cxlCommand(v, undefined, ['disable-port', 'port2'], { ndctl: '76.1' })).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        'cxl port: action_disable: port2 hosts 3 memdevs which are part of an active region',
        "cxl port: action_disable: See 'cxl list -M -p port2' to see impacted devices",
        'cxl port: cmd_disable_port: disabled 0 port',
        '',
      ].join('\n'),
    });
    expect(
      cxlCommand(v, undefined, ['disable-port', '-e', 'endpoint8'], { ndctl: '76.1' }).stderr.split(
        '\n',
      )[0],
    ).toBe('cxl port: action_disable: endpoint8 hosts 1 memdev which is part of an active region');
  });

  it('--force unbinds (by host name too); enable-port -m rebinds the port and its memdevs', () => {
    const v = tree();
    // the switch port is found by its uport, the switch upstream port 0000:0d:00.0
    expect(
      cxlCommand(v, undefined, ['disable-port', '-f', '0000:0d:00.0'], { ndctl: '76.1' }).stderr,
    ).toBe('cxl port: cmd_disable_port: disabled 1 port\n');
    expect(
      cxlCommand(v, undefined, ['disable-memdev', '-f', 'mem1', 'mem3'], { ndctl: '76.1' }).code,
    ).toBe(0);
    expect(
      cxlCommand(v, undefined, ['enable-port', '-m', 'port5', 'port9'], { ndctl: '76.1' }).stderr,
    ).toBe(
      'cxl port: port_action: port: port9 not found\ncxl port: cmd_enable_port: enabled 1 port\n',
    );
    expect(v.trace()).toEqual([
      'cxl_port/unbind=port5\\0',
      'cxl_mem/unbind=mem1\\0',
      'cxl_mem/unbind=mem3\\0',
      'cxl_port/bind=port5\\0',
      'cxl_port/bind=mem1\\0 !ENODEV',
      'cxl_mem/bind=mem1\\0',
      'cxl_port/bind=mem3\\0 !ENODEV',
      'cxl_mem/bind=mem3\\0',
    ]);
  });

  it('"all" keeps only the first argument; a missing argument prints the usage', () => {
    const v = tree();
    expect(
      cxlCommand(v, undefined, ['enable-port', 'port9', 'all'], { ndctl: '76.1' }).stderr,
    ).toBe(
      'cxl port: port_action: port: port9 not found\ncxl port: cmd_enable_port: enabled 0 port\n',
    );
    const u = cxlCommand(v, undefined, ['disable-port'], { ndctl: '76.1' });
    expect(u.code).toBe(129);
    expect(u.stderr).toBe(
      [
        '',
        ' usage: cxl disable-port <port0> [<port1>..<portN>] [<options>]',
        '',
        '        --debug           turn on debug',
        '    -e, --endpoint        target endpoints instead of switch ports',
        '    -f, --force           DANGEROUS: override active memdev safety checks',
        '',
        '',
      ].join('\n'),
    );
  });
});

describe('disable-bus', () => {
  it('refuses a bus with memdevs, then unbinds its uport with --force', () => {
    const v = tree();
    expect(cxlCommand(v, undefined, ['disable-bus', 'root0'], { ndctl: '76.1' }).stderr).toBe(
      [
        'cxl bus: action_disable: root0 hosts 5 memdevs which are part of an active region',
        "cxl bus: action_disable: See 'cxl list -M -b root0' to see impacted devices",
        'cxl bus: cmd_disable_bus: disabled 0 bus',
        '',
      ].join('\n'),
    );
    expect(cxlCommand(v, undefined, ['disable-bus', '-f', 'all'], { ndctl: '76.1' })).toEqual({
      code: 0,
      stdout: '',
      stderr: 'cxl bus: cmd_disable_bus: disabled 1 bus\n',
    });
    expect(v.trace()).toEqual(['cxl_acpi/unbind=ACPI0017:00\\0']);
  });

  it('identifiers: rootN or N (the 76.1 typo "identifer")', () => {
    const v = tree();
    const r = cxlCommand(v, undefined, ['disable-bus', 'bus0', '0', '-f'], { ndctl: '76.1' });
    expect(r.stderr).toBe(
      "cxl bus: bus_action: 'bus0' is not a valid bus identifer\ncxl bus: cmd_disable_bus: disabled 1 bus\n",
    );
    const u = cxlCommand(tree(), undefined, ['disable-bus', 'x'], { ndctl: '85' });
    expect(u.code).toBe(129);
    expect(
      u.stderr.startsWith(
        "cxl bus: bus_action: 'x' is not a valid bus identifier\n\n usage: cxl disable-bus",
      ),
    ).toBe(true);
  });
});
