/**
 * DOC: the worker thread of `cxlsim prop --jobs N` (parallel.ts): runs one shard of the run
 * (runner.ts) and posts its progress every 25 cases and its outcome, or the error that stopped
 * it (an Errno's code, message and device).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isErrno } from '../kernel/errno.ts';
import { breakInvariantForTest } from './invariants.ts';
import type { WorkerInput, WorkerMessage } from './parallel.ts';
import { runProperty } from './runner.ts';

const port = parentPort;
if (port) {
  const input = workerData as WorkerInput;
  const post = (m: WorkerMessage) => port.postMessage(m);
  try {
    if (input.breakInvariant) breakInvariantForTest(input.breakInvariant);
    const result = runProperty({
      ...input.options,
      onCase: (done, total) => {
        if (done % 25 === 0 || done === total) post({ kind: 'progress', done });
      },
    });
    post({ kind: 'done', result });
  } catch (e) {
    post(
      isErrno(e)
        ? { kind: 'error', code: e.code, message: e.message, device: e.dev }
        : { kind: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) },
    );
  }
}
