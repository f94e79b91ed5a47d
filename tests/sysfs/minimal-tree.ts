/**
 * A hand-built device tree shaped like the `minimal` capture (1 host bridge, 1 root port,
 * 1 type-3 memdev), made only with src/kernel (no drivers, no attribute tables): enough
 * driver-core state (buses, drivers, bindings, links, devt, modalias) to compare the
 * rendered /sys with sysfs-fixtures/minimal/00-boot/sysfs.txt.
 */
import type { Attribute, Device, Driver } from '../../src/kernel/device.ts';
import { Errno } from '../../src/kernel/errno.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { kstrtoint } from '../../src/sysfs/format.ts';
import { createSysfs, type SysfsHooks } from '../../src/sysfs/tree.ts';
import type { SysfsView } from '../../src/sysfs/view.ts';

/** A read-only text attribute. */
export const ro = (name: string, value: () => string, mode = 0o444): Attribute => ({
  name,
  mode,
  show: () => `${value()}\n`,
});

type DevName =
  | 'lnxsys'
  | 'acpi16'
  | 'acpi17'
  | 'platform'
  | 'p17'
  | 'pci0c'
  | 'rp'
  | 't3'
  | 'mem0'
  | 'pmem0'
  | 'root0'
  | 'dec00'
  | 'bridge'
  | 'port1'
  | 'dec10'
  | 'ep2'
  | 'dec20';

export interface MinimalTree {
  kernel: Kernel;
  view: SysfsView;
  dev: Record<DevName, Device>;
  drv: Record<string, Driver>;
  /** Mutable model state behind a few attributes. */
  state: { ways: number; cdat: Uint8Array; showErr?: Errno };
}

/** Builds the tree; `hooks` are passed to createSysfs. */
export function buildMinimal(hooks: SysfsHooks = {}): MinimalTree {
  const k = new Kernel();
  const state: MinimalTree['state'] = { ways: 1, cdat: new Uint8Array(0) };
  const drv: Record<string, Driver> = {
    cxl_port: { name: 'cxl_port', bus: 'cxl' },
    cxl_mem: { name: 'cxl_mem', bus: 'cxl', module: 'cxl_mem' },
    cxl_nvdimm: { name: 'cxl_nvdimm', bus: 'cxl', module: 'cxl_pmem' },
    cxl_nvdimm_bridge: { name: 'cxl_nvdimm_bridge', bus: 'cxl', module: 'cxl_pmem' },
    cxl_pmem_region: { name: 'cxl_pmem_region', bus: 'cxl', module: 'cxl_pmem' },
    cxl_region: { name: 'cxl_region', bus: 'cxl', module: 'cxl_core' },
    cxl_acpi: { name: 'cxl_acpi', bus: 'platform', module: 'cxl_acpi' },
    cxl_pci: { name: 'cxl_pci', bus: 'pci', module: 'cxl_pci' },
    pcieport: { name: 'pcieport', bus: 'pci' },
  };
  for (const d of Object.values(drv)) k.registerDriver(d);

  const mk = (name: string, parent?: Device, bus?: string, devtype?: string, driver?: Driver) => {
    const d = k.device(name, parent, bus, devtype);
    d.driver = driver;
    if (devtype) d.groups.push({ attrs: [ro('devtype', () => devtype)] });
    return d;
  };
  const power = { name: 'power', attrs: [] };

  const lnxsys = mk('LNXSYSTM:00', undefined, 'acpi').add();
  const lnxsybus = mk('LNXSYBUS:00', lnxsys, 'acpi').add();
  const acpi16 = mk('ACPI0016:00', lnxsybus, 'acpi');
  acpi16.groups.push(
    {
      attrs: [ro('hid', () => 'ACPI0016'), ro('modalias', () => 'acpi:ACPI0016:PNP0A08:PNP0A03:')],
    },
    power,
    { name: 'wakeup', attrs: [] },
  );
  acpi16.add();
  const acpi17 = mk('ACPI0017:00', lnxsybus, 'acpi');
  acpi17.groups.push({ attrs: [ro('modalias', () => 'acpi:ACPI0017:')] }, power, {
    name: 'wakeup',
    attrs: [],
  });
  acpi17.add();

  const platform = mk('platform').add();
  const p17 = mk('ACPI0017:00', platform, 'platform', undefined, drv.cxl_acpi);
  p17.groups.push(
    {
      attrs: [ro('modalias', () => 'acpi:ACPI0017:'), ro('driver_override', () => '(null)', 0o644)],
    },
    power,
  );
  p17.links.set('firmware_node', acpi17);
  p17.add();
  acpi17.links.set('physical_node', p17);

  const pci0c = mk('pci0000:0c').add();
  pci0c.links.set('firmware_node', acpi16);
  pci0c.groups.push(power);
  acpi16.links.set('physical_node', pci0c);
  const pciVars = (slot: string, cls: string, id: string, sub: string, alias: string) => () =>
    [
      ['PCI_CLASS', cls],
      ['PCI_ID', id],
      ['PCI_SUBSYS_ID', sub],
      ['PCI_SLOT_NAME', slot],
      ['MODALIAS', alias],
    ] as [string, string][];
  const rp = mk('0000:0c:00.0', pci0c, 'pci', undefined, drv.pcieport);
  rp.ueventVars = pciVars(
    '0000:0c:00.0',
    '60400',
    '8086:7075',
    '8086:0000',
    'pci:v00008086d00007075sv00008086sd00000000bc06sc04i00',
  );
  rp.add();
  const t3 = mk('0000:0d:00.0', rp, 'pci', undefined, drv.cxl_pci);
  t3.ueventVars = pciVars(
    '0000:0d:00.0',
    '50210',
    '8086:0D93',
    '1AF4:1100',
    'pci:v00008086d00000D93sv00001AF4sd00001100bc05sc02i10',
  );
  t3.add();
  const mem0 = mk('mem0', t3, 'cxl', 'cxl_memdev', drv.cxl_mem);
  mem0.ueventVars = () => [
    ['MAJOR', '247'],
    ['MINOR', '0'],
    ['DEVNAME', 'cxl/mem0'],
  ];
  mem0.groups.push(
    { attrs: [ro('modalias', () => 'cxl:t5'), ro('serial', () => '0x0')] },
    { name: 'pmem', attrs: [ro('size', () => '0x10000000')] },
    { name: 'ram', attrs: [ro('size', () => '0x0')] },
  );
  mem0.add();
  const pmem0 = mk('pmem0', mem0, 'cxl', 'cxl_nvdimm', drv.cxl_nvdimm);
  pmem0.groups.push({ attrs: [ro('modalias', () => 'cxl:t2')] });
  pmem0.add();

  const root0 = mk('root0', p17, 'cxl', 'cxl_port');
  root0.groups.push({ attrs: [ro('modalias', () => 'cxl:t4')] });
  root0.links.set('uport', p17);
  root0.links.set('dport12', acpi16);
  root0.add();
  const dec00 = mk('decoder0.0', root0, 'cxl', 'cxl_decoder_root');
  dec00.groups.push({
    attrs: [
      ro('modalias', () => 'cxl:t0'),
      ro('start', () => '0x110000000', 0o400),
      ro('size', () => '0x100000000'),
      {
        name: 'interleave_ways',
        mode: 0o644,
        show: () => `${state.ways}\n`,
        store: (_d, buf) => {
          const v = kstrtoint(buf);
          if (![1, 2, 4, 8].includes(v))
            throw new Errno('EINVAL', `invalid interleave: ${v}`, 'decoder0.0');
          state.ways = v;
        },
      },
      {
        name: 'create_pmem_region',
        mode: 0o644,
        show: () => 'region0\n',
        store: () => {
          throw new Errno('ENXIO', 'region creation is not modelled here', 'decoder0.0');
        },
      },
      { name: 'delete_region', mode: 0o200, store: () => {} },
      {
        name: 'qos_class',
        mode: 0o444,
        show: () => {
          if (state.showErr) throw state.showErr;
          return '-1\n';
        },
      },
    ],
  });
  dec00.add();
  const bridge = mk('nvdimm-bridge0', root0, 'cxl', 'cxl_nvdimm_bridge', drv.cxl_nvdimm_bridge);
  bridge.groups.push({ attrs: [ro('modalias', () => 'cxl:t1')] });
  bridge.add();
  const port1 = mk('port1', root0, 'cxl', 'cxl_port', drv.cxl_port);
  port1.groups.push({ attrs: [ro('modalias', () => 'cxl:t3')] });
  port1.links.set('uport', acpi16);
  port1.links.set('dport0', rp);
  port1.add();
  const dec10 = mk('decoder1.0', port1, 'cxl', 'cxl_decoder_switch');
  dec10.groups.push({ attrs: [ro('modalias', () => 'cxl:t0')] });
  dec10.add();
  const ep2 = mk('endpoint2', port1, 'cxl', 'cxl_port', drv.cxl_port);
  ep2.groups.push({
    attrs: [ro('modalias', () => 'cxl:t3'), { name: 'CDAT', mode: 0o400, read: () => state.cdat }],
  });
  ep2.links.set('uport', mem0);
  ep2.add();
  const dec20 = mk('decoder2.0', ep2, 'cxl', 'cxl_decoder_endpoint');
  dec20.groups.push({ attrs: [ro('modalias', () => 'cxl:t0')] });
  dec20.add();

  const dev: MinimalTree['dev'] = {
    lnxsys,
    acpi16,
    acpi17,
    platform,
    p17,
    pci0c,
    rp,
    t3,
    mem0,
    pmem0,
    root0,
    dec00,
    bridge,
    port1,
    dec10,
    ep2,
    dec20,
  };
  return { kernel: k, view: createSysfs(k, hooks), dev, drv, state };
}
