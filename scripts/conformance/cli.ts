/**
 * DOC: the `cxlsim` CLI run in-process (runCli with captured streams) on one state directory —
 * exactly the code path of `npx cxlsim --state DIR …`, journal replay included, without a Node
 * start per command.
 */
import { runCli } from '../../src/cli/program.ts';

/** What one CLI run printed and its exit code. */
export interface CliRun {
  stdout: string;
  stderr: string;
  code: number;
}

/** `cxlsim --state <dir> …` in-process. */
export class Cli {
  readonly stateDir: string;
  readonly cwd: string;

  constructor(stateDir: string, cwd: string) {
    this.stateDir = stateDir;
    this.cwd = cwd;
  }

  /** Runs `cxlsim --state DIR <argv…>`. */
  async run(argv: string[]): Promise<CliRun> {
    let stdout = '';
    let stderr = '';
    const io = {
      out: (s: string) => {
        stdout += s;
      },
      err: (s: string) => {
        stderr += s;
      },
      env: { CXLSIM_STATE: undefined },
      cwd: this.cwd,
    };
    const code = await runCli(['--state', this.stateDir, ...argv], io);
    return { stdout, stderr, code };
  }

  /** Like {@link run}, but a non-zero exit is an error. @throws Error with the CLI's stderr */
  async must(argv: string[]): Promise<CliRun> {
    const r = await this.run(argv);
    if (r.code !== 0)
      throw new Error(`cxlsim ${argv.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
    return r;
  }
}
