/**
 * DOC: memregion ids (drivers/base/memregion.c): one global IDA shared by CXL regions and
 * libnvdimm regions; root decoders pre-allocate the next region id.
 */
import type { KernelContext } from './device.ts';
import { copiedWeakMap } from './graph-copy.ts';
import { Ida } from './ida.ts';

const idas = copiedWeakMap<KernelContext, Ida>();

/** memregion_alloc(). */
export function memregionAlloc(ctx: KernelContext): number {
  let i = idas.get(ctx);
  if (!i) {
    i = new Ida();
    idas.set(ctx, i);
  }
  return i.alloc();
}

/** memregion_free(). */
export function memregionFree(ctx: KernelContext, id: number): void {
  idas.get(ctx)?.free(id);
}
