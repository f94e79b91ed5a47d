/**
 * DOC: ndctl's state-changing `cxl` subcommands on the guest: `cxlsim create-region …`,
 * `destroy-region`, `enable-/disable-region`, `enable-/disable-memdev`, `enable-/disable-port`,
 * `disable-bus`, `reserve-dpa`, `free-dpa`, `set-partition`, `read-/write-/zero-labels`.
 *
 * Arguments go to ndctl's own option parser unchanged; stdout, stderr and the exit code are
 * ndctl's (e.g. `created 0 regions` and exit 0 when the kernel refuses a write, as 76.1 does).
 * What the command wrote to /sys and sent through ioctls is journaled in the machine state.
 * Work the command left running in the guest (a firmware upload started without `--wait`) runs
 * to its end before cxlsim exits, as the journal's replay lets it: the next command sees the
 * finished upload.
 */
import { msleep, settleWork } from '../../drivers/workqueue.ts';
import { cxlCommand } from '../../ndctl/index.ts';
import { recordingIoctl, recordingSysfs } from '../recording.ts';
import { type CliContext, withMachine } from '../session.ts';

/** Runs `cxlsim <command> ARGS…`; returns ndctl's exit code. */
export async function ndctlCommand(
  ctx: CliContext,
  command: string,
  args: string[],
): Promise<number> {
  return withMachine(ctx, async ({ machine, journal }) => {
    const r = cxlCommand(
      recordingSysfs(machine.sysfs, journal),
      recordingIoctl(machine.ioctl, journal),
      [command, ...args],
      {
        ndctl: machine.profile.ndctl,
        isTty: Boolean(ctx.io.isTty),
        sleep: (ms) => msleep(machine.kernel, ms),
      },
    );
    // the process ends here: what the command left running (a firmware upload) runs to its
    // end, as the journal's replay will also let it
    settleWork(machine.kernel);
    if (r.stdout) ctx.io.out(r.stdout);
    if (r.stderr) ctx.io.err(r.stderr);
    return r.code;
  });
}
