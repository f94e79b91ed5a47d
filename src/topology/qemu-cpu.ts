/**
 * DOC: QEMU's `-cpu MODEL[,+feat][,-feat][,feat=on|off][,prop=value]…` as far as the CXL guest
 * sees it: the CPU model, the CPUID hypervisor bit and `phys-bits`.
 *
 * QEMU (target/i386/cpu.c) sets CPUID.1:ECX[31] "hypervisor" on every x86 model it emulates,
 * under TCG and KVM alike (x86_cpu_load_model() adds CPUID_EXT_HYPERVISOR to the model's features
 * before the user's properties apply); only `-hypervisor` / `hypervisor=off` clears it. The default model of the pc and q35 machines is
 * `qemu64`. `+feat`/`-feat` and `feat=on|off` apply left to right (the last one wins). arm64
 * `virt` has no such bit: its CPU model is recorded, `hypervisor` stays false.
 *
 * The guest reads the bit through the platform (bus/ `cpu`): Linux's
 * cpu_cache_has_invalidate_memregion() on x86 is `!cpu_feature_enabled(X86_FEATURE_HYPERVISOR)`,
 * which decides whether the CXL region driver may set up regions.
 */
import type { MachineType } from './model.ts';

/** What the topology records of `-cpu`. */
export interface CpuConfig {
  /** QEMU CPU model name ("qemu64", "max", "host", "cortex-a57" …). */
  model: string;
  /** x86 CPUID hypervisor bit as the guest sees it (false on arm64). */
  hypervisor: boolean;
  /** `phys-bits=N` when given (x86). */
  physBits?: number;
  /** `-cpu` was given (false: the machine's default CPU). */
  explicit: boolean;
  /** The `-cpu` argument as given (a topology file keeps it as `machine.cpu`). */
  spec?: string;
}

/** The machine's default CPU model (pc_q35 / virt machine class default_cpu_type). */
export function defaultCpuModel(machine: MachineType): string {
  return machine === 'virt' ? 'cortex-a15' : 'qemu64';
}

/** True for QEMU's "on" spellings of a boolean property (qapi bool parser). */
function isOn(v: string): boolean | undefined {
  if (v === 'on' || v === 'yes' || v === 'true' || v === 'y') return true;
  if (v === 'off' || v === 'no' || v === 'false' || v === 'n') return false;
  return undefined;
}

/**
 * Parses the argument of `-cpu` (undefined: the machine's default CPU).
 * Unknown properties are kept out of the result (QEMU itself validates them against the model).
 */
export function parseCpuOption(arg: string | undefined, machine: MachineType): CpuConfig {
  const x86 = machine !== 'virt';
  if (arg === undefined)
    return { model: defaultCpuModel(machine), hypervisor: x86, explicit: false };
  const [model = '', ...props] = arg.split(',');
  const cfg: CpuConfig = {
    model: model || defaultCpuModel(machine),
    hypervisor: x86,
    explicit: true,
    spec: arg,
  };
  for (const p of props) {
    let name: string;
    let on: boolean | undefined;
    let value: string | undefined;
    if (p.startsWith('+') || p.startsWith('-')) {
      name = p.slice(1);
      on = p.startsWith('+');
    } else {
      const eq = p.indexOf('=');
      name = eq < 0 ? p : p.slice(0, eq);
      value = eq < 0 ? 'on' : p.slice(eq + 1);
      on = isOn(value);
    }
    if (name === 'hypervisor' && x86 && on !== undefined) cfg.hypervisor = on;
    if (name === 'phys-bits' && value !== undefined && /^\d+$/.test(value))
      cfg.physBits = Number(value);
  }
  return cfg;
}

/** The CPU of a machine: the parsed `-cpu`, else the machine's default. */
export function machineCpu(m: { type: MachineType; cpu?: CpuConfig }): CpuConfig {
  return m.cpu ?? parseCpuOption(undefined, m.type);
}

/**
 * The CPU cxlsim gives generated topologies: `qemu64,-hypervisor`, as the newer stacks' captures
 * boot (without it Linux ≥ 6.2 refuses to set up regions on x86).
 */
export function generatedCpu(): CpuConfig {
  return parseCpuOption('qemu64,-hypervisor', 'q35');
}
