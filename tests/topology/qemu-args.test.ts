import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/kernel/errno.ts';
import { optionLocation, splitQemuOptions } from '../../src/topology/qemu-args.ts';
import { QemuError } from '../../src/topology/qemu-errors.ts';
import { splitShellWords } from '../../src/topology/qemu-shell.ts';

const FIXTURES = join(import.meta.dirname, '../../sysfs-fixtures');
const SCENARIOS = ['minimal', 'interleave', 'threeway', 'failures', 'interleave-dyndbg'];

describe('splitShellWords', () => {
  it.each(SCENARIOS)('gives the argv QEMU received in the %s capture (host/qemu-args.txt)', (s) => {
    const line = readFileSync(join(FIXTURES, s, 'host/qemu-cmdline.sh'), 'utf8');
    const args = readFileSync(join(FIXTURES, s, 'host/qemu-args.txt'), 'utf8')
      .replace(/\n$/, '')
      .split('\n');
    expect(splitShellWords(line)).toEqual(args);
  });

  it('joins \\-continued lines, skips # comments and keeps $VARS opaque', () => {
    const text = [
      '# a comment line',
      'qemu-system-x86_64 \\',
      '  -object memory-backend-file,id=m,mem-path=$GT_CACHE/x.raw,size=256M \\',
      '  # an indented comment',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell ${VAR}, kept as written
      '  -append "console=ttyS0 ${EXTRA}" -name \'a b\' # trailing comment',
    ].join('\n');
    expect(splitShellWords(text)).toEqual([
      'qemu-system-x86_64',
      '-object',
      'memory-backend-file,id=m,mem-path=$GT_CACHE/x.raw,size=256M',
      '-append',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell ${VAR}, kept as written
      'console=ttyS0 ${EXTRA}',
      '-name',
      'a b',
    ]);
  });

  it('handles backslash escapes, adjacent quotes, empty quotes and CRLF continuations', () => {
    expect(splitShellWords('a\\ b "x"\'y\'z \'\' "q\\"r" s\\\r\nt')).toEqual([
      'a b',
      'xyz',
      '',
      'q"r',
      'st',
    ]);
  });

  it('rejects an unterminated quote with EINVAL naming the line', () => {
    const e = (() => {
      try {
        splitShellWords("-m 2G \\\n -append 'oops");
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(Errno);
    expect((e as Errno).code).toBe('EINVAL');
    expect((e as Errno).message).toBe("unterminated ' quote in QEMU command line (line 2)");
  });

  it('is the inverse of single-quoting (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 0, maxLength: 12 }), { maxLength: 8 }),
        (words) => {
          const quoted = words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(' \\\n ');
          expect(splitShellWords(quoted)).toEqual(words);
        },
      ),
    );
  });
});

describe('splitQemuOptions', () => {
  it('takes the program name from argv[0] (basename) and pairs options with arguments', () => {
    const a = splitQemuOptions([
      '/usr/bin/qemu-system-aarch64',
      '-nographic',
      '-m',
      '2G',
      'disk.img',
      '--machine',
      'virt',
    ]);
    expect(a.binary).toBe('qemu-system-aarch64');
    expect(a.binaryGiven).toBe(true);
    expect(a.options.map(optionLocation)).toEqual([
      '-nographic',
      '-m 2G',
      'disk.img',
      '--machine virt',
    ]);
  });

  it('defaults the program name and skips VAR=value prefixes', () => {
    const a = splitQemuOptions(['FOO=1', '-snapshot', '-smp', '2']);
    expect(a.binary).toBe('qemu-system-x86_64');
    expect(a.binaryGiven).toBe(false);
    expect(a.options.map(optionLocation)).toEqual(['-snapshot', '-smp 2']);
  });

  it('reports a missing argument as QEMU does', () => {
    try {
      splitQemuOptions(['qemu-system-x86_64', '-m']);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(QemuError);
      expect((e as QemuError).qemuMessage()).toBe('qemu-system-x86_64: -m: requires an argument');
    }
  });
});
