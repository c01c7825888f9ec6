/* Pins itself to CPU 0 with sched_setaffinity, reads the mask back with
 * sched_getaffinity, checks with getcpu that it really runs on CPU 0, then
 * waits for a byte on stdin so that a test can look at the host thread. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0) {
		printf("sched_setaffinity: %s\n", strerror(errno));
		return 1;
	}
	cpu_set_t got;
	CPU_ZERO(&got);
	if (sched_getaffinity(0, sizeof got, &got) != 0) {
		printf("sched_getaffinity: %s\n", strerror(errno));
		return 1;
	}
	printf("mask: count=%d cpu0=%d\n", CPU_COUNT(&got), CPU_ISSET(0, &got));
	int elsewhere = 0;
	for (int i = 0; i < 2000; i++) {
		if (sched_getcpu() != 0)
			elsewhere++;
		sched_yield();
	}
	printf("samples not on cpu 0: %d\n", elsewhere);
	/* Bad arguments give the errors Linux gives. */
	errno = 0;
	printf("getaffinity(size 3): %d %s\n", sched_getaffinity(0, 3, &got), strerrorname_np(errno));
	errno = 0;
	printf("setaffinity(bad pointer): %d %s\n", sched_setaffinity(0, sizeof set, (cpu_set_t *)8), strerrorname_np(errno));
	CPU_ZERO(&set);
	errno = 0;
	printf("setaffinity(empty): %d %s\n", sched_setaffinity(0, sizeof set, &set), strerrorname_np(errno));
	printf("ready\n");
	fflush(stdout);
	char c;
	read(0, &c, 1);
	return 0;
}
