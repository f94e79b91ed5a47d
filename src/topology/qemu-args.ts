/**
 * DOC: a pasted QEMU command line → argv → options.
 *
 * splitShellWords (qemu-shell.ts) does what a POSIX shell does to the text before QEMU sees it, minus
 * expansion: `\`-newline joins lines, `#` at the start of a word comments out the rest of the
 * line, '…' and "…" quote, `\` escapes, and `$VAR` / `${VAR}` stay as written (opaque), so
 * `mem-path=$GT_CACHE/x.raw` reaches the option parser unchanged.
 *
 * {@link splitQemuOptions} then walks argv as `qemu_init()`/`lookup_opt()` do (softmmu/vl.c):
 * an optional leading program name (and `VAR=value` / `exec` shell prefixes) is skipped, each
 * `-opt` (or `--opt`) takes the next word as its argument unless it is an argument-less
 * option, and words that are not options are positional (disk images). The program name is
 * kept for error messages (QEMU prints the basename of argv[0]).
 * @throws EINVAL for an unterminated quote or an option missing its argument.
 */
import { DEFAULT_QEMU_BINARY, QemuError } from './qemu-errors.ts';

/** One option occurrence: `-device cxl-rp,...` → name 'device', arg 'cxl-rp,...'. */
export interface QemuOption {
  /** Canonical name without dashes ('M' and 'machine' stay distinct; see {@link optionIs}). */
  name: string;
  /** The option as written, e.g. "-M" or "--machine". */
  flag: string;
  /** Its argument, undefined for argument-less options and positionals. */
  arg: string | undefined;
  /** Position in the option list (command-line order). */
  index: number;
  /** True for a word that is not an option (a disk image for QEMU). */
  positional?: boolean;
  /** Offset (UTF-16 units) of the option's first word in the text it was split from. */
  at?: number;
}

/** The location QEMU prints for an option: "-device cxl-rp,port=0" (argv words joined). */
export function optionLocation(o: QemuOption): string {
  return o.arg === undefined ? o.flag : `${o.flag} ${o.arg}`;
}

/** Aliases of the same QEMU option (qemu-options.hx: -M is -machine). */
const ALIASES: Record<string, string> = { M: 'machine' };

/** True when `o` is QEMU option `name` (with its aliases). */
export function optionIs(o: QemuOption, name: string): boolean {
  return !o.positional && (ALIASES[o.name] ?? o.name) === name;
}

/** Options that take no argument (qemu-options.hx entries without HAS_ARG). */
const NO_ARG = new Set([
  'h',
  'help',
  'version',
  'S',
  's',
  'snapshot',
  'nographic',
  'no-reboot',
  'no-shutdown',
  'nodefaults',
  'nodefconfig',
  'no-user-config',
  'enable-kvm',
  'daemonize',
  'no-acpi',
  'no-hpet',
  'full-screen',
  'alt-grab',
  'ctrl-grab',
  'no-frame',
  'no-quit',
  'sdl',
  'curses',
  'portrait',
  'singlestep',
  'one-insn-per-tb',
  'preconfig',
  'only-migratable',
  'enable-fips',
  'win2k-hack',
  'no-fd-bootchk',
  'semihosting',
  'old-param',
  'xen-attach',
  'usb',
  'enable-sync-profile',
  'perfmap',
  'jitdump',
  'async-teardown',
  'mem-prealloc',
  'no-kvm',
  'no-kvm-irqchip',
  'no-kvm-pit-reinjection',
  'rtc-td-hack',
  'show-cursor',
  'no-graphic',
]);

/** Options known to take an argument (used when an unknown option is followed by "-x"). */
const WITH_ARG = new Set([
  'M',
  'machine',
  'm',
  'object',
  'device',
  'drive',
  'netdev',
  'nic',
  'net',
  'smp',
  'cpu',
  'accel',
  'kernel',
  'initrd',
  'append',
  'dtb',
  'bios',
  'serial',
  'monitor',
  'qmp',
  'chardev',
  'display',
  'vga',
  'numa',

  'name',
  'uuid',
  'boot',
  'rtc',
  'global',
  'icount',
  'L',
  'D',
  'd',
  'trace',
  'incoming',
  'blockdev',
  'fsdev',
  'virtfs',
  'mon',
  'parallel',
  'pidfile',
  'loadvm',
  'watchdog-action',
  'action',
  'msg',
  'overcommit',
  'run-with',
  'audio',
  'audiodev',
  'usbdevice',
  'fw_cfg',
  'smbios',
  'acpitable',
  'k',
  'mem-path',
  'add-fd',
  'iscsi',
  'spice',
  'vnc',
  'sandbox',
  'plugin',
  'semihosting-config',
  'compat',
  'echr',
  'option-rom',
  'hda',
  'hdb',
  'hdc',
  'hdd',
  'cdrom',
  'fda',
  'fdb',
  'mtdblock',
  'sd',
  'pflash',
  'tpmdev',
  'readconfig',
  'writeconfig',
  'set',
  'debugcon',
  'gdb',
  'realtime',
  'seed',
  'device-help',
]);

/** The result of walking argv: program name and options in order. */
export interface QemuArgv {
  /** Basename of argv[0], or the default when the line starts with an option. */
  binary: string;
  /** True when the command line named the program. */
  binaryGiven: boolean;
  options: QemuOption[];
}

/**
 * Walks argv as QEMU's option loop does.
 * @throws QemuError "requires an argument" for a trailing option that needs one.
 */
export function splitQemuOptions(words: string[], starts?: readonly number[]): QemuArgv {
  let i = 0;
  while (
    i < words.length &&
    (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] as string) || words[i] === 'exec')
  )
    i++;
  let binary = DEFAULT_QEMU_BINARY;
  let binaryGiven = false;
  const first = words[i];
  if (first !== undefined && !first.startsWith('-')) {
    binary = first.split('/').pop() || first;
    binaryGiven = true;
    i++;
  }
  const options: QemuOption[] = [];
  while (i < words.length) {
    const w = words[i] as string;
    const at = starts?.[i];
    i++;
    if (!w.startsWith('-') || w === '-') {
      options.push({
        name: '',
        flag: w,
        arg: undefined,
        index: options.length,
        positional: true,
        ...(at !== undefined ? { at } : {}),
      });
      continue;
    }
    const name = w.startsWith('--') ? w.slice(2) : w.slice(1);
    if (NO_ARG.has(name)) {
      options.push({
        name,
        flag: w,
        arg: undefined,
        index: options.length,
        ...(at !== undefined ? { at } : {}),
      });
      continue;
    }
    const next = words[i];
    if (next === undefined) {
      if (!WITH_ARG.has(name)) {
        options.push({
          name,
          flag: w,
          arg: undefined,
          index: options.length,
          ...(at !== undefined ? { at } : {}),
        });
        continue;
      }
      throw new QemuError('requires an argument', {
        option: w,
        binary,
        ...(at !== undefined ? { at } : {}),
      });
    }
    if (!WITH_ARG.has(name) && next.startsWith('-') && next.length > 1) {
      options.push({
        name,
        flag: w,
        arg: undefined,
        index: options.length,
        ...(at !== undefined ? { at } : {}),
      });
      continue;
    }
    options.push({
      name,
      flag: w,
      arg: next,
      index: options.length,
      ...(at !== undefined ? { at } : {}),
    });
    i++;
  }
  return { binary, binaryGiven, options };
}
