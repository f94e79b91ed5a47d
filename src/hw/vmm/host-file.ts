/**
 * DOC: the host-device file (`cxlsim boot --qemu LINE --topology HOST.yaml`, docs/topology.md
 * §4): per host BDF, what the physical function passed through with `vfio-pci,host=BDF` is.
 *
 * YAML or JSON, read like topology files (`intAsBigInt`; sizes and addresses as numbers or QEMU
 * size strings; unknown keys are errors):
 *
 *     hostDevices:
 *       - host: "0002:81:00.0"    # required; "BB:DD.F" means segment 0000
 *         dpaSize: 32G            # device memory (default 16G); multiple of 256M
 *         committed: true         # HDM decoder 0 committed + locked by host firmware (default)
 *         disableCxl: false       # vfio-pci disable_cxl=1 for this function
 *         hpa: 0x200000000000     # host HPA of decoder 0 (default derived from the BDF)
 *         recommitAfterReset: true # firmware re-commits decoder 0 after a reset (default)
 *
 * Errors are `Errno('EINVAL')` "<field path>: <problem>" with the file as `dev`.
 */
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { Errno } from '../../kernel/errno.ts';
import { formatPath } from '../../topology/schema-check.ts';
import { size } from '../../topology/schema-types.ts';
import { canonicalBdf } from './bdf.ts';
import type { HostDeviceSpec } from './host-device.ts';

export { canonicalBdf } from './bdf.ts';

const bdf = z.string().transform((v, ctx) => {
  const c = canonicalBdf(v);
  if (c) return c;
  ctx.addIssue({ code: 'custom', message: 'expected a PCI address "SSSS:BB:DD.F"', input: v });
  return z.NEVER;
});

const hostFileSchema = z.strictObject({
  hostDevices: z.array(
    z.strictObject({
      host: bdf,
      dpaSize: size.optional(),
      committed: z.boolean().optional(),
      disableCxl: z.boolean().optional(),
      hpa: size.optional(),
      recommitAfterReset: z.boolean().optional(),
    }),
  ),
});

/**
 * Parses a host-device file.
 * @throws EINVAL invalid YAML, unknown keys, bad values, sizes not in 256 MiB units, a host
 *   listed twice
 */
export function parseHostDeviceFile(text: string, path?: string): HostDeviceSpec[] {
  const fail = (msg: string): never => {
    throw new Errno('EINVAL', msg, path ?? '');
  };
  const doc = parseDocument(text, { intAsBigInt: true });
  const yamlErr = doc.errors[0];
  if (yamlErr) fail(`invalid YAML: ${(yamlErr.message.split('\n')[0] ?? '').replace(/:$/, '')}`);
  const r = hostFileSchema.safeParse(doc.toJS());
  if (!r.success) {
    const i = r.error.issues[0];
    const p = i ? formatPath(i.path) : '';
    const what =
      i?.code === 'unrecognized_keys'
        ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`
        : i?.code === 'invalid_type'
          ? `expected ${i.expected}`
          : (i?.message ?? 'invalid host-device file');
    return fail(p ? `${p}: ${what}` : what);
  }
  const seen = new Set<string>();
  const out: HostDeviceSpec[] = [];
  const MiB256 = 256n << 20n;
  r.data.hostDevices.forEach((h, i) => {
    const at = `hostDevices[${i}]`;
    if (seen.has(h.host)) fail(`${at}.host: ${h.host} is listed twice`);
    seen.add(h.host);
    if (h.dpaSize !== undefined && (h.dpaSize === 0n || h.dpaSize % MiB256 !== 0n))
      fail(`${at}.dpaSize: must be a non-zero multiple of 256 MiB`);
    if (h.hpa !== undefined && h.hpa % MiB256 !== 0n) fail(`${at}.hpa: must be 256 MiB aligned`);
    const s: HostDeviceSpec = { host: h.host };
    if (h.dpaSize !== undefined) s.dpaSize = h.dpaSize;
    if (h.committed !== undefined) s.committed = h.committed;
    if (h.disableCxl !== undefined) s.disableCxl = h.disableCxl;
    if (h.hpa !== undefined) s.hpa = h.hpa;
    if (h.recommitAfterReset !== undefined) s.recommitAfterReset = h.recommitAfterReset;
    out.push(s);
  });
  return out;
}
