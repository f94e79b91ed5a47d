#!/usr/bin/env python3
"""gen-golden.py - record the REAL `cxl list` over capture trees, as golden data for tests/list.

usage: gen-golden.py VERSION CXL_BINARY OUT.jsonl

Runs every case of CASES[VERSION] (below) with the real ndctl `cxl` binary over the tree rebuilt
from sysfs-fixtures/<tree>/sysfs.txt (optionally mutated, see MUTATIONS), exactly as
shared/tools/real-cxl-list --mbox-shim does: a private mount namespace, the tree copied into a
tmpfs /sys in kernfs readdir order and remounted read-only, /dev/cxl/memN nodes, and
shared/tools/cxl-mbox-shim.c LD_PRELOADed ("ioctl": "shim"), or the "rich" variant of it below
(tests/list/rich-ioctl.ts answers the same). Every case runs in a fresh namespace. For the
`debugfs` mutation a second LD_PRELOAD makes setmntent("/proc/mounts") report debugfs on
/sys/kernel/debug, so ndctl 85 finds <debugfs>/cxl inside the fake tree.

Needs root (unshare -m, mount), python3, cc, and the cxl binary: Debian 12's ndctl 76.1-1
(`apt-get install ndctl`) for 76.1; for 85 an ndctl v85 `cxl` binary supplied by the caller.

The output is JSON Lines (.jsonl, which the linter leaves alone): a header {"version", "mutations"},
then ["T", text] for every distinct output text, then ["C", {"tree", "mutate", "ioctl", "args",
"stdout", "stderr", "code"}] per case, stdout/stderr being indices of the texts.
"""
import json, os, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
FIX = os.path.join(ROOT, 'sysfs-fixtures')
TOOLS = os.path.abspath(os.path.join(ROOT, '..', 'shared', 'tools'))

M0 = 'devices/pci0000:40/0000:40:00.0/0000:41:00.0/mem0'
M1 = 'devices/pci0000:0c/0000:0c:00.0/0000:0d:00.0/0000:0e:00.0/0000:0f:00.0/mem1'
RT = 'devices/platform/ACPI0017:00/root0'
R1 = RT + '/decoder0.1/region1'
DBG = 'kernel/debug/cxl'

# name -> list of edits applied to interleave/03-region-4way's records (see tests/list/golden.ts)
MUTATIONS = {
    'mem0-disabled': [{'op': 'drop', 'path': M0 + '/driver'}],
    'mem0-no-fw': [{'op': 'drop', 'path': M0 + '/firmware_version'}],
    'mem0-no-serial': [{'op': 'drop', 'path': M0 + '/serial'}],
    'mem0-numa1': [{'op': 'set', 'path': M0 + '/numa_node', 'content': '1\n'}],
    'mem0-serial-max': [{'op': 'set', 'path': M0 + '/serial', 'content': '0xffffffffffffffff\n'}],
    'mem0-big': [{'op': 'set', 'path': M0 + '/pmem/size', 'content': '0x30000000000\n'},
                 {'op': 'set', 'path': M0 + '/ram/size', 'content': '0x140000000\n'}],
    'mem0-small': [{'op': 'set', 'path': M0 + '/pmem/size', 'content': '5119999\n'}],
    'mem0-no-ram': [{'op': 'drop', 'path': M0 + '/ram/size'}],
    'mem0-payload-big': [{'op': 'set', 'path': M0 + '/payload_max', 'content': '4294967295\n'}],
    'mem1-no-pmem': [{'op': 'drop', 'path': M1 + '/pmem/size'}],
    'port2-disabled': [{'op': 'drop', 'path': RT + '/port2/driver'}],
    'port5-disabled': [{'op': 'drop', 'path': RT + '/port2/port5/driver'}],
    'ep3-disabled': [{'op': 'drop', 'path': RT + '/port1/endpoint3/driver'}],
    'port1-no-uport': [{'op': 'drop', 'path': RT + '/port1/uport'}],
    'region-disabled': [{'op': 'drop', 'path': R1 + '/driver'}],
    'region-target1-empty': [{'op': 'set', 'path': R1 + '/target1', 'content': '\n'}],
    'region-target2-missing': [{'op': 'drop', 'path': R1 + '/target2'}],
    'region-target0-bogus': [{'op': 'set', 'path': R1 + '/target0', 'content': 'decoder9.9\n'}],
    'region-bad-uuid': [{'op': 'set', 'path': R1 + '/uuid', 'content': 'zzz\n'}],
    'region-no-uuid': [{'op': 'drop', 'path': R1 + '/uuid'}],
    'region-reset': [{'op': 'set', 'path': R1 + '/commit', 'content': '0\n'}],
    'region-noresource': [{'op': 'set', 'path': R1 + '/resource', 'content': '0xffffffffffffffff\n'},
                          {'op': 'set', 'path': R1 + '/size', 'content': '0x0\n'}],
    'dec1.0-no-region': [{'op': 'drop', 'path': RT + '/port1/decoder1.0/region'}],
    'dec3.0-mode-foo': [{'op': 'set', 'path': RT + '/port1/endpoint3/decoder3.0/mode', 'content': 'foo\n'}],
    'dec3.0-mode-none': [{'op': 'set', 'path': RT + '/port1/endpoint3/decoder3.0/mode', 'content': 'none\n'}],
    'dec0.1-targetlist-bad': [{'op': 'set', 'path': RT + '/decoder0.1/target_list', 'content': '64,7,12\n'}],
    'dec0.1-targetlist-commas': [{'op': 'set', 'path': RT + '/decoder0.1/target_list', 'content': ',64,,12,\n'}],
    'dec0.0-size0': [{'op': 'set', 'path': RT + '/decoder0.0/size', 'content': '0x0\n'}],
    'root-no-cap': [{'op': 'drop', 'path': RT + '/decoder0.1/cap_type3'}],
    'root-locked': [{'op': 'set', 'path': RT + '/decoder0.1/locked', 'content': '1\n'}],
    'dport-no-physnode': [{'op': 'drop', 'path': 'devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0016:00/physical_node'}],
    'dport-fwnode': [{'op': 'link', 'path': 'devices/pci0000:40/0000:40:00.0/firmware_node',
                      'target': '../../LNXSYSTM:00/LNXSYBUS:00/ACPI0016:00'}],
    'debugfs': [{'op': 'file', 'path': DBG + '/mem0/inject_poison', 'content': '', 'mode': '200'},
                {'op': 'file', 'path': DBG + '/einj_types', 'mode': '444', 'content':
                 '0x00001000\tCXL.cache Protocol Correctable\n0x00008000\tCXL.mem Protocol Correctable\n'
                 '0x00020000\tCXL.mem Protocol Fatal\n0x00000008\tother\n'},
                {'op': 'file', 'path': DBG + '/0000:40:00.0/einj_inject', 'content': '', 'mode': '200'}],
}

A = lambda s: s.split(' ') if s else []

OPTIONS = [A(x) for x in [
    '-m', '-m -M', '-Mx', '-x', '-M-', '--memd', '--mem=3', '--memdev', 'foo', 'foo bar', '-', '-- foo',
    '-S', '-S -p root', '--single=1', '-idle', '-verbose', '-no-idle', '-Mno', '-n', '--n', '--no', '--no-',
    '--=x', '-ms 1', '-Mh', '-h', '--help-all', '--list-opts', '--list-cmds', '--memdevs=', '--idle=1',
    '--no-idle=1', '--no-memdev=x', '--no-mem', '--nohuman', '--hea', '--he', '--h', '--p', '--po',
    '--ports=1', '---', '---x', '--M', '-Tverb', '-Dmemdevs', '--region', '--dec=decoder0.0', '--deco',
    '--memdev=mem0', '--memdev mem0', '-mmem0', '-m=mem0', '--no-memdevs', '--memdevs --no-memdevs',
    '--regions --no-regions', '--no-verbose -vvv', '-vvv --no-verbose', '--verbose --verbose', '--verb',
    '--v', '-vh', '-mh', '-- -M', '-M -- -M', '-MM', '-vvvvvvvv', '-BMu', '-BMuR', '-uT', '--alert-config=1',
    '--sing', '--singl=1', '--targets --targets', '-p root,switch -S -P', '--port=root -S',
]]

FILTERS = [A(x) for x in [
    '-m mem0', '-m 0', '-m mem0,mem1', '-m mem0 mem2', '-m all', '-m 0000:41:00.0', '-m 0000:0d:00.0',
    '-m 1 -s 0x2', '-s 1', '-s 0x1,0x3', '-s 0x', '-s foo', '-s -1', '-s 01', '-s 1x', '-m  0', '-m -0',
    '-m mem+0', '-m mem0x', '-m ', '-m ,mem0', '-b root0', '-b 0', '-b ACPI.CXL', '-b all', '-b root1',
    '-b cxl_test', '-b ACPI.CXL,root7', '-p port1', '-p 1', '-p root', '-p switch', '-p endpoint',
    '-p ACPI0016:00', '-p all', '-p root -S', '-p port1 -S', '-p switch -S', '-P -p root', '-P -p endpoint',
    '-P -p root,endpoint', '-P -p port2', '-P -p port2 -S', '-P -p xroot', '-P -p endpoints -S', '-e endpoint2',
    '-e 2', '-e mem0', '-e all', '-e endpoint7', '-d decoder0.0', '-d 0.0', '-d root', '-d switch', '-d endpoint',
    '-d all', '-d decoder1.0 -M', '-d root -M', '-d decoder0.1 -M', '-d decoder0.2 -M', '-d 0.', '-d 1',
    '-d decoder0.0x', '-r region0', '-r 0', '-r region1', '-r all', '-r region1x', '-R -r region1', '-P -E',
    '-P -D', '-B -D', '-B -P -E -D -T', '-E -D', '-M -E', '-B -M', '-P -M', '-R -D', '-R -T', '-D -T', '-B -T',
    '-P -T', '-M -p port1', '-M -p port2', '-M -b root0', '-M -b root1', '-M -d decoder0.1', '-R -p port1',
    '-R -b root0', '-R -d decoder0.1', '-E -m mem0', '-D -m mem0 -T', '-D -m mem3 -T', '-P -T -m mem0',
    '-P -T -m mem2', '-B -T -m mem0', '-B -T -m mem4', '-v', '-vv', '-vvvv', '-i', '-i -M', '-i -D', '-i -P',
    '-i -E', '-i -R', '-u', '-u -M', '-u -D', '-u -R', '-u -B', '-H', '-I', '-A', '-I -M', '-H -A -M',
    '-P -E -M -p port2', '-E -M -D -e endpoint3', '-D -d switch -T', '-D -d endpoint -m mem1', '-R -T -m mem1',
    '-R -m mem0', '-M -r region1', '-D -r region1', '-P -r region1', '-vvv -m mem1', '-vvv -b root0 -p port1',
    '-vv -d decoder0.1',
]]

BASE = [A(x) for x in ['', '-vvv', '-M', '-D', '-P', '-E', '-T', '-R', '-B', '-u -vvv', '-R -vvv', '-i -vvv']]
VARIANT_FLAGS = BASE + [A(x) for x in [
    '-i -M', '-i -D', '-i -P', '-i -E', '-i -R', '-M -m mem0', '-R -T -m mem1', '-D -T -m mem0',
    '-P -T -m mem0', '-M -p port2', '-M -b root0', '-M -d decoder0.1', '-R -r region1 -T', '-E -M -D', '-vv']]
V85_EXTRA = [A(x) for x in ['-F -M', '-X -R', '-L -M', '-L -R', '-FX', '--media-errors', '--firmware', '--dax',
                            '-vvv -m mem0', '-Lh', '-B -T -m mem0']]
NO_TRACE = [f for f in VARIANT_FLAGS if not any(a.startswith('-v') and 'vvv' in a for a in f)]

BIG = 'interleave/03-region-4way'
SMALL = 'minimal/01-create-region'


MBOX_FLAGS = [A(x) for x in ['-vvv', '-M -H', '-M -A', '-M -I', '-M -I -u', '-M -H -A -I -u', '-u -vvv',
                              '-vvv -m mem0', '-i -vvv -m mem1']]
MBOX_FLAGS_85 = [A(x) for x in ['-M -F', '-M -F -u', '-M -H -A -I -F', '-E -M -F -m mem0']]


def cases(version):
    out = [(t, m, f, 'shim') for t, m, f in shim_cases(version)]
    for tree in (SMALL, BIG):
        out += [(tree, None, f, 'rich') for f in MBOX_FLAGS]
        if version == '85':
            out += [(tree, 'debugfs' if tree == BIG else None, f, 'rich') for f in MBOX_FLAGS_85]
            out += [(BIG, 'debugfs', A(x), 'rich') for x in ['-M -H -A -I', '-E -M -H']]
    return out


def shim_cases(version):
    out = []
    for tree in (SMALL, BIG):
        out += [(tree, None, f) for f in OPTIONS]
    for tree in (SMALL, BIG, 'threeway/00-boot', 'failures/f15-after-decoder-busy'):
        out += [(tree, None, f) for f in FILTERS]
    for name in MUTATIONS:
        if name == 'debugfs':
            continue
        out += [(BIG, name, f) for f in VARIANT_FLAGS]
    if version == '85':
        for tree in (SMALL, BIG):
            out += [(tree, None, f) for f in V85_EXTRA]
        # with debugfs: -vvv turns on -L, whose tracefs use the harness cannot contain
        out += [(BIG, 'debugfs', f) for f in NO_TRACE + [A('-B -T'), A('-P -T'), A('-M'), A('-i -M -T')]]
    return out


def mutate(lines, edits):
    recs, i = [], 0
    while i < len(lines):
        if not lines[i] or lines[i].startswith('#'):
            i += 1
            continue
        f = lines[i].split('\t'); i += 1
        body = []
        while i < len(lines) and lines[i].startswith('|'):
            body.append(lines[i][1:]); i += 1
        recs.append([f, body])
    for e in edits:
        if e['op'] == 'drop':
            recs = [r for r in recs if r[0][1] != e['path']]
        elif e['op'] == 'set':
            c = e['content']
            recs = [[[f[0], f[1], f[2], str(len(c.encode()))], c[:-1].split('\n') if c else []]
                    if f[1] == e['path'] else [f, b] for f, b in recs]
        elif e['op'] == 'link':
            recs.append([['L', e['path'], e['target']], []])
        elif e['op'] == 'file':
            c = e['content']
            recs.append([['F', e['path'], e['mode'], str(len(c.encode()))], c[:-1].split('\n') if c else []])
    out = []
    for f, b in recs:
        out.append('\t'.join(f))
        out += ['|' + x for x in b]
    return out


SETUP = r'''
set -e
mount -t tmpfs -o mode=755 cxlsim-sys /sys
python3 "$TOOLS/kernfs-copy.py" "$TREE" /sys
mount -o remount,ro /sys
mount -t tmpfs -o mode=755,size=1m cxlsim-dev /dev
for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  IFS=: read -r name maj min <<<"$n"; mknod -m 666 "/dev/$name" c "$maj" "$min"; done
ln -s /proc/self/fd /dev/fd; mkdir /dev/cxl
for n in /sys/bus/cxl/devices/mem*; do [ -e "$n" ] || [ -L "$n" ] || continue; mknod -m 600 "/dev/cxl/${n##*/}" c 1 3; done
exec env LD_PRELOAD="$PRELOAD" "$CXL" list "$@" >"$OUT/stdout" 2>"$OUT/stderr"
'''

# The "rich" mailbox (tests/list/rich-ioctl.ts): cxl-mbox-shim.c with send_cmd() answering health,
# alert config (mailbox error 5 for mem1), partition info and firmware info with fixed payloads,
# and IDENTIFY reporting a 256 MiB partition alignment for mem0.
RICH_SEND = r'''
static const uint8_t health[0x12] = { 0x05, 0x03, 0x19, 0xff, 0xff, 0xff, 0x07, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0 };
static const uint8_t alert[0x10] = { 0x15, 0x0a, 90, 75, 0x50, 0x00, 0xf6, 0xff, 0x46, 0x00, 0x05, 0x00, 0x10, 0x27, 0x00, 0x01 };
static const uint8_t part[0x20] = { 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static uint8_t fw[0x50] = { 3, 0x11, 1 };
static int send_cmd(int n, struct cxl_send_command *s)
{
	uint8_t id[0x43] = { 0 };
	unsigned long long ram, pmem;
	char fwv[64];
	const uint8_t *src = NULL; size_t len = 0;

	switch (s->id) {
	case 7: src = health; len = sizeof(health); break;
	case 11: src = alert; len = sizeof(alert); break;
	case 5: src = part; len = sizeof(part); break;
	case 4: memcpy(fw + 0x10, "slot1 fw", 8); memcpy(fw + 0x30, "0123456789abcdef", 16); src = fw; len = sizeof(fw); break;
	case 1: break;
	default: errno = ENOTTY; return -1;
	}
	if (src) {
		memcpy((void *)(uintptr_t)s->out.payload, src, len < s->out.size ? len : s->out.size);
		s->retval = (n == 1 && s->id == 11) ? 5 : 0;
		return 0;
	}
	ram = num(n, "ram/size");
	pmem = num(n, "pmem/size");
	attr(n, "firmware_version", fwv, sizeof(fwv));
	memcpy(id, fwv, strnlen(fwv, 0x10));
	put_le(id + 0x10, (ram + pmem) / CAPACITY_MULTIPLIER, 8);
	put_le(id + 0x18, ram / CAPACITY_MULTIPLIER, 8);
	put_le(id + 0x20, pmem / CAPACITY_MULTIPLIER, 8);
	put_le(id + 0x28, n == 0 ? 1 : 0, 8);
	put_le(id + 0x38, num(n, "label_storage_size"), 4);
	memcpy((void *)(uintptr_t)s->out.payload, id, sizeof(id));
	s->out.size = sizeof(id);
	s->retval = 0;
	return 0;
}

'''

FAKEMNT = r'''
#define _GNU_SOURCE
#include <dlfcn.h>
#include <mntent.h>
#include <stdlib.h>
#include <string.h>
FILE *setmntent(const char *f, const char *t)
{
	static FILE *(*real)(const char *, const char *);
	const char *fake = getenv("FAKE_MOUNTS");
	if (!real) real = dlsym(RTLD_NEXT, "setmntent");
	return real(fake && !strcmp(f, "/proc/mounts") ? fake : f, t);
}
'''


def write_jsonl(outfile, version, texts, cases):
    """JSON Lines: a header, then ["T", text] per distinct text, then ["C", case] per case."""
    with open(outfile, 'w') as o:
        o.write(json.dumps({'version': version, 'mutations': MUTATIONS}) + '\n')
        for t in texts:
            o.write(json.dumps(['T', t]) + '\n')
        for c in cases:
            o.write(json.dumps(['C', c]) + '\n')


def main():
    version, cxl, outfile = sys.argv[1:4]
    work = tempfile.mkdtemp()
    try:
        subprocess.run(['cc', '-shared', '-fPIC', '-o', f'{work}/shim.so', f'{TOOLS}/cxl-mbox-shim.c', '-ldl'], check=True)
        src = open(f'{TOOLS}/cxl-mbox-shim.c').read()
        a, b = src.index('static int send_cmd('), src.index('int ioctl(int fd')
        open(f'{work}/rich.c', 'w').write(src[:a] + RICH_SEND + src[b:])
        subprocess.run(['cc', '-shared', '-fPIC', '-o', f'{work}/rich.so', f'{work}/rich.c', '-ldl'], check=True)
        open(f'{work}/fakemnt.c', 'w').write(FAKEMNT)
        subprocess.run(['cc', '-shared', '-fPIC', '-o', f'{work}/fakemnt.so', f'{work}/fakemnt.c', '-ldl'], check=True)
        open(f'{work}/mounts', 'w').write('debugfs /sys/kernel/debug debugfs rw 0 0\n')
        trees, texts, index, result = {}, [], {}, []

        def text(s):
            if s not in index:
                index[s] = len(texts); texts.append(s)
            return index[s]

        for tree, mut, args, ioctl in cases(version):
            key = (tree, mut)
            if key not in trees:
                d = f'{work}/t{len(trees)}'
                lines = open(f'{FIX}/{tree}/sysfs.txt', encoding='utf-8', errors='surrogateescape').read().split('\n')
                if lines and lines[-1] == '':
                    lines.pop()
                if mut:
                    lines = mutate(lines, MUTATIONS[mut])
                os.makedirs(d)
                open(f'{d}/sysfs.txt', 'w', encoding='utf-8', errors='surrogateescape').write('\n'.join(lines) + '\n')
                subprocess.run(['python3', f'{TOOLS}/sysfs2tree.py', f'{d}/sysfs.txt', f'{d}/sys'], check=True, capture_output=True)
                trees[key] = d
            d = trees[key]
            env = dict(os.environ, TOOLS=TOOLS, TREE=f'{d}/sys', CXL=cxl, OUT=work,
                       PRELOAD=f'{work}/{ioctl}.so' + (f':{work}/fakemnt.so' if mut == 'debugfs' else ''),
                       FAKE_MOUNTS=f'{work}/mounts')
            p = subprocess.run(['unshare', '-m', '--propagation', 'private', 'bash', '-c', SETUP, 'setup'] + args, env=env)
            code = p.returncode if p.returncode >= 0 else 128 - p.returncode
            so = open(f'{work}/stdout', encoding='latin1').read()
            se = open(f'{work}/stderr', encoding='latin1').read()
            result.append({'tree': tree, 'mutate': mut, 'ioctl': ioctl, 'args': args, 'stdout': text(so),
                           'stderr': text(se), 'code': code})
        write_jsonl(outfile, version, texts, result)
    finally:
        shutil.rmtree(work)


if __name__ == '__main__':
    main()
