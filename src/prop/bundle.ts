/**
 * DOC: the reproducer bundle of a failing property case — everything needed to run the case on
 * a real guest and to replay it through cxlsim:
 * - `topology.yaml`: the (shrunk) topology, a cxlsim topology file;
 * - `qemu.sh`: a QEMU command line that builds it (export/qemu.ts), or `qemu-unsupported.txt`
 *   naming what QEMU cannot express;
 * - `guest.sh`: the exact `cxl` commands and /sys writes, in order, in the form of the captures'
 *   scenario.guest files: memdevs are picked by serial number and endpoint decoders through
 *   their endpoint's `uport` (memN/endpointN numbers depend on probe order on a real kernel);
 *   each step's exit code, stdout and stderr go to `$OUT/NN.txt`. With `CXLSIM="cxlsim --state
 *   DIR"` the same script runs through cxlsim (its `cxl`, `sysfs cat|ls|write`);
 * - `expected/NN.txt`: what cxlsim predicts for each step, in the same format;
 * - `case.json`: the case (profile, seed, fast-check path, invariants, violations);
 * - `README.md`: what failed and how to run it.
 */

import type { Machine } from '../api/machine.ts';
import { topologyToQemu } from '../export/qemu.ts';
import type { ErrnoName } from '../kernel/errno.ts';
import { Errno, strerror } from '../kernel/errno.ts';
import type { Profile } from '../profile.ts';
import { topologyToYaml } from '../topology/serialize.ts';
import type { Step } from './case.ts';
import type { PropFailure } from './runner.ts';

/** File name → content. */
export type Bundle = Map<string, string>;

/** How the guest script names things the kernel may number differently (see the DOC block). */
interface Names {
  /** memN → shell variable holding the guest's name. */
  mems: Map<string, { v: string; serial: string }>;
  /** endpoint port id → memN. */
  endpoints: Map<string, string>;
}

/** Reads the names of a freshly booted machine of the failing topology. */
function namesOf(m: Machine): Names {
  const mems = new Map<string, { v: string; serial: string }>();
  const endpoints = new Map<string, string>();
  for (const d of m.sysfs.ls('bus/cxl/devices')) {
    if (/^mem\d+$/.test(d)) {
      const serial = m.sysfs.read(`bus/cxl/devices/${d}/serial`).trim();
      mems.set(d, { v: `M${d.slice(3)}`, serial });
    }
    if (/^endpoint\d+$/.test(d)) {
      const up = m.sysfs.realpath(`bus/cxl/devices/${d}/uport`);
      endpoints.set(d.slice('endpoint'.length), up.slice(up.lastIndexOf('/') + 1));
    }
  }
  return { mems, endpoints };
}

/** A word of a command with cxlsim's names replaced by the script's lookups, shell-quoted. */
function guestWord(w: string, n: Names): string {
  if (!/^[A-Za-z0-9_./:=,+@%-]*$/.test(w)) return `'${w.replace(/'/g, `'\\''`)}'`;
  let replaced = false;
  const out = w.replace(/\b(mem\d+)\b|\bdecoder(\d+)\.(\d+)\b/g, (all, mem, e, i) => {
    const md = mem ?? n.endpoints.get(e);
    const x = md ? n.mems.get(md) : undefined;
    if (!x || x.serial === '0x0') return all;
    replaced = true;
    return mem ? `\${${x.v}}` : `$(epdec "\${${x.v}}" ${i})`;
  });
  return replaced ? `"${out}"` : out === '' ? "''" : out;
}

/** The text a step is expected to produce, as guest.sh records it. */
function stepText(s: Step, cmd: string): string {
  if (s.kind === 'cxl')
    return `$ ${cmd}\n--- stdout\n${s.stdout}--- stderr\n${s.stderr}rc=${s.code}\n`;
  if (s.kind === 'write') {
    const err = s.result === 'ok' ? '' : `write error: ${strerror(s.result as ErrnoName)}\n`;
    return `$ ${cmd}\n${err}rc=${s.result === 'ok' ? 0 : 1}\n`;
  }
  return '';
}

const GUEST_HEAD = String.raw`#!/bin/sh
# Reproducer of a failing cxlsim property case (see README.md).
# On the guest (root, ndctl's cxl in PATH):      OUT=out sh guest.sh
# Through cxlsim:  cxlsim --state st boot --topology topology.yaml --profile PROFILE
#                  CXLSIM="cxlsim --state st" OUT=out sh guest.sh
# Each step's output goes to $OUT/NN.txt; compare with expected/NN.txt.
set -u
OUT=$!{OUT:-out}
T=$!{TMPDIR:-/tmp}/cxlsim-repro.$$
mkdir -p "$OUT"
if [ -n "$!{CXLSIM:-}" ]; then
  cxl() { $CXLSIM "$@"; }
  wr() { $CXLSIM sysfs write "$1" "$2" 2>&1 >/dev/null; }
else
  wr() { ( echo "$2" > "$1" ) 2>"$T.w"; rc=$?; sed 's/^.*write error/write error/' "$T.w"; rm -f "$T.w"; return $rc; }
fi
# memdevs by serial number and endpoints by memdev, from cxl list (memN/endpointN names depend
# on probe order); one JSON object a line
objs() { tr -d ' \n' | sed 's/},{/}\n{/g'; }
MEMS=$(cxl list -M | objs)
EPS=$(cxl list -E | objs)
mem_by_sn() { printf '%s\n' "$MEMS" | grep "\"serial\":$(($1))[,}]" | sed 's/.*"memdev":"\(mem[0-9]*\)".*/\1/'; }
# endpoint decoder N of a memdev: decoderE.N where endpointE's host is the memdev
epdec() { e=$(printf '%s\n' "$EPS" | grep "\"host\":\"$1\"" | sed 's/.*"endpoint":"endpoint\([0-9]*\)".*/\1/'); echo "decoder$e.$2"; }
# one step: NN, then the command; records rc, stdout, stderr like expected/NN.txt
step_cxl() { n=$1; shift; { echo "$ cxl $*"; echo "--- stdout"; cxl "$@" >"$T.o" 2>"$T.e"; rc=$?; cat "$T.o"; echo "--- stderr"; cat "$T.e"; echo "rc=$rc"; } >"$OUT/$n.txt"; rm -f "$T.o" "$T.e"; }
step_wr() { n=$1; { echo "$ echo $3 > /sys/$2"; err=$(wr "/sys/$2" "$3"); rc=$?; [ -n "$err" ] && rc=1 && echo "$err"; echo "rc=$rc"; } >"$OUT/$n.txt"; }
`.replaceAll('$!{', '${');

/**
 * Builds the bundle of a failure. `fresh` is a freshly booted machine of the failing topology
 * on the failing profile (for serial numbers and endpoint ↔ memdev links).
 */
export function buildBundle(
  f: PropFailure,
  o: { profile: Profile; seed: number; fresh: Machine; command: string },
): Bundle {
  const b: Bundle = new Map();
  b.set('topology.yaml', topologyToYaml(f.topology));
  try {
    b.set('qemu.sh', topologyToQemu(f.topology, { qemu: o.profile.qemu }));
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
    b.set('qemu-unsupported.txt', `${e.message}\n`);
  }
  const n = namesOf(o.fresh);
  let script = GUEST_HEAD;
  const used = new Set<string>();
  const note = (w: string) => {
    for (const m of w.matchAll(/\b(mem\d+)\b|\bdecoder(\d+)\.\d+\b/g)) {
      const md = m[1] ?? n.endpoints.get(m[2] as string);
      if (md) used.add(md);
    }
  };
  for (const s of f.report.steps)
    if (s.kind === 'cxl') s.argv.forEach(note);
    else if (s.kind === 'write') note(`${s.path} ${s.value}`);
  for (const [mem, x] of n.mems)
    if (x.serial !== '0x0' && used.has(mem))
      script += `${x.v}=$(mem_by_sn ${x.serial})   # ${mem} in cxlsim\n`;
  let i = 0;
  for (const s of f.report.steps) {
    if (s.kind === 'teardown') {
      script += '# teardown: commit 0, clear targets, delete regions (last first), free DPA\n';
      continue;
    }
    const nn = String(++i).padStart(2, '0');
    if (s.kind === 'cxl') {
      script += `step_cxl ${nn} ${s.argv.map((w) => guestWord(w, n)).join(' ')}\n`;
      b.set(`expected/${nn}.txt`, stepText(s, `cxl ${s.argv.join(' ')}`));
    } else {
      const v = s.value.replace(/\n$/, '');
      script += `step_wr ${nn} ${guestWord(s.path, n)} ${guestWord(v, n)}\n`;
      b.set(`expected/${nn}.txt`, stepText(s, `echo ${v} > /sys/${s.path}`));
    }
  }
  b.set('guest.sh', script);
  if (f.other) {
    // what the second profile predicts for the same steps (compare mode)
    let k = 0;
    for (const s of f.other.steps) {
      if (s.kind === 'teardown') continue;
      const nn = String(++k).padStart(2, '0');
      const cmd =
        s.kind === 'cxl'
          ? `cxl ${s.argv.join(' ')}`
          : `echo ${s.value.replace(/\n$/, '')} > /sys/${s.path}`;
      b.set(`expected-${f.other.profile}/${nn}.txt`, stepText(s, cmd));
    }
  }
  const v = f.violations.map(
    (x) => `- ${x.invariant}: ${x.device ? `${x.device}: ` : ''}${x.message}`,
  );
  b.set(
    'case.json',
    `${JSON.stringify(
      {
        profile: o.profile,
        seed: o.seed,
        path: f.path,
        shrinks: f.shrinks,
        violations: f.violations,
        case: f.case,
        ...(f.other ? { compare: { profile: f.other.profile } } : {}),
      },
      (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x),
      2,
    )}\n`,
  );
  b.set(
    'README.md',
    `# cxlsim property failure

Found by \`${o.command}\` (profile ${o.profile.name}: Linux ${o.profile.kernel}, QEMU ${o.profile.qemu}, ndctl ${o.profile.ndctl}), seed ${o.seed}, shrunk in ${f.shrinks} steps (fast-check path \`${f.path}\`).

${f.other ? `The step outcomes differ between ${o.profile.name} and ${f.other.profile}.\n` : ''}${v.length ? `Violations after the last step:\n${v.join('\n')}\n` : ''}
- \`topology.yaml\`: the topology (\`cxlsim boot --topology topology.yaml\`)
- ${b.has('qemu.sh') ? '`qemu.sh`: the QEMU command line for it (add your kernel, initrd or disk)' : '`qemu-unsupported.txt`: why QEMU cannot build it'}
- \`guest.sh\`: the steps; \`expected/NN.txt\`: what cxlsim predicts for each${f.other ? `; \`expected-${f.other.profile}/NN.txt\`: the same under ${f.other.profile}` : ''}

Replay through cxlsim:

    cxlsim --state st boot --topology topology.yaml --profile ${o.profile.name}
    CXLSIM="cxlsim --state st" OUT=out sh guest.sh && diff -r expected out
    cxlsim --state st prop --check
`,
  );
  return b;
}

export { namesOf as bundleNames, type Step };
