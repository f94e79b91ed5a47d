/**
 * DOC: which ndctl release behaviour the region commands follow.
 *
 * Each entry names the first ndctl release with the newer behaviour, read from the ndctl
 * history (git tags v76.1 … v81) and checked against the captures of the three stacks
 * (76.1, 81, 85). Entries first seen after v81 say 85: the source between 81 and 85 was not read.
 */
import type { Ndctl } from '../list/jsonc.ts';

/** ndctl-behaviour switches of `cxl {create,destroy,disable}-region`. */
export const NDCTL_REGION = {
  /** cmd_create_region returns the creation's result, so a refused creation exits 1
   *  (8260c9e "cxl/region: skip region_actions for region creation"; 76.1 exits 0). */
  createReturnsRc: '77',
  /** destroy_region() disables through disable_region() (libdaxctl offlining of the region's
   *  dax devices first), 8c12519. */
  disableRegionHelper: '79',
  /** destroy_region() refuses a locked region (EPERM) and checks decoder order first. */
  destroyChecks: '85',
} as const;

/** Release number as a comparable number ("76.1" → 76.1, "81" → 81). */
function num(v: string): number {
  return Number(v);
}

/** True when ndctl release `v` has the behaviour `k`. */
export function nver(v: Ndctl, k: keyof typeof NDCTL_REGION): boolean {
  return num(v) >= num(NDCTL_REGION[k]);
}
