/**
 * DOC: `cxlsim reboot [--dyndbg | --no-dyndbg]` — restart the guest on the same hardware.
 *
 * The platform keeps its state: HDM decoders stay committed (the previous kernel does not tear
 * regions down on its way out), device memory, LSA and partition settings stay as they are.
 * The new kernel finds the committed decoders as firmware-committed ones and auto-assembles
 * their regions (Linux 6.3 and later) or fails with the kernel's messages; Linux 6.1 leaves
 * them alone. Journaled as `reboot`; dmesg starts over with the new boot.
 *
 * This is a warm restart that keeps the decoders (as kexec does, or a BIOS that commits the
 * same decoders again): QEMU's own system_reset would clear them (ct3d_reset() →
 * cxl_component_register_init_common() re-initialises the HDM decoder registers).
 */
import { isCxlRegion } from '../../drivers/cxl/core/region/index.ts';
import { CXL_CONFIG_COMMIT } from '../../drivers/cxl/core/region/region.ts';
import { CliError } from '../errors.ts';
import { type CliContext, withMachine } from '../session.ts';

/** Runs `cxlsim reboot`. */
export async function rebootCommand(ctx: CliContext, o: { dyndbg?: boolean }): Promise<number> {
  return withMachine(ctx, ({ machine, journal }) => {
    if (!machine.reboot) throw new CliError('this machine cannot be rebooted');
    const dyndbg = o.dyndbg ?? machine.kernel.log.dyndbg;
    const next = machine.reboot({ dyndbg });
    journal({ kind: 'reboot', dyndbg });
    const devs = next.kernel.buses.get('cxl')?.devices ?? [];
    const mems = devs.filter((d) => /^mem\d+$/.test(d.name)).length;
    const regions = devs.filter(isCxlRegion);
    const errs = next.kernel.log.lines.filter((l) => l.level <= 3).length;
    const what = regions.map(
      (r) => `${r.name}: ${r.params.state === CXL_CONFIG_COMMIT ? 'committed' : 'not assembled'}`,
    );
    const summary = [
      `${mems} memdevs`,
      regions.length
        ? `${regions.length} region${regions.length === 1 ? '' : 's'} (${what.join(', ')})`
        : 'no region',
      ...(errs
        ? [`${errs} kernel error${errs === 1 ? '' : 's'} (see cxlsim dmesg, cxlsim explain)`]
        : []),
    ];
    ctx.io.out(`rebooted: ${summary.join(', ')}\n`);
    return 0;
  });
}
