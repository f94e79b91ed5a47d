#!/bin/sh
# DOC: the `cxlsim` command; scripts/bundle.mjs writes it to dist/cli/cxlsim with this build's
# id in place of the at-sign placeholder below.
#
# For a command on the persisted machine whose state directory has a machine snapshot
# (<state>/snapshot/meta, src/state/snapshot.ts) written by this cxlsim build with this node
# binary (size.mtime.inode), and whose blob has the recorded POSIX cksum, it execs
# `node --snapshot-blob BLOB -- ARGS`, which skips node's module loading, the boot and the
# replay of the journal. Anything that does not check out (no snapshot, another build or
# node, a blob changed or cut short) and every other command exec node on main.js. The
# snapshot's process still reads the journal under the lock and uses the snapshot's machine
# only if it holds a prefix of that journal, so results never depend on the snapshot.
# CXLSIM_SNAPSHOT=0 turns snapshots off.
build=@CXLSIM_BUILD_ID@
self=$(readlink -f "$0" 2>/dev/null) || self=$0
main=${self%/*}/main.js

# Sets $node and $blob when "$@" can start from a snapshot.
snapshot() {
	[ "${CXLSIM_SNAPSHOT-}" = 0 ] && return 1
	state= given=
	while [ $# -gt 0 ]; do
		case $1 in
		--state)
			[ $# -ge 2 ] || return 1
			state=$2 given=1
			shift 2
			;;
		--state=*)
			state=${1#--state=} given=1
			shift
			;;
		*) break ;;
		esac
	done
	[ $# -gt 0 ] || return 1
	case $1 in
	list | sysfs | dmesg | mem | translate | reboot | qmp | explain | summary) ;;
	create-region | destroy-region | enable-region | disable-region | enable-memdev) ;;
	disable-memdev | enable-port | disable-port | disable-bus | reserve-dpa | free-dpa) ;;
	set-partition | read-labels | write-labels | zero-labels) ;;
	*) return 1 ;;
	esac
	for a; do [ "$a" = --help ] && return 1; done
	if [ -z "$given" ]; then state=${CXLSIM_STATE:-.cxlsim}; elif [ -z "$state" ]; then state=.; fi
	[ -f "$state/snapshot/meta" ] || return 1
	# a live `cxlsim serve` of this state runs the command (src/cli/live/forward.ts)
	if [ -f "$state/serve.json" ] && [ "${CXLSIM_FORWARD-}" != 0 ]; then
		pid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$state/serve.json")
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && return 1
	fi
	read -r fmt ver b nid blob sum size rest <"$state/snapshot/meta" || return 1
	[ "$fmt $ver $b" = "cxlsim-snapshot 2 $build" ] || return 1
	node=$(command -v node) || return 1
	[ "$(stat -L -c %s.%Y.%i -- "$node" 2>/dev/null)" = "$nid" ] || return 1
	blob=$state/snapshot/$blob
	[ "$(cksum <"$blob" 2>/dev/null)" = "$sum $size" ] || return 1
}

# --no-allocation-site-pretenuring: the boot leaves V8 convinced that the objects of many
# allocation sites live long (the machine's), so later walks of /sys (sysfs dump: 580 k
# entries at 4096 endpoints) allocate their short-lived objects straight into the old space,
# which grows by hundreds of MB between full collections (dump peak RSS 0.9 GB -> 0.56 GB).
# --initial-old-space-size=256: the deserialized machine (~145 MB at 4096 endpoints) is past
# V8's initial old-generation limit, which made every command start with a full collection;
# 256, not more, so that a command promoting ~100 MB (sysfs dump) gets one mid-way.
# --max-semi-space-size=8: a smaller young generation (build.ts explains both).
# The snapshot's flags must be build.ts's SNAPSHOT_NODE_FLAGS.
if snapshot "$@"; then exec "$node" --max-old-space-size=4096 --no-allocation-site-pretenuring --initial-old-space-size=256 --max-semi-space-size=8 --snapshot-blob "$blob" -- "$@"; fi
exec node --no-allocation-site-pretenuring "$main" "$@"
