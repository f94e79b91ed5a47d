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
  if (!plainPath(linkPath) || !plainPath(targetPath))
    return kernfsLinkTargetSplit(linkPath, targetPath);
  // the same walk over the strings themselves (a dump reads 175 k links at 4096 endpoints;
  // the arrays of the split version were most of what it allocated per link)
  const dirEnd = linkPath.lastIndexOf('/'); // the link's directory is linkPath[0, dirEnd)
  let dirParts = 0;
  if (dirEnd > 0) {
    dirParts = 1;
    for (let i = 0; i < dirEnd; i++) if (linkPath.charCodeAt(i) === 0x2f) dirParts++;
  }
  let targetParts = 1;
  for (let i = 0; i < targetPath.length; i++) if (targetPath.charCodeAt(i) === 0x2f) targetParts++;
  // Longest prefix of the directory's components that is a proper ancestor of the target.
  const max = Math.min(dirParts, targetParts - 1);
  let k = 0;
  let pd = 0; // start of component k in linkPath
  let pt = 0; // start of component k in targetPath
  while (k < max) {
    let ed = linkPath.indexOf('/', pd);
    if (ed < 0 || ed > dirEnd) ed = dirEnd;
    let et = targetPath.indexOf('/', pt);
    if (et < 0) et = targetPath.length;
    if (ed - pd !== et - pt || !sameChars(linkPath, pd, targetPath, pt, ed - pd)) break;
    k++;
    pd = ed + 1;
    pt = et + 1;
  }
  return '../'.repeat(dirParts - k) + targetPath.slice(pt);
}

/** True for a path with no empty component: no leading, trailing or doubled '/'. */
function plainPath(p: string): boolean {
  return p !== '' && !p.startsWith('/') && !p.endsWith('/') && !p.includes('//');
}

/** Whether `a` from `i` and `b` from `j` have the same `n` UTF-16 units. */
function sameChars(a: string, i: number, b: string, j: number, n: number): boolean {
  for (let x = 0; x < n; x++) if (a.charCodeAt(i + x) !== b.charCodeAt(j + x)) return false;
  return true;
}

/** {@link kernfsLinkTarget} for any '/'-separated paths (empty components ignored). */
export function kernfsLinkTargetSplit(linkPath: string, targetPath: string): string {
  const dir = linkPath.split('/').filter((s) => s !== '');
  dir.pop(); // the link's own name
  const target = targetPath.split('/').filter((s) => s !== '');
  // Longest prefix of `dir` that is a proper ancestor of `target`.
  let k = 0;
  const max = Math.min(dir.length, target.length - 1);
  while (k < max && dir[k] === target[k]) k++;
  return '../'.repeat(dir.length - k) + target.slice(k).join('/');
}
