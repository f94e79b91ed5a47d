/**
 * DOC: cxlsim: a structural copy of a booted machine's object graph (the library's
 * `Machine.clone()`), no kernel counterpart.
 *
 * {@link copyGraph} copies every object reachable from a root: prototypes are kept (class
 * instances stay instances), arrays, Maps, Sets and typed arrays (with their ArrayBuffers, views on
 * one buffer stay views on one buffer) are copied, and the object identities and cycles of the
 * graph are kept. What is not copied:
 * - primitives, frozen objects, and objects registered with {@link shareWithCopies} (module-level
 *   data such as drivers, command tables, attribute-group tables: identity matters and nothing
 *   per-machine is stored in them) are shared by the copy;
 * - functions are shared (module-level functions and prototype methods hold no per-machine
 *   state), except those made by {@link rebuildable}, which are made again over the copied
 *   arguments.
 *
 * State a copy must not miss therefore lives in fields, never in closures (a closure's captured
 * variables are invisible to a copier) — or the closure is built by {@link rebuildable} — and
 * per-instance side tables are made by {@link copiedWeakMap} (the WeakMap API, the entries kept
 * on their keys), whose entries for the copied keys are copied too. tests/api/clone-sharing.test.ts
 * walks a copy and its original side by side and fails on any mutable object or per-instance
 * function they share; tests/api/clone-independence.test.ts writes at random to copies.
 *
 * Speed (issue 12; docs/performance.md "Clone and collector work" and "A faster copier"): a copy
 * must die young once dropped. Nothing module-level may reach into a copy — not even weakly: a
 * WeakMap entry whose value leads back to its key keeps a whole machine copy alive through V8's
 * young-generation collections, which is why the side tables are not WeakMaps. The one
 * exception is the copier's own index of a copied root's objects ({@link copyGraph}'s memo, by
 * root: a machine that is copied is a long-lived one), which holds originals, never copies.
 * The same holds for a function V8 records in a hidden class: a `make` of {@link rebuildable}
 * (run per copy) must not add a function property to an object it already built, nor use a
 * getter or setter in an object literal.
 */

/** How a rebuildable value was made: `make(...args)`. */
interface Recipe {
  make: (...args: never[]) => object;
  args: readonly unknown[];
}

/**
 * The recipe of a rebuildable value: a symbol-keyed own property (no WeakMap entry per value,
 * whose value would hold its key alive through V8's young-generation collections; assigned, not
 * defined — a store the inline caches learn — and invisible to `Object.keys()`).
 */
const RECIPE = Symbol('cxlsim.recipe');
/** Notes `r`'s recipe on it. */
function setRecipe(r: object, recipe: Recipe): void {
  (r as { [RECIPE]?: Recipe })[RECIPE] = recipe;
  if (typeof r !== 'function')
    protoInfo(Object.getPrototypeOf(r) as object | null, r).recipes = true;
}
/** `x`'s recipe, if it was made by {@link rebuildable}. */
function recipeOf(x: object): Recipe | undefined {
  return (x as { [RECIPE]?: Recipe })[RECIPE];
}
const sharedObjects = new WeakSet<object>();

/**
 * Where a key's entries of every {@link copiedWeakMap} live: one non-enumerable own array on
 * the key, indexed by the table's number ({@link ABSENT} where it has no entry).
 */
const SIDE = Symbol('cxlsim.side');
/** A slot of a side array without an entry. */
const ABSENT: unique symbol = Symbol('cxlsim.absent');
type SideSlots = unknown[];
/** Every {@link CopiedWeakMap}, by its number. */
const tables: CopiedWeakMap<object, unknown>[] = [];

/** `key`'s side array, when it has one. */
function sideOf(key: object): SideSlots | undefined {
  return Object.hasOwn(key, SIDE) ? (key as { [SIDE]: SideSlots })[SIDE] : undefined;
}

/**
 * A WeakMap whose entries are stored on their keys (see {@link copiedWeakMap}); keys that cannot
 * take a property (frozen: shared by copies anyway) are kept in a WeakMap of its own.
 */
class CopiedWeakMap<K extends object, V> implements WeakMap<K, V> {
  readonly #id = tables.length;
  readonly #sealed = new WeakMap<K, V>();
  readonly [Symbol.toStringTag] = 'WeakMap';

  constructor() {
    tables.push(this as unknown as CopiedWeakMap<object, unknown>);
  }

  get(key: K): V | undefined {
    const s = sideOf(key);
    if (s === undefined) return this.#sealed.get(key);
    const v = s[this.#id];
    return v === ABSENT ? undefined : (v as V | undefined);
  }

  has(key: K): boolean {
    const s = sideOf(key);
    if (s === undefined) return this.#sealed.has(key);
    return this.#id < s.length && s[this.#id] !== ABSENT;
  }

  set(key: K, value: V): this {
    let s = sideOf(key);
    if (s === undefined) {
      if (!Object.isExtensible(key)) {
        this.#sealed.set(key, value);
        return this;
      }
      protoInfo(Object.getPrototypeOf(key) as object | null, key).keyed = true;
      s = [];
      Object.defineProperty(key, SIDE, { value: s });
    }
    while (s.length < this.#id) s.push(ABSENT);
    s[this.#id] = value;
    return this;
  }

  delete(key: K): boolean {
    const s = sideOf(key);
    if (s === undefined) return this.#sealed.delete(key);
    if (!this.has(key)) return false;
    s[this.#id] = ABSENT;
    return true;
  }
}

/** Marks module-level objects every machine uses (identity kept): copies share them. Returns `x`. */
export function shareWithCopies<T extends object>(x: T): T {
  sharedObjects.add(x);
  protoInfo(Object.getPrototypeOf(x) as object | null, x).shared = true;
  return x;
}

/**
 * Declares fields of `proto`'s instances (a class's prototype, before any copy) that a copy
 * starts without — `undefined` in the copy: caches that are a function of the copied state and
 * are made again on first use (a BAR decode cache, capability positions). Returns `proto`.
 */
export function resetInCopies<T extends object>(proto: T, fields: readonly string[]): T {
  const info = protoInfo(proto, Object.create(proto) as object);
  info.resets = new Set([...(info.resets ?? []), ...fields]);
  // shapes compiled before this declaration did not know the fields
  info.last = undefined;
  info.byKeys = undefined;
  info.shapes = 0;
  return proto;
}

/** The fields a copy of `x` starts without ({@link resetInCopies}), if any. */
export function fieldsResetInCopies(x: object): ReadonlySet<string> | undefined {
  const proto = Object.getPrototypeOf(x) as object | null;
  return proto === null ? undefined : protoInfos.get(proto)?.resets;
}

/** True when copies share `x` (registered with {@link shareWithCopies}). */
export function isSharedWithCopies(x: object): boolean {
  return sharedObjects.has(x);
}

/**
 * `make(...args)`, remembered so that {@link copyGraph} makes the copy's own value as
 * `make(...copies of args)` — for closures and objects of closures that hold per-instance state.
 * Whatever the value holds besides what `make` derives from its arguments (caches) is not
 * copied: the copy's starts empty.
 * `make` must be a module-level function that only captures its arguments and reads them lazily
 * (a copy's arguments may still be being filled in when it runs).
 */
export function rebuildable<A extends unknown[], R extends object>(
  make: (...args: A) => R,
  ...args: A
): R {
  const r = make(...args);
  setRecipe(r, { make: make as unknown as Recipe['make'], args });
  return r;
}

/** The arguments `x` was made from by {@link rebuildable} (undefined for anything else). */
export function rebuiltFrom(x: object): readonly unknown[] | undefined {
  return recipeOf(x)?.args;
}

/**
 * A module-level WeakMap keyed by per-machine objects whose entries follow the keys into copies:
 * when {@link copyGraph} copies a key, the entry's value is copied with it. The entries are
 * stored on the keys (a non-enumerable side array, see {@link CopiedWeakMap}), so a value that
 * refers back to its key does not keep the key alive through young-generation collections.
 */
export function copiedWeakMap<K extends object, V>(): WeakMap<K, V> {
  return new CopiedWeakMap<K, V>();
}

/** Buffers carved into independent chunks (slabs): chunk size in bytes. */
const chunkSizes = new WeakMap<ArrayBufferLike, number>();

/**
 * Marks `buf` as a slab of independent `chunk`-byte pieces (no view spans two): a copy copies
 * only the pieces its views are in, packed into buffers of its own (up to {@link ARENA_PIECES}
 * pieces each), instead of the whole slab.
 */
export function slabOfChunks(buf: ArrayBufferLike, chunk: number): void {
  chunkSizes.set(buf, chunk);
}

/** Pieces of a slab a copy puts into one arena, at most (arenas double from 8 up to this). */
const ARENA_PIECES = 64;

/**
 * Where one copy puts the slab pieces it copies (see {@link slabOfChunks}): arenas of its own,
 * one per chunk size, themselves slabs (a copy of the copy copies them piece by piece too).
 */
interface Arena {
  bytes: Uint8Array;
  used: number;
  pieces: number;
}

/**
 * A slab one copy met (see {@link slabOfChunks}): its piece size, its bytes, and by piece number
 * the arena buffer and offset its copy went to.
 */
interface SlabCopy {
  chunk: number;
  bytes: Uint8Array;
  bufs: (ArrayBuffer | undefined)[];
  offs: number[];
}
/**
 * What an object is, for the copier, by its prototype (see {@link protoInfo}); arrays and views
 * are told apart per object by their internal slots (`Array.isArray()`, `ArrayBuffer.isView()`)
 * before the prototype's kind is looked at, so no prototype's kind is `Array` or `View`.
 */
const Kind = {
  /**
   * Copied property by property, its enumerable own properties only: machine state never has
   * non-enumerable or symbol-keyed own properties (besides recipes and {@link SIDE} arrays,
   * handled as such) — the copy-sharing test checks that every copied object has its original's
   * own keys.
   */
  Plain: 0,
  Array: 1,
  Map: 2,
  Set: 3,
  Date: 4,
  /** A typed array or DataView. */
  View: 5,
  Buffer: 6,
  /** Shared as is (RegExp, WeakMap, WeakSet, Promise). */
  Opaque: 7,
  /** Copied with every own property's descriptor (Errors: `message`, `stack`). */
  Described: 8,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/**
 * What the copier knows of a prototype's instances: their {@link Kind} (`instanceof` walks the
 * chain once per class), whether one is a key of a {@link copiedWeakMap} (instances of other
 * classes skip that lookup), and their shapes' compiled copiers.
 */
interface ProtoInfo {
  kind: Kind;
  keyed: boolean;
  /**
   * Whether an instance was registered with {@link shareWithCopies} (instances of other
   * prototypes skip that lookup).
   */
  shared: boolean;
  /** Whether an instance was made by {@link rebuildable} (others skip the recipe lookup). */
  recipes: boolean;
  /**
   * The last shape copied (null: the last key list takes the generic path), and all compiled
   * ones by their first key (see {@link shapeOf}).
   */
  last: CompiledShape | null | undefined;
  byKeys: Map<string, CompiledShape[]> | undefined;
  /** How many shapes are compiled (at most {@link MAX_SHAPES}). */
  shapes: number;
  /** Fields a copy starts without ({@link resetInCopies}): caches. */
  resets: ReadonlySet<string> | undefined;
}

/**
 * A compiled shape (a prototype and an own key list) — straight-line code per shape, which V8
 * runs with inline caches instead of a generic keyed copy per property:
 * - `Make`, called with `new` on an original: a constructor whose `prototype` is the shape's
 *   prototype and whose body stores every key in order, the original's value as is (`undefined`
 *   for a field reset in copies) — the copy is allocated with its fields in the object itself
 *   and takes no hidden-class transition per field, unlike `Object.create()` and stores;
 * - `fill`, once the copy is in the memo (cycles): replaces every object or function value of
 *   the copy by its copy through `copy` (a primitive stays as `Make` stored it). Per field it
 *   keeps the last value `copy` returned as is — a constant (frozen, shared with copies, a plain
 *   function, an opaque object), which stays one — and skips it without a call the next time
 *   (a drivers table, a frozen idle range, a hook function: a third of the references of a
 *   machine). What it keeps is immutable or module-level: it holds no machine alive.
 */
interface CompiledShape {
  keys: readonly string[];
  Make: new (src: object) => object;
  fill: (src: object, dst: object, copy: (x: object, site?: Site) => unknown) => void;
}

/**
 * Where a reference was read (a field of a compiled shape): the shape of the plain object last
 * copied from there, the first guess for the next (still checked against its own keys) — plain
 * objects of many shapes share `Object.prototype`, whose last shape alone is a poor guess.
 */
interface Site {
  shape: CompiledShape | undefined;
}
const protoInfos = new WeakMap<object, ProtoInfo>();
/** {@link ProtoInfo} of objects without a prototype. */
const nullProtoInfo: ProtoInfo = newProtoInfo(Kind.Plain);

/** A prototype's {@link ProtoInfo} before any of its instances is copied. */
function newProtoInfo(kind: Kind): ProtoInfo {
  return {
    kind,
    keyed: false,
    shared: false,
    recipes: false,
    last: undefined,
    byKeys: undefined,
    shapes: 0,
    resets: undefined,
  };
}

/** The {@link ProtoInfo} of `proto`, an instance of which is `o`. */
function protoInfo(proto: object | null, o: object): ProtoInfo {
  if (proto === null) return nullProtoInfo;
  let info = protoInfos.get(proto);
  if (info === undefined) {
    const kind =
      o instanceof ArrayBuffer
        ? Kind.Buffer
        : o instanceof Map
          ? Kind.Map
          : o instanceof Set
            ? Kind.Set
            : o instanceof Date
              ? Kind.Date
              : o instanceof RegExp ||
                  o instanceof WeakMap ||
                  o instanceof WeakSet ||
                  o instanceof Promise
                ? Kind.Opaque
                : o instanceof Error
                  ? Kind.Described
                  : Kind.Plain;
    info = newProtoInfo(kind);
    protoInfos.set(proto, info);
  }
  return info;
}

/** The {@link ProtoInfo}s of plain objects and arrays (most of a machine), without a lookup. */
const objectInfo = protoInfo(Object.prototype, {});
const arrayInfo = protoInfo(Array.prototype, []);

/** Shapes compiled per prototype at most (objects used as dictionaries take the generic path). */
const MAX_SHAPES = 64;

/** A property access of key `k` in generated code. */
function access(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

/**
 * Compiles the {@link CompiledShape} of `keys` on `proto` (null: objects without a prototype,
 * made by `Object.create(null)` in the constructor, which returns it).
 */
function compileShape(
  proto: object | null,
  keys: readonly string[],
  resets: ReadonlySet<string> | undefined,
): CompiledShape {
  const to = proto === null ? 'd' : 'this';
  const stores = keys.map(
    (k) => `${to}${access(k)} = ${resets?.has(k) ? 'undefined' : `s${access(k)}`};`,
  );
  const makeBody =
    proto === null
      ? `const d = Object.create(null);\n${stores.join('\n')}\nreturn d;`
      : stores.join('\n');
  const Make = new Function('s', makeBody) as CompiledShape['Make'];
  if (proto !== null) Make.prototype = proto;
  // per field, the last value the copier returned as is (a constant: frozen, shared, a plain
  // function, an opaque object — each stays one), skipped without a call next time
  const fields = keys.filter((k) => !resets?.has(k));
  const fillBody = fields.map(
    (k, i) =>
      `v = s${access(k)}; if ((typeof v === 'object' ? v !== null : typeof v === 'function') && v !== k${i}) { w = c(v, t${i}); if (w === v) k${i} = v; else d${access(k)} = w; }`,
  );
  const slots = fields.length
    ? `let ${fields.map((_, i) => `k${i}`).join(', ')};\nconst ${fields.map((_, i) => `t${i} = { shape: undefined }`).join(', ')};\n`
    : '';
  const fill = new Function(
    `${slots}return function fill(s, d, c) {\nlet v, w;\n${fillBody.join('\n')}\n};`,
  )() as CompiledShape['fill'];
  return { keys, Make, fill };
}

/** Whether two key lists are the same (keys from `Object.keys()` are interned strings). */
function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The compiled shape of `keys` on `proto`, whose info is `info` (null: use the generic loop).
 * Compiled shapes are found by their first key, then compared key by key: no string is built
 * per object.
 */
function shapeOf(
  info: ProtoInfo,
  proto: object | null,
  keys: readonly string[],
): CompiledShape | null {
  const first = keys.length ? (keys[0] as string) : '';
  info.byKeys ??= new Map();
  let list = info.byKeys.get(first);
  let shape: CompiledShape | null = null;
  if (list) for (const e of list) if (sameKeys(e.keys, keys)) shape = e;
  if (!shape) {
    // `__proto__` as an own key would set the copy's prototype when assigned: generic path
    if (info.shapes >= MAX_SHAPES || keys.includes('__proto__')) {
      info.last = null;
      return null;
    }
    shape = compileShape(proto, keys, info.resets);
    info.shapes++;
    if (!list) {
      list = [];
      info.byKeys.set(first, list);
    }
    list.push(shape);
  }
  info.last = shape;
  return shape;
}

/**
 * Per root copied, the index of every object a copy of it met (the memo of {@link copyGraph}):
 * a root copied again (a booted machine copied per property case) finds its objects' indices
 * with one lookup each and inserts only those it did not have — inserting ~5,600 objects into a
 * fresh Map, which grows by rehashing, cost a sixth of a copy. The values are indices, not
 * copies: no copy is reachable from here. The entry holds its root's objects, so a root dropped
 * by its owner is freed by a full collection, not a young-generation one — a machine copied is
 * a long-lived one (a copy that is itself copied lives as long as its entry).
 */
const indices = new WeakMap<object, Map<object, number>>();
/** Objects an index may hold beyond twice the copy's before it is made again. */
const INDEX_SLACK = 1024;

/** The index of `root`'s objects (a new one for a primitive). */
function indexOf(root: unknown): Map<object, number> {
  if (root === null || (typeof root !== 'object' && typeof root !== 'function')) return new Map();
  let m = indices.get(root as object);
  if (m === undefined) {
    m = new Map();
    indices.set(root as object, m);
  }
  return m;
}

/**
 * A structural copy of everything reachable from `root` (see the DOC block): the copy shares no
 * mutable object and no per-instance closure with the original.
 */
export function copyGraph<T>(root: T): T {
  // the memo: each original's index in the root's index (kept from copy to copy), its copy at
  // that index of `made` (this copy's)
  const index = indexOf(root);
  const made: unknown[] = new Array(index.size);
  let copied = 0;
  /** The copy of `o` made by this call, if any. */
  const memoGet = (o: object): unknown => {
    const i = index.get(o);
    return i === undefined ? undefined : made[i];
  };
  /** Notes `c` as the copy of `o`. */
  const memoSet = (o: object, c: unknown): void => memoAt(o, c, index.get(o));
  /** Notes `c` as the copy of `o`, whose index is `i` (undefined: none yet). */
  const memoAt = (o: object, c: unknown, i: number | undefined): void => {
    if (i === undefined) {
      i = index.size;
      index.set(o, i);
    }
    made[i] = c;
    copied++;
  };
  /** Buffers of views met, each a slab's record or null (not a slab). */
  const slabs = new Map<ArrayBufferLike, SlabCopy | null>();
  const arenas = new Map<number, Arena>();
  /** Buffers whose one view was copied whole (the copy's buffer is that copy's). */
  const wholeViews = new Map<ArrayBufferLike, ArrayBufferView>();
  /** The copy of buffer `b` (the memo keeps views on one buffer on one copy). */
  const copyBuffer = (b: ArrayBufferLike): ArrayBufferLike => {
    let c = memoGet(b) as ArrayBufferLike | undefined;
    if (!c) {
      c = wholeViews.get(b)?.buffer ?? b.slice(0);
      memoSet(b, c);
    }
    return c;
  };
  const entries: [CopiedWeakMap<object, unknown>, object, object][] = [];
  /** The copy of `o`, made by `recipe` over copies of its arguments. */
  const rebuild = (o: object, recipe: Recipe): object => {
    const args = recipe.args.map(copyValue) as never[];
    // a cycle through the arguments may have made it already
    const again = memoGet(o);
    if (again !== undefined) return again as object;
    const r = recipe.make(...args);
    setRecipe(r, { make: recipe.make, args });
    memoSet(o, r);
    noteEntries(o, r);
    return r;
  };
  /**
   * The copy of `x`, an object or a function (callers let primitives through themselves): the
   * memo's entry, or a new copy.
   */
  const copy = (x: object, site?: Site): unknown => {
    if (typeof x === 'function') {
      // a plain function is shared: no memo lookup
      const recipe = recipeOf(x);
      if (recipe === undefined) return x;
      const again = memoGet(x);
      return again !== undefined ? again : rebuild(x, recipe);
    }
    const i = index.get(x);
    if (i !== undefined) {
      const done = made[i];
      if (done !== undefined) return done;
    }
    return copyNew(x, site, i);
  };
  /** A new copy of `o` (not a function, not in the memo), read at `site` (if known). */
  const copyNew = (o: object, site: Site | undefined, at: number | undefined): unknown => {
    if (Object.isFrozen(o)) return o;
    const proto = Object.getPrototypeOf(o) as object | null;
    const info =
      proto === Object.prototype
        ? objectInfo
        : proto === Array.prototype
          ? arrayInfo
          : proto === null
            ? nullProtoInfo
            : (protoInfos.get(proto) ?? protoInfo(proto, o));
    if (info.shared && sharedObjects.has(o)) return o;
    if (info.recipes) {
      const recipe = recipeOf(o);
      if (recipe) return rebuild(o, recipe);
    }
    if (Array.isArray(o)) return copyArray(o, proto, info.keyed, at);
    if (ArrayBuffer.isView(o)) return copyView(o, proto, at);
    const kind = info.kind;
    if (kind === Kind.Plain) {
      const keys = Object.keys(o);
      const hint = site?.shape;
      const last = info.last;
      const shape =
        hint !== undefined && sameKeys(hint.keys, keys)
          ? hint
          : last !== undefined && last !== null && sameKeys(last.keys, keys)
            ? last
            : shapeOf(info, proto, keys);
      if (site !== undefined && shape !== hint && shape !== null) site.shape = shape;
      let c: object;
      if (shape !== null) {
        c = new shape.Make(o);
        memoAt(o, c, at);
        shape.fill(o, c, copy);
      } else {
        c = Object.create(proto) as object;
        memoAt(o, c, at);
        const src = o as Record<string, unknown>;
        const dst = c as Record<string, unknown>;
        const resets = info.resets;
        for (const k of keys) {
          const v = src[k];
          dst[k] = resets?.has(k)
            ? undefined
            : (typeof v === 'object' && v !== null) || typeof v === 'function'
              ? copy(v)
              : v;
        }
      }
      if (info.keyed) noteEntries(o, c);
      return c;
    }
    if (kind === Kind.Described) {
      const c = Object.create(proto) as object;
      memoAt(o, c, at);
      return copyOwnProperties(o, c, info.keyed);
    }
    if (kind === Kind.Buffer) return copyBuffer(o as ArrayBufferLike);
    if (kind === Kind.Opaque) return o;
    let c: object;
    if (kind === Kind.Map) {
      const m = new Map();
      memoAt(o, m, at);
      (o as Map<unknown, unknown>).forEach((v, k) => {
        m.set(copyValue(k), copyValue(v));
      });
      if (Object.getPrototypeOf(o) !== Map.prototype)
        Object.setPrototypeOf(m, Object.getPrototypeOf(o));
      c = m;
    } else if (kind === Kind.Set) {
      const s = new Set();
      memoAt(o, s, at);
      for (const v of o as Set<unknown>) s.add(copyValue(v));
      if (Object.getPrototypeOf(o) !== Set.prototype)
        Object.setPrototypeOf(s, Object.getPrototypeOf(o));
      c = s;
    } else {
      c = new Date((o as Date).getTime());
      memoAt(o, c, at);
    }
    return copyOwnProperties(o, c, info.keyed);
  };
  /**
   * A new copy of the typed array or DataView `o` (prototype `proto`), of a slab piece into this
   * copy's arena.
   */
  const copyView = (o: ArrayBufferView, proto: object | null, at: number | undefined): object => {
    const b = o.buffer;
    let slab = slabs.get(b);
    if (slab === undefined) {
      const chunk = chunkSizes.get(b);
      slab = chunk === undefined ? null : { chunk, bytes: new Uint8Array(b), bufs: [], offs: [] };
      slabs.set(b, slab);
    }
    let buf: ArrayBufferLike;
    let off = o.byteOffset;
    if (slab !== null) {
      // one piece of a slab, in an arena of this copy
      const chunk = slab.chunk;
      const piece = Math.floor(off / chunk);
      let at = slab.bufs[piece];
      if (at === undefined) {
        let arena = arenas.get(chunk);
        if (!arena || arena.used === arena.pieces) {
          const n = Math.min(ARENA_PIECES, arena ? arena.pieces * 2 : 8);
          arena = { bytes: new Uint8Array(n * chunk), used: 0, pieces: n };
          slabOfChunks(arena.bytes.buffer, chunk);
          arenas.set(chunk, arena);
        }
        const to = arena.used++ * chunk;
        arena.bytes.set(slab.bytes.subarray(piece * chunk, piece * chunk + chunk), to);
        at = arena.bytes.buffer as ArrayBuffer;
        slab.bufs[piece] = at;
        slab.offs[piece] = to;
      }
      buf = at;
      off = (slab.offs[piece] as number) + off - piece * chunk;
    } else {
      if (off === 0 && proto !== DataView.prototype && o.byteLength === b.byteLength) {
        if (memoGet(b) === undefined && !wholeViews.has(b)) {
          // the whole buffer: the typed array's own copy (small ones stay on V8's heap); a
          // later view of the same buffer, or the buffer itself, takes this copy's buffer
          const c = (o as unknown as { slice(): ArrayBufferView }).slice();
          if (Object.getPrototypeOf(c) !== proto) Object.setPrototypeOf(c, proto);
          wholeViews.set(b, c);
          memoAt(o, c, at);
          return c;
        }
      }
      buf = copyBuffer(b);
    }
    const len = (o as { length?: number }).length as number;
    let c: object;
    if (proto === Uint8Array.prototype) c = new Uint8Array(buf, off, len);
    else if (proto === Uint32Array.prototype) c = new Uint32Array(buf, off, len);
    else if (proto === DataView.prototype) c = new DataView(buf, off, o.byteLength);
    else {
      const Ctor = (
        o as unknown as { constructor: new (b: ArrayBufferLike, o: number, l: number) => object }
      ).constructor;
      c = o instanceof DataView ? new DataView(buf, off, o.byteLength) : new Ctor(buf, off, len);
      if (Object.getPrototypeOf(c) !== proto) Object.setPrototypeOf(c, proto);
    }
    memoAt(o, c, at);
    return c;
  };
  /**
   * A new copy of the array `o` (prototype `proto`): its elements (holes kept), then any other
   * own property; `keyed`: `o` may be a key of a copied WeakMap.
   */
  const copyArray = (
    o: unknown[],
    proto: object | null,
    keyed: boolean,
    at: number | undefined,
  ): object => {
    let a: unknown[];
    if (proto === Array.prototype) {
      // slice() keeps the elements' kind (a plain array's species is Array); the elements are
      // read from the slice, whose few hidden classes keep that load from going megamorphic
      a = o.slice();
      memoAt(o, a, at);
      for (let i = 0; i < a.length; i++) {
        const e = a[i];
        if ((typeof e === 'object' && e !== null) || typeof e === 'function') a[i] = copy(e);
      }
    } else {
      a = new Array(o.length);
      memoAt(o, a, at);
      for (let i = 0; i < o.length; i++) {
        const e = o[i];
        if ((typeof e === 'object' && e !== null) || typeof e === 'function') a[i] = copy(e);
        else if (i in o) a[i] = e;
      }
      Object.setPrototypeOf(a, proto);
    }
    if (Object.keys(o).length === o.length) {
      if (keyed) noteEntries(o, a);
      return a;
    }
    return copyOwnProperties(o, a, keyed);
  };
  /** The copy of `x`, any value. */
  const copyValue = (x: unknown): unknown =>
    (typeof x === 'object' && x !== null) || typeof x === 'function' ? copy(x) : x;
  /**
   * Copies `o`'s own properties (descriptors kept; an array's elements are done) into `c`;
   * `keyed`: `o` may be a key of a copied WeakMap.
   */
  const copyOwnProperties = (o: object, c: object, keyed: boolean): object => {
    for (const k of Reflect.ownKeys(o)) {
      if (Array.isArray(o) && (k === 'length' || (typeof k === 'string' && /^\d+$/.test(k))))
        continue;
      const d = Object.getOwnPropertyDescriptor(o, k) as PropertyDescriptor;
      if ('value' in d) {
        if (d.writable && d.enumerable && d.configurable)
          (c as Record<PropertyKey, unknown>)[k] = copyValue(d.value);
        else Object.defineProperty(c, k, { ...d, value: copyValue(d.value) });
      } else
        Object.defineProperty(c, k, {
          ...d,
          get: copyValue(d.get) as (() => unknown) | undefined,
          set: copyValue(d.set) as ((v: unknown) => void) | undefined,
        });
    }
    if (keyed) noteEntries(o, c);
    return c;
  };
  /** Entries of the copied WeakMaps keyed by `o` follow it to `c`. */
  const noteEntries = (o: object, c: object): void => {
    const side = sideOf(o);
    if (side === undefined) return;
    // the copy has a side array whenever its original has one (the same own keys)
    if (!Object.hasOwn(c, SIDE)) Object.defineProperty(c, SIDE, { value: [] });
    for (let id = 0; id < side.length; id++)
      if (side[id] !== ABSENT) entries.push([tables[id] as CopiedWeakMap<object, unknown>, o, c]);
  };

  const r = copyValue(root) as T;
  for (let i = 0; i < entries.length; i++) {
    const [wm, o, c] = entries[i] as [CopiedWeakMap<object, unknown>, object, object];
    wm.set(c, copyValue(wm.get(o)));
  }
  // objects the root no longer reaches stay indexed: start over when they are many
  if (index.size > 2 * copied + INDEX_SLACK) indices.delete(root as object);
  return r;
}

/** `() => fn(...args)` made by {@link rebuildable}. */
function makeThunk<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): () => R {
  return () => fn(...args);
}

/**
 * `() => fn(...args)` for a module-level `fn`, made again over the copied arguments in a copy
 * (devres actions, lazy link targets, uevent variables).
 */
export function thunk<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): () => R {
  return rebuildable(makeThunk as (f: typeof fn, ...a: A) => () => R, fn, ...args);
}

/** `x`, as a {@link thunk} target. */
export function identity<T>(x: T): T {
  return x;
}
