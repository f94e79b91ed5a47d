/**
 * DOC: the sysfs stores that belong to the region driver (create/delete region, endpoint
 * decoder mode and dpa_size). The region driver installs its implementations at load; until
 * then they fail with EOPNOTSUPP, as writes to an absent feature would.
 */
import { Errno } from '../../../kernel/errno.ts';
import type { CxlEndpointDecoder, CxlRootDecoder } from './decoder.ts';

/** The hooks. */
export const regionHooks = {
  createRegion(_d: CxlRootDecoder, _mode: 'pmem' | 'ram', _buf: string): void {
    throw new Errno('EOPNOTSUPP');
  },
  deleteRegion(_d: CxlRootDecoder, _buf: string): void {
    throw new Errno('EOPNOTSUPP');
  },
  setMode(_d: CxlEndpointDecoder, _buf: string): void {
    throw new Errno('EOPNOTSUPP');
  },
  setDpaSize(_d: CxlEndpointDecoder, _buf: string): void {
    throw new Errno('EOPNOTSUPP');
  },
};
