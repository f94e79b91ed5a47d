/**
 * DOC: the state behind a type-3 device's mailbox (QEMU CXLType3Dev + CXLDeviceState).
 *
 * Capacities are bytes: volatile at DPA 0, persistent right after (QEMU's DPA layout). The LSA
 * is the label storage backend's bytes; `store` is the media (volatile + persistent). Mailbox
 * commands (mailbox/*.ts) read and change this state; the HDM decoders and the memory path use
 * `store`. `qemu` picks the command set and payload formats of that QEMU version.
 */
import { Errno } from '../../kernel/errno.ts';
import type { QemuVersion } from '../../profile.ts';
import type { Type3Dev } from '../../topology/model.ts';
import { BackingStore } from './backing-store.ts';
import { createRasState, type RasState } from './ras-state.ts';

/** Get Health Info (0x4200) fields — CXL 3.1 §8.2.9.9.3.1, Table 8-133. */
export interface MemDevHealth {
  /** bit0 maintenance needed, bit1 performance degraded, bit2 hardware replacement needed. */
  healthStatus: number;
  /** 0 normal, 1 not ready, 2 write persistency lost, 3 all data lost, … */
  mediaStatus: number;
  /** Additional status byte (life used / temperature / error counter alert states). */
  additionalStatus: number;
  /** Life used, percent (0xff = not implemented). */
  lifeUsed: number;
  /** Device temperature, °C (signed 16-bit; 0x7fff = not implemented). */
  temperature: number;
  dirtyShutdowns: number;
  correctedVolatileErrors: number;
  correctedPersistentErrors: number;
}

/** A poison list entry (QEMU CXLPoison): DPA range in bytes, source type (1 ext, 2 int, 3 injected). */
export interface PoisonRecord {
  start: bigint;
  length: bigint;
  type: number;
}

/** Alert configuration (QEMU CXLAlertConfig, CXL 3.1 §8.2.9.9.3.2 Table 8-135). */
export interface AlertConfig {
  validAlerts: number;
  enableAlerts: number;
  lifeUsedCritical: number;
  lifeUsedWarning: number;
  overTempCritical: number;
  underTempCritical: number;
  overTempWarning: number;
  underTempWarning: number;
  correctedVolatileWarning: number;
  correctedPersistentWarning: number;
}

/** Everything a type-3 device's mailbox and media hold. */
export interface MemDevState {
  /** Volatile capacity in bytes (DPA 0 ..). */
  volatileSize: bigint;
  /** Persistent capacity in bytes (after the volatile partition). */
  persistentSize: bigint;
  /** Label storage area bytes (length = LSA size; 0 = none). Allocated on first access. */
  readonly lsa: Uint8Array;
  /** LSA size in bytes (Identify's LSA size), without allocating the area. */
  readonly lsaSize: number;
  /** Media, DPA-addressed, volatile + persistent bytes. */
  store: BackingStore;
  /** PCIe DSN (`sn=`); undefined = no DSN capability. */
  serial: bigint | undefined;
  /** Identify FW Revision (16 bytes ASCII): "BWFW VERSION 00" on QEMU. */
  fwRevision: string;
  qemu: QemuVersion;
  /** Get Health Info's answer: a frozen shared value on a fresh device (replace, do not change). */
  health: MemDevHealth;
  /**
   * Poison list (newest first, as QEMU's QLIST_INSERT_HEAD keeps it): the shared frozen
   * {@link NO_POISON} while empty; writers take the device's own list with {@link ownPoison}.
   */
  poison: PoisonRecord[];
  /** Set when the poison list overflowed (QEMU poison_list_overflowed), with its timestamp. */
  poisonOverflow: { timestamp: bigint } | undefined;
  /** Alert configuration: a frozen shared value on a fresh device; writers use {@link ownAlertConfig}. */
  alert: AlertConfig;
  /** Set Timestamp state (ns): host value and the device clock when it was set. */
  timestamp: { set: boolean; hostSet: bigint; lastSet: bigint };
  /** Event log interrupt enables: info, warn, failure, fatal, dynamic capacity. */
  eventIrq: boolean[];
  /**
   * Opcodes QEMU does not implement but cxlsim can (0x4200 health, 0x4101 set partition) to add
   * (set before the device registers are made); none when undefined.
   */
  extraOpcodes: ReadonlySet<number> | undefined;
  /**
   * Device clock: `clock.now()` in ns (QEMU_CLOCK_VIRTUAL); injectable for deterministic tests.
   * An object (the machine's clock), so a copy of the machine copies a reference, not a closure.
   */
  clock: DeviceClock;
  /** Event logs, background command, media-disabled flag, scan media, firmware slots. */
  ras: RasState;
  /**
   * MSI-X notification (QEMU msix_notify()): the event-log vectors when a log goes from empty
   * to non-empty with its interrupt enabled, the mailbox vector when a background command
   * completes — `msixSink.deliver(msixSource, vector)` ({@link msixNotify}). Set by whoever
   * models the interrupt's delivery; absent: not delivered.
   */
  msixSink?: MsixSink;
  /** The function whose MSI-X vectors {@link msixSink} delivers. */
  msixSource?: object;
}

/** A device clock in ns (see {@link MemDevState.clock}). */
export interface DeviceClock {
  now(): bigint;
}

/** Where a function's MSI-X messages go (the platform's interrupt router). */
export interface MsixSink {
  /** Delivers MSI-X `vector` of the function `source`. */
  deliver(source: object, vector: number): void;
}

/** msix_notify(): signals MSI-X `vector` of the device, when its interrupts are delivered. */
export function msixNotify(s: MemDevState, vector: number): void {
  const sink = s.msixSink;
  if (sink && s.msixSource) sink.deliver(s.msixSource, vector);
}

/** Identify's FW Revision on QEMU: snprintf("BWFW VERSION %02d", 0). */
export const QEMU_FW_REVISION = 'BWFW VERSION 00';

/** Default health: nothing to report, 25 °C (cxlsim's choice; QEMU has no Get Health Info). */
export function defaultHealth(): MemDevHealth {
  return {
    healthStatus: 0,
    mediaStatus: 0,
    additionalStatus: 0,
    lifeUsed: 0,
    temperature: 25,
    dirtyShutdowns: 0,
    correctedVolatileErrors: 0,
    correctedPersistentErrors: 0,
  };
}

/** QEMU init_alert_config(): life used 75/40 %, over-temp 35/25 °C, under-temp 10/20 °C. */
export function defaultAlertConfig(): AlertConfig {
  return {
    validAlerts: 0,
    enableAlerts: 0,
    lifeUsedCritical: 75,
    lifeUsedWarning: 40,
    overTempCritical: 35,
    underTempCritical: 10,
    overTempWarning: 25,
    underTempWarning: 20,
    correctedVolatileWarning: 0,
    correctedPersistentWarning: 0,
  };
}

/**
 * The health of a fresh device (what {@link defaultHealth} returns): one frozen value every fresh
 * device points at (a copy of the machine shares it); a writer assigns a new object.
 */
const DEFAULT_HEALTH: MemDevHealth = Object.freeze(defaultHealth());

/**
 * The alert configuration of a fresh device ({@link defaultAlertConfig}): one frozen value every
 * fresh device points at; Set Alert Config takes the device's own first ({@link ownAlertConfig}).
 */
const QEMU_ALERT_CONFIG: AlertConfig = Object.freeze(defaultAlertConfig());

/** The alert configuration of `s` to write to: its own, made from the shared one on the first write. */
export function ownAlertConfig(s: MemDevState): AlertConfig {
  if (s.alert === QEMU_ALERT_CONFIG) s.alert = { ...QEMU_ALERT_CONFIG };
  return s.alert;
}

/** A monotonic ns clock starting at 0 (like QEMU_CLOCK_VIRTUAL from VM start). */
export function monotonicClock(): DeviceClock {
  return new HostClockSince(process.hrtime.bigint());
}

/** A clock of ns since host time `t0`. */
class HostClockSince implements DeviceClock {
  private readonly t0: bigint;
  constructor(t0: bigint) {
    this.t0 = t0;
  }
  now(): bigint {
    return process.hrtime.bigint() - this.t0;
  }
}

/**
 * The prototype of every {@link MemDevState}: QEMU maps the LSA backend; here its (zeroed)
 * bytes exist once a command touches them, so thousands of devices with 1 MiB label areas cost
 * nothing at boot.
 */
const MEMDEV_STATE_PROTO = {
  get lsa(): Uint8Array {
    const s = this as unknown as { lsaBytes?: Uint8Array; lsaSize: number };
    s.lsaBytes ??= new Uint8Array(s.lsaSize);
    return s.lsaBytes;
  },
};

/**
 * The mailbox state of a `cxl-type3` device.
 * @throws EINVAL for an LSA of 4 GiB or more (Identify's LSA size is 32 bits)
 */
export function createMemDevState(d: Type3Dev, qemu: QemuVersion): MemDevState {
  if (d.lsaSize < 0n || d.lsaSize >= 1n << 32n)
    throw new Errno('EINVAL', `${d.id}: label storage size ${d.lsaSize} not supported (< 4 GiB)`);
  const lsaSize = Number(d.lsaSize);
  const fields: Omit<MemDevState, 'lsa'> = {
    volatileSize: d.volatileSize,
    persistentSize: d.persistentSize,
    lsaSize,
    store: new BackingStore(d.volatileSize + d.persistentSize),
    serial: d.serial,
    fwRevision: QEMU_FW_REVISION,
    qemu,
    health: DEFAULT_HEALTH,
    poison: NO_POISON,
    poisonOverflow: undefined,
    alert: QEMU_ALERT_CONFIG,
    timestamp: { set: false, hostSet: 0n, lastSet: 0n },
    eventIrq: [false, false, false, false, false],
    extraOpcodes: undefined,
    clock: monotonicClock(),
    ras: createRasState(),
  };
  return Object.assign(Object.create(MEMDEV_STATE_PROTO) as MemDevState, fields);
}

/** The device's timestamp (ns) as Get Timestamp reports it (QEMU cxl_device_get_timestamp()). */
export function deviceTimestamp(s: MemDevState): bigint {
  if (!s.timestamp.set) return 0n;
  return s.timestamp.hostSet + (s.clock.now() - s.timestamp.lastSet);
}

/** The poison list of a device with none (frozen, shared; see {@link ownPoison}). */
export const NO_POISON = Object.freeze([]) as unknown as PoisonRecord[];

/** `s`'s poison list to add records to: its own, made from the shared empty one on first use. */
export function ownPoison(s: MemDevState): PoisonRecord[] {
  if (s.poison === NO_POISON) s.poison = [];
  return s.poison;
}
