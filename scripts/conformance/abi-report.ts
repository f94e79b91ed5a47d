/**
 * DOC: ABI coverage — computed per kernel profile over the exported trees of
 * {@link exportAbiStates}, and rendered as docs/abi-coverage.md.
 *
 * An attribute is *applicable* on a profile when at least one object of a kind it applies to
 * exists in the trees and the profile's kernel has it (ABI `since`). It is *covered* when it is
 * present (on every such object; for an attribute with a visibility condition, on at least one),
 * every present file has the record's mode and every value checked has the record's format.
 * Conditional attributes seen on no object are *never visible* and listed apart: the percentage
 * leaves them out, the strict percentage counts them as not covered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveProfile } from '../../src/profile.ts';
import { type KindTally, type Tallies, tallyTree, type Verdict, verdict } from './abi-check.ts';
import {
  type AbiRecord,
  CODE_VISIBILITY,
  formatCheck,
  loadAbi,
  type ObjKind,
} from './abi-reference.ts';
import { exportAbiStates } from './abi-states.ts';

/** The profiles reported, in the doc's order. */
export const ABI_PROFILES = ['latest', 'debian-12'] as const;

/** One profile's result. */
export interface ProfileCoverage {
  profile: string;
  kernel: string;
  states: string[];
  tallies: Tallies;
  verdicts: Map<AbiRecord, Verdict>;
  applicable: number;
  covered: number;
  neverVisible: number;
  /** covered / applicable, in percent (one decimal) */
  percent: number;
  /** covered / (applicable + never visible) */
  strictPercent: number;
}

const APPLICABLE: ReadonlySet<Verdict> = new Set([
  'covered',
  'missing',
  'wrong mode',
  'wrong format',
]);
const pct = (a: number, b: number) => (b === 0 ? 100 : Math.floor((1000 * a) / b) / 10);

/** A scratch directory, on tmpfs when there is one (the trees are thousands of small files). */
function scratchDir(): string {
  try {
    return mkdtempSync('/dev/shm/cxlsim-abi-');
  } catch {
    return mkdtempSync(join(tmpdir(), 'cxlsim-abi-'));
  }
}

/** Boots, exports and checks every state of `profileName`. */
export function profileCoverage(profileName: string, records = loadAbi()): ProfileCoverage {
  const kernel = resolveProfile(profileName).kernel;
  const dir = scratchDir();
  try {
    const states = exportAbiStates(profileName, dir);
    const tallies: Tallies = new Map();
    for (const s of states) tallyTree(records, s.tree, tallies);
    const verdicts = new Map(
      records.map((r) => [r, verdict(r, tallies.get(r) ?? new Map(), kernel)]),
    );
    const vs = [...verdicts.values()];
    const applicable = vs.filter((v) => APPLICABLE.has(v)).length;
    const covered = vs.filter((v) => v === 'covered').length;
    const neverVisible = vs.filter((v) => v === 'never visible').length;
    return {
      profile: profileName,
      kernel,
      states: states.map((s) => s.name),
      tallies,
      verdicts,
      applicable,
      covered,
      neverVisible,
      percent: pct(covered, applicable),
      strictPercent: pct(covered, applicable + neverVisible),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "memdev ×10, region ×2" — the kinds seen and how many objects of each. */
function kindsCell(byKind: Map<ObjKind, KindTally>): string {
  return [...byKind]
    .map(([k, t]) => (t.instances > 0 ? `${k} ×${t.instances}` : `~~${k}~~`))
    .join(', ');
}

/** The detail of a verdict: present x/y, mode, format. */
function detailCell(r: AbiRecord, v: Verdict, byKind: Map<ObjKind, KindTally>): string {
  const ts = [...byKind].filter(([, t]) => t.instances > 0);
  if (ts.length === 0 || v === 'not in kernel') return v;
  const inst = ts.reduce((n, [, t]) => n + t.instances, 0);
  const present = ts.reduce((n, [, t]) => n + t.present, 0);
  const modeOk = ts.reduce((n, [, t]) => n + t.modeOk, 0);
  const checked = ts.reduce((n, [, t]) => n + t.formatChecked, 0);
  const bad = ts.reduce((n, [, t]) => n + t.formatBad, 0);
  const canCheck = ts.some(([k]) => formatCheck(r, k) !== undefined);
  const parts = [`**${v}**`, `present ${present}/${inst}`];
  if (present > 0) parts.push(`mode ${modeOk === present ? 'ok' : `wrong on ${present - modeOk}`}`);
  if (present > 0)
    parts.push(
      !canCheck
        ? 'format not checked'
        : bad > 0
          ? `format wrong on ${bad}`
          : `format ok (${checked})`,
    );
  const ex = ts.map(([, t]) => t.example).find((e) => e !== undefined);
  if (ex && v !== 'covered' && v !== 'never visible') parts.push(`e.g. \`${ex}\``);
  return parts.join(', ');
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The verdicts other than covered, as "name (objects): verdict" lines. */
function problems(c: ProfileCoverage, which: ReadonlySet<Verdict>): string[] {
  return [...c.verdicts]
    .filter(([, v]) => which.has(v))
    .map(
      ([r, v]) =>
        `- \`${r.path}\` (${r.objects.join(', ')}): ${v}${r.visible_when ? ` — visible when ${r.visible_when}` : ''}`,
    );
}

/** docs/abi-coverage.md. */
export function renderAbiCoverage(cs: ProfileCoverage[], records: AbiRecord[]): string {
  const L: string[] = [];
  L.push('# /sys/bus/cxl ABI coverage');
  L.push('');
  L.push(
    'Generated by `npx tsx scripts/abi-coverage.ts` (do not edit by hand) from',
    '`sysfs-fixtures/reference/sysfs-abi.json` (a copy of shared/reference/sysfs-abi.json: every',
    'attribute of `Documentation/ABI/testing/sysfs-bus-cxl` plus the code-only ones) and the',
    '`cxlsim sysfs export` trees of every preset, booted on each kernel profile, plus `default` and',
    '`cxl_test` with a pmem region created. `tests/docs/abi-coverage.test.ts` recomputes it and fails',
    'when a percentage below drops.',
    '',
    'An attribute is **applicable** on a profile when an object of a kind it applies to exists in the',
    "trees and the profile's kernel has it (ABI `since`); it is **covered** when it is present (on",
    'every such object; with a visibility condition, on at least one), each present file has the',
    "record's mode, and each value whose format can be checked has it. **never visible**: a",
    'conditional attribute whose condition holds on no modelled object (left out of the percentage,',
    'counted as not covered in the strict one). **not modelled**: no object of its kinds exists.',
    '',
    'Where the kernel applies a visibility rule the reference record leaves out, the rule is taken',
    'from the code: ' +
      Object.entries(CODE_VISIBILITY)
        .map(([n, v]) => `\`${n}\` — ${v}`)
        .join('; ') +
      '. Memdevs without a cxl_memdev_state (type-2 accelerators: empty `firmware_version`) are',
    'not expected to carry the attributes that need one (security/, qos_class, firmware/,',
    'trigger_poison_list), as memdev.c hides them.',
    '',
    '## Totals',
    '',
    '| profile | kernel | applicable | covered | coverage | never visible | strict coverage |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const c of cs)
    L.push(
      `| ${c.profile} | ${c.kernel} | ${c.applicable} | ${c.covered} | ${c.percent}% | ${c.neverVisible} | ${c.strictPercent}% |`,
    );
  L.push('');
  for (const c of cs) {
    L.push(`States (${c.profile}): ${c.states.join('; ')}.`, '');
  }
  for (const c of cs) {
    L.push(`## Not covered on ${c.profile}`, '');
    const p = problems(c, new Set(['missing', 'wrong mode', 'wrong format', 'visible too early']));
    L.push(...(p.length ? p : ['- none']), '');
    L.push(`Never visible on ${c.profile}:`, '');
    const n = problems(c, new Set(['never visible']));
    L.push(...(n.length ? n : ['- none']), '');
    L.push(`Not modelled on ${c.profile}:`, '');
    const m = problems(c, new Set(['not modelled']));
    L.push(...(m.length ? m : ['- none']), '');
  }
  L.push('## Per attribute', '');
  L.push(`| attribute | objects (seen) | since | mode | ${cs.map((c) => c.profile).join(' | ')} |`);
  L.push(`| --- | --- | --- | --- | ${cs.map(() => '---').join(' | ')} |`);
  for (const r of records) {
    const first = cs[0]?.tallies.get(r) ?? new Map();
    const cells = cs.map((c) =>
      esc(detailCell(r, c.verdicts.get(r) ?? 'not modelled', c.tallies.get(r) ?? new Map())),
    );
    L.push(
      `| \`${esc(r.path)}\` | ${kindsCell(first)} | ${esc(r.since)} | ${esc(r.permissions ?? r.mode)} | ${cells.join(' | ')} |`,
    );
  }
  L.push('');
  return L.join('\n');
}

/** The percentages written in a rendered doc: profile → [coverage, strict coverage]. */
export function parseAbiTotals(md: string): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const m of md.matchAll(
    /^\| ([\w-]+) \| [\d.]+ \| \d+ \| \d+ \| ([\d.]+)% \| \d+ \| ([\d.]+)% \|$/gm,
  ))
    out.set(m[1] as string, [Number(m[2]), Number(m[3])]);
  return out;
}
