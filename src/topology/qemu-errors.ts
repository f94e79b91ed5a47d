/**
 * DOC: QEMU's error reports, as QEMU prints them.
 *
 * QEMU reports a fatal configuration error as one stderr line, `error_report()` style
 * (util/qemu-error.c): the program name, then the *location* when one is current, then the
 * message. The location is the command-line option being processed: options parsed while QEMU
 * walks argv (`-M`, `-m`, `-object`, `-device` syntax) and every `-device` realize carry it
 * (`qemu-system-x86_64: -device cxl-type3,bus=rp9: Bus 'rp9' not found`); errors raised later
 * with no option current (machine property setters, machine-done hooks) do not
 * (`qemu-system-x86_64: Could not resolve CXLFM target cxl.9`).
 *
 * A {@link QemuError} keeps the bare text (`message`), the option it came from and an optional
 * hint line (`error_append_hint()`), and renders the full line with {@link QemuError.qemuMessage}.
 * Errors that are cxlsim's own (a topology QEMU accepts but cxlsim does not model) are plain
 * `Errno('EINVAL')` values built by {@link modelError}; they never pretend to be QEMU's words.
 */
import { Errno } from '../kernel/errno.ts';

/** Program name QEMU prints when none is known from the command line. */
export const DEFAULT_QEMU_BINARY = 'qemu-system-x86_64';

/**
 * A configuration error QEMU itself would report. `code` is always 'EINVAL'; `message` is
 * QEMU's text without prefix; `option` is the location (`-device cxl-rp,...`) or undefined.
 */
export class QemuError extends Errno {
  /** The command-line option QEMU names as the location, e.g. "-device cxl-type3,bus=rp9". */
  readonly option: string | undefined;
  /** Extra line QEMU prints after the error (error_append_hint), without trailing newline. */
  readonly hint: string | undefined;
  /** Program name used in {@link qemuMessage} (basename of argv[0]). */
  binary: string;
  /** Offset (UTF-16 units) of the option in the command-line text, when known. */
  at: number | undefined;
  /**
   * Where the option is in the user's file, "FILE:LINE:COLUMN" (1-based), set by the parser
   * when the text came from a file; cxlsim's addition, printed after QEMU's line.
   */
  source: string | undefined;

  constructor(
    text: string,
    opts: { option?: string; hint?: string; binary?: string; at?: number } = {},
  ) {
    super('EINVAL', text);
    this.name = 'QemuError';
    this.option = opts.option;
    this.hint = opts.hint;
    this.binary = opts.binary ?? DEFAULT_QEMU_BINARY;
    this.at = opts.at;
    this.source = undefined;
  }

  /** The stderr line QEMU prints: "qemu-system-x86_64: -device ...: Bus 'rp9' not found". */
  qemuMessage(): string {
    const loc = this.option !== undefined ? `${this.option}: ` : '';
    return `${this.binary}: ${loc}${this.message}`;
  }

  /**
   * "EINVAL: <the QEMU line>" — how cxlsim's own commands print it; with the option's place
   * in the input file after it, in parentheses as for every Errno's device:
   * "EINVAL: qemu-system-x86_64: -device cxl-type3,...: Device 'm1' not found (x.sh:4:1)".
   */
  override describe(): string {
    return `${this.code}: ${this.qemuMessage()}${this.source ? ` (${this.source})` : ''}`;
  }
}

/** True for a {@link QemuError}. */
export function isQemuError(e: unknown): e is QemuError {
  return e instanceof QemuError;
}

/**
 * cxlsim's own rejection of an option QEMU would accept (outside the modelled topology).
 * The message names the option so the user can find it.
 */
export function modelError(option: string, text: string): ModelError {
  return new ModelError(option, text);
}

/**
 * cxlsim's own EINVAL about one option of the line ({@link modelError}); like
 * {@link QemuError} it can carry the option's place in the user's file.
 */
export class ModelError extends Errno {
  /** The option as QEMU would name it ("-device cxl-type3,..."). */
  readonly option: string;
  /** "FILE:LINE:COLUMN" of the option, when the text came from a file. */
  source: string | undefined;

  constructor(option: string, text: string) {
    super('EINVAL', `${option}: ${text} (cxlsim)`);
    this.name = 'ModelError';
    this.option = option;
    this.source = undefined;
  }

  /** "EINVAL: <message> (FILE:LINE:COLUMN)". */
  override describe(): string {
    return `${this.code}: ${this.message}${this.source ? ` (${this.source})` : ''}`;
  }
}

/**
 * "FILE:LINE:COLUMN" (1-based; columns count UTF-16 units, tabs as one) of `offset` in `text`.
 */
export function sourcePosition(path: string, text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let k = text.indexOf('\n'); k >= 0 && k < offset; k = text.indexOf('\n', k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return `${path}:${line}:${offset - lineStart + 1}`;
}
