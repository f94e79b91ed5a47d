/**
 * DOC: the region parameter stores (core/region.c uuid_store, interleave_ways_store,
 * interleave_granularity_store, size_store).
 *
 * Each parses as the kernel does, validates against the root decoder and the configuration
 * state, and throws the kernel's errno with the region untouched. Ways and granularity are
 * frozen once the HPA is allocated; the uuid once every target is attached.
 */
import { Errno } from '../../../../kernel/errno.ts';
import { kstrtoint, kstrtouint, kstrtoull } from '../../../../sysfs/format.ts';
import { env } from '../../../env.ts';
import { granularityToEig, waysToEiw } from '../../cxl.ts';
import { allocHpa, freeHpa } from './hpa.ts';
import {
  CXL_CONFIG_ACTIVE,
  CXL_CONFIG_INTERLEAVE_ACTIVE,
  type CxlRegion,
  isCxlRegion,
  NULL_UUID,
} from './region.ts';

/** UUID_STRING_LEN (36). */
const UUID_STRING_LEN = 36;

/**
 * uuid_parse() (lib/uuid.c): 36 characters, '-' at 8, 13, 18, 23, hex digits elsewhere;
 * anything after them is ignored. Returns the canonical lower-case text.
 * @throws EINVAL when the text is not a uuid
 */
export function uuidParse(buf: string): string {
  if (buf.length < UUID_STRING_LEN) throw new Errno('EINVAL');
  for (let i = 0; i < UUID_STRING_LEN; i++) {
    const c = buf[i] as string;
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== '-') throw new Errno('EINVAL');
    } else if (!/^[0-9a-fA-F]$/.test(c)) throw new Errno('EINVAL');
  }
  return buf.slice(0, UUID_STRING_LEN).toLowerCase();
}

/** is_dup(): another region of the bus already holding `uuid` (logged on that region). */
function findDup(cxlr: CxlRegion, uuid: string): CxlRegion | undefined {
  for (const d of env(cxlr).kernel.buses.get('cxl')?.devices ?? []) {
    if (isCxlRegion(d) && d.registered && d.params.uuid === uuid) return d;
  }
  return undefined;
}

/**
 * uuid_store(): `buf` must be exactly 37 bytes (36 + newline).
 * @throws EINVAL bad length, bad text, null uuid
 * @throws EBUSY all targets attached, or another region has this uuid
 */
export function uuidStore(cxlr: CxlRegion, buf: string): void {
  if (Buffer.byteLength(buf) !== UUID_STRING_LEN + 1)
    throw new Errno('EINVAL', undefined, cxlr.name);
  const uuid = uuidParse(buf);
  if (uuid === NULL_UUID) throw new Errno('EINVAL', undefined, cxlr.name);
  const p = cxlr.params;
  if (p.uuid === uuid) return;
  if (p.state >= CXL_CONFIG_ACTIVE) throw new Errno('EBUSY', undefined, cxlr.name);
  const dup = findDup(cxlr, uuid);
  if (dup)
    throw dup.dbgErr('EBUSY', `already has uuid: ${uuid}`, { check: 'uuid', args: { uuid } });
  p.uuid = uuid;
}

/**
 * interleave_ways_store(): kstrtouint, an encodable ways value, a power-of-two multiple of the
 * root decoder's ways, and no HPA yet.
 * @throws EINVAL / ERANGE parse; EINVAL bad ways ("invalid interleave: %d" when not a
 *   power-of-two multiple of the root ways); EBUSY HPA already allocated
 */
export function interleaveWaysStore(cxlr: CxlRegion, buf: string): void {
  const val = kstrtouint(buf, 0);
  try {
    waysToEiw(val);
  } catch {
    throw new Errno('EINVAL', undefined, cxlr.name);
  }
  const rootWays = cxlr.cxlrd.interleaveWays;
  const q = Math.floor(val / rootWays);
  if (q === 0 || (q & (q - 1)) !== 0 || val % rootWays !== 0) {
    throw cxlr.dbgErr('EINVAL', `invalid interleave: ${val}`, {
      check: 'ways',
      args: { ways: val, rootWays },
    });
  }
  const p = cxlr.params;
  if (p.state >= CXL_CONFIG_INTERLEAVE_ACTIVE) throw new Errno('EBUSY', undefined, cxlr.name);
  p.interleaveWays = val;
}

/**
 * interleave_granularity_store(): kstrtoint, a power of two in 256..16384, equal to the root
 * granularity when the root interleaves, and no HPA yet.
 * @throws EINVAL / ERANGE parse or rule; EBUSY HPA already allocated
 */
export function interleaveGranularityStore(cxlr: CxlRegion, buf: string): void {
  const val = kstrtoint(buf, 0);
  try {
    granularityToEig(val);
  } catch {
    throw new Errno('EINVAL', undefined, cxlr.name);
  }
  const root = cxlr.cxlrd;
  if (root.interleaveWays > 1 && val !== root.interleaveGranularity)
    throw new Errno('EINVAL', undefined, cxlr.name);
  const p = cxlr.params;
  if (p.state >= CXL_CONFIG_INTERLEAVE_ACTIVE) throw new Errno('EBUSY', undefined, cxlr.name);
  p.interleaveGranularity = val;
}

/**
 * size_store(): kstrtou64; 0 frees the HPA, anything else allocates it (hpa.ts).
 * @throws the parse error, or alloc_hpa / free_hpa's errno
 */
export function sizeStore(cxlr: CxlRegion, buf: string): void {
  const val = kstrtoull(buf, 0);
  if (val) allocHpa(cxlr, val);
  else freeHpa(cxlr);
}
