/**
 * DOC: `cxlsim qmp COMMAND [JSON]` — a QMP command sent to the machine's QEMU, as
 * `{"execute": COMMAND, "arguments": JSON}` would be (hw/qmp: QEMU's CXL commands, argument
 * checks and messages). The reply is printed as QEMU sends it: `{"return": {}}`, or
 * `{"error": {"class": "GenericError", "desc": "…"}}` with exit status 1. A command that
 * succeeded is journaled (`qmp`), so injected poison and events persist; what the guest did
 * about it (event interrupts, trace events) happens again on replay. `cxlsim trace` shows the
 * kernel's trace events.
 */

import { cxlQmp } from '../../hw/qmp/cxl.ts';
import { parseQmpJson, QmpError } from '../../hw/qmp/visit.ts';
import { KernelTrace, kernelTrace } from '../../kernel/trace.ts';
import { CliError } from '../errors.ts';
import { type CliContext, withMachine } from '../session.ts';

/** Runs `cxlsim qmp COMMAND [JSON]`. */
export async function qmpCommand(
  ctx: CliContext,
  command: string,
  json: string | undefined,
): Promise<number> {
  let args: unknown = {};
  if (json !== undefined) {
    try {
      args = parseQmpJson(json);
    } catch (e) {
      throw new CliError(`cxlsim: qmp: arguments are not JSON: ${(e as Error).message}`);
    }
  }
  return withMachine(ctx, ({ machine, journal }) => {
    const platform = machine.platform;
    if (!platform) throw new CliError('cxlsim: this machine has no emulated QEMU');
    try {
      const ret = cxlQmp(platform.functions().values(), command, args, platform.profile.qemu);
      journal({ kind: 'qmp', command, args: json ?? '{}' });
      ctx.io.out(`${JSON.stringify({ return: ret })}\n`);
      return 0;
    } catch (e) {
      if (!(e instanceof QmpError)) throw e;
      ctx.io.out(`${JSON.stringify({ error: { class: e.errorClass, desc: e.desc } })}\n`);
      return 1;
    }
  });
}

/** Runs `cxlsim trace`: every trace event the guest kernel emitted, in ftrace's line format. */
export async function traceCommand(ctx: CliContext): Promise<number> {
  return withMachine(ctx, ({ machine }) => {
    const lines = kernelTrace(machine.kernel).history.map(KernelTrace.format);
    if (lines.length) ctx.io.out(`${lines.join('\n')}\n`);
    return 0;
  });
}
