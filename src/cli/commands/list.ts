/**
 * DOC: `cxlsim list [cxl list options]` — ndctl's `cxl list` over the guest's /sys.
 *
 * Everything after `list` is handed to the emulation unparsed (ndctl's own option parser
 * decides what `-vvv`, `-BMu` or `--bogus` mean), and its stdout, stderr and exit code are
 * passed through byte for byte: the flavour of ndctl is the machine profile's.
 */
import { type CliContext, withMachine } from '../session.ts';

/** Runs `cxlsim list ARGS…`; returns ndctl's exit code. */
export async function listCommand(ctx: CliContext, args: string[]): Promise<number> {
  return withMachine(ctx, async ({ machine }) => {
    const r = await ctx.deps.list(machine.sysfs, args, {
      ioctl: machine.ioctl,
      ndctl: machine.profile.ndctl,
    });
    if (r.stdout) ctx.io.out(r.stdout);
    if (r.stderr) ctx.io.err(r.stderr);
    return r.code;
  });
}
