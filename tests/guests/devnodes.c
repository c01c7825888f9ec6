/* Device nodes made by a privileged guest on a host mount: harmless ones
 * (null, zero) open and work; ones that would reach host devices (the
 * kernel log, a loop disk) must not open. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *res(long r) {
	static char buf[64];
	if (r < 0)
		snprintf(buf, sizeof buf, "-1 %s", strerrorname_np(errno));
	else
		snprintf(buf, sizeof buf, "ok");
	return buf;
}

int main(void) {
	char dir[] = "/tmp/devnodesXXXXXX", path[64];
	mkdtemp(dir);
	struct { const char *name; int major, minor; } devs[] = {{"null", 1, 3}, {"zero", 1, 5}, {"kmsg", 1, 11}, {"loop", 7, 0}};
	for (unsigned i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, devs[i].name);
		int r = mknod(path, S_IFCHR | 0600, makedev(devs[i].major, devs[i].minor));
		printf("mknod %s: %s", devs[i].name, res(r));
		int fd = open(path, O_RDONLY);
		printf(", open: %s\n", res(fd));
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}
