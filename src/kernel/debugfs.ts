/**
 * DOC: debugfs entries drivers create (debugfs_create_dir(), debugfs_create_file(),
 * debugfs_remove_recursive()), kept per kernel so that the /sys/kernel/debug view lists them.
 * A file's `store` throws an Errno as the fops' write would return it; `show` returns the text.
 */
import type { KernelContext } from './device.ts';

/** A debugfs file or directory. */
export type DebugfsNode =
  | { kind: 'dir'; children: Map<string, DebugfsNode> }
  | { kind: 'file'; mode: number; show?: () => string; store?: (buf: string) => void };

const roots = new WeakMap<KernelContext, Map<string, DebugfsNode>>();

/** The top-level debugfs entries of a kernel. */
export function debugfsRoot(k: KernelContext): Map<string, DebugfsNode> {
  let r = roots.get(k);
  if (!r) {
    r = new Map();
    roots.set(k, r);
  }
  return r;
}

/** debugfs_create_dir() of a path ("cxl/mem0"), creating parents; returns its children map. */
export function debugfsCreateDir(k: KernelContext, path: string): Map<string, DebugfsNode> {
  let cur = debugfsRoot(k);
  for (const part of path.split('/')) {
    let n = cur.get(part);
    if (!n || n.kind !== 'dir') {
      n = { kind: 'dir', children: new Map() };
      cur.set(part, n);
    }
    cur = n.children;
  }
  return cur;
}

/** debugfs_remove_recursive() of a path. */
export function debugfsRemove(k: KernelContext, path: string): void {
  const parts = path.split('/');
  const last = parts.pop() as string;
  let cur: Map<string, DebugfsNode> | undefined = debugfsRoot(k);
  for (const part of parts) {
    const n: DebugfsNode | undefined = cur?.get(part);
    cur = n?.kind === 'dir' ? n.children : undefined;
  }
  cur?.delete(last);
}
