/**
 * Capture data for the ndctl tests, from sysfs-fixtures/ (copied from the kernel captures in
 * their layout): snapshot trees and the recorded steps (cmd.txt, stdout.txt, stderr.txt, rc.txt).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SysfsView } from '../../src/sysfs/view.ts';
import { loadSysfsTxt } from '../helpers/sysfs-txt.ts';

export const FIXTURES = join(import.meta.dirname, '..', '..', 'sysfs-fixtures');

/** A fresh view of `<scenario>/<snapshot>/sysfs.txt`. */
export function snapshot(name: string): SysfsView {
  return loadSysfsTxt(join(FIXTURES, name, 'sysfs.txt'));
}

/** A recorded step: the command line's words, what it printed and its exit code. */
export interface Step {
  cmd: string;
  argv: string[];
  stdout: string;
  stderr: string;
  rc: number;
}

/** Reads `<scenario>/<step>/step/`. */
export function step(name: string): Step {
  const dir = join(FIXTURES, name, 'step');
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const cmd = read('cmd.txt').trim();
  return {
    cmd,
    argv: cmd.split(/\s+/).slice(1),
    stdout: read('stdout.txt'),
    stderr: read('stderr.txt'),
    rc: Number(read('rc.txt').trim()),
  };
}
