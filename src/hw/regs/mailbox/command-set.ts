/**
 * DOC: the primary mailbox command set of a type-3 device per QEMU version (QEMU
 * cxl-mailbox-utils.c cxl_cmd_set[][]), and from it the Command Effects Log.
 *
 * QEMU 7.2 implements 13 commands — events 0x0100–0x0103, Get FW Info 0x0200, timestamp
 * 0x0300/0x0301, logs 0x0400/0x0401, Identify 0x4000, Get Partition Info 0x4100, Get/Set LSA
 * 0x4102/0x4103 — a 52-byte CEL ("Found LOG type 0da9c0b5-… of size 52" in the capture).
 * For 10.0+ cxlsim adds what it models of QEMU's larger set: poison list/inject/clear
 * 0x4300–0x4302, Get Security State 0x4500 and (QEMU 8.2+) Sanitize 0x4400, listed but answered
 * Unsupported (see security.ts), and from 10.1 alert configuration 0x4201/0x4202. Not modelled (so not
 * in the CEL): background-operation abort 0x0005, Transfer/Activate FW 0x0201/0x0202, features
 * 0x0500–0x0502, maintenance 0x0600, media operations 0x4402, scan media
 * 0x4303–0x4305, DCD 0x48xx. QEMU has no Get Health Info (0x4200) or Set Partition Info
 * (0x4101): cxlsim implements both but lists them only when MemDevState.extraOpcodes asks.
 */
import type { QemuVersion } from '../../../profile.ts';
import { qemuHas } from '../../qemu-compat.ts';
import { cclsCommands, SET_PARTITION_INFO } from './ccls.ts';
import { eventCommands } from './events.ts';
import { firmwareCommands } from './firmware.ts';
import { alertCommands, GET_HEALTH_INFO } from './health.ts';
import { identifyCommands } from './identify.ts';
import { logCommands } from './logs.ts';
import { poisonCommands } from './poison.ts';
import { securityCommands } from './security.ts';
import { timestampCommands } from './timestamp.ts';
import type { MboxCommand } from './types.ts';

/** Commands cxlsim implements beyond QEMU, by opcode (enabled per device). */
export const EXTRA_COMMANDS: ReadonlyMap<number, MboxCommand> = new Map([
  [GET_HEALTH_INFO.opcode, GET_HEALTH_INFO],
  [SET_PARTITION_INFO.opcode, SET_PARTITION_INFO],
]);

/**
 * The type-3 primary mailbox commands of a QEMU version, plus the enabled extras, sorted by
 * opcode. @param extra opcodes from {@link EXTRA_COMMANDS} to add (unknown ones are ignored)
 */
export function type3CommandSet(qemu: QemuVersion, extra: Iterable<number> = []): MboxCommand[] {
  const cmds = [
    ...eventCommands(qemu),
    ...firmwareCommands(),
    ...timestampCommands(),
    ...logCommands(),
    ...identifyCommands(),
    ...cclsCommands(),
  ];
  if (qemuHas(qemu, 'alertConfig')) cmds.push(...alertCommands());
  if (qemu !== '7.2')
    cmds.push(...poisonCommands(), ...securityCommands(qemuHas(qemu, 'sanitizeCommand')));
  for (const op of extra) {
    const c = EXTRA_COMMANDS.get(op);
    if (c && !cmds.some((x) => x.opcode === op)) cmds.push(c);
  }
  return cmds.sort((a, b) => a.opcode - b.opcode);
}
