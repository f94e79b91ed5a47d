/**
 * DOC: `cxlsim list [cxl list options]` — ndctl's `cxl list` over the guest's /sys.
 *
 * Everything after `list` is handed to the emulation unparsed (ndctl's own option parser
 * decides what `-vvv`, `-BMu` or `--bogus` mean), and its stdout, stderr and exit code are
 * passed through byte for byte: the flavour of ndctl is the machine profile's.
 */

import { kernelTrace } from '../../kernel/trace.ts';
import { boundReads, type SysfsView } from '../../sysfs/view.ts';
import { type CliContext, withMachine } from '../session.ts';
import type { JournalOp } from '../state.ts';

/** Runs `cxlsim list ARGS…`; returns ndctl's exit code. */
/**
 * The view `cxl list` runs on: its memN/trigger_poison_list writes (-L, --media-errors) are
 * journaled when the kernel emitted events for them, so those cxl_poison events are there again
 * for `cxlsim trace`; its other writes (the tracefs instance's enable files, the port flush)
 * are not. A failing trigger is not journaled (nothing to replay).
 */
function triggersJournaled(
  view: SysfsView,
  journal: (op: JournalOp) => void,
  events: () => number,
): SysfsView {
  const write = (p: string, v: string) => {
    if (!p.endsWith('/trigger_poison_list')) return view.write(p, v);
    // only a trigger that made the kernel emit something is worth replaying
    const before = events();
    view.write(p, v);
    if (events() > before) journal({ kind: 'sysfs-write', path: p, value: v });
  };
  return { ...boundReads(view), write };
}

export async function listCommand(ctx: CliContext, args: string[]): Promise<number> {
  return withMachine(ctx, async ({ machine, journal }) => {
    const events = () => kernelTrace(machine.kernel).history.length;
    const r = await ctx.deps.list(triggersJournaled(machine.sysfs, journal, events), args, {
      ioctl: machine.ioctl,
      ndctl: machine.profile.ndctl,
    });
    if (r.stdout) ctx.io.out(r.stdout);
    if (r.stderr) ctx.io.err(r.stderr);
    return r.code;
  });
}
