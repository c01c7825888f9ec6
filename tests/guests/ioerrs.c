/* I/O calls' answers in corner cases: preadv2/pwritev2 flags and
 * positioned I/O on a pipe, the old termio ioctls on a terminal with bad
 * addresses, and execve with an empty argv (the program sees argc 1). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termio.h>
#include <unistd.h>

#include "result.h"

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc <= 1 && (argc == 0 || argv[0][0] == 0)) {
		printf("exec with empty argv: argc %d, argv[0] \"%s\"\n", argc, argc ? argv[0] : "(none)");
		return 0;
	}
	char path[] = "/tmp/ioerrs-XXXXXX";
	int fd = mkstemp(path);
	char buf[16] = "hello";
	struct iovec v = {buf, 5};
	printf("pwritev2 flags -1: %s\n", res(pwritev2(fd, &v, 1, 0, -1)));
	printf("pwritev2 RWF_DSYNC: %s\n", res(pwritev2(fd, &v, 1, 0, RWF_DSYNC)));
	printf("preadv2 RWF_NOWAIT: %s\n", res(preadv2(fd, &v, 1, 0, RWF_NOWAIT)));
	printf("preadv2 flags 0x10000: %s\n", res(preadv2(fd, &v, 1, 0, 0x10000)));
	int p[2];
	pipe(p);
	printf("pwritev on the read end of a pipe: %s\n", res(pwritev(p[0], &v, 1, 0)));
	printf("preadv on the write end: %s\n", res(preadv(p[1], &v, 1, 0)));
	printf("pwrite on the read end: %s\n", res(pwrite(p[0], buf, 1, 0)));
	printf("writev on the read end: %s\n", res(writev(p[0], &v, 1)));
	printf("write on the read end: %s", res(write(p[0], "x", 1)));
	printf(", read on the write end: %s\n", res(read(p[1], buf, 1)));
	printf("sync_file_range on a pipe: %s", res(sync_file_range(p[0], 0, 1, SYNC_FILE_RANGE_WRITE)));
	printf(", on a file %s\n", res(sync_file_range(fd, 0, 1, SYNC_FILE_RANGE_WRITE)));

	int m, s;
	openpty(&m, &s, NULL, NULL, NULL);
	struct termio tio;
	printf("TCGETA: %s", res(ioctl(s, TCGETA, &tio)));
	printf(", bad address %s", res(ioctl(s, TCGETA, (void *)-1)));
	printf(", NULL %s", res(ioctl(s, TCGETA, NULL)));
	printf(", on a file %s\n", res(ioctl(fd, TCGETA, &tio)));
	printf("TCSETA back: %s\n", res(ioctl(s, TCSETA, &tio)));
	unlink(path);

	pid_t pid = fork();
	if (pid == 0) {
		char *none[] = {NULL};
		syscall(SYS_execve, "/proc/self/exe", none, none);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	return 0;
}
