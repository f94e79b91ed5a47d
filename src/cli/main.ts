#!/usr/bin/env node
/**
 * DOC: the `cxlsim` executable. All work is in program.ts; this file wires the process in
 * and makes sure nothing escapes as a stack trace, not even an error thrown from a timer.
 */
import { formatError } from './errors.ts';
import { processIo } from './io.ts';
import { runCli } from './program.ts';

const fatal = (e: unknown) => {
  process.stderr.write(`${formatError(e, Boolean(process.env.CXLSIM_DEBUG))}\n`);
  process.exit(1);
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

process.exitCode = await runCli(process.argv.slice(2), processIo());
