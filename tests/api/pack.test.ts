/**
 * cxlsim as a user gets it: the package is built into a scratch directory, `npm pack`ed, and the
 * tarball unpacked as `node_modules/cxlsim` of a scratch project. `npm install` of the tarball
 * cannot run here (offline, and the npm cache holds no registry metadata for the
 * dependencies), so each *declared* runtime dependency is linked from the shared install: the
 * package's own imports resolve from the scratch project only, so an undeclared dependency
 * fails. Then, in the scratch project: the types resolve through `exports` (tsc on a user's
 * file), docs/api.md's example runs, and a user's fast-check property over
 * `cxlsim/arbitraries` + `cxlsim/invariants` passes.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiExample } from '../helpers/api-example.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NM = join(ROOT, 'node_modules');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  exports: Record<string, unknown>;
};

const USER_PROPERTY = `import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bootSync } from 'cxlsim';
import { caseArb, runCase } from 'cxlsim/arbitraries';
import { checkInvariants, INVARIANT_NAMES } from 'cxlsim/invariants';

const base = bootSync({ preset: 'default' });
let steps = 0;
fc.assert(
  fc.property(caseArb({ maxRequests: 2 }), (c) => {
    const m = base.clone();
    const r = runCase(m, c);
    steps += r.steps.length;
    assert.deepEqual(r.violations, []);
    assert.deepEqual(checkInvariants(base), []);
  }),
  { numRuns: 5, seed: 42 },
);
assert.ok(steps > 0);
console.log('property ok', INVARIANT_NAMES.length);
`;

const USER_TYPES = `import { boot, type Machine, Errno } from 'cxlsim';
import { topologyArb } from 'cxlsim/arbitraries';
import type { Violation } from 'cxlsim/invariants';
const m: Machine = await boot({ preset: 'minimal' });
const code: number = m.ndctl(['list']).code;
const e: Errno | undefined = undefined;
const v: Violation[] = [];
void topologyArb; void code; void e; void v;
`;

describe('the packed tarball', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cxlsim-pack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const proj = join(dir, 'proj');
  const run = (cmd: string, args: string[], cwd: string) =>
    execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: 'pipe',
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });

  it('packs with dist/, the three entries and their types', () => {
    // build into a copy so that the worktree's dist/ (used by other tests) is left alone
    const src = join(dir, 'pkg');
    mkdirSync(src);
    run(
      join(NM, '.bin', 'tsc'),
      ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(src, 'dist')],
      ROOT,
    );
    for (const f of ['package.json', 'README.md'])
      writeFileSync(join(src, f), readFileSync(join(ROOT, f)));
    run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], src);
    const tgz = join(dir, `cxlsim-${pkg.version}.tgz`);
    expect(existsSync(tgz)).toBe(true);
    mkdirSync(join(proj, 'node_modules', 'cxlsim'), { recursive: true });
    run(
      'tar',
      ['-xzf', tgz, '-C', join(proj, 'node_modules', 'cxlsim'), '--strip-components=1'],
      dir,
    );
    const files = readdirSync(join(proj, 'node_modules', 'cxlsim', 'dist'));
    for (const f of [
      'index.js',
      'index.d.ts',
      'arbitraries.js',
      'arbitraries.d.ts',
      'invariants.js',
      'invariants.d.ts',
    ])
      expect(files).toContain(f);
    expect(Object.keys(pkg.exports).sort()).toEqual([
      '.',
      './arbitraries',
      './invariants',
      './package.json',
    ]);
    expect(pkg.dependencies['fast-check']).toBeDefined();
    for (const d of Object.keys(pkg.dependencies))
      symlinkSync(join(NM, d), join(proj, 'node_modules', d));
    writeFileSync(
      join(proj, 'package.json'),
      '{"name":"scratch","private":true,"type":"module"}\n',
    );
  }, 120_000);

  it("resolves the entries' types through exports", () => {
    writeFileSync(join(proj, 'user.ts'), USER_TYPES);
    writeFileSync(
      join(proj, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          target: 'es2023',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['user.ts'],
      }),
    );
    expect(() => run(join(NM, '.bin', 'tsc'), ['-p', proj], proj)).not.toThrow();
  }, 60_000);

  it('runs the docs/api.md example', () => {
    writeFileSync(join(proj, 'example.ts'), apiExample());
    const tsx = import.meta.resolve('tsx');
    expect(() => run(process.execPath, ['--import', tsx, 'example.ts'], proj)).not.toThrow();
  }, 60_000);

  it('runs a fast-check property over cxlsim/arbitraries and cxlsim/invariants', () => {
    writeFileSync(join(proj, 'property.mjs'), USER_PROPERTY);
    expect(run(process.execPath, ['property.mjs'], proj)).toBe('property ok 7\n');
  }, 60_000);
});
