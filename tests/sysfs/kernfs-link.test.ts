/**
 * kernfsLinkTarget(): the index walk over the two path strings gives what the walk over their
 * split components (kernfsLinkTargetSplit, the general form) gives, for random paths that share
 * prefixes, and the targets the kernel captures show.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kernfsLinkTarget, kernfsLinkTargetSplit } from '../../src/sysfs/kernfs-link.ts';

/** Components drawn from a few names, so that link and target often share a prefix. */
const part = fc.constantFrom('devices', 'pci0000:0c', '0000:0c:00.0', 'mem0', 'a', 'ab', 'a.b');
const path = fc.array(part, { minLength: 1, maxLength: 7 }).map((p) => p.join('/'));

describe('kernfsLinkTarget', () => {
  it('reads back the captures’ relative targets', () => {
    expect(
      kernfsLinkTarget('bus/cxl/devices/mem0', 'devices/pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0'),
    ).toBe('../../../devices/pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0');
    expect(
      kernfsLinkTarget('devices/platform/ACPI0017:00/root0/uport', 'devices/platform/ACPI0017:00'),
    ).toBe('../../ACPI0017:00');
    expect(
      kernfsLinkTarget(
        'devices/platform/ACPI0012:00/ndbus0/ndctl/ndctl0/device',
        'devices/platform/ACPI0012:00/ndbus0',
      ),
    ).toBe('../../../ndbus0');
  });

  it('gives the split walk’s answer for 2,000 random path pairs', () => {
    let runs = 0;
    fc.assert(
      fc.property(path, path, (link, target) => {
        runs++;
        expect(kernfsLinkTarget(link, target)).toBe(kernfsLinkTargetSplit(link, target));
      }),
      { numRuns: 2000, seed: 15 },
    );
    expect(runs).toBe(2000);
  });

  it('takes the split walk for paths with empty components', () => {
    expect(kernfsLinkTarget('/a//b/link', 'a/c/')).toBe(
      kernfsLinkTargetSplit('/a//b/link', 'a/c/'),
    );
    expect(kernfsLinkTarget('/a//b/link', 'a/c/')).toBe('../c');
  });
});
