/* fcntl's file owner and signal: F_SETOWN with a process and a group,
 * F_SETOWN_EX and F_GETOWN_EX, F_SETSIG and F_GETSIG, shared by dup'ed
 * descriptors, and their errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int p[2];
	pipe(p);
	printf("F_GETOWN at first: %d\n", fcntl(p[0], F_GETOWN));
	long r = fcntl(p[0], F_SETOWN, getpid());
	printf("F_SETOWN self: %s, F_GETOWN is self: %d\n", en(r), fcntl(p[0], F_GETOWN) == getpid());
	int d = dup(p[0]);
	printf("dup shares the owner: %d\n", fcntl(d, F_GETOWN) == getpid());
	r = fcntl(p[0], F_SETOWN, -getpgrp());
	printf("F_SETOWN group: %s, F_GETOWN is -pgrp: %d\n", en(r), fcntl(p[0], F_GETOWN) == -getpgrp());
	struct f_owner_ex ex;
	fcntl(p[0], F_GETOWN_EX, &ex);
	printf("F_GETOWN_EX: type is PGRP %d, pid is pgrp %d\n", ex.type == F_OWNER_PGRP, ex.pid == getpgrp());
	ex.type = F_OWNER_TID;
	ex.pid = gettid();
	printf("F_SETOWN_EX tid: %s\n", en(fcntl(p[0], F_SETOWN_EX, &ex)));
	ex.type = 7;
	printf("F_SETOWN_EX bad type: %s\n", en(fcntl(p[0], F_SETOWN_EX, &ex)));
	printf("F_SETOWN missing pid: %s\n", en(fcntl(p[0], F_SETOWN, 0x3fffff0)));
	printf("F_GETOWN_EX bad pointer: %s\n", en(fcntl(p[0], F_GETOWN_EX, (void *)8)));
	printf("F_GETSIG: %d\n", fcntl(p[0], F_GETSIG));
	r = fcntl(p[0], F_SETSIG, SIGRTMIN);
	printf("F_SETSIG SIGRTMIN: %s, F_GETSIG is SIGRTMIN: %d\n", en(r), fcntl(p[0], F_GETSIG) == SIGRTMIN);
	printf("F_SETSIG 65: %s\n", en(fcntl(p[0], F_SETSIG, 65)));
	printf("done\n");
	return 0;
}
