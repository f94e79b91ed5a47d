/**
 * DOC: the `cxl` tool (ndctl's cxl/cxl.c main() and util/main.c) over a SysfsView and the memdev
 * ioctls: `cxlCommand(view, ioctl, ['create-region', '-m', …], { ndctl: '76.1' })` returns what the
 * process printed and its exit status. Like the real tool, every command acts only through /sys
 * (attribute reads and writes, driver bind/unbind) and /dev/cxl/memN ioctls.
 *
 * Commands: list (cxl/list.ts), create/enable/disable/destroy-region, enable/disable-memdev,
 * reserve-dpa, free-dpa, set-partition, read/write/zero-labels, enable/disable-port,
 * disable-bus, monitor (cxl/monitor.ts), version, help.
 */

import type { SysfsView } from '../sysfs/view.ts';
import { actionSetAlertConfig } from './cxl/alert.ts';
import { cmdDisableBus } from './cxl/bus.ts';
import { actionFreeDpa, actionReserveDpa } from './cxl/dpa.ts';
import { type CmdEnv, type CmdResult, type NdctlOptions, newEnv } from './cxl/env.ts';
import { actionUpdateFw } from './cxl/firmware.ts';
import { actionRead, actionWrite, actionZero } from './cxl/labels.ts';
import { cxlList } from './cxl/list.ts';
import {
  actionDisable,
  actionEnable,
  actionWaitSanitize,
  cmdMemdev,
  type MemdevActionFn,
} from './cxl/memdev.ts';
import type { MemdevCommand } from './cxl/memdev-params.ts';
import { cmdMonitor } from './cxl/monitor.ts';
import { actionSetPartition, NullCommand } from './cxl/partition.ts';
import { cmdPort } from './cxl/port.ts';
import { cmdRegion } from './cxl/region.ts';
import type { CxlMemIoctl } from './lib/ioctl.ts';
import { ndctlHas } from './versions.ts';

export type { CmdResult, FileIo, NdctlOptions } from './cxl/env.ts';

const USAGE = 'cxl [--version] [--help] COMMAND [ARGS]';
const MORE_INFO =
  "See 'cxl help COMMAND' for more information on a specific command.\n cxl --list-cmds to see all available commands";

const MEMDEV_ACTIONS: Record<MemdevCommand, MemdevActionFn> = {
  'read-labels': actionRead,
  'write-labels': actionWrite,
  'zero-labels': actionZero,
  'disable-memdev': actionDisable,
  'enable-memdev': actionEnable,
  'set-partition': actionSetPartition,
  'reserve-dpa': actionReserveDpa,
  'free-dpa': actionFreeDpa,
  'wait-sanitize': actionWaitSanitize,
  'set-alert-config': actionSetAlertConfig,
  'update-firmware': actionUpdateFw,
};

/** The commands of the ndctl release, in cxl.c's table order. */
function commandNames(ndctl: NdctlOptions['ndctl']): string[] {
  const names = [
    'version',
    'list',
    'help',
    'zero-labels',
    'read-labels',
    'write-labels',
    'disable-memdev',
  ];
  names.push('enable-memdev', 'reserve-dpa', 'free-dpa');
  if (ndctlHas(ndctl, 'updateFirmwareCommand')) names.push('update-firmware');
  if (ndctlHas(ndctl, 'setAlertConfigCommand')) names.push('set-alert-config');
  if (ndctlHas(ndctl, 'waitSanitizeCommand')) names.push('wait-sanitize');
  names.push('disable-port', 'enable-port', 'set-partition');
  names.push(
    'disable-bus',
    'create-region',
    'enable-region',
    'disable-region',
    'destroy-region',
    'monitor',
  );
  if (ndctlHas(ndctl, 'injectCommands'))
    names.push('inject-protocol-error', 'inject-media-poison', 'clear-media-poison');
  return names;
}

/** run_builtin(): one command with its arguments (after the command name). */
function runBuiltin(
  env: CmdEnv,
  view: SysfsView,
  ioctl: CxlMemIoctl | undefined,
  cmd: string,
  args: string[],
): CmdResult | undefined {
  switch (cmd) {
    case 'version':
      return { stdout: `${env.ndctl}\n`, stderr: '', code: 0 };
    case 'list':
      return cxlList(view, args, ioctl ? { ioctl, ndctl: env.ndctl } : { ndctl: env.ndctl });
    case 'create-region':
    case 'enable-region':
    case 'disable-region':
    case 'destroy-region':
      return cmdRegion(env, cmd.slice(0, -'-region'.length) as 'create', args);
    case 'enable-port':
    case 'disable-port':
      return cmdPort(env, cmd, args);
    case 'disable-bus':
      return cmdDisableBus(env, args);
    case 'monitor':
      return cmdMonitor(env, args);
    default:
      if (cmd in MEMDEV_ACTIONS) {
        const c = cmd as MemdevCommand;
        return cmdMemdev(env, c, MEMDEV_ACTIONS[c], args);
      }
      return undefined;
  }
}

/**
 * Runs `cxl <argv…>` (argv excludes "cxl"). Never throws for bad input: errors are ndctl's texts
 * on stderr with its exit codes; a NULL dereference of the real tool ends the run as SIGSEGV
 * would (exit 139, buffered stdout lost).
 */
export function cxlCommand(
  view: SysfsView,
  ioctl: CxlMemIoctl | undefined,
  argv: readonly string[],
  opts: NdctlOptions,
): CmdResult {
  const env = newEnv(view, ioctl, opts);
  const args = [...argv];
  // main_handle_options(): options before the command
  while (args.length > 0 && (args[0] as string).startsWith('-')) {
    const a = args[0] as string;
    if (a === '--version' || a === '--help') break;
    if (a === '-h') {
      args[0] = '--help';
      break;
    }
    if (a === '-v') {
      args[0] = '--version';
      break;
    }
    if (a === '--list-cmds') {
      const names = commandNames(opts.ndctl)
        .map((n) => `${n}\n`)
        .join('');
      return { stdout: names, stderr: '', code: 0 };
    }
    return { stdout: '', stderr: `Unknown option: ${a}\n\n Usage: ${USAGE}\n`, code: 129 };
  }
  if (args.length === 0)
    return { stdout: `\n usage: ${USAGE}\n\n\n ${MORE_INFO}\n\n`, stderr: '', code: 1 };
  let cmd = args[0] as string;
  if (cmd.startsWith('--')) cmd = cmd.slice(2);
  let rest = args.slice(1);
  if (cmd === 'help' || rest[0] === '--help') {
    // "cxl <cmd> --help" is "cxl help <cmd>": the man page, which this emulation cannot show
    const topic = cmd === 'help' ? rest[0] : cmd;
    if (topic === undefined)
      return { stdout: `\n usage: ${USAGE}\n\n\n ${MORE_INFO}\n\n`, stderr: '', code: 0 };
    cmd = topic;
    rest = ['--help'];
  }
  if (!commandNames(opts.ndctl).includes(cmd)) {
    return { stdout: '', stderr: `Unknown command: '${cmd}'\n`, code: 1 };
  }
  try {
    const r = runBuiltin(env, view, ioctl, cmd, rest);
    if (r) return r;
  } catch (e) {
    if (e instanceof NullCommand) return { stdout: '', stderr: env.out.stderr, code: 139 };
    throw e;
  }
  return { stdout: '', stderr: `cxl ${cmd}: not emulated by cxlsim\n`, code: 1 };
}
