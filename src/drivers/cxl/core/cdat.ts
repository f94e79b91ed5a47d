/**
 * DOC: CDAT retrieval through the DOE mailbox (drivers/cxl/core/pci.c read_cdat_data,
 * drivers/pci/doe.c; PCIe 6.0 §6.30, CXL 3.1 §8.1.11 "CDAT read entry").
 *
 * The table is read entry by entry: each request names an entry handle, each response
 * carries the entry and the next handle (0xffff = end). Entry 0 is the 16-byte CDAT header
 * whose first dword is the whole table's length.
 */
import type { Device } from '../../../kernel/device.ts';
import { shareWithCopies } from '../../../kernel/graph-copy.ts';
import type { PciDev } from '../../pci/pci-dev.ts';
import { PCI_EXT_CAP_ID_DOE, PCI_VENDOR_ID_CXL } from '../cxlpci.ts';
import type { CxlMemdev } from './memdev.ts';
import type { CxlPort } from './port.ts';

const DOE_CTRL = 0x08;
const DOE_STATUS = 0x0c;
const DOE_WRITE = 0x10;
const DOE_READ = 0x14;
const DOE_CTRL_GO = 1 << 31;
const DOE_STATUS_BUSY = 1 << 0;
const DOE_STATUS_ERROR = 1 << 2;
const DOE_STATUS_DATA_OBJECT_READY = 1 << 31;
/** CXL DOE data object type 2 = Table Access (CDAT). */
const CXL_DOE_PROTOCOL_TABLE_ACCESS = 2;

/** One DOE exchange: returns the response dwords, or undefined on error. */
export function doeExchange(pdev: PciDev, cap: number, request: number[]): number[] | undefined {
  if (pdev.cfgRead(cap + DOE_STATUS, 4) & DOE_STATUS_BUSY) return undefined;
  for (const dw of request) pdev.cfgWrite(cap + DOE_WRITE, 4, dw >>> 0);
  pdev.cfgWrite(cap + DOE_CTRL, 4, DOE_CTRL_GO);
  const st = pdev.cfgRead(cap + DOE_STATUS, 4);
  if (st & DOE_STATUS_ERROR || !(st & DOE_STATUS_DATA_OBJECT_READY)) return undefined;
  const out: number[] = [];
  const h0 = pdev.cfgRead(cap + DOE_READ, 4) >>> 0;
  pdev.cfgWrite(cap + DOE_READ, 4, 0);
  const h1 = pdev.cfgRead(cap + DOE_READ, 4) >>> 0;
  pdev.cfgWrite(cap + DOE_READ, 4, 0);
  out.push(h0, h1);
  const len = h1 & 0x3ffff || 0x40000;
  for (let i = 2; i < len; i++) {
    out.push(pdev.cfgRead(cap + DOE_READ, 4) >>> 0);
    pdev.cfgWrite(cap + DOE_READ, 4, 0);
  }
  return out;
}

/** Finds the DOE mailboxes of a function (offsets), as cxl_pci does at probe. */
export function doeMailboxes(pdev: PciDev): number[] {
  const out: number[] = [];
  let pos = 0;
  for (;;) {
    pos = pdev.findExtCapability(PCI_EXT_CAP_ID_DOE, pos);
    if (!pos) return out;
    out.push(pos);
  }
}

/** Reads one CDAT entry by handle: [entry bytes, next handle]. */
function readEntry(pdev: PciDev, cap: number, handle: number): [Uint8Array, number] | undefined {
  const req = [
    PCI_VENDOR_ID_CXL | (CXL_DOE_PROTOCOL_TABLE_ACCESS << 16),
    3,
    (handle & 0xffff) << 16,
  ];
  const rsp = doeExchange(pdev, cap, req);
  if (!rsp || rsp.length < 3) return undefined;
  const next = (rsp[2] ?? 0) >>> 16;
  // the response dwords after the 3-dword header, little-endian
  const bytes = new Uint8Array((rsp.length - 3) * 4);
  for (let i = 3, o = 0; i < rsp.length; i++, o += 4) {
    const w = rsp[i] ?? 0;
    bytes[o] = w & 0xff;
    bytes[o + 1] = (w >>> 8) & 0xff;
    bytes[o + 2] = (w >>> 16) & 0xff;
    bytes[o + 3] = w >>> 24;
  }
  return [bytes, next];
}

/**
 * read_cdat_data(): reads the CDAT of the PCI function behind a port — an endpoint's memdev,
 * or (from 6.8, cxl_switch_port_probe()) a switch's upstream port; a host-bridge port has no
 * PCI uport and reads nothing — into the port's cache, logging "CDAT length %zu" (or
 * "No CDAT mailbox" / "CDAT data read error").
 */
export function readCdatData(port: CxlPort, from: CxlMemdev | PciDev): void {
  const pdev = 'cxlds' in from ? from.cxlds.pdev : from;
  const dev: Device = port;
  const cap = doeMailboxes(pdev)[0];
  if (cap === undefined) {
    dev.dbg('No CDAT mailbox');
    return;
  }
  const first = readEntry(pdev, cap, 0);
  if (!first) {
    dev.dbg('No CDAT length');
    return;
  }
  const h = first[0];
  const length =
    ((h[0] ?? 0) | ((h[1] ?? 0) << 8) | ((h[2] ?? 0) << 16) | ((h[3] ?? 0) << 24)) >>> 0;
  dev.dbg(`CDAT length ${length}`);
  const table = new Uint8Array(length);
  let at = 0;
  let handle = 0;
  for (let guard = 0; guard < 4096 && at < length; guard++) {
    const r = readEntry(pdev, cap, handle);
    if (!r) {
      dev.err('EIO', 'CDAT data read error');
      return;
    }
    const [entry, next] = r;
    const n = handle === 0 ? 16 : Math.min(entry.length, length - at);
    table.set(n === entry.length ? entry : entry.subarray(0, n), at);
    at += n;
    if (next === 0xffff) break;
    handle = next;
  }
  port.cdat = internCdat(table);
}

/** CDAT tables read so far, by content (at most {@link CDAT_KEPT}). */
const readTables = new Map<string, Uint8Array>();
const CDAT_KEPT = 256;

/**
 * The table equal to `table` that every port with the same CDAT shares (nothing writes a port's
 * CDAT after read_cdat_data(); registered with shareWithCopies(), so copies of the machine share
 * it too): cxlsim's, a machine holds one copy per distinct table instead of one per port.
 */
function internCdat(table: Uint8Array): Uint8Array {
  let key = '';
  for (let i = 0; i < table.length; i++) key += String.fromCharCode(table[i] as number);
  const known = readTables.get(key);
  if (known) return known;
  if (readTables.size < CDAT_KEPT) readTables.set(key, shareWithCopies(table));
  return table;
}
