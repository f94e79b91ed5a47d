/**
 * DOC: the `cxlsim` command line (commander): global options, the command table, and the
 * rule that every failure is one line on stderr and a non-zero exit code.
 *
 * `cxlsim list …` is special: everything after `list` belongs to ndctl's option parser, so
 * it is cut out of argv before commander sees it (commander would otherwise claim `-h`,
 * `-V` or `--state`). Command modules are imported when their command runs, keeping
 * `--version` and `--help` fast.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type CliDeps, realDeps } from './deps.ts';
import { exitCodeOf, formatError } from './errors.ts';
import type { CliIo } from './io.ts';
import { NDCTL_HELP } from './ndctl-commands.ts';
import { DEFAULT_STATE_DIR, packageUrl } from './paths.ts';
import type { CliContext, SessionProvider } from './session.ts';

/** cxlsim's version from package.json. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(packageUrl('package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Commands whose arguments belong to ndctl's own option parser. */
const RAW_COMMANDS = new Set(['list', 'run', ...NDCTL_HELP.map(([name]) => name)]);

/** `[--state DIR | --state=DIR]… <ndctl command> ARGS…` → state, command and ARGS; else undefined. */
function rawList(
  argv: string[],
): { state: string | undefined; command: string; args: string[] } | undefined {
  let state: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--state' && i + 1 < argv.length) state = argv[++i];
    else if (a.startsWith('--state=')) state = a.slice('--state='.length);
    else if (RAW_COMMANDS.has(a)) return { state, command: a, args: argv.slice(i + 1) };
    else return undefined;
  }
  return undefined;
}

/** Builds the commander program; actions store their exit code through `setCode`. */
async function buildProgram(
  io: CliIo,
  ctxFor: (state: string | undefined) => CliContext,
  setCode: (c: number) => void,
): Promise<Command> {
  // commander is loaded only here: `list` and the ndctl commands never need it
  const { Command } = await import('commander');
  const program = new Command('cxlsim')
    .description(
      "A simulator of the Linux CXL driver stack as a guest sees it: QEMU's CXL platform, the cxl drivers, /sys/bus/cxl and ndctl's `cxl list`.",
    )
    .version(packageVersion(), '-V, --version', 'print the cxlsim version')
    .option(
      '--state <dir>',
      `state directory (default: $CXLSIM_STATE, else ./${DEFAULT_STATE_DIR})`,
    )
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const ctx = () => ctxFor(program.opts<{ state?: string }>().state);

  program
    .command('boot')
    .description('boot a new machine (replaces the persisted one)')
    .option(
      '--qemu <file>',
      'a QEMU command line (as pasted; \\-continued lines and # comments allowed)',
    )
    .option(
      '--topology <file>',
      'a topology file (YAML or JSON); with --qemu or --preset: a host-device file',
    )
    .option('--preset <name>', 'a named topology (default: default)')
    .option(
      '--profile <name>',
      'stack profile: debian-12 (Linux 6.1, QEMU 7.2, ndctl 76.1) or latest',
      'latest',
    )
    .option('--kernel <version>', 'kernel version override (6.1, 6.12, 7.3, 7.0-nvidia-bos)')
    .option('--qemu-version <version>', 'QEMU version override (7.2, 10.1)')
    .option('--ndctl <version>', 'ndctl version override (76.1, 77, 78, 79, 80, 81, 85)')
    .option('--dyndbg', 'dynamic debug on for drivers/cxl (dev_dbg lines in dmesg)')
    .option('-v, --verbose', 'also list the QEMU arguments that were ignored')
    .option(
      '--vfio-cxl-placement <mode>',
      'where the VMM places passed-through CXL type-2 devices: per-window (default) or first-window (the old behaviour)',
    )
    .action(async (o) => setCode(await (await import('./commands/boot.ts')).bootCommand(ctx(), o)));

  program
    .command('list')
    .description('ndctl `cxl list` on the guest; every argument after `list` goes to it unchanged')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) =>
      setCode(await (await import('./commands/list.ts')).listCommand(ctx(), args)),
    );

  const sysfs = program.command('sysfs').description("the guest's /sys");
  const cmd = () => import('./commands/sysfs.ts');
  sysfs
    .command('ls')
    .description('list a directory in kernfs order')
    .argument('[path]', '/sys path', '/sys')
    .option('-l', 'show type, mode and symlink targets')
    .action(async (p: string, o: { l?: boolean }) =>
      setCode(await (await cmd()).sysfsLs(ctx(), p, o.l ?? false)),
    );
  sysfs
    .command('cat')
    .description('print a file (binary files as hex)')
    .argument('<path>')
    .action(async (p: string) => setCode(await (await cmd()).sysfsCat(ctx(), p)));
  sysfs
    .command('tree')
    .description('print a directory tree (symlinks not followed)')
    .argument('[path]', '/sys path', '/sys')
    .action(async (p: string) => setCode(await (await cmd()).sysfsTree(ctx(), p)));
  sysfs
    .command('write')
    .description('echo VALUE > PATH (the write is kept in the machine state)')
    .argument('<path>')
    .argument('<value>')
    .action(async (p: string, v: string) => setCode(await (await cmd()).sysfsWrite(ctx(), p, v)));
  sysfs
    .command('export')
    .description('write /sys out as a real directory tree (usable as a /sys for ndctl)')
    .argument('<dir>')
    .option('--force', 'replace bus/, devices/ and module/ in a non-empty DIR')
    .action(async (d: string, o: { force?: boolean }) =>
      setCode(await (await cmd()).sysfsExport(ctx(), d, o.force ?? false)),
    );
  sysfs
    .command('dump')
    .description("print /sys in the kernel captures' sysfs.txt format")
    .argument('[roots...]', 'dump these paths recursively instead of the capture selection')
    .action(async (r: string[]) => setCode(await (await cmd()).sysfsDump(ctx(), r)));

  // ndctl's state-changing subcommands: dispatched before commander (runCli → rawList); listed
  // here so that `cxlsim --help` shows them.
  for (const [name, what] of NDCTL_HELP) {
    program
      .command(name)
      .description(`ndctl \`cxl ${name}\` on the guest (${what}; arguments go to ndctl's parser)`)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument('[args...]');
  }

  program
    .command('device-add')
    .description(
      'QEMU device_add on the running machine: hot-add a CXL type-2 function (vfio-pci,host=BDF,bus=PORT[,id=ID])',
    )
    .argument('<spec>', 'the -device text, e.g. vfio-pci,host=0002:81:00.0,bus=rport0.1,id=gpu1')
    .action(async (spec: string) =>
      setCode(await (await import('./commands/device-add.ts')).deviceAddCommand(ctx(), spec)),
    );
  program
    .command('vfio')
    .description('passed-through CXL type-2 functions (vfio-cxl)')
    .command('show')
    .description('DVSEC (lspci -vvv style) and HDM decoders as the host and the guest see them')
    .argument('[device]', 'QEMU id, host BDF or guest BDF (default: all)')
    .action(async (d: string | undefined) =>
      setCode(await (await import('./commands/vfio.ts')).vfioShowCommand(ctx(), d)),
    );

  program
    .command('qmp')
    .description(
      "a QMP command to the machine's QEMU (cxl-inject-poison, cxl-inject-general-media-event, …)",
    )
    .argument('<command>', 'QMP command name, e.g. cxl-inject-poison')
    .argument(
      '[arguments]',
      'its arguments as JSON, e.g. \'{"path":"/machine/peripheral/cxl-pmem1","start":4096,"length":64}\'',
    )
    .action(async (c: string, j: string | undefined) =>
      setCode(await (await import('./commands/qmp.ts')).qmpCommand(ctx(), c, j)),
    );
  program
    .command('trace')
    .description("the guest kernel's trace events (cxl_poison, cxl_general_media, …)")
    .action(async () => setCode(await (await import('./commands/qmp.ts')).traceCommand(ctx())));
  program
    .command('serve')
    .description(
      "serve the machine's /sys live over FUSE at DIR, and its memdev ioctls, until Ctrl-C (needs fuse-native and libfuse2)",
    )
    .requiredOption('--mount <dir>', 'where to mount the live /sys')
    .action(async (o: { mount: string }) =>
      setCode(await (await import('./commands/serve.ts')).serveCommand(ctx(), o.mount)),
    );
  program
    .command('run')
    .description(
      'run COMMAND (the real cxl, ndctl test scripts …) in a private mount namespace on the live /sys (needs root and FUSE; exit 77 without)',
    )
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[command...]');

  program
    .command('dmesg')
    .description("the guest kernel's log")
    .option('--raw', 'show printk levels (<7>)')
    .action(async (o: { raw?: boolean }) =>
      setCode(await (await import('./commands/dmesg.ts')).dmesgCommand(ctx(), o.raw ?? false)),
    );

  program
    .command('prop')
    .description(
      'property runs of region assembly: random region requests, every invariant checked, a shrunk reproducer bundle on failure (exit 1)',
    )
    .option('--preset <name>', 'cases on this preset (default: default)')
    .option('--qemu <file>', 'cases on the topology of a QEMU command line')
    .option('--topology <file>', 'cases on a topology file')
    .option('--gen [kind]', 'a fresh random topology per case: qemu (default) or any')
    .option('--runs <n>', 'number of cases', '100')
    .option('--seed <n>', 'fast-check seed (default: random, printed)')
    .option('--profile <name>', 'stack profile', 'latest')
    .option(
      '--compare-profile <name>',
      'run each case under a second profile too; fail where outcomes differ',
    )
    .option(
      '--invariant <name...>',
      `invariants to check (default all: ${'hpa-disjoint dpa-disjoint commit-order hw-committed data-roundtrip refused-write teardown'})`,
    )
    .option('--shard <i/n>', 'run shard i of n (seed + i - 1, runs / n cases)')
    .option(
      '--jobs <n>',
      'run as n shards at once in worker threads (one per core; the cases are those of the n shards)',
      '1',
    )
    .option('--json', 'print the outcome as JSON')
    .option('--out <dir>', 'where to write the reproducer bundle', 'cxlsim-repro')
    .option('--check', 'check the invariants on the booted machine instead')
    .action(async (o: import('./commands/prop.ts').PropArgs) =>
      setCode(await (await import('./commands/prop.ts')).propCommand(ctx(), o)),
    );

  program
    .command('export')
    .description(
      "a topology as a QEMU command line (the booted machine's, or --preset / --topology)",
    )
    .option('--qemu', 'export as a QEMU command line')
    .option('--qemu-version <version>', "QEMU version (default: the machine's)")
    .option('--preset <name>', 'export a preset')
    .option('--topology <file>', 'export a topology file')
    .option('-o, --output <file>', 'write to a file (default: stdout)')
    .action(async (o: import('./commands/export.ts').ExportArgs) =>
      setCode(await (await import('./commands/export.ts')).exportCommand(ctx(), o)),
    );

  program
    .command('gen')
    .description('write a generated topology file (boot it with `cxlsim boot --topology FILE`)')
    .option('--host-bridges <n>', 'pxb-cxl host bridges (default 1)')
    .option('--root-ports <n>', 'root ports per host bridge, 1-32 (default 1)')
    .option('--switch-levels <n>', 'switch levels below each root port (default 0)')
    .option('--fanout <n>', 'downstream ports per switch, 1-32 (default 1)')
    .option('--endpoints <n>', 'exactly N type-3 devices (alone: a balanced shape)')
    .option(
      '--windows <list>',
      'hb, all, xN (N-way groups of host bridges) or none, comma separated',
    )
    .option(
      '--granularity <bytes>',
      'interleave granularity of multi-host-bridge windows (default 4096)',
    )
    .option(
      '--device-size <size>',
      'persistent capacity per device, a multiple of 256M (default 256M)',
    )
    .option('--seed <n>', 'serial numbers are seed*10^6+1, +2, … (default 1)')
    .option('--name <name>', 'topology name')
    .option('-o, --output <file>', 'write the YAML here (default: stdout)')
    .action(async (o: import('./commands/gen.ts').GenArgs) =>
      setCode(await (await import('./commands/gen.ts')).genCommand(io, o)),
    );

  const mem = program
    .command('mem')
    .description("CPU loads and stores routed by the hardware's committed decoders");
  mem
    .command('read')
    .description('hexdump LEN bytes at HPA')
    .argument('<hpa>', 'host physical address (0x… or decimal)')
    .argument('<len>', 'bytes (at most 1 MiB)')
    .action(async (h: string, l: string) =>
      setCode(await (await import('./commands/mem.ts')).memRead(ctx(), h, l)),
    );
  mem
    .command('write')
    .description('store bytes at HPA (kept in the machine state)')
    .argument('<hpa>', 'host physical address (0x… or decimal)')
    .argument('<hex>', 'bytes in address order, e.g. deadbeef')
    .action(async (h: string, x: string) =>
      setCode(await (await import('./commands/mem.ts')).memWrite(ctx(), h, x)),
    );

  program
    .command('translate')
    .description(
      "an HPA (or a memdev's DPA) as the hardware decodes it and as the region driver translates it",
    )
    .argument('[hpa]', 'host physical address (0x… or decimal)')
    .option('--dpa <memN:DPA>', "translate a memdev's DPA to its HPA instead")
    .option('--json', 'machine-readable output')
    .action(async (h: string | undefined, o: { dpa?: string; json?: boolean }) =>
      setCode(await (await import('./commands/translate.ts')).translateCommand(ctx(), h, o)),
    );

  program
    .command('reboot')
    .description('restart the guest on the same hardware (committed decoders, memory and LSA kept)')
    .option('--dyndbg', 'dynamic debug on for the new kernel')
    .option('--no-dyndbg', 'dynamic debug off for the new kernel')
    .action(async (o: { dyndbg?: boolean }) =>
      setCode(await (await import('./commands/reboot.ts')).rebootCommand(ctx(), o)),
    );
  program
    .command('show')
    .description(
      'draw the booted topology: host bridges, ports, switches, endpoints, windows and their targets, regions and their positions',
    )
    .option(
      '--format <format>',
      'tree (default; colour on a TTY), dot (Graphviz source) or svg (via Graphviz dot)',
    )
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .action(async (o) => setCode(await (await import('./commands/show.ts')).showCommand(ctx(), o)));
  program
    .command('doctor')
    .description(
      'what a guest will do with a QEMU line, per profile, before any boot: QEMU refusals, windows that can never hold a region, region commands that work, traps (each with the QEMU option to change)',
    )
    .option('--qemu <file>', 'the QEMU command line')
    .option('--profile <name>', 'one profile (default: every profile)')
    .option(
      '--try <command>',
      "predict a cxl command's outcome (repeatable, run in order), e.g. --try 'create-region -m -d decoder0.0 mem0'",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--json', 'machine-readable output')
    .action(async (o) =>
      setCode(await (await import('./commands/doctor.ts')).doctorCommand(ctx(), o)),
    );
  program
    .command('explain')
    .description(
      'why the last failed command or write failed (or DEVICE, or create-region ARGS… as a what-if): the checks from the root decoder down, and verified fixes',
    )
    .argument(
      '[target...]',
      'nothing, a device (region0, mem3, decoder0.1 …) or create-region ARGS…',
    )
    .option('--json', 'machine-readable output')
    .allowUnknownOption()
    .action(async (t: string[], o: { json?: boolean }) =>
      setCode(
        await (await import('./commands/explain.ts')).explainCommand(ctx(), t, o.json ?? false),
      ),
    );
  return program;
}

/**
 * Runs the CLI on `argv` (without node and script names); returns the exit code.
 * Never throws: every error is printed as one line on `io.err`.
 * @param session the machine commands run on instead of the state file's (a `cxlsim serve`
 *   answering a forwarded command: its live machine, live/store.ts LiveMachine.session)
 */
export async function runCli(
  argv: string[],
  io: CliIo,
  deps: CliDeps = realDeps,
  session?: SessionProvider,
): Promise<number> {
  const ctxFor = (state: string | undefined): CliContext => ({
    io,
    deps,
    stateDir: resolve(io.cwd, state ?? (io.env.CXLSIM_STATE || DEFAULT_STATE_DIR)),
    version: packageVersion(),
    ...(session ? { session } : {}),
    runCli: (a, i, s) => runCli(a, i, deps, s),
  });
  try {
    const raw = rawList(argv);
    if (raw?.command === 'run')
      return await (await import('./commands/serve.ts')).runCommand(ctxFor(raw.state), raw.args);
    if (raw?.command === 'list')
      return await (await import('./commands/list.ts')).listCommand(ctxFor(raw.state), raw.args);
    if (raw?.command === 'monitor')
      return await (await import('./commands/monitor.ts')).monitorCommand(
        ctxFor(raw.state),
        raw.args,
      );
    if (raw)
      return await (await import('./commands/ndctl.ts')).ndctlCommand(
        // create-region attempts are noted in the journal for `cxlsim explain`
        raw.command === 'create-region'
          ? { ...ctxFor(raw.state), note: [raw.command, ...raw.args] }
          : ctxFor(raw.state),
        raw.command,
        raw.args,
      );
    let code = 0;
    const program = await buildProgram(io, ctxFor, (c) => {
      code = c;
    });
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    // a CommanderError (usage, --help, --version), recognised without loading commander
    const ce = e as { name?: string; code?: unknown; exitCode?: unknown };
    if (typeof ce?.code === 'string' && ce.code.startsWith('commander.'))
      return ce.code === 'commander.helpDisplayed' || ce.code === 'commander.version'
        ? 0
        : typeof ce.exitCode === 'number'
          ? ce.exitCode
          : 1;
    io.err(`${formatError(e, Boolean(io.env.CXLSIM_DEBUG))}\n`);
    return exitCodeOf(e);
  }
}
