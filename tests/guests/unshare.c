/* unshare and setns: what a LibOS process can have of its own (mount and
 * UTS namespaces, its fd table and file-system context while alone), the
 * errors for bad flags and descriptors, and EPERM without CAP_SYS_ADMIN. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("bad flag: %s\n", en(unshare(0x1)));
	printf("NEWNS: %s\n", en(unshare(CLONE_NEWNS)));
	printf("NEWUTS: %s\n", en(unshare(CLONE_NEWUTS)));
	printf("FILES and FS: %s\n", en(unshare(CLONE_FILES | CLONE_FS)));
	printf("setns bad fd: %s\n", en(setns(-1, 0)));
	printf("setns on a pipe: %s\n", en(setns(1, 0)));
	if (fork() == 0) {
		setuid(65534);
		printf("unprivileged NEWNS: %s\n", en(unshare(CLONE_NEWNS)));
		printf("unprivileged NEWUTS: %s\n", en(unshare(CLONE_NEWUTS)));
		_exit(0);
	}
	wait(NULL);
	printf("done\n");
	return 0;
}
