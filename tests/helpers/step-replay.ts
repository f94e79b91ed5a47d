/**
 * Replaying a capture's steps (NN-name/step/) on a booted cxlsim machine: reading the steps in
 * scenario.guest order, a busybox-sh stand-in for the raw `sysw` scripts, the comparison of a
 * step's dmesg lines, and the UUID mask. Shared by the per-stack step tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { daxctlList } from '../../src/daxctl/list.ts';
import { memoryBlocks, procIomem } from '../../src/guest/memory.ts';
import { isErrno, strerror } from '../../src/kernel/errno.ts';
import type { Machine } from '../../src/machine.ts';
import type { Ndctl } from '../../src/ndctl/util/jsonc.ts';
import type { SysfsView } from '../../src/sysfs/view.ts';

/** One `step` / `sh_step` line of host/scenario.guest. */
export interface ScriptStep {
  name: string;
  /** `; cleanup` follows the step: `cxl destroy-region -f all` runs after it. */
  cleanup: boolean;
}

/** The steps of a scenario folder in script order. */
export function scriptSteps(dir: string): ScriptStep[] {
  const text = readFileSync(join(dir, 'host', 'scenario.guest'), 'utf8');
  const out: ScriptStep[] = [];
  for (const line of text.split('\n')) {
    const m = /^(?:sh_)?step (\S+) (.*)$/.exec(line);
    if (m) out.push({ name: m[1] as string, cleanup: /;\s*cleanup\s*$/.test(m[2] as string) });
  }
  return out;
}

/** A recorded step: its command, outputs, exit code and the dmesg lines it caused. */
export interface RecordedStep {
  cmd: string;
  argv: string[];
  stdout: string;
  stderr: string;
  rc: number;
  dmesg: string;
}

/** Reads `<dir>/step/` (undefined when the step folder has no cmd.txt). */
export function readStep(dir: string): RecordedStep | undefined {
  const d = join(dir, 'step');
  if (!existsSync(join(d, 'cmd.txt'))) return undefined;
  const read = (f: string): string =>
    existsSync(join(d, f)) ? readFileSync(join(d, f), 'utf8') : '';
  const cmd = read('cmd.txt').trim();
  return {
    cmd,
    argv: cmd.split(/\s+/).slice(1),
    stdout: read('stdout.txt'),
    stderr: read('stderr.txt'),
    rc: Number(read('rc.txt').trim()),
    dmesg: read('dmesg.txt'),
  };
}

export const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * dmesg lines as compared: timestamps dropped; a WARN splat ("cut here" … "end trace") keeps its
 * first line, its message and its last line — the rest (WARNING: location, modules, CPU, registers,
 * call trace) is machine state of the real guest, not modelled.
 */
export function dmesgLines(text: string): string[] {
  const out: string[] = [];
  let splat = -1;
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    const line = raw.replace(/^(<\d>)?\[\s*\d+\.\d+\]\s?/, '');
    if (line.includes('[ cut here ]')) {
      splat = 0;
      out.push(line);
      continue;
    }
    if (splat >= 0) {
      splat += 1;
      if (/^---\[ end trace/.test(line)) {
        out.push(line);
        splat = -1;
      } else if (splat === 1) out.push(line);
      continue;
    }
    out.push(line);
  }
  return out;
}

/** busybox sh running the r0N scripts: `R=$(cat F); echo "region=$R"`, `sysw P V`, `cat F…`. */
export function runSysw(view: SysfsView, script: string): string {
  let out = '';
  const vars = new Map<string, string>();
  const subst = (s: string): string =>
    s
      .replace(
        /\$\(cat \/proc\/sys\/kernel\/random\/uuid\)/g,
        '01234567-89ab-4def-8123-456789abcdef',
      )
      .replace(/\$(\w+)/g, (_, v: string) => vars.get(v) ?? '');
  const cat = (p: string): string => {
    const v = view.read(p);
    return typeof v === 'string' ? v : Buffer.from(v).toString('latin1');
  };
  for (const raw of script.split('\n')) {
    const line = raw.trim();
    let m = /^R=\$\(cat (\S+)\); echo "region=\$R"$/.exec(line);
    if (m) {
      vars.set('R', cat(m[1] as string).trim());
      out += `region=${vars.get('R')}\n`;
      continue;
    }
    m = /^sysw (\S+) (.*)$/.exec(line);
    if (m) {
      const path = subst(m[1] as string);
      const value = subst(m[2] as string);
      try {
        view.write(path, `${value}\n`);
        out += `write '${value}' > ${path}: ok\n`;
      } catch (e) {
        const why = isErrno(e) ? strerror(e.code) : String(e);
        out += `write '${value}' > ${path}: FAILED: sh: write error: ${why}\n`;
      }
      continue;
    }
    m = /^cat (.+)$/.exec(line);
    if (m) for (const p of (m[1] as string).split(/\s+/)) out += cat(subst(p));
  }
  return out;
}

/**
 * busybox sh running the volatile scenario's memory-state script, line by line, from the guest's
 * state: memory blocks and /proc/iomem (src/guest/memory.ts), the dax bus through /sys, and
 * `daxctl list` (src/daxctl). /proc/meminfo is not modelled: its grep prints nothing (the test
 * drops the two meminfo lines from the capture and says so). An unknown line fails the step.
 */
export function runMemState(
  m: Machine,
  script: string,
  ndctl: Ndctl,
): { code: number; stdout: string; stderr: string } {
  let out = '';
  const lines = script
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const line of lines) {
    if (line.startsWith('echo "auto_online_blocks:')) {
      out += `auto_online_blocks: ${memoryBlocks(m).autoOnline}\n`;
    } else if (line.startsWith('echo "memory blocks:')) {
      const b = memoryBlocks(m);
      out += `memory blocks: ${b.blocks}, online: ${b.online}\n`;
    } else if (line.startsWith('for d in /sys/bus/dax/devices/*')) {
      const dir = '/sys/bus/dax/devices';
      const names = m.sysfs.lstat(dir) ? m.sysfs.readdir(dir) : [];
      for (const n of names) {
        const drv = m.sysfs.lstat(`${dir}/${n}/driver`)
          ? (m.sysfs.readlink(`${dir}/${n}/driver`).split('/').pop() ?? '')
          : '';
        out += `dax: ${n} driver=${drv}\n`;
      }
    } else if (/^grep -i -E "([^"]+)" \/proc\/iomem$/.test(line)) {
      const re = new RegExp(/"([^"]+)"/.exec(line)?.[1] ?? '', 'i');
      out += procIomem(m)
        .split('\n')
        .filter((l) => l && re.test(l))
        .map((l) => `${l}\n`)
        .join('');
    } else if (line.startsWith('grep -E "MemTotal|MemFree" /proc/meminfo')) {
      // not modelled
    } else if (line.startsWith('daxctl list')) {
      const r = daxctlList(m.sysfs, line.split(/\s+/).slice(2), ndctl);
      out += r.stdout;
    } else {
      return {
        code: 127,
        stdout: out,
        stderr: `cxlsim: step runner: line not modelled: ${line}\n`,
      };
    }
  }
  return { code: 0, stdout: out, stderr: '' };
}
