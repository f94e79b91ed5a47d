/**
 * DOC: libcxl mailbox commands (cxl/lib/libcxl.c cxl_cmd_new_generic(), cxl_cmd_do_query(),
 * cxl_cmd_validate(), cxl_cmd_alloc_send(), cxl_cmd_submit()).
 *
 * A command first queries the memdev's command table (CXL_MEM_QUERY_COMMANDS); a failed query is
 * logged twice ("alloc_do_query: memN: query commands failed: <err>", then "cxl_cmd_new_generic:
 * memN: query returned: <err>"). A command the table lacks is EOPNOTSUPP, silently. Submission
 * sends the command with output room of the table's size_out; the caller sees the ioctl result
 * and the mailbox return code. Without an ioctl implementation every query fails with ENOTTY, as
 * it does on a /dev/cxl/memN node that is not a CXL memdev.
 */
import { Errno, isErrno } from '../../kernel/errno.ts';
import { memdevName } from './memdev.ts';
import type { CxlMemdev } from './types.ts';

/** A command ready to submit: its id and the zeroed payload buffers the query sized. */
export interface CxlCmd {
  memdev: CxlMemdev;
  id: number;
  input: Uint8Array;
  sizeOut: number;
  /** mailbox return code once submitted */
  status: number;
  output: Uint8Array;
}

/** cxl_cmd_new_generic(): undefined when the query fails or the command is not supported. */
export function cmdNewGeneric(memdev: CxlMemdev, id: number): CxlCmd | undefined {
  const ctx = memdev.ctx;
  const name = memdevName(memdev);
  const table = ctx.ioctl ? ctx.ioctl.queryCommands(name) : new Errno('ENOTTY');
  if (isErrno(table)) {
    const why = new Errno(table.code).message;
    ctx.out.log('libcxl', 'alloc_do_query', `${name}: query commands failed: ${why}\n`);
    ctx.out.log('libcxl', 'cxl_cmd_new_generic', `${name}: query returned: ${why}\n`);
    return undefined;
  }
  const info = table.find((c) => c.id === id);
  if (!info) return undefined;
  const sizeIn = info.sizeIn | 0; // __s32: CXL_VARIABLE_PAYLOAD (~0) is -1
  const sizeOut = info.sizeOut | 0;
  return {
    memdev,
    id,
    input: new Uint8Array(sizeIn > 0 ? sizeIn : 0),
    sizeOut: sizeOut > 0 ? sizeOut : 0,
    status: 1,
    output: new Uint8Array(sizeOut > 0 ? sizeOut : 0),
  };
}

/**
 * cxl_cmd_submit() followed by the json code's cxl_cmd_get_mbox_status() check.
 * @returns whether the ioctl succeeded and the mailbox returned success
 */
export function cmdSubmitOk(cmd: CxlCmd): boolean {
  const ctx = cmd.memdev.ctx;
  if (!ctx.ioctl) return false;
  const r = ctx.ioctl.send(memdevName(cmd.memdev), {
    id: cmd.id,
    payload: cmd.input,
    sizeOut: cmd.sizeOut,
  });
  if (isErrno(r)) return false;
  cmd.status = r.retval;
  cmd.output.set(r.out.subarray(0, cmd.output.length));
  return cmd.status === 0;
}
