/**
 * DOC: symlink targets as kernfs writes them (fs/kernfs/symlink.c kernfs_get_target_path()).
 *
 * A sysfs symlink stores no string: readlink(2) computes a relative path from the link's
 * directory to the target node. kernfs climbs from the link's directory with one "../" per
 * step until it reaches a node that is a *proper* ancestor of the target (the walk starts
 * at the target's parent), then appends the target's path below that node. That is why
 * `root0/uport` reads `../../ACPI0017:00` and not `..`, and `ndctl0/device` reads
 * `../../../ndbus0`.
 */

/**
 * Relative target of a symlink at `linkPath` pointing to `targetPath` (both relative to
 * /sys, '/'-separated, no leading slash): `kernfsLinkTarget('bus/cxl/devices/mem0',
 * 'devices/pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0')` →
 * `'../../../devices/pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0'`.
 */
export function kernfsLinkTarget(linkPath: string, targetPath: string): string {
  const dir = linkPath.split('/').filter((s) => s !== '');
  dir.pop(); // the link's own name
  const target = targetPath.split('/').filter((s) => s !== '');
  // Longest prefix of `dir` that is a proper ancestor of `target`.
  let k = 0;
  const max = Math.min(dir.length, target.length - 1);
  while (k < max && dir[k] === target[k]) k++;
  return '../'.repeat(dir.length - k) + target.slice(k).join('/');
}
