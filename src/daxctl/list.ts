/**
 * DOC: `daxctl list` (ndctl's daxctl/list.c with util/json.c util_daxctl_dev_to_json) over the
 * guest's /sys/bus/dax, as far as the CXL dax devices need it: -D (devices, the default), -M
 * (mappings), -i (idle: devices no driver has claimed). Each device: chardev, size, target_node,
 * align, mode ("system-ram" when kmem holds it, else "devdax"), state "disabled" when unbound,
 * and with -M its mappings (page_offset, start, end, size). Nothing is printed when no device
 * matches (the array is created with its first element).
 */

import type { Ndctl } from '../ndctl/util/jsonc.ts';
import { arrAdd, jArr, jInt, jObj, jStr, jU64, objAdd } from '../ndctl/util/jsonc.ts';
import { displayJsonArray, Output } from '../ndctl/util/print.ts';
import type { SysfsView } from '../sysfs/view.ts';

/** What one daxctl run printed and its exit status. */
export interface DaxctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

const DAX = '/sys/bus/dax/devices';

function text(view: SysfsView, path: string): string {
  const v = view.read(path);
  return (typeof v === 'string' ? v : Buffer.from(v).toString('latin1')).trim();
}

/** `daxctl list ARGS…` (only -D/-M/-i and their long forms; anything else: usage, exit 129). */
export function daxctlList(view: SysfsView, args: readonly string[], ndctl: Ndctl): DaxctlResult {
  const out = new Output();
  let mappings = false;
  let idle = false;
  for (const a of args) {
    const flags = a.startsWith('--')
      ? [a]
      : a.startsWith('-')
        ? [...a.slice(1)].map((c) => `-${c}`)
        : [a];
    for (const f of flags) {
      if (f === '-M' || f === '--mappings') mappings = true;
      else if (f === '-i' || f === '--idle') idle = true;
      else if (f === '-D' || f === '--devices') continue;
      else {
        out.stderr += `cxlsim: daxctl list: option ${f} is not modelled\n`;
        return { code: 129, stdout: '', stderr: out.stderr };
      }
    }
  }
  const names = view.lstat(DAX) ? view.readdir(DAX) : [];
  const devs = jArr();
  for (const name of names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    const dir = `${DAX}/${name}`;
    const drv = view.lstat(`${dir}/driver`)
      ? view.readlink(`${dir}/driver`).split('/').pop()
      : undefined;
    if (!drv && !idle) continue;
    const o = jObj();
    objAdd(o, 'chardev', jStr(name));
    objAdd(o, 'size', jInt(BigInt(text(view, `${dir}/size`))));
    objAdd(o, 'target_node', jInt(Number(text(view, `${dir}/target_node`))));
    objAdd(o, 'align', jInt(Number(text(view, `${dir}/align`))));
    objAdd(o, 'mode', jStr(drv === 'kmem' ? 'system-ram' : 'devdax'));
    if (!drv) objAdd(o, 'state', jStr('disabled'));
    if (mappings) {
      const ms = jArr();
      for (const md of view.readdir(dir).filter((e) => /^mapping\d+$/.test(e))) {
        const start = BigInt(text(view, `${dir}/${md}/start`));
        const end = BigInt(text(view, `${dir}/${md}/end`));
        const mo = jObj();
        objAdd(mo, 'page_offset', jInt(BigInt(text(view, `${dir}/${md}/page_offset`))));
        objAdd(mo, 'start', jU64(start));
        objAdd(mo, 'end', jU64(end));
        objAdd(mo, 'size', jU64(end - start + 1n));
        arrAdd(ms, mo);
      }
      objAdd(o, 'mappings', ms);
    }
    arrAdd(devs, o);
  }
  if (devs.a.length > 0) displayJsonArray(out, devs, 0, ndctl);
  return { code: 0, stdout: out.stdout, stderr: out.stderr };
}
