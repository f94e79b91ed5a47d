/**
 * DOC: `cxlsim mem read HPA LEN` and `cxlsim mem write HPA HEX` — CPU loads and stores at a
 * host physical address, routed by the *hardware's* committed decoders (the platform's
 * MemoryBus: CFMWS window arithmetic → host bridge HDM decoder → switch → endpoint HDM decoder
 * → DPA, hw/memory/route.ts, as QEMU's cxl-host.c cfmws_ops do) into the devices' memory.
 *
 * The guest kernel is not involved: what reaches a device depends only on the decoders that
 * are committed in the registers. An access is refused as a whole (EFAULT, nothing written)
 * when any byte of it is not decoded, naming where the decode stopped. Stores are journaled
 * (`mem-write`), so the data persists across invocations and `cxlsim reboot`.
 * `read` prints a hexdump whose offset column is the HPA (hexdump -C layout).
 */
import { Errno } from '../../kernel/errno.ts';
import type { Machine } from '../../machine.ts';
import { CliError } from '../errors.ts';
import { type CliContext, withMachine } from '../session.ts';

/** Largest `mem read` / `mem write` (bytes). */
export const MEM_MAX_LEN = 1 << 20;
/** Smallest interleave granule: an access is decoded per 256-byte piece. */
const GRANULE = 256n;

/**
 * Parses an address or length: "0x…" hexadecimal or decimal (kstrtoull base 0 without octal).
 * @throws EINVAL "invalid <what> '<text>'" when it does not parse or exceeds 64 bits
 */
export function parseU64(text: string, what: string): bigint {
  const t = text.trim();
  if (!/^(?:0[xX][0-9a-fA-F]+|[0-9]+)$/.test(t))
    throw new Errno('EINVAL', `invalid ${what} '${text}'`);
  const v = BigInt(t);
  if (v >= 1n << 64n) throw new Errno('EINVAL', `invalid ${what} '${text}' (more than 64 bits)`);
  return v;
}

/**
 * Bytes from "de ad be ef", "deadbeef" or "de:ad:be:ef" (address order).
 * @throws EINVAL when not whole pairs of hex digits, empty or too long
 */
export function parseHexBytes(text: string): Uint8Array {
  const t = text.replace(/[\s:]/g, '');
  if (t.length === 0 || t.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(t))
    throw new Errno(
      'EINVAL',
      `invalid data '${text}': expected pairs of hex digits (bytes in address order), e.g. deadbeef`,
    );
  if (t.length / 2 > MEM_MAX_LEN)
    throw new Errno('EINVAL', `data longer than ${MEM_MAX_LEN} bytes`);
  return Uint8Array.from(Buffer.from(t, 'hex'));
}

/** `hexdump -C` lines with the HPA as the offset column (16 hex digits). */
export function hexdump(hpa: bigint, data: Uint8Array): string {
  let out = '';
  for (let off = 0; off < data.length; off += 16) {
    const row = data.subarray(off, off + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0'));
    const left = hex.slice(0, 8).join(' ');
    const right = hex.slice(8).join(' ');
    const ascii = [...row]
      .map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'))
      .join('');
    const addr = (hpa + BigInt(off)).toString(16).padStart(16, '0');
    out += `${addr}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|\n`;
  }
  return out;
}

/**
 * Checks that every 256-byte piece of [hpa, hpa + len) decodes to device memory.
 * @throws EFAULT "HPA 0x… is not decoded: <reason>" with the device where decoding stopped
 */
export function checkDecoded(m: Machine, hpa: bigint, len: number): void {
  const platform = m.platform;
  if (!platform) throw new CliError('this machine has no emulated memory bus');
  if (hpa + BigInt(len) > 1n << 64n)
    throw new Errno('EINVAL', 'access wraps past the end of the address space');
  for (let a = hpa; a < hpa + BigInt(len); a = (a / GRANULE + 1n) * GRANULE) {
    const r = platform.routeHpa(a);
    if (!r.ok) {
      const at = r.stop?.at ?? 'platform';
      throw new Errno(
        'EFAULT',
        `HPA 0x${a.toString(16)} is not decoded: ${r.stop?.reason ?? 'unknown'}`,
        at,
      );
    }
  }
}

/** Runs `cxlsim mem read HPA LEN`. */
export async function memRead(ctx: CliContext, hpaText: string, lenText: string): Promise<number> {
  const hpa = parseU64(hpaText, 'HPA');
  const len = parseU64(lenText, 'length');
  if (len === 0n || len > BigInt(MEM_MAX_LEN))
    throw new Errno('EINVAL', `length must be 1 to ${MEM_MAX_LEN} bytes`);
  return withMachine(ctx, ({ machine }) => {
    checkDecoded(machine, hpa, Number(len));
    const r = machine.platform?.bus.mem.read(hpa, Number(len));
    if (!r?.ok) throw new Errno('EFAULT', `HPA 0x${hpa.toString(16)}: read not decoded`);
    ctx.io.out(hexdump(hpa, r.data));
    return 0;
  });
}

/** Runs `cxlsim mem write HPA HEX` (journaled). */
export async function memWrite(ctx: CliContext, hpaText: string, hexText: string): Promise<number> {
  const hpa = parseU64(hpaText, 'HPA');
  const data = parseHexBytes(hexText);
  return withMachine(ctx, ({ machine, journal }) => {
    checkDecoded(machine, hpa, data.length);
    if (!machine.platform?.bus.mem.write(hpa, data))
      throw new Errno('EFAULT', `HPA 0x${hpa.toString(16)}: write not decoded`);
    journal({
      kind: 'mem-write',
      hpa: `0x${hpa.toString(16)}`,
      data: Buffer.from(data).toString('hex'),
    });
    return 0;
  });
}
