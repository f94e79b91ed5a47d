/**
 * docs/api.md's example runs against the sources (the same block runs from the packed tarball
 * in pack.test.ts): it asserts with node:assert, so a doc that stops being true fails here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { apiExample } from '../helpers/api-example.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('docs/api.md example', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cxlsim-api-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports only cxlsim and node built-ins', () => {
    const froms = [...apiExample().matchAll(/from '([^']+)'/g)].map((x) => x[1]);
    expect(froms.length).toBeGreaterThan(0);
    for (const f of froms) expect(f === 'cxlsim' || f?.startsWith('node:'), f).toBe(true);
  });

  it('runs against the sources', async () => {
    const src = pathToFileURL(join(ROOT, 'src', 'index.ts')).href;
    const file = join(dir, 'example.ts');
    writeFileSync(file, apiExample().replaceAll("from 'cxlsim'", `from '${src}'`));
    await expect(import(file)).resolves.toBeDefined();
  });
});
