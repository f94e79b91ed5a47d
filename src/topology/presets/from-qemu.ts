/**
 * DOC: presets defined by a QEMU command line: parsed with the QEMU version in use, then
 * named after the preset (`source: {kind: 'preset'}`).
 */
import type { QemuVersion } from '../../profile.ts';
import type { Topology } from '../model.ts';
import { parseQemuCommandLine } from '../qemu-cmdline.ts';

/**
 * Parses `text` as QEMU `qemu` would and labels the result as preset `name`.
 * @throws QemuError when that QEMU version rejects the line.
 */
export function presetFromQemu(name: string, text: string, qemu: QemuVersion): Topology {
  const t = parseQemuCommandLine(text, { qemu });
  t.name = name;
  t.source = { kind: 'preset', name };
  return t;
}
