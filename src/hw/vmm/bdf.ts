/**
 * DOC: PCI address parsing for host functions (`host=BDF`), kept apart from the host-device
 * file parser so that the boot path does not load yaml and zod.
 */

/** "BB:DD.F" or "SSSS:BB:DD.F" → canonical lower-case "SSSS:BB:DD.F"; undefined when malformed. */
export function canonicalBdf(h: string): string | undefined {
  const m = /^(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,2}):([0-1]?[0-9a-f])\.([0-7])$/i.exec(h.trim());
  if (!m) return undefined;
  const p = (s: string | undefined, w: number) => (s ?? '0').toLowerCase().padStart(w, '0');
  return `${p(m[1], 4)}:${p(m[2], 2)}:${p(m[3], 2)}.${m[4]}`;
}
