/**
 * DOC: `cxlsim translate HPA` and `cxlsim translate --dpa memN:DPA [--json]` — an address as the
 * hardware decodes it (window, host bridge, switches, endpoint and DPA through the committed
 * HDM decoders) and as the region driver translates it (region, position, memdev, DPA by
 * region_offset_to_dpa_result(); HPA by cxl_dpa_to_hpa()). Exit code 1 when they disagree.
 */

import {
  renderTranslate,
  type TranslateReport,
  toJson,
  translateDpa,
  translateHpa,
} from '../../explain/translate.ts';
import { Errno } from '../../kernel/errno.ts';
import { type CliContext, withMachine } from '../session.ts';
import { parseU64 } from './mem.ts';

/** Options of `cxlsim translate`. */
export interface TranslateOptions {
  dpa?: string;
  json?: boolean;
}

/** Runs `cxlsim translate`. */
export async function translateCommand(
  ctx: CliContext,
  hpaText: string | undefined,
  o: TranslateOptions,
): Promise<number> {
  let q: { hpa: bigint } | { memdev: string; dpa: bigint };
  if (o.dpa !== undefined) {
    if (hpaText !== undefined)
      throw new Errno('EINVAL', 'give either HPA or --dpa memN:DPA, not both');
    const m = /^(mem\d+):(.+)$/.exec(o.dpa);
    if (!m)
      throw new Errno('EINVAL', `invalid --dpa '${o.dpa}': expected memN:DPA, e.g. mem0:0x1000`);
    q = { memdev: m[1] as string, dpa: parseU64(m[2] as string, 'DPA') };
  } else {
    if (hpaText === undefined) throw new Errno('EINVAL', 'missing HPA (or --dpa memN:DPA)');
    q = { hpa: parseU64(hpaText, 'HPA') };
  }
  return withMachine(ctx, ({ machine }) => {
    const r: TranslateReport =
      'hpa' in q ? translateHpa(machine, q.hpa) : translateDpa(machine, q.memdev, q.dpa);
    ctx.io.out(o.json ? `${JSON.stringify(toJson(r), null, 2)}\n` : renderTranslate(r));
    return r.agree ? 0 : 1;
  });
}
