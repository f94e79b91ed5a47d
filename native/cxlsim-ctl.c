/* cxlsim-ctl - the `modprobe`, `dmesg` and `journalctl` of `cxlsim run`.
 *
 * Installed (as links named modprobe, dmesg, journalctl) in a directory put first on PATH
 * inside `cxlsim run`. It sends its name and arguments over the unix socket $CXLSIM_SOCKET to
 * the cxlsim process that holds the machine (src/cli/live/mbox-server.ts), which answers as
 * the guest would (modprobe cxl_test boots the cxl_test preset, dmesg prints the kernel log),
 * then prints the answer's stdout and stderr and exits with its code.
 *
 * Wire format: u32 length, body.  req: u8 3, u8[3] 0, argv strings each NUL-terminated
 * (argv[0] is the name it was called by).  resp: i32 exit code, u32 stdout length, stdout,
 * stderr (the rest). After a successful modprobe, /dev/cxl/memN are made again for the
 * memdevs the new machine has (char 1:3, as `cxlsim run` makes them).
 *
 * Build: cc -O2 -o cxlsim-ctl cxlsim-ctl.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

static int xfer(int s, void *buf, size_t len, int out)
{
	char *p = buf;

	while (len) {
		ssize_t r = out ? write(s, p, len) : read(s, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= r;
	}
	return 0;
}

/* After `modprobe`: /dev/cxl/memN for every memdev of the (re-booted) machine. */
static void sync_dev_cxl(void)
{
	char path[300];
	struct dirent *e;
	DIR *d = opendir("/dev/cxl");

	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "mem", 3)) {
			snprintf(path, sizeof(path), "/dev/cxl/%s", e->d_name);
			unlink(path);
		}
	closedir(d);
	d = opendir("/sys/bus/cxl/devices");
	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "mem", 3)) {
			snprintf(path, sizeof(path), "/dev/cxl/%s", e->d_name);
			mknod(path, S_IFCHR | 0600, makedev(1, 3));
		}
	closedir(d);
}

int main(int argc, char **argv)
{
	const char *path = getenv("CXLSIM_SOCKET");
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint32_t len = 4, rlen, olen;
	uint8_t *req, *resp, *p;
	int32_t code;
	int s, i;

	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "cxlsim: %s: CXLSIM_SOCKET is not set (run it inside `cxlsim run`)\n", name);
		return 1;
	}
	for (i = 0; i < argc; i++)
		len += strlen(i ? argv[i] : name) + 1;
	req = p = calloc(1, len);
	if (!req)
		return 1;
	*p = 3;
	p += 4;
	for (i = 0; i < argc; i++) {
		strcpy((char *)p, i ? argv[i] : name);
		p += strlen((char *)p) + 1;
	}
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    xfer(s, &len, 4, 1) || xfer(s, req, len, 1) || xfer(s, &rlen, 4, 0) || rlen < 8) {
		fprintf(stderr, "cxlsim: %s: cannot reach the serving cxlsim at %s: %s\n", name, path,
			strerror(errno));
		return 1;
	}
	resp = malloc(rlen);
	if (!resp || xfer(s, resp, rlen, 0)) {
		fprintf(stderr, "cxlsim: %s: short answer from %s\n", name, path);
		return 1;
	}
	memcpy(&code, resp, 4);
	memcpy(&olen, resp + 4, 4);
	if (olen > rlen - 8)
		olen = rlen - 8;
	fwrite(resp + 8, 1, olen, stdout);
	fflush(stdout);
	fwrite(resp + 8 + olen, 1, rlen - 8 - olen, stderr);
	if (code == 0 && !strcmp(name, "modprobe"))
		sync_dev_cxl();
	return code;
}
