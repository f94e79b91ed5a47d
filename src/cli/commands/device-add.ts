/**
 * DOC: `cxlsim device-add SPEC` — QEMU's `device_add` on the running machine, for a CXL type-2
 * function passed through with vfio-pci (`vfio-pci,host=BDF,bus=PORT[,id=ID]`).
 *
 * The VMM checks everything first (QEMU's words for the model, id, host and bus; the vfio-cxl
 * placement's six rejections, hw/vmm/placement.ts) and only then plugs the function; the guest
 * handles the hot-add (pciehp, the accelerator driver, cxl_mem, region auto-assembly). A refused
 * add changes nothing: neither the machine nor the journal. `vfio-pci-nohotplug` is refused as
 * QEMU refuses it. A successful add is journaled as `device-add` and replayed on every later
 * invocation.
 */
import { CliError } from '../errors.ts';
import { type CliContext, withMachine } from '../session.ts';

/** Runs `cxlsim device-add`; returns the exit code. */
export async function deviceAddCommand(ctx: CliContext, spec: string): Promise<number> {
  return withMachine(ctx, ({ machine, journal }) => {
    if (!machine.deviceAdd || !machine.platform) throw new CliError('this machine has no hotplug');
    const before = new Set(machine.platform.vfio().map((r) => r.guest));
    const mark = machine.kernel.log.mark();
    machine.deviceAdd(spec);
    journal({ kind: 'device-add', spec });
    const rec = machine.platform.vfio().find((r) => !before.has(r.guest));
    const lines: string[] = [];
    if (rec) {
      const fn = rec.guest.fn;
      const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
      const bdf = `${h(fn.segment, 4)}:${h(fn.bus, 2)}:${h(fn.devfn >> 3, 2)}.${fn.devfn & 7}`;
      const p = rec.placement;
      const where = p
        ? `HDM decoder 0 at 0x${p.base.toString(16)} (window ${p.window}, ${p.mode})`
        : rec.vfio.cxl
          ? 'not placed'
          : 'plain vfio-pci (no CXL)';
      lines.push(`device_add ${rec.topo.id}: host ${rec.host.bdf} → guest ${bdf}, ${where}`);
    }
    const errs = machine.kernel.log.since(mark).filter((l) => l.level <= 3);
    if (errs.length)
      lines.push(`${errs.length} kernel error${errs.length === 1 ? '' : 's'} (see cxlsim dmesg)`);
    ctx.io.out(`${lines.join('\n')}\n`);
    return 0;
  });
}
