/**
 * DOC: the primary mailbox command set of a type-3 device per QEMU version (QEMU
 * cxl-mailbox-utils.c cxl_cmd_set[][]), and from it the Command Effects Log.
 *
 * Every command cxlsim implements is listed with the first QEMU release that has it
 * (qemu-since.ts); a version's set is the commands it has. QEMU 7.2: 13 commands (a 52-byte
 * CEL, "Found LOG type 0da9c0b5-… of size 52" in the debian-12 capture); 11.1: 31 commands
 * (124 bytes, the latest capture, whose "Opcode 0x…" lines list 0x0005, 0x0100–0x0103,
 * 0x0200–0x0202, 0x0300/0x0301, 0x0400/0x0401, 0x0500–0x0502, 0x0600, 0x4000, 0x4100,
 * 0x4102/0x4103, 0x4201/0x4202, 0x4300–0x4305, 0x4400, 0x4402, 0x4500). QEMU has no Get Health
 * Info (0x4200), Set Partition Info (0x4101) or Secure Erase (0x4401): cxlsim implements the
 * first two but lists them only when MemDevState.extraOpcodes asks.
 */
import type { QemuVersion } from '../../../profile.ts';
import { BG_ABORT } from './background.ts';
import { cclsCommands, SET_PARTITION_INFO } from './ccls.ts';
import { eventCommands } from './events.ts';
import { featureCommands, MAINTENANCE } from './features.ts';
import { firmwareCommands, fwUpdateCommands } from './firmware.ts';
import { alertCommands, GET_HEALTH_INFO } from './health.ts';
import { identifyCommands } from './identify.ts';
import { logCommands } from './logs.ts';
import { poisonCommands } from './poison.ts';
import { qemuHasOpcode } from './qemu-since.ts';
import { MEDIA_OPERATIONS, SANITIZE } from './sanitize.ts';
import { scanMediaCommands } from './scan-media.ts';
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
  const all = [
    BG_ABORT,
    ...eventCommands(qemu),
    ...firmwareCommands(),
    ...fwUpdateCommands(),
    ...timestampCommands(),
    ...logCommands(),
    ...featureCommands(),
    MAINTENANCE,
    ...identifyCommands(),
    ...cclsCommands(),
    ...alertCommands(),
    ...poisonCommands(),
    ...scanMediaCommands(),
    SANITIZE,
    MEDIA_OPERATIONS,
    ...securityCommands(),
  ];
  const cmds = all.filter((c) => qemuHasOpcode(qemu, c.opcode));
  for (const op of extra) {
    const c = EXTRA_COMMANDS.get(op);
    if (c && !cmds.some((x) => x.opcode === op)) cmds.push(c);
  }
  return cmds.sort((a, b) => a.opcode - b.opcode);
}
