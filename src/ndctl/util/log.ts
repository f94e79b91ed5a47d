/**
 * DOC: ndctl's util/log.c as the `cxl` commands use it.
 *
 * Each command group has a log context (`cxl region`, `cxl memdev`, `cxl port`, `cxl bus`) whose
 * priority the command sets to LOG_INFO (LOG_DEBUG with --debug / -v). log_stderr() prints every
 * message that passes the priority as "<owner>: <function>: <message>" on stderr — info and
 * notice lines included — with the function name the C code logs from (__func__).
 */
import type { Output } from './print.ts';

/** syslog priorities (LOG_ERR … LOG_DEBUG). */
export const LOG = { ERR: 3, NOTICE: 5, INFO: 6, DEBUG: 7 } as const;

/** struct log_ctx */
export class LogCtx {
  readonly owner: string;
  readonly out: Output;
  /** log_init() leaves LOG_ERR; the commands raise it to LOG_INFO once options are parsed. */
  priority: number = LOG.ERR;

  constructor(out: Output, owner: string) {
    this.out = out;
    this.owner = owner;
  }

  private emit(prio: number, fn: string, msg: string): void {
    if (prio <= this.priority) this.out.log(this.owner, fn, msg);
  }

  /** log_err(): `msg` carries its own newline, as the C format strings do. */
  err(fn: string, msg: string): void {
    this.emit(LOG.ERR, fn, msg);
  }

  /** log_notice() */
  notice(fn: string, msg: string): void {
    this.emit(LOG.NOTICE, fn, msg);
  }

  /** log_info() */
  info(fn: string, msg: string): void {
    this.emit(LOG.INFO, fn, msg);
  }
}
