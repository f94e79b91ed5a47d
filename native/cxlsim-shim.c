/* cxlsim-shim.c - LD_PRELOAD library of `cxlsim run`: the memdev ioctls of /dev/cxl/memN
 * answered by the serving cxlsim.
 *
 * The host kernel has no CXL driver, so the /dev/cxl/memN nodes `cxlsim run` creates (char
 * 1:3) cannot answer CXL_MEM_QUERY_COMMANDS / CXL_MEM_SEND_COMMAND
 * (include/uapi/linux/cxl_mem.h). This library catches those two ioctls on a file descriptor
 * whose path is /dev/cxl/memN and forwards their payloads over the unix socket named by
 * $CXLSIM_SOCKET to the cxlsim process that holds the machine (src/cli/live/mbox-server.ts),
 * where the profile's kernel checks (cxl_validate_cmd_from_user) and the device's mailbox
 * answer them. The answer (errno, or the filled structures) is returned as the ioctl's.
 * Any other ioctl, and any other file descriptor, goes to libc.
 *
 * It also stands in for kernfs poll(2) on memN/security/state, which FUSE cannot signal: the
 * kernel's sysfs_notify_dirent() at the end of a sanitize (drivers/cxl/pci.c
 * cxl_mbox_sanitize_work()) wakes libcxl's cxl_memdev_wait_sanitize(). poll() of that one file
 * re-reads it every 100 ms and returns POLLERR|POLLPRI once it no longer reads "sanitize",
 * or 0 when `timeout` ms pass; every other poll() goes to libc.
 *
 * And it stands in for the ring-buffer mapping of tracefs's per_cpu/cpuN/trace_pipe_raw
 * (kernel ≥ 6.10: a meta page and the sub-buffers mmap()ed, TRACE_MMAP_IOCTL_GET_READER),
 * which a FUSE file cannot offer: mmap() of a trace_pipe_raw under /sys fails with ENODEV, as
 * on kernels before 6.10, so libtracefs (tracefs_cpu_map()) falls back to read(2), which
 * cxlsim serves. Every other mmap() goes to libc.
 *
 * FUSE cannot signal tracefs's trace_pipe either (ring_buffer_poll_wait()): FUSE reports it
 * always readable, so `cxl monitor`'s epoll loop (cxl/monitor.c monitor_event()) would spin,
 * re-reading every event format on each wake-up. An epoll set that holds a trace_pipe under
 * /sys (epoll_ctl(EPOLL_CTL_ADD)) therefore wakes at most every 100 ms: epoll_wait() on it
 * sleeps 100 ms (or its shorter timeout) and then polls without waiting.
 *
 * A write(2) to a file under /sys first tells the serving cxlsim the writer's pid (PID
 * request), which the trace events the write causes record as common_pid, as the kernel
 * records the current task: `cxl list --media-errors` keeps only the cxl_poison events of its
 * own pid. (stdio writes, e.g. bash's echo, use libc's internal write and are not seen.)
 *
 * And it stands in for devtmpfs for the device-DAX nodes: in the guest, devtmpfs has a
 * /dev/daxN.M for every registered dax device (devm_create_dev_dax() adds its cdev, whatever
 * driver binds later), and libdaxctl (add_dev()) stat()s it; `cxlsim run`'s /dev is a small
 * tmpfs made once, before any region. stat()/lstat() of /dev/daxN.M, when no such file exists,
 * answer a character device 0600 whose st_rdev is the device's /sys/bus/dax/devices/daxN.M/dev
 * (MAJ:MIN); while that attribute does not exist, ENOENT as before. readdir of /dev does not
 * list them.
 *
 * Wire format (little endian, one request per connection): u32 length, then the body.
 *   QUERY  req: u8 1, u8[3] 0, u32 memdev N, u32 n_commands
 *          resp: i32 errno, u32 total, n x struct cxl_command_info (n = min(n_commands, total))
 *   SEND   req: u8 2, u8[3] 0, u32 N, u32 id, u32 flags, u32 raw (opcode | rsvd << 16),
 *               u32 in.size, u32 out.size, in.size payload bytes
 *          resp: i32 errno, u32 retval, u32 out.size, out.size bytes
 *   PID    req: u8 4, u8[3] 0, u32 pid          resp: i32 errno
 *
 * Build: cc -O2 -shared -fPIC -o cxlsim-shim.so cxlsim-shim.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/types.h>

struct cxl_command_info { __u32 id, flags, size_in, size_out; };
struct cxl_mem_query_commands {
	__u32 n_commands, rsvd;
	struct cxl_command_info commands[];
};
struct cxl_send_command {
	__u32 id, flags;
	union { struct { __u16 opcode, rsvd; } raw; __u32 rsvd; };
	__u32 retval;
	struct { __u32 size, rsvd; __u64 payload; } in;
	struct { __u32 size, rsvd; __u64 payload; } out;
};
#define CXL_MEM_QUERY_COMMANDS _IOR(0xCE, 1, struct cxl_mem_query_commands)
#define CXL_MEM_SEND_COMMAND _IOWR(0xCE, 2, struct cxl_send_command)

/* 1 when fd is a file under /sys whose path ends with `tail` ("/security/state"), else 0. */
static int sys_fd_ends_with(int fd, const char *tail)
{
	size_t tlen = strlen(tail);
	char link[64], path[512];
	ssize_t len;

	if (fd < 0)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	if (len < 0 || (size_t)len <= tlen)
		return 0;
	path[len] = 0;
	return strncmp(path, "/sys/", 5) == 0 && strcmp(path + len - tlen, tail) == 0;
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	static int (*real_poll)(struct pollfd *, nfds_t, int);
	char buf[16];
	int waited = 0;

	if (!real_poll)
		real_poll = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
	if (nfds != 1 || !sys_fd_ends_with(fds[0].fd, "/security/state"))
		return real_poll(fds, nfds, timeout);
	for (;;) {
		ssize_t n = pread(fds[0].fd, buf, sizeof(buf), 0);

		if (n < 0 || n < 8 || strncmp(buf, "sanitize", 8) != 0) {
			fds[0].revents = POLLERR | POLLPRI;
			return 1;
		}
		if (timeout >= 0 && waited >= timeout) {
			fds[0].revents = 0;
			return 0;
		}
		usleep(100000);
		waited += 100;
	}
}


void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real_mmap)(void *, size_t, int, int, int, off_t);

	if (sys_fd_ends_with(fd, "/trace_pipe_raw")) {
		errno = ENODEV;
		return MAP_FAILED;
	}
	if (!real_mmap)
		real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
	return real_mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

static int memdev_of(int fd) /* N when fd is /dev/cxl/memN, else -1 */
{
	char link[64], path[256];
	ssize_t len;
	int n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	if (len < 0)
		return -1;
	path[len] = 0;
	return sscanf(path, "/dev/cxl/mem%d", &n) == 1 ? n : -1;
}

static ssize_t (*real_write)(int, const void *, size_t);

static ssize_t do_write(int fd, const void *buf, size_t n)
{
	if (!real_write)
		real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	return real_write(fd, buf, n);
}

static int xfer(int s, void *buf, size_t len, int out)
{
	char *p = buf;

	while (len) {
		ssize_t r = out ? do_write(s, p, len) : read(s, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= r;
	}
	return 0;
}

/* One request; returns the response body (malloc'd) and its length, or NULL (errno set). */
static uint8_t *call(const uint8_t *req, uint32_t len, uint32_t *rlen)
{
	const char *path = getenv("CXLSIM_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t *resp = NULL;
	int s, saved;

	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENOTTY;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return NULL;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    xfer(s, &len, 4, 1) || xfer(s, (void *)req, len, 1) || xfer(s, rlen, 4, 0))
		goto fail;
	resp = malloc(*rlen ? *rlen : 1);
	if (!resp || xfer(s, resp, *rlen, 0))
		goto fail;
	close(s);
	return resp;
fail:
	saved = errno ? errno : EIO;
	free(resp);
	close(s);
	errno = saved == ENOENT || saved == ECONNREFUSED ? ENXIO : saved;
	return NULL;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static int query(int n, struct cxl_mem_query_commands *q)
{
	uint8_t req[12] = { 1 }, *resp;
	uint32_t rlen, total, cnt;
	int32_t err;

	put32(req + 4, n);
	put32(req + 8, q->n_commands);
	resp = call(req, sizeof(req), &rlen);
	if (!resp)
		return -1;
	err = (int32_t)get32(resp);
	total = get32(resp + 4);
	if (err) {
		free(resp);
		errno = err;
		return -1;
	}
	if (q->n_commands == 0) {
		q->n_commands = total;
	} else {
		cnt = (rlen - 8) / sizeof(struct cxl_command_info);
		memcpy(q->commands, resp + 8, cnt * sizeof(struct cxl_command_info));
	}
	free(resp);
	return 0;
}

static int send_cmd(int n, struct cxl_send_command *c)
{
	uint32_t len = 28 + c->in.size, rlen, out;
	uint8_t *req = malloc(len), *resp;
	int32_t err;

	if (!req)
		return -1;
	memset(req, 0, 4);
	req[0] = 2;
	put32(req + 4, n);
	put32(req + 8, c->id);
	put32(req + 12, c->flags);
	put32(req + 16, c->rsvd);
	put32(req + 20, c->in.size);
	put32(req + 24, c->out.size);
	if (c->in.size)
		memcpy(req + 28, (void *)(uintptr_t)c->in.payload, c->in.size);
	resp = call(req, len, &rlen);
	free(req);
	if (!resp)
		return -1;
	err = (int32_t)get32(resp);
	if (err) {
		free(resp);
		errno = err;
		return -1;
	}
	c->retval = get32(resp + 4);
	out = get32(resp + 8);
	if (out > c->out.size)
		out = c->out.size;
	if (out)
		memcpy((void *)(uintptr_t)c->out.payload, resp + 12, out);
	c->out.size = out;
	free(resp);
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real_ioctl)(int, unsigned long, ...);
	unsigned int cmd = req; /* libcxl passes an int: it arrives sign-extended */
	void *arg;
	va_list ap;
	int n;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if ((cmd == CXL_MEM_QUERY_COMMANDS || cmd == CXL_MEM_SEND_COMMAND) &&
	    (n = memdev_of(fd)) >= 0)
		return cmd == CXL_MEM_SEND_COMMAND ? send_cmd(n, arg) : query(n, arg);
	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real_ioctl(fd, req, arg);
}

static int is_sys_file(int fd) /* fd is a file under /sys */
{
	char link[64], path[16];
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	return len >= 5 && strncmp(path, "/sys/", 5) == 0;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (getenv("CXLSIM_SOCKET") && is_sys_file(fd)) {
		int saved = errno;
		uint8_t req[8] = { 4, 0, 0, 0 };
		uint32_t rlen;
		uint8_t *resp;

		put32(req + 4, (uint32_t)getpid());
		resp = call(req, sizeof(req), &rlen);
		free(resp);
		errno = saved;
	}
	return do_write(fd, buf, n);
}


static int paced_epfd[16];
static int n_paced;

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	static int (*real_epoll_ctl)(int, int, int, struct epoll_event *);

	if (!real_epoll_ctl)
		real_epoll_ctl = (int (*)(int, int, int, struct epoll_event *))dlsym(RTLD_NEXT, "epoll_ctl");
	if (op == EPOLL_CTL_ADD && n_paced < 16 && sys_fd_ends_with(fd, "/trace_pipe"))
		paced_epfd[n_paced++] = epfd;
	return real_epoll_ctl(epfd, op, fd, ev);
}

int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
	int i;

	if (!real_epoll_wait)
		real_epoll_wait = (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
	for (i = 0; i < n_paced; i++) {
		if (paced_epfd[i] != epfd)
			continue;
		usleep(timeout >= 0 && timeout < 100 ? timeout * 1000 : 100000);
		return real_epoll_wait(epfd, evs, max, 0);
	}
	return real_epoll_wait(epfd, evs, max, timeout);
}

/* 0 and *st filled when path is /dev/daxN.M of a registered dax device, -1 otherwise. */
static int dax_node(const char *path, struct stat *st)
{
	char attr[128], buf[32];
	unsigned int maj, min;
	ssize_t n;
	int fd;

	if (strncmp(path, "/dev/dax", 8) != 0 || strchr(path + 5, '/') != NULL ||
	    strlen(path) > 64)
		return -1;
	snprintf(attr, sizeof(attr), "/sys/bus/dax/devices/%s/dev", path + 5);
	fd = (int)syscall(SYS_openat, AT_FDCWD, attr, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (sscanf(buf, "%u:%u", &maj, &min) != 2)
		return -1;
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFCHR | 0600;
	st->st_nlink = 1;
	st->st_rdev = makedev(maj, min);
	st->st_blksize = 4096;
	return 0;
}

/* stat(2) family: the real call first; a missing /dev/daxN.M then as devtmpfs has it. */
#define STAT_SHIM(name, type)                                                        \
	int name(const char *path, type *st)                                           \
	{                                                                              \
		static int (*real)(const char *, type *);                              \
		int saved = errno, rc;                                                 \
		if (!real)                                                             \
			real = (int (*)(const char *, type *))dlsym(RTLD_NEXT, #name); \
		rc = real(path, st);                                                   \
		if (rc < 0 && errno == ENOENT && dax_node(path, (struct stat *)st) == 0) { \
			errno = saved;                                                 \
			return 0;                                                      \
		}                                                                      \
		return rc;                                                             \
	}
STAT_SHIM(stat, struct stat)
STAT_SHIM(lstat, struct stat)
STAT_SHIM(stat64, struct stat64)
STAT_SHIM(lstat64, struct stat64)
