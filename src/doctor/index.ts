/**
 * DOC: `cxlsim doctor --qemu FILE` — what a guest will do with a QEMU command line, per stack
 * profile, before it is ever booted: QEMU's own refusal (with its text), windows that can never
 * hold a region and why, the region commands that work (verified on the simulated guest),
 * devices decoded by passthrough, and known traps; every finding names the QEMU option to
 * change. The same prediction machinery (predict.ts) answers "what will these cxl commands
 * do" (`--try`), which is how a capture's steps are checked against what really happened.
 */
import { type BootedMachine, bootMachine } from '../boot.ts';
import { Errno } from '../kernel/errno.ts';
import type { Profile } from '../profile.ts';
import type { Topology } from '../topology/model.ts';
import { parseQemuCommandLine } from '../topology/qemu-cmdline.ts';
import { QemuError } from '../topology/qemu-errors.ts';
import { busNumberFindings } from './buses.ts';
import { e820Findings } from './e820.ts';
import { type Prediction, predictCommands, trapsFor } from './predict.ts';
import { staticTraps } from './traps.ts';
import type { Finding, ProfileReport } from './types.ts';
import { analyseWindows } from './windows.ts';

export type { Prediction } from './predict.ts';
export type { Finding, ProfileReport } from './types.ts';

/** Input of {@link doctor}. */
export interface DoctorInput {
  /** The QEMU command line text. */
  text: string;
  path?: string;
  profiles: Profile[];
  /** cdat= files (QEMU reads them); undefined = not checked. */
  fileExists?: (path: string) => boolean;
  /** cxl commands (argv without "cxl") whose outcomes to predict, in order. */
  tries?: string[][];
}

/** One profile's report plus the predictions of `tries`. */
export interface DoctorResult extends ProfileReport {
  predictions: Prediction[];
}

/** The option QEMU's error is about, for messages without a location. */
function optionOf(e: QemuError): string {
  if (e.option !== undefined) return e.option;
  if (/phys-bits too low/.test(e.message))
    return '-cpu …,phys-bits=N (or a smaller cxl-fmw.N.size)';
  if (/CXLFM target|fixed memory window|Interleave/.test(e.message)) return '-M cxl-fmw.N.*';
  if (/cxl=off/.test(e.message)) return '-machine …,cxl=on';
  return '(see the message)';
}

/** Parses and boots the line for one profile; a report of what failed otherwise. */
function load(
  input: DoctorInput,
  p: Profile,
): { t: Topology; m: BootedMachine } | { error: string; finding: Finding } {
  try {
    const t = parseQemuCommandLine(input.text, {
      qemu: p.qemu,
      ...(input.path !== undefined ? { path: input.path } : {}),
      ...(input.fileExists ? { fileExists: input.fileExists } : {}),
    });
    return { t, m: bootMachine(t, { profile: p }) };
  } catch (e) {
    if (e instanceof QemuError)
      return {
        error: e.qemuMessage(),
        finding: {
          severity: 'error',
          kind: 'qemu-refuses',
          subject: 'qemu',
          message: `QEMU ${p.qemu} refuses the line: ${e.qemuMessage()}`,
          option: optionOf(e),
        },
      };
    if (e instanceof Errno)
      return {
        error: e.message,
        finding: {
          severity: 'error',
          kind: 'not-modelled',
          subject: 'qemu',
          message: e.message,
          option: '(see the message)',
        },
      };
    throw e;
  }
}

/** Runs the doctor for each profile. */
export function doctor(input: DoctorInput): DoctorResult[] {
  return input.profiles.map((p) => {
    const base = {
      profile: p.name,
      stack: `Linux ${p.kernel}, QEMU ${p.qemu}, ndctl ${p.ndctl}`,
    };
    const r = load(input, p);
    if ('error' in r)
      return {
        ...base,
        qemuError: r.error,
        findings: [r.finding],
        regions: [],
        passthrough: [],
        predictions: [],
      };
    const { t, m } = r;
    const traps = trapsFor(t, p);
    const fresh = () => bootMachine(t, { profile: p });
    const st = staticTraps(t, p);
    // windows are judged without the hypervisor trap: with it every commit fails, and the
    // useful answer is which regions work once the CPU hides the bit
    const w = analyseWindows(t, m, m.platform.windows, fresh, []);
    const hv = traps.some((x) => x.id === 'hypervisor');
    const blocked: Finding[] = hv
      ? w.regions.map((g) => ({
          severity: 'warning',
          kind: 'hypervisor-region',
          subject: `cxl-fmw.${g.window}`,
          message: `\`${g.command}\` is refused at commit by the kernel with this CPU; it works once the hypervisor bit is hidden`,
          option: '-cpu …,-hypervisor',
        }))
      : [];
    const predictions = input.tries ? predictCommands(fresh(), input.tries, traps) : [];
    return {
      ...base,
      findings: [
        ...st.findings,
        ...busNumberFindings(t),
        ...e820Findings(t, m.platform.windows),
        ...w.findings,
        ...blocked,
      ],
      regions: hv ? [] : w.regions,
      passthrough: st.passthrough,
      predictions,
    };
  });
}

/** Text rendering of the doctor's results. */
export function renderDoctor(rs: readonly DoctorResult[]): string {
  const out: string[] = [];
  for (const r of rs) {
    out.push(`== ${r.profile} (${r.stack})`);
    for (const f of r.findings) {
      out.push(`${f.severity}: ${f.message}`);
      out.push(`  change: ${f.option}`);
    }
    if (r.qemuError === undefined) {
      if (r.regions.length === 0) out.push('regions: none can be created');
      else {
        out.push('regions cxl create-region can create:');
        for (const g of r.regions) out.push(`  cxl-fmw.${g.window}: ${g.command}`);
      }
      if (r.passthrough.length > 0) out.push(`passthrough-decoded: ${r.passthrough.join('; ')}`);
    }
    for (const pr of r.predictions) {
      const verdict = pr.ok
        ? 'succeeds'
        : `refused by ${pr.refusedBy ?? '?'}${pr.reason ? `: ${pr.reason}` : ''}`;
      out.push(`try cxl ${pr.argv.join(' ')}: ${verdict}`);
    }
  }
  return `${out.join('\n')}\n`;
}
