/**
 * DOC: the mailbox, guest side (drivers/cxl/pci.c __cxl_pci_mbox_send_cmd,
 * drivers/cxl/core/mbox.c cxl_enumerate_cmds, cxl_dev_state_identify, cxl_mem_create_range_info).
 *
 * Commands go through MMIO exactly as the kernel sends them: payload copied to +0x20, the
 * command register written, the doorbell rung and polled, the return code read from the status
 * register (CXL 3.1 §8.2.8.4). Return codes map to errnos through the kernel's table.
 */
import { Errno, type ErrnoName } from '../../../kernel/errno.ts';
import { env } from '../../env.ts';
import {
  CXLDEV_MBOX_CMD_OFFSET,
  CXLDEV_MBOX_CTRL_DOORBELL,
  CXLDEV_MBOX_CTRL_OFFSET,
  CXLDEV_MBOX_PAYLOAD_OFFSET,
  CXLDEV_MBOX_STATUS_OFFSET,
} from '../cxl.ts';
import { CXL_KVER } from '../kver.ts';
import type { CxlDevState, DpaPartition } from './memdev.ts';
import { cxlMockMboxDelayMs } from './mock-hooks.ts';
import { cxlPciSanitizeStarted, cxlSanitizeBlocks } from './pci-sanitize.ts';

/** Opcodes (enum cxl_opcode). */
export const CXL_MBOX_OP = {
  GET_EVENT_RECORD: 0x0100,
  GET_FW_INFO: 0x0200,
  GET_SUPPORTED_LOGS: 0x0400,
  GET_LOG: 0x0401,
  IDENTIFY: 0x4000,
  GET_PARTITION_INFO: 0x4100,
  SET_PARTITION_INFO: 0x4101,
  GET_LSA: 0x4102,
  SET_LSA: 0x4103,
  GET_HEALTH_INFO: 0x4200,
  GET_ALERT_CONFIG: 0x4201,
  SET_ALERT_CONFIG: 0x4202,
  GET_SHUTDOWN_STATE: 0x4203,
  SET_SHUTDOWN_STATE: 0x4204,
  GET_POISON: 0x4300,
  INJECT_POISON: 0x4301,
  CLEAR_POISON: 0x4302,
  GET_SCAN_MEDIA_CAPS: 0x4303,
  SCAN_MEDIA: 0x4304,
  GET_SCAN_MEDIA: 0x4305,
  SANITIZE: 0x4400,
  SECURE_ERASE: 0x4401,
  GET_SECURITY_STATE: 0x4500,
} as const;

/** Linux 6.1's cxl_mem_commands[] opcodes: what the driver knows (others are "unsupported by driver"). */
export const DRIVER_OPCODES_6_1 = [
  0x4000, 0x0400, 0x0200, 0x4100, 0x4102, 0x4200, 0x0401, 0x4101, 0x4103, 0x4201, 0x4202, 0x4203,
  0x4204, 0x4300, 0x4301, 0x4302, 0x4303, 0x4304, 0x4305,
];
/** Later kernels add events, timestamp, sanitize, security… */
export const DRIVER_OPCODES_LATEST = [
  ...DRIVER_OPCODES_6_1,
  0x0100,
  0x0101,
  0x0102,
  0x0103,
  0x0300,
  0x0301,
  0x0201,
  0x0202,
  0x4400,
  0x4401,
  0x4500,
  0x0500,
  0x0501,
  0x0502,
];

/** The driver's opcode tables as sets (looked up for every CEL entry of every device). */
const KNOWN_6_1: ReadonlySet<number> = new Set(DRIVER_OPCODES_6_1);
const KNOWN_LATEST: ReadonlySet<number> = new Set(DRIVER_OPCODES_LATEST);

/** CMD_CMD_RC_TABLE: return code → errno (index = code). */
const RC_ERRNO: ErrnoName[] = [
  'EINVAL',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'EFAULT',
  'EBUSY',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
  'ENXIO',
];

/** Mailbox register offsets as HPA offsets (bigint), converted once. */
const MBOX_CTRL = BigInt(CXLDEV_MBOX_CTRL_OFFSET);
const MBOX_CMD = BigInt(CXLDEV_MBOX_CMD_OFFSET);
const MBOX_STATUS = BigInt(CXLDEV_MBOX_STATUS_OFFSET);
const MBOX_PAYLOAD = BigInt(CXLDEV_MBOX_PAYLOAD_OFFSET);

/** Result of one mailbox command: the device's return code and output payload. */
export interface MboxResult {
  rc: number;
  out: Uint8Array;
}

/** Background-command polling of one command (struct cxl_mbox_cmd poll_interval_ms / poll_count). */
export interface MboxPoll {
  intervalMs: number;
  count: number;
}

/**
 * __cxl_pci_mbox_send_cmd(): one command through the doorbell protocol.
 * @throws EBUSY doorbell already set; ETIMEDOUT doorbell never cleared
 */
export function cxlMboxSend(
  cxlds: CxlDevState,
  opcode: number,
  payload: Uint8Array,
  outSize: number,
  poll?: MboxPoll,
): MboxResult {
  const steps = cxlMboxSendSteps(cxlds, opcode, payload, outSize, poll);
  const hw = env(cxlds.pdev).hw;
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (!hw.delay) throw cxlds.pdev.err('ETIMEDOUT', 'timeout waiting for background (0 ms)');
    hw.delay(r.value);
  }
}

/**
 * __cxl_pci_mbox_send_cmd() as the steps of a sleeping caller: yields each sleep (ms) — the
 * background-command poll interval, the cxl_test mock's per-command delay — and returns the
 * result. {@link cxlMboxSend} drives it with bus.delay; the firmware upload worker yields the
 * sleeps to the workqueue (drivers/workqueue.ts) so that the rest of the guest runs meanwhile.
 * @throws EBUSY doorbell already set; ETIMEDOUT doorbell never cleared or background timeout
 */
export function* cxlMboxSendSteps(
  cxlds: CxlDevState,
  opcode: number,
  payload: Uint8Array,
  outSize: number,
  poll?: MboxPoll,
): Generator<number, MboxResult, void> {
  const e = env(cxlds.pdev);
  const mmio = e.hw.mmio;
  const dev = cxlds.pdev;
  const base = cxlds.mboxBase;
  if (mmio.read32(base + MBOX_CTRL) & CXLDEV_MBOX_CTRL_DOORBELL) {
    throw dev.err('EBUSY', `mailbox queue busy (opcode: 0x${opcode.toString(16)}), device state `);
  }
  if (cxlSanitizeBlocks(cxlds, opcode)) throw new Errno('EBUSY', 'sanitize in progress', dev.name);
  if (payload.length) mmio.writeBytes(base + MBOX_PAYLOAD, payload);
  mmio.write64(base + MBOX_CMD, BigInt(opcode) | (BigInt(payload.length) << 16n));
  dev.dbg('Sending command');
  mmio.write32(base + MBOX_CTRL, CXLDEV_MBOX_CTRL_DOORBELL);
  if (mmio.read32(base + MBOX_CTRL) & CXLDEV_MBOX_CTRL_DOORBELL) {
    throw dev.err('ETIMEDOUT', `mailbox timeout (opcode: 0x${opcode.toString(16)}), device state `);
  }
  dev.dbg('Doorbell wait took 0ms');
  const mockDelay = cxlMockMboxDelayMs(dev, opcode);
  if (mockDelay > 0) yield mockDelay;
  const status = mmio.read64(base + MBOX_STATUS);
  let rc = Number((status >> 32n) & 0xffffn);
  if (rc === MBOX_RC_BACKGROUND) {
    // Sanitize monopolizes the device: the kernel returns at once (pci-sanitize.ts)
    if (opcode === CXL_MBOX_OP.SANITIZE && cxlds.security) {
      const refused = cxlPciSanitizeStarted(cxlds);
      if (refused) throw new Errno(refused, 'sanitize already running', dev.name);
      return { rc: 0, out: new Uint8Array(0) };
    }
    rc = yield* waitBackground(cxlds, opcode, poll);
  }
  if (rc !== 0) return { rc, out: new Uint8Array(0) };
  const cmd = mmio.read64(base + MBOX_CMD);
  const lenOut = Number((cmd >> 16n) & 0x1fffffn);
  const n = Math.min(lenOut, cxlds.payloadSize, outSize);
  const out = n > 0 ? mmio.readBytes(base + MBOX_PAYLOAD, n) : new Uint8Array(0);
  return { rc, out };
}

/** CXL_MBOX_CMD_RC_BACKGROUND. */
const MBOX_RC_BACKGROUND = 1;
const MBOX_BG_STATUS = BigInt(0x18);
/** Longest background command waited for: QEMU's longest sanitize (4 h) and a margin (ms). */
const BG_WAIT_LIMIT_MS = 5 * 3600 * 1000;

/**
 * The background-command path of __cxl_pci_mbox_send_cmd(): waits (the command's poll interval,
 * 1 s by default) until the Background Command Status shows 100 %, then takes its return code.
 * Logs "Mailbox background operation (0x%04x) started" / "… completed"; a Sanitize waits here
 * only on a kernel without the asynchronous sanitize (pci-sanitize.ts), which has none.
 * @throws ETIMEDOUT "timeout waiting for background (%d ms)" when it does not complete within
 *   the command's poll_count × poll_interval_ms (or cxlsim's 5 h limit without one)
 */
function* waitBackground(
  cxlds: CxlDevState,
  opcode: number,
  poll?: MboxPoll,
): Generator<number, number, void> {
  const dev = cxlds.pdev;
  const hw = env(dev).hw;
  const op = `0x${opcode.toString(16).padStart(4, '0')}`;
  const sanitize = opcode === CXL_MBOX_OP.SANITIZE;
  dev.dbg(
    sanitize ? 'Sanitization operation started' : `Mailbox background operation (${op}) started`,
  );
  const interval = poll?.intervalMs ?? 1000;
  const limit = poll ? poll.intervalMs * poll.count : BG_WAIT_LIMIT_MS;
  const bg = () => hw.mmio.read64(cxlds.mboxBase + MBOX_BG_STATUS);
  for (let waited = 0; ((bg() >> 16n) & 0x7fn) !== 100n; waited += interval) {
    if (waited >= limit)
      throw dev.err('ETIMEDOUT', `timeout waiting for background (${waited} ms)`);
    yield interval;
  }
  dev.dbg(
    sanitize ? 'Sanitization operation ended' : `Mailbox background operation (${op}) completed`,
  );
  return Number((bg() >> 32n) & 0xffffn);
}

/**
 * cxl_internal_send_cmd(): sends and converts a non-success return code to an errno.
 * @throws the mapped errno (ENXIO for most codes, EFAULT for PADDR, EBUSY for POISONLMT)
 */
export function cxlInternalSendCmd(
  cxlds: CxlDevState,
  opcode: number,
  payload: Uint8Array,
  outSize: number,
  poll?: MboxPoll,
): Uint8Array {
  const r = cxlMboxSend(cxlds, opcode, payload, outSize, poll);
  if (r.rc !== 0) throw rcErrno(cxlds, opcode, r.rc);
  return r.out;
}

/** cxl_internal_send_cmd() for a sleeping caller (see {@link cxlMboxSendSteps}). @throws as it */
export function* cxlInternalSendCmdSteps(
  cxlds: CxlDevState,
  opcode: number,
  payload: Uint8Array,
  outSize: number,
  poll?: MboxPoll,
): Generator<number, Uint8Array, void> {
  const r = yield* cxlMboxSendSteps(cxlds, opcode, payload, outSize, poll);
  if (r.rc !== 0) throw rcErrno(cxlds, opcode, r.rc);
  return r.out;
}

/** The errno of a failed command's return code (cxl_mbox_cmd_rc2errno()). */
function rcErrno(cxlds: CxlDevState, opcode: number, rc: number): Errno {
  return new Errno(
    RC_ERRNO[rc] ?? 'ENXIO',
    `mailbox command 0x${opcode.toString(16)} failed with return code ${rc}`,
    cxlds.pdev.name,
  );
}

/** Little-endian helpers on payloads. */
export const le = {
  u16: (b: Uint8Array, o: number) => (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8),
  u32: (b: Uint8Array, o: number) =>
    ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>>
    0,
  u64: (b: Uint8Array, o: number) => (BigInt(le.u32(b, o + 4)) << 32n) | BigInt(le.u32(b, o)),
};

/** Formats a 16-byte UUID (%pU, lower case). */
export function uuidString(b: Uint8Array): string {
  let h = '';
  for (const x of b) h += HEX2[x] as string;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Two lower-case hex digits per byte value. */
const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** CEL UUID 0da9c0b5-bf41-4b78-8f79-96b1623b3f17 as bytes (and as text, below). */
export const CEL_UUID = Uint8Array.from([
  0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78, 0x8f, 0x79, 0x96, 0xb1, 0x62, 0x3b, 0x3f, 0x17,
]);
const CEL_UUID_STRING = uuidString(CEL_UUID);

/**
 * cxl_enumerate_cmds(): GET_SUPPORTED_LOGS, find the CEL, GET_LOG it, enable every opcode the
 * driver knows ("Opcode 0x%04x unsupported by driver" for the others).
 */
export function cxlEnumerateCmds(cxlds: CxlDevState): void {
  const dev = cxlds.pdev;
  const known = env(dev).since(CXL_KVER.mboxCommandsLatest) ? KNOWN_LATEST : KNOWN_6_1;
  const logs = cxlInternalSendCmd(
    cxlds,
    CXL_MBOX_OP.GET_SUPPORTED_LOGS,
    new Uint8Array(0),
    cxlds.payloadSize,
  );
  const entries = le.u16(logs, 0);
  for (let i = 0; i < entries; i++) {
    const at = 8 + i * 20;
    const uuid = logs.slice(at, at + 16);
    const size = le.u32(logs, at + 16);
    const id = uuidString(uuid);
    if (id !== CEL_UUID_STRING) {
      dev.dbg(`Unknown log type ${id} of size ${size}`);
      continue;
    }
    dev.dbg(`Found LOG type ${id} of size ${size}`);
    const req = new Uint8Array(24);
    req.set(uuid, 0);
    for (let b = 0; b < 4; b++) req[20 + b] = (size >>> (8 * b)) & 0xff; // length, LE
    const cel = cxlInternalSendCmd(cxlds, CXL_MBOX_OP.GET_LOG, req, size);
    for (let k = 0; k + 4 <= cel.length; k += 4) {
      const op = le.u16(cel, k);
      if (known.has(op)) cxlds.enabledCmds.add(op);
      else dev.dbg(`Opcode 0x${op.toString(16).padStart(4, '0')} unsupported by driver`);
    }
  }
}

/** %pr of a memory resource: "[mem 0x00000000-0x0fffffff flags 0x200]". */
export function fmtMemResource(start: bigint, end: bigint): string {
  const h = (v: bigint) => `0x${v.toString(16).padStart(8, '0')}`;
  return `[mem ${h(start)}-${h(end)} flags 0x200]`;
}

/**
 * cxl_dev_state_identify() + cxl_mem_create_range_info(): capacities and DPA partitions.
 * @throws ENXIO when IDENTIFY fails
 */
export function cxlDevStateIdentify(cxlds: CxlDevState): void {
  const id = cxlInternalSendCmd(cxlds, CXL_MBOX_OP.IDENTIFY, new Uint8Array(0), 0x43);
  const dec = new TextDecoder();
  const fw = id.slice(0, 16);
  const nul = fw.indexOf(0);
  cxlds.fwRevision = dec.decode(nul >= 0 ? fw.slice(0, nul) : fw);
  const M = 0x10000000n;
  cxlds.totalBytes = le.u64(id, 0x10) * M;
  cxlds.volatileOnlyBytes = le.u64(id, 0x18) * M;
  cxlds.persistentOnlyBytes = le.u64(id, 0x20) * M;
  cxlds.partitionAlignBytes = le.u64(id, 0x28) * M;
  cxlds.lsaSize = le.u32(id, 0x38);
}

/** cxl_mem_create_range_info(): ram then pmem partitions ("DPA(%s): no capacity" / "DPA(%s): %pr"). */
export function cxlMemCreateRangeInfo(cxlds: CxlDevState): void {
  const dev = cxlds.pdev;
  let ramSize = cxlds.volatileOnlyBytes;
  let pmemSize = cxlds.persistentOnlyBytes;
  if (cxlds.partitionAlignBytes !== 0n && cxlds.enabledCmds.has(CXL_MBOX_OP.GET_PARTITION_INFO)) {
    const pi = cxlInternalSendCmd(cxlds, CXL_MBOX_OP.GET_PARTITION_INFO, new Uint8Array(0), 32);
    ramSize = le.u64(pi, 0) * 0x10000000n;
    pmemSize = le.u64(pi, 8) * 0x10000000n;
  }
  const add = (type: string, start: bigint, size: bigint) => {
    if (size === 0n) dev.dbg(`DPA(${type}): no capacity`);
    else dev.dbg(`DPA(${type}): ${fmtMemResource(start, start + size - 1n)}`);
    return dpaPartition(start, size);
  };
  cxlds.ram = add('ram', 0n, ramSize);
  cxlds.pmem = add('pmem', ramSize, pmemSize);
}

/** {@link dpaPartition} values by extent (at most {@link PARTITIONS_KEPT}). */
const partitions = new Map<string, DpaPartition>();
const PARTITIONS_KEPT = 256;

/**
 * The DPA partition [start, start + size): never changed in place (a new partition replaces it),
 * so a frozen value that every memdev with the same extent shares, as do machine copies.
 */
function dpaPartition(start: bigint, size: bigint): DpaPartition {
  const key = `${start}:${size}`;
  let p = partitions.get(key);
  if (!p) {
    p = Object.freeze({ start, size });
    if (partitions.size < PARTITIONS_KEPT) partitions.set(key, p);
  }
  return p;
}
