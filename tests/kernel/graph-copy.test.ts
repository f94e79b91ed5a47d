/**
 * copyGraph() (src/kernel/graph-copy.ts) on small hand-made graphs: what its compiled shape
 * constructors and fillers make (prototype, `instanceof`, `constructor`, own keys in order,
 * cycles, objects without a prototype, odd keys, more shapes than are compiled), the per-field
 * skip of constants (a field that held a shared value and then a mutable one), arrays (holes,
 * extra own properties, a subclass) and views on a slab (one piece, two views, one arena).
 */
import { describe, expect, it } from 'vitest';
import {
  copyGraph,
  resetInCopies,
  shareWithCopies,
  slabOfChunks,
} from '../../src/kernel/graph-copy.ts';

class Node {
  name: string;
  next: Node | undefined = undefined;
  parent: Node | undefined = undefined;
  tag: object | undefined = undefined;
  n = 1;
  constructor(name: string) {
    this.name = name;
  }
}

/** Own keys, prototype and field values of `c` match `o`'s, `c` is not `o`. */
function sameShape(o: object, c: object): void {
  expect(c).not.toBe(o);
  expect(Object.getPrototypeOf(c)).toBe(Object.getPrototypeOf(o));
  expect(Reflect.ownKeys(c)).toEqual(Reflect.ownKeys(o));
}

describe('copyGraph: compiled shapes', () => {
  it('class instances keep their class, own key order and cycles', () => {
    const a = new Node('a');
    const b = new Node('b');
    a.next = b;
    b.parent = a;
    a.parent = a;
    const c = copyGraph(a);
    sameShape(a, c);
    expect(c).toBeInstanceOf(Node);
    expect(c.constructor).toBe(Node);
    expect(c.name).toBe('a');
    expect(c.parent).toBe(c);
    const cb = c.next as Node;
    sameShape(b, cb);
    expect(cb.parent).toBe(c);
    // writes to the copy do not reach the original
    cb.n = 7;
    expect(b.n).toBe(1);
  });

  it('objects without a prototype, odd keys and a field added after construction', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare['a-b'] = 1;
    bare['0'] = 'zero';
    const ctorKey: string = 'constructor';
    bare[ctorKey] = 'own';
    bare.inner = { x: [1, 2] };
    const late = new Node('late');
    (late as unknown as { extra: object }).extra = { y: 1 };
    const [cb, cl] = copyGraph([bare, late] as const);
    sameShape(bare, cb);
    expect(Object.getPrototypeOf(cb)).toBeNull();
    expect({ ...cb }).toEqual({ ...bare });
    expect(cb.inner).not.toBe(bare.inner);
    sameShape(late, cl);
    expect((cl as unknown as { extra: object }).extra).toEqual({ y: 1 });
    expect((cl as unknown as { extra: object }).extra).not.toBe(
      (late as unknown as { extra: object }).extra,
    );
  });

  it('plain objects of many shapes (beyond the compiled ones) each keep their own keys', () => {
    const objs = Array.from({ length: 150 }, (_, i) => ({ [`k${i}`]: { i }, shared: i % 3 }));
    const copy = copyGraph(objs);
    expect(copy).toHaveLength(150);
    copy.forEach((c, i) => {
      sameShape(objs[i] as object, c);
      expect(c[`k${i}`]).toEqual({ i });
      expect(c[`k${i}`]).not.toBe(objs[i]?.[`k${i}`]);
    });
  });

  it('a field that held a shared value, then a mutable one, copies the mutable one', () => {
    const SHARED = shareWithCopies({ table: 1 });
    const FROZEN = Object.freeze({ range: 2 });
    const fn = (): number => 3;
    const values: object[] = [SHARED, FROZEN, fn, { own: 4 }, SHARED, { own: 5 }, fn, { own: 6 }];
    const nodes = values.map((v, i) => {
      const n = new Node(`n${i}`);
      n.tag = v;
      return n;
    });
    // twice: the second copy runs with the fillers' constants already noted
    for (let round = 0; round < 2; round++) {
      const copy = copyGraph(nodes);
      copy.forEach((c, i) => {
        const v = values[i] as object;
        if (v === SHARED || v === FROZEN || v === fn) expect(c.tag).toBe(v);
        else {
          expect(c.tag).not.toBe(v);
          expect(c.tag).toEqual(v);
        }
      });
    }
  });

  it('a root copied again after changes: new, moved and dropped objects', () => {
    const a = new Node('a');
    const b = new Node('b');
    a.next = b;
    const first = copyGraph(a);
    expect(first.next?.name).toBe('b');
    // b leaves, c comes in, b's old place is taken by an object met before under another field
    const c = new Node('c');
    a.next = c;
    c.parent = a;
    a.tag = b;
    const second = copyGraph(a);
    expect(second.next?.name).toBe('c');
    expect(second.next?.parent).toBe(second);
    expect((second.tag as Node).name).toBe('b');
    expect(second.tag).not.toBe(b);
    expect(second.tag).not.toBe(first.next);
    // the first copy is untouched by the second
    expect(first.next?.name).toBe('b');
    expect(first.tag).toBeUndefined();
  });

  it('fields reset in copies start undefined', () => {
    class Cached {
      state = 1;
      cache: Map<string, number> | undefined = new Map([['a', 1]]);
    }
    resetInCopies(Cached.prototype, ['cache']);
    const c = copyGraph(new Cached());
    expect(Object.keys(c)).toEqual(['state', 'cache']);
    expect(c.state).toBe(1);
    expect(c.cache).toBeUndefined();
  });
});

describe('copyGraph: arrays and views', () => {
  it('holes, extra own properties and an Array subclass are kept', () => {
    class List<T> extends Array<T> {}
    const holey: unknown[] = [1];
    holey[2] = { x: 1 };
    const tagged = Object.assign([{ a: 1 }], { label: 'x' });
    const sub = new List<object>();
    sub.push({ b: 2 });
    const [h, t, s] = copyGraph([holey, tagged, sub] as const);
    expect(1 in h).toBe(false);
    expect(h).toHaveLength(3);
    expect(h[2]).toEqual({ x: 1 });
    expect(h[2]).not.toBe(holey[2]);
    expect(t.label).toBe('x');
    expect(Object.keys(t)).toEqual(['0', 'label']);
    expect(t[0]).not.toBe(tagged[0]);
    expect(s).toBeInstanceOf(List);
    expect(s[0]).toEqual({ b: 2 });
  });

  it('two views on one slab piece stay on one buffer of the copy, apart from the original', () => {
    const slab = new Uint8Array(4 * 64);
    slabOfChunks(slab.buffer, 64);
    const bytes = slab.subarray(128, 192);
    const dwords = new Uint32Array(slab.buffer, 128, 16);
    const dv = new DataView(slab.buffer, 132, 8);
    bytes[0] = 0x11;
    const [b, d, v] = copyGraph([bytes, dwords, dv] as const);
    expect(b).toBeInstanceOf(Uint8Array);
    expect(d).toBeInstanceOf(Uint32Array);
    expect(v).toBeInstanceOf(DataView);
    expect(d.buffer).toBe(b.buffer);
    expect(v.buffer).toBe(b.buffer);
    expect(b.buffer).not.toBe(slab.buffer);
    expect(b[0]).toBe(0x11);
    expect(v.byteOffset - b.byteOffset).toBe(4);
    d[1] = 0xdeadbeef;
    expect(v.getUint32(0, true)).toBe(0xdeadbeef);
    expect(dwords[1]).toBe(0);
  });
});
