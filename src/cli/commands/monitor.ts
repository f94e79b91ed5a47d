/**
 * DOC: `cxlsim monitor [cxl monitor options]` — ndctl's `cxl monitor` (src/ndctl/cxl/
 * monitor.ts) on the guest.
 *
 * cxlsim behaviour: each cxlsim command is a process over a machine replayed from its
 * journal, so the monitor is the one a `cxl monitor` started at boot would be: its tracefs
 * instance "cxl_monitor" holds, with every cxl event enabled, each cxl event the kernel has
 * emitted since boot (what `cxlsim trace` shows as text); the monitor prints them as JSON
 * lines and exits instead of waiting for more (the real one has no --timeout). Its tracefs
 * writes are not journaled. For the real tool against a live machine:
 * `cxlsim run -- cxl monitor`.
 */
import { kernelTrace } from '../../kernel/trace.ts';
import { MONITOR_INSTANCE } from '../../ndctl/cxl/monitor.ts';
import { cxlCommand } from '../../ndctl/index.ts';
import { type CliContext, withMachine } from '../session.ts';

/** Runs `cxlsim monitor ARGS…`; returns ndctl's exit code. */
export async function monitorCommand(ctx: CliContext, args: string[]): Promise<number> {
  return withMachine(ctx, async ({ machine }) => {
    const t = kernelTrace(machine.kernel);
    const b = t.instance(MONITOR_INSTANCE);
    b.enabled.add('cxl:*');
    b.events = t.history.filter((e) => e.system === 'cxl');
    const r = cxlCommand(machine.sysfs, machine.ioctl, ['monitor', ...args], {
      ndctl: machine.profile.ndctl,
      isTty: Boolean(ctx.io.isTty),
    });
    if (r.stdout) ctx.io.out(r.stdout);
    if (r.stderr) ctx.io.err(r.stderr);
    return r.code;
  });
}
