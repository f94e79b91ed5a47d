/**
 * DOC: kernel/params.c as a module load uses it: the arguments given to modprobe are parsed
 * against the module's `module_param()` declarations (parse_args()); one the module does not
 * declare goes to load_module()'s unknown_module_param_cb(), which logs it and loads the module
 * anyway.
 */
import { KERN, type KernelLog } from './log.ts';

/**
 * parse_args() over `args` ("name" or "name=value", as modprobe passes them) for module
 * `modname` declaring `known`: logs `<modname>: unknown parameter '<name>' ignored` (pr_warn,
 * unknown_module_param_cb()) for each other name and returns the arguments the module takes.
 * The kernel compares names with `-` and `_` alike (parameq()).
 */
export function parseModuleArgs(
  log: KernelLog,
  modname: string,
  known: readonly string[],
  args: readonly string[],
): string[] {
  const norm = (s: string) => s.replace(/-/g, '_');
  const declared = new Set(known.map(norm));
  return args.filter((a) => {
    const name = a.split('=')[0] ?? a;
    if (declared.has(norm(name))) return true;
    log.printk(KERN.WARNING, `${modname}: unknown parameter '${name}' ignored`);
    return false;
  });
}

/**
 * kstrtoint(s, 0): an `int` module parameter's value (param_set_int()): optional sign, then
 * hexadecimal after `0x`, octal after `0`, decimal otherwise, one trailing newline allowed;
 * undefined where the kernel returns -EINVAL or -ERANGE (parse_args() then fails the load).
 */
export function kstrtoint(s: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\n?$/.exec(s);
  if (!m) return undefined;
  const digits = m[2] as string;
  const v = /^0[xX]/.test(digits)
    ? Number.parseInt(digits.slice(2), 16)
    : digits.length > 1 && digits[0] === '0'
      ? Number.parseInt(digits.slice(1), 8)
      : Number.parseInt(digits, 10);
  const n = m[1] === '-' ? -v : v;
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : undefined;
}
