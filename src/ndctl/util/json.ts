/**
 * DOC: util/json.c number objects — util_json_object_size() and util_json_object_hex().
 *
 * Sizes are int64 objects, hex values uint64 objects; with -u (UTIL_JSON_HUMAN) they carry the
 * display_size / display_hex serializers that print "256.00 MiB (268.44 MB)" and "0x5".
 */
import { type JVal, jInt64, jU64 } from './jsonc.ts';
import { UTIL_JSON } from './print.ts';

/** util_json_object_size() */
export function sizeObj(size: bigint, flags: number): JVal {
  const o = jInt64(size);
  if (flags & UTIL_JSON.HUMAN && o.t === 'int') o.ser = 'size';
  return o;
}

/** util_json_object_hex() */
export function hexObj(val: bigint, flags: number): JVal {
  const o = jU64(val);
  if (flags & UTIL_JSON.HUMAN && o.t === 'int') o.ser = 'hex';
  return o;
}
