/**
 * DOC: a QEMU command line → {@link Topology}, in QEMU's own order of work.
 *
 * 1. argv: the text is split like a shell would ({@link splitShellWords}) and walked like
 *    `qemu_init()` does; `-M`/`-machine`, `-m`, `-object` and `-device` are parsed as they come
 *    (syntax errors, duplicate device ids), with the option as the error location.
 * 2. machine: type, `cxl`, `cxl-fmw.*`, memory ({@link applyMachine}); no location.
 * 3. objects: memory backends are created ({@link createObjects}); `-numa memdev=` and
 *    `-machine memory-backend=` consume theirs.
 * 4. devices, in command-line order ({@link createDevice}).
 * 5. machine done: `cxl=off` with host bridges, unresolved window targets ({@link machineDone}).
 * Only then are cxlsim's own limits checked while the host-bridge tree is assembled
 * ({@link buildHostBridges}): QEMU's verdict comes first.
 *
 * Everything that is not CXL is recorded in `Topology.ignored`, one entry per option
 * ("-drive file=root.img,format=raw,media=disk"), in command-line order; this includes
 * non-CXL `-device`s on CXL buses and memory backends no CXL device uses.
 */
import { Errno } from '../kernel/errno.ts';
import type { QemuVersion } from '../profile.ts';
import type { Topology } from './model.ts';
import {
  optionIs,
  optionLocation,
  type QemuArgv,
  type QemuOption,
  splitQemuOptions,
} from './qemu-args.ts';
import { parseCpuOption } from './qemu-cpu.ts';
import {
  createDevice,
  machineDone,
  newDeviceState,
  type ParsedDevice,
  parseDeviceOption,
} from './qemu-devices.ts';
import { ModelError, QemuError, sourcePosition } from './qemu-errors.ts';
import {
  applyMachine,
  newMachineOptions,
  parseMachineOption,
  parseMemoryOption,
} from './qemu-machine.ts';
import { checkPhysBits } from './qemu-memmap.ts';
import {
  consumeBoardMemdevs,
  createObjects,
  newObjectTable,
  parseObjectOption,
} from './qemu-objects.ts';
import { parseQemuOpts } from './qemu-opts.ts';
import { splitShellWords } from './qemu-shell.ts';
import { buildHostBridges } from './qemu-tree.ts';

/** Options of {@link parseQemuCommandLine}. */
export interface QemuParseOptions {
  /** QEMU version whose behaviour (accepted properties, error texts) is modelled. */
  qemu: QemuVersion;
  /** File the text came from (names the topology and is kept in `source`). */
  path?: string;
  /**
   * Whether a file named on the line (a `cdat=` file) can be read, as QEMU would try at
   * realize; undefined = such files are not checked (pure parsing, tests).
   */
  fileExists?: (path: string) => boolean;
}

/** Re-throws a location-less QemuError with the option's location and the binary name. */
function located<T>(o: QemuOption, binary: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof QemuError && e.option === undefined)
      throw new QemuError(e.message, {
        option: optionLocation(o),
        binary,
        ...(e.hint ? { hint: e.hint } : {}),
        ...(o.at !== undefined ? { at: o.at } : {}),
      });
    if (e instanceof QemuError && e.at === undefined) e.at = o.at;
    throw e;
  }
}

/** Same for errors without location (machine phase): only the binary name is set. */
function unlocated<T>(binary: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof QemuError) e.binary = binary;
    throw e;
  }
}

/** Backend ids consumed by the board: `-numa node,memdev=ID`, `-machine memory-backend=ID`. */
function boardMemdevs(options: QemuOption[], machineBackend: string | undefined): string[] {
  const ids: string[] = [];
  if (machineBackend !== undefined) ids.push(machineBackend);
  for (const o of options) {
    if (!optionIs(o, 'numa') || o.arg === undefined) continue;
    try {
      const n = parseQemuOpts(o.arg, 'type');
      const memdev = n.params.find(([k]) => k === 'memdev')?.[1];
      if (memdev !== undefined) ids.push(memdev);
    } catch {
      /* -numa syntax is not modelled; QEMU would report it */
    }
  }
  return ids;
}

/** Topology name from a file path: its base name without extension. */
function nameFromPath(path: string | undefined): string {
  if (path === undefined) return 'qemu';
  const base = path.split('/').pop() ?? path;
  return base.replace(/\.[^.]*$/, '') || base;
}

/**
 * Parses a QEMU command line as pasted by people (continuations, comments, quoting, $VARS).
 * @throws QemuError with QEMU's exact text (see {@link QemuError.qemuMessage} for the stderr
 *   line); Errno EINVAL for shell syntax errors and for topologies cxlsim does not model.
 */
export function parseQemuCommandLine(text: string, opts: QemuParseOptions): Topology {
  const starts: number[] = [];
  const argv = splitQemuOptions(splitShellWords(text, starts), starts);
  try {
    return parseArgv(argv, opts);
  } catch (e) {
    if (opts.path !== undefined && (e instanceof QemuError || e instanceof ModelError))
      placeError(e, argv.options, text, opts.path);
    throw e;
  }
}

/**
 * Sets `e.source` to the file position of the option the error names: its own offset when
 * it has one, else the first option QEMU would print with the same location text.
 */
function placeError(
  e: QemuError | ModelError,
  options: readonly QemuOption[],
  text: string,
  path: string,
): void {
  let at = e instanceof QemuError ? e.at : undefined;
  if (at === undefined && e.option !== undefined)
    at = options.find((o) => optionLocation(o) === e.option || o.flag === e.option)?.at;
  if (at !== undefined) e.source = sourcePosition(path, text, at);
}

function parseArgv(argv: QemuArgv, opts: QemuParseOptions): Topology {
  const { binary, options } = argv;
  if (!options.some((o) => !o.positional))
    throw new Errno(
      'EINVAL',
      `cxlsim: ${opts.path ?? 'the input'} holds no QEMU option (expected a command line such as "qemu-system-x86_64 -machine q35,cxl=on -device pxb-cxl,..."); nothing to boot`,
    );
  const machine = newMachineOptions();
  const objects = newObjectTable();
  const devices: ParsedDevice[] = [];
  const deviceIds = new Set<string>();
  const consumed = new Set<number>();
  for (const o of options) {
    if (optionIs(o, 'machine')) {
      located(o, binary, () => parseMachineOption(machine, o.arg ?? ''));
      consumed.add(o.index);
    } else if (optionIs(o, 'm')) {
      located(o, binary, () => parseMemoryOption(machine, o.arg ?? ''));
      consumed.add(o.index);
    } else if (optionIs(o, 'object')) {
      located(o, binary, () => parseObjectOption(objects, o));
    } else if (optionIs(o, 'device')) {
      devices.push(located(o, binary, () => parseDeviceOption(deviceIds, o)));
    }
  }
  const type = machine.dict.get('type');
  const shown =
    argv.binaryGiven || typeof type !== 'string' || !type.startsWith('virt')
      ? binary
      : 'qemu-system-aarch64';
  const applied = unlocated(shown, () =>
    applyMachine(machine, opts.qemu, argv.binaryGiven ? binary : ''),
  );
  createObjects(objects, shown);
  consumeBoardMemdevs(objects, boardMemdevs(options, applied.options['memory-backend']));
  const state = newDeviceState(
    opts.qemu,
    shown,
    objects,
    applied.type === 'pc' ? 'pci.0' : 'pcie.0',
  );
  if (opts.fileExists) state.fileExists = opts.fileExists;
  for (const p of devices) if (createDevice(state, p)) consumed.add(p.option.index);
  machineDone(
    state,
    applied.cxl,
    applied.windows.map((w) => w.targets),
  );
  const hostBridges = buildHostBridges(state);
  for (const b of objects.backends.values()) if (b.usedByCxl) consumed.add(b.option.index);
  const ignored = options.filter((o) => !consumed.has(o.index)).map((o) => optionLocation(o));
  const t: Topology = {
    name: nameFromPath(opts.path),
    source: opts.path !== undefined ? { kind: 'qemu', path: opts.path } : { kind: 'qemu' },
    machine: {
      type: applied.type,
      ramSize: applied.ramSize,
      cxl: applied.cxl,
      options: applied.options,
    },
    hostBridges,
    windows: applied.windows,
    cxims: [],
    ignored,
  };
  const cpuOpt = options.filter((o) => optionIs(o, 'cpu')).pop();
  if (cpuOpt) t.machine.cpu = parseCpuOption(cpuOpt.arg, applied.type);
  if (state.outside.length > 0) t.outsideCxl = [...new Set(state.outside)];
  if (state.rootBus.length > 0) t.rootBus = state.rootBus;
  if (applied.maxMem !== undefined) t.machine.maxMem = applied.maxMem;
  if (applied.slots !== undefined) t.machine.slots = applied.slots;
  if (applied.highmemMmioSize !== undefined) t.machine.highmemMmioSize = applied.highmemMmioSize;
  checkPhysBits(t, shown);
  return t;
}
