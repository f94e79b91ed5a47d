/**
 * DOC: `cxlsim dmesg [--raw]` — the guest kernel's log since boot (replayed operations
 * included), in busybox dmesg format: `[    0.000001] text`, or with `--raw` the printk
 * level first (`<7>[    0.000001] text`, like the captures' dmesg-raw.txt). Debug lines
 * exist only when the machine was booted with `--dyndbg`, as on a real kernel.
 */
import { KernelLog } from '../../kernel/log.ts';
import { type CliContext, withMachine } from '../session.ts';

/** Runs `cxlsim dmesg`. */
export async function dmesgCommand(ctx: CliContext, raw: boolean): Promise<number> {
  return withMachine(ctx, ({ machine }) => {
    const lines = machine.kernel.log.lines.map((l) => KernelLog.format(l, raw));
    if (lines.length) ctx.io.out(`${lines.join('\n')}\n`);
    return 0;
  });
}
