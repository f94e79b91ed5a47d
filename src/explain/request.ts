/**
 * DOC: a region request as `cxl create-region` takes it (cxl-cli.md §5), read from the command
 * line for explanations and written back as a command line for fixes. Only the options that
 * shape a region are modelled (-m, -t, -d, -w, -g, -s, -u and the memdev arguments); ndctl
 * itself validates everything when the request is replayed.
 */

/** A create-region request. */
export interface RegionRequest {
  /** Root decoder (-d); undefined when not given. */
  root?: string;
  /** -t ram|pmem (ndctl's default is pmem). */
  type?: string;
  ways?: number;
  granularity?: number;
  /** -s as written (ndctl's size syntax). */
  size?: string;
  uuid?: string;
  /** Memdev arguments in order (= interleave positions). */
  memdevs: string[];
  /** Options not modelled, kept as given. */
  other: string[];
}

const VALUE_OPTS: Record<string, keyof RegionRequest> = {
  '-t': 'type',
  '--type': 'type',
  '-d': 'root',
  '--decoder': 'root',
  '-w': 'ways',
  '--ways': 'ways',
  '-g': 'granularity',
  '--granularity': 'granularity',
  '-s': 'size',
  '--size': 'size',
  '-u': 'uuid',
  '--uuid': 'uuid',
};

/** Reads `create-region ARGS…` (the leading verb optional). */
export function parseCreateRegion(argv: readonly string[]): RegionRequest {
  const args = argv[0] === 'create-region' ? argv.slice(1) : [...argv];
  const r: RegionRequest = { memdevs: [], other: [] };
  const set = (key: keyof RegionRequest, v: string) => {
    if (key === 'ways' || key === 'granularity') {
      const n = Number(v);
      if (Number.isInteger(n)) r[key] = n;
      else r.other.push(`--${key}=${v}`);
    } else (r as unknown as Record<string, string>)[key] = v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const key = VALUE_OPTS[name];
    if (key) {
      if (name !== a) set(key, a.slice(eq + 1));
      else if (i + 1 < args.length) set(key, args[++i] as string);
      continue;
    }
    if (/^-[twdgsu]./.test(a)) {
      const k = VALUE_OPTS[a.slice(0, 2)];
      if (k) set(k, a.slice(2));
      continue;
    }
    if (a === '-m' || a === '--memdevs') continue;
    if (a.startsWith('-')) r.other.push(a);
    else r.memdevs.push(...a.split(/[\s,]+/).filter(Boolean));
  }
  return r;
}

/** The request as `create-region` arguments (memdevs last, in position order). */
export function formatCreateRegion(r: RegionRequest): string[] {
  const out = ['create-region', '-m'];
  if (r.type !== undefined) out.push('-t', r.type);
  if (r.root !== undefined) out.push('-d', r.root);
  if (r.ways !== undefined) out.push('-w', String(r.ways));
  if (r.granularity !== undefined) out.push('-g', String(r.granularity));
  if (r.size !== undefined) out.push('-s', r.size);
  if (r.uuid !== undefined) out.push('-u', r.uuid);
  out.push(...r.other, ...r.memdevs);
  return out;
}

/** A shell-style command line for display ("cxlsim create-region -m …"). */
export function commandLine(argv: readonly string[]): string {
  return [
    'cxlsim',
    ...argv.map((a) => (/^[\w.,:=/+@%-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)),
  ].join(' ');
}
