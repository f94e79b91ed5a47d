/** docs/api.md's runnable example (shared by the docs and pack tests). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** The ```ts block between the example markers of docs/api.md. */
export function apiExample(): string {
  const doc = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');
  const m = /<!-- example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- example:end -->/.exec(doc);
  if (!m?.[1]) throw new Error('docs/api.md has no example block');
  return m[1];
}
