import { bootMachine } from './src/boot.ts';
import { resolveProfile } from './src/profile.ts';
import { getPreset } from './src/topology/presets/index.ts';
import { installRegionDriver, cxlEndpointAutoAssemble } from './src/drivers/cxl/core/region/index.ts';
import { KernelLog } from './src/kernel/log.ts';
import { CxlPort } from './src/drivers/cxl/core/port.ts';
installRegionDriver();
const profile = resolveProfile('latest');
const m = bootMachine(getPreset('cxl_test', profile.qemu), { profile, dyndbg: true });
const s = m.sysfs;
const errs = m.kernel.log.lines.filter(l => l.level <= 4);
for (const l of errs) console.log('ERR', KernelLog.format(l, true));
console.log(s.readdir('bus/cxl/devices').join(' '));
for (const d of ['decoder0.0','decoder0.1','decoder0.2','decoder0.3']) { try { console.log(d, s.read(`bus/cxl/devices/${d}/size`), s.read(`bus/cxl/devices/${d}/target_list`)); } catch (e) { console.log(d, (e as Error).message) } }
const mark = m.kernel.log.mark();
for (const d of m.kernel.buses.get('cxl')!.devices) if (d instanceof CxlPort && d.isEndpoint) cxlEndpointAutoAssemble(d);
for (const l of m.kernel.log.since(mark)) console.log(KernelLog.format(l, true));
console.log(s.readdir('bus/cxl/devices').filter(x=>x.includes('region')).join(' '));
