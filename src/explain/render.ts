/**
 * DOC: `cxlsim explain` as text: the summary line, the chain of checks from the root decoder
 * down to the endpoints (✓ passed, ✗ failed with the kernel's errno and message, ! cxlsim's
 * re-derivation disagrees with the kernel, · not reached), the kernel's and ndctl's lines of
 * the failing step, and the verified fixes with the commands that apply them.
 */
import type { Check, Explanation } from './types.ts';

const MARK: Record<Check['status'], string> = {
  ok: '✓',
  failed: '✗',
  warn: '!',
  'not-reached': '·',
};

/** The explanation as text (ends with a newline). */
export function renderExplanation(e: Explanation): string {
  const out: string[] = [e.summary, ''];
  if (e.checks.length) {
    out.push('checks (root decoder → endpoints):');
    const w = Math.max(
      ...e.checks.map(
        (c) => c.device.length + (c.position !== undefined ? ` [${c.position}]`.length : 0),
      ),
    );
    for (const c of e.checks) {
      const dev = `${c.device}${c.position !== undefined ? ` [${c.position}]` : ''}`;
      out.push(
        `  ${MARK[c.status]} ${c.level.padEnd(11)} ${dev.padEnd(w)}  ${c.id}: ${c.detail}${c.status === 'not-reached' ? ' (not reached)' : ''}`,
      );
      if (c.status === 'failed' && (c.errno || c.message))
        out.push(`      ${c.errno ? `${c.errno}: ` : ''}${c.message ?? ''}`);
    }
    out.push('');
  }
  if (e.failure) {
    if (e.failure.write)
      out.push(
        `refused write: echo '${e.failure.write.value.replace(/\n$/, '')}' > /sys/${e.failure.write.path}${e.failure.errno ? ` (${e.failure.errno})` : ''}`,
      );
    if (e.failure.kernel.length)
      out.push('kernel (dynamic debug):', ...e.failure.kernel.map((l) => `  ${l}`));
    if (e.failure.tool.length) out.push('ndctl:', ...e.failure.tool.map((l) => `  ${l}`));
    out.push('');
  }
  if (!e.ok) {
    if (e.fixes.length === 0)
      out.push('no fix found (none of the candidates worked on a copy of the machine)');
    else {
      out.push('what would work:');
      e.fixes.forEach((f, i) => {
        out.push(
          `  ${i + 1}. ${f.description}${f.verified ? (f.qemu ? ' (verified by booting the edited line)' : ' (verified on a copy of the machine)') : ' (not verifiable from the guest)'}`,
        );
        for (const c of f.commands) out.push(`       ${c}`);
        if (f.qemu)
          out.push(
            '       edited QEMU line:',
            ...f.qemu
              .trimEnd()
              .split('\n')
              .map((l) => `         ${l}`),
          );
        if (f.topology)
          out.push(
            '       (the patched topology file is in `cxlsim explain --json`: fixes[].topology)',
          );
      });
    }
  }
  while (out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}
