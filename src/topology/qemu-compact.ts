/**
 * DOC: what of a QEMU command line is worth keeping — the stored copy of an input.
 *
 * The state keeps the command line by content so that every later command parses it again.
 * Arguments of options cxlsim never reads (`-append`, `-kernel`, `-drive`, … — everything but
 * the options the parser or the platform look at: `-machine`/`-M`, `-m`, `-object`,
 * `-device`, `-numa`, `-cpu`) can be huge (a 100 MB `-append`) and would then be stored and
 * re-read by every command. {@link compactQemuCommandLine} replaces such arguments longer than
 * {@link KEEP_LIMIT} characters with a short marker naming their size; the line is rebuilt
 * from its words (single-quoted), so it parses to the same options, with only the marker in
 * `Topology.ignored` where the long text was.
 */
import { splitQemuOptions } from './qemu-args.ts';
import { splitShellWords } from './qemu-shell.ts';

/** Options whose arguments cxlsim reads (qemu-cmdline.ts, hw/placement.ts, hw/acpi/namespace.ts). */
const READ = new Set(['machine', 'M', 'm', 'object', 'device', 'numa', 'cpu']);
/** Longest ignored argument stored as is, in characters. */
export const KEEP_LIMIT = 4096;

/** A word quoted for a POSIX shell (and for splitShellWords). */
function quote(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line to store: `text` itself, or (when an ignored option's argument is longer
 * than {@link KEEP_LIMIT}) the line rebuilt with that argument replaced by
 * `cxlsim-omitted-<N>-chars`. A line that does not split is returned unchanged (the parser
 * reports it).
 */
export function compactQemuCommandLine(text: string): string {
  if (text.length <= KEEP_LIMIT) return text;
  let argv: ReturnType<typeof splitQemuOptions>;
  try {
    argv = splitQemuOptions(splitShellWords(text));
  } catch {
    return text;
  }
  const long = (o: (typeof argv.options)[number]) =>
    o.arg !== undefined && o.arg.length > KEEP_LIMIT && !o.positional && !READ.has(o.name);
  if (!argv.options.some(long)) return text;
  const words: string[] = argv.binaryGiven ? [argv.binary] : [];
  for (const o of argv.options) {
    words.push(o.flag);
    if (o.arg !== undefined) words.push(long(o) ? `cxlsim-omitted-${o.arg.length}-chars` : o.arg);
  }
  return `${words.map(quote).join(' ')}\n`;
}
