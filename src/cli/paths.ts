/**
 * DOC: where cxlsim's package lies. This file sits one level below the package's source or
 * output root (src/cli, dist/cli), as does the CLI bundle (dist/cli/cxlsim.cjs, where
 * `import.meta.url` is the bundle's URL), so `../../` is the package root in all three.
 */

/** URL of a file or directory relative to the package root (e.g. `package.json`, `native/`). */
export function packageUrl(rel: string): URL {
  return new URL(`../../${rel}`, import.meta.url);
}

/** The state directory when neither --state nor $CXLSIM_STATE names one (relative to the cwd). */
export const DEFAULT_STATE_DIR = '.cxlsim';
