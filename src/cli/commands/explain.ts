/**
 * DOC: `cxlsim explain [DEVICE | create-region ARGS…] [--json]` — after a failure (or for any
 * region), the chain of the kernel's checks from the root decoder down to each endpoint
 * decoder, the one that failed with its errno and message, and verified fixes (src/explain).
 *
 * Attempts are replayed on fresh copies of the machine (boot + the journal up to the attempt),
 * so explaining never changes the machine; nothing is journaled.
 */
import { explain } from '../../explain/index.ts';
import { renderExplanation } from '../../explain/render.ts';
import { toJson } from '../../explain/translate.ts';
import { bootState, type CliContext, replay, withMachine } from '../session.ts';
import { stateFile } from '../state.ts';

/** Runs `cxlsim explain`; exit 0 (the explanation is the output, whether or not it failed). */
export async function explainCommand(
  ctx: CliContext,
  target: string[],
  json: boolean,
): Promise<number> {
  return withMachine(ctx, async ({ machine, state }) => {
    const file = stateFile(ctx.stateDir);
    const e = await explain(
      {
        machine,
        ops: state.ops,
        at: async (n) => replay(await bootState(ctx.deps, state), state.ops.slice(0, n), file),
        boot: (t) => ctx.deps.boot(t, { profile: state.profile, dyndbg: true }),
        ...(state.input.kind === 'qemu' ? { qemuText: state.input.text } : {}),
      },
      target,
    );
    ctx.io.out(json ? `${JSON.stringify(toJson(e), null, 2)}\n` : renderExplanation(e));
    return 0;
  });
}
