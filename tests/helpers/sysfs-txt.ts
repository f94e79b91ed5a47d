/**
 * DOC: a kernel capture's sysfs.txt as a {@link SysfsView}.
 *
 * The capture line format (kernel-captures/README.md "sysfs.txt format", shared/tools/sysfs2tree.py):
 * TAB separated records, paths relative to /sys:
 *   D path | L path target | F path mode size (+ '|' content lines) | X path mode size (+ '|' hex lines)
 *   E path mode message | S path mode reason | O path
 * F content is '\n'.join(lines) + '\n' cut to `size` bytes (no lines: empty). E entries read as the
 * error the guest saw (errno recovered from the strerror text at the end of the message), S entries
 * read as empty files, O entries are ignored (as sysfs2tree.py does). Directory listings come back
 * in kernfs order; writes fail with EROFS, as on real-cxl-list's read-only copy.
 */
import { readFileSync } from 'node:fs';
import { ERRNO, Errno, type ErrnoName } from '../../src/kernel/errno.ts';
import { kernfsOrder } from '../../src/sysfs/kernfs-hash.ts';
import { normSysPath, resolveLink, type SysEntry, type SysfsView } from '../../src/sysfs/view.ts';

/** One record of a sysfs.txt dump: kind letter, path, the other TAB fields, '|' body lines. */
export interface SysfsTxtEntry {
  kind: string;
  path: string;
  rest: string[];
  body: string[];
}

/** Parses the line format into records (comments and blank lines skipped). @throws Error on a stray body line */
export function parseSysfsTxt(text: string): SysfsTxtEntry[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const out: SysfsTxtEntry[] = [];
  let cur: SysfsTxtEntry | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('|')) {
      if (!cur) throw new Error(`sysfs.txt line ${i + 1}: content line without a header`);
      cur.body.push(line.slice(1));
      continue;
    }
    cur = undefined;
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split('\t');
    cur = { kind: f[0] ?? '', path: f[1] ?? '', rest: f.slice(2), body: [] };
    out.push(cur);
  }
  return out;
}

type Node =
  | { kind: 'dir'; children: Set<string> }
  | { kind: 'link'; target: string }
  | { kind: 'file'; mode: number; data: string | Uint8Array }
  | { kind: 'err'; mode: number; err: ErrnoName };

/** errno name whose strerror() text ends the busybox message ("cat: read error: <text>"). */
function errnoFromMessage(msg: string): ErrnoName {
  for (const [name, [, text]] of Object.entries(ERRNO)) {
    if (msg.endsWith(`: ${text}`)) return name as ErrnoName;
  }
  return 'EIO';
}

/** F record content: '\n'.join(body) + '\n' cut to size bytes; no body lines is an empty file. */
function textContent(body: string[], size: number): string {
  if (body.length === 0) return '';
  const bytes = Buffer.from(`${body.join('\n')}\n`, 'utf8');
  return bytes.subarray(0, size).toString('utf8');
}

const MAX_LINKS = 40;

/** A read-only SysfsView over parsed sysfs.txt records. */
class SysfsTxtView implements SysfsView {
  private readonly nodes = new Map<string, Node>([['', { kind: 'dir', children: new Set() }]]);
  /** readdir() results by resolved path (the tree never changes after construction) */
  private readonly sorted = new Map<string, string[]>();

  constructor(entries: SysfsTxtEntry[]) {
    for (const e of entries) this.add(e);
  }

  private mkdirs(path: string): Node {
    const existing = this.nodes.get(path);
    if (existing) return existing;
    const slash = path.lastIndexOf('/');
    const parent = this.mkdirs(slash < 0 ? '' : path.slice(0, slash));
    if (parent.kind === 'dir') parent.children.add(path.slice(slash + 1));
    const node: Node = { kind: 'dir', children: new Set() };
    this.nodes.set(path, node);
    return node;
  }

  private put(path: string, node: Node): void {
    const slash = path.lastIndexOf('/');
    const parent = this.mkdirs(slash < 0 ? '' : path.slice(0, slash));
    if (parent.kind === 'dir') parent.children.add(path.slice(slash + 1));
    this.nodes.set(path, node);
  }

  private add(e: SysfsTxtEntry): void {
    const p = normSysPath(e.path);
    const mode = Number.parseInt(e.rest[0] ?? '0', 8) || 0;
    switch (e.kind) {
      case 'D':
        this.mkdirs(p);
        break;
      case 'L':
        this.put(p, { kind: 'link', target: e.rest[0] ?? '' });
        break;
      case 'F':
        this.put(p, { kind: 'file', mode, data: textContent(e.body, Number(e.rest[1] ?? 0)) });
        break;
      case 'X':
        this.put(p, {
          kind: 'file',
          mode,
          data: new Uint8Array(Buffer.from(e.body.join(''), 'hex')),
        });
        break;
      case 'E':
        this.put(p, { kind: 'err', mode, err: errnoFromMessage(e.rest[1] ?? '') });
        break;
      case 'S':
        this.put(p, { kind: 'file', mode, data: '' });
        break;
      default:
        break; // 'O' and unknown kinds: ignored, as sysfs2tree.py does
    }
  }

  /** resolve() results by (followLast, path): the tree never changes after construction */
  private readonly resolved = new Map<string, string | Errno>();

  /** Resolves every symlink on the way; the last one only when `followLast`. @throws ENOENT */
  private resolve(path: string, followLast: boolean): string {
    const key = `${followLast ? 1 : 0}${path}`;
    let r = this.resolved.get(key);
    if (r === undefined) {
      try {
        r = this.walk(path, followLast);
      } catch (e) {
        r = e instanceof Errno ? e : new Errno('ENOENT', `no such path: ${path}`);
      }
      this.resolved.set(key, r);
    }
    if (r instanceof Errno) throw r;
    return r;
  }

  private walk(path: string, followLast: boolean): string {
    let parts = normSysPath(path)
      .split('/')
      .filter((s) => s !== '');
    let done: string[] = [];
    let hops = 0;
    while (parts.length > 0) {
      const name = parts.shift() as string;
      const cur = [...done, name].join('/');
      const node = this.nodes.get(cur);
      if (!node) throw new Errno('ENOENT', `no such path: ${path}`);
      if (node.kind === 'link' && (parts.length > 0 || followLast)) {
        if (++hops > MAX_LINKS) throw new Errno('ENOENT', `too many links: ${path}`);
        const target = resolveLink(cur, node.target);
        parts = [...target.split('/').filter((s) => s !== ''), ...parts];
        done = [];
        continue;
      }
      if (parts.length > 0 && node.kind !== 'dir')
        throw new Errno('ENOTDIR', `not a directory: ${cur}`);
      done.push(name);
    }
    return done.join('/');
  }

  lstat(path: string): SysEntry | undefined {
    let p: string;
    try {
      p = this.resolve(path, false);
    } catch {
      return undefined;
    }
    const n = this.nodes.get(p);
    if (!n) return undefined;
    if (n.kind === 'dir') return { kind: 'dir' };
    if (n.kind === 'link') return { kind: 'link', target: n.target };
    if (n.kind === 'err') return { kind: 'file', mode: n.mode, binary: false };
    return { kind: 'file', mode: n.mode, binary: typeof n.data !== 'string' };
  }

  readdir(path: string): string[] {
    const p = this.resolve(path, true);
    const n = this.nodes.get(p);
    if (n?.kind !== 'dir') throw new Errno('ENOTDIR', `not a directory: ${path}`);
    let names = this.sorted.get(p);
    if (!names) {
      names = kernfsOrder(n.children);
      this.sorted.set(p, names);
    }
    return [...names];
  }

  readlink(path: string): string {
    const n = this.nodes.get(this.resolve(path, false));
    if (n?.kind !== 'link') throw new Errno('EINVAL', `not a symlink: ${path}`);
    return n.target;
  }

  read(path: string): string | Uint8Array {
    const n = this.nodes.get(this.resolve(path, true));
    if (!n) throw new Errno('ENOENT', `no such path: ${path}`);
    if (n.kind === 'dir') throw new Errno('EISDIR', `is a directory: ${path}`);
    if (n.kind === 'err') throw new Errno(n.err, undefined, path);
    if (n.kind === 'link') throw new Errno('ENOENT', `dangling link: ${path}`);
    return n.data;
  }

  write(path: string, _value: string): void {
    throw new Errno('EROFS', undefined, path);
  }

  realpath(path: string): string {
    return this.resolve(path, true);
  }
}

/** A SysfsView over a sysfs.txt text or its parsed records. */
export function sysfsTxtView(src: string | SysfsTxtEntry[]): SysfsView {
  return new SysfsTxtView(typeof src === 'string' ? parseSysfsTxt(src) : src);
}

/** Reads a sysfs.txt file and returns its view. */
export function loadSysfsTxt(file: string): SysfsView {
  return sysfsTxtView(readFileSync(file, 'utf8'));
}
