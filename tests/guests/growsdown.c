/* MAP_GROWSDOWN areas grow when an access faults below them, but not into
 * the guard gap above another mapping. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>
int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	size_t res = 4 << 20;
	char *base = mmap(NULL, res, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(base, res);
	char *top = base + res;
	char *g = mmap(top - 2 * 4096, 2 * 4096, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
	printf("mapped: %d\n", g == top - 2 * 4096);
	pid_t pid = fork();
	if (pid == 0) {
		g[-4096 * 3] = 1; /* three pages below */
		printf("plain access below grew it: %d\n", g[-4096 * 3]);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child: %s\n", WIFSIGNALED(st) ? "killed" : "exited");
	/* Close to another mapping: no growth into the guard gap. */
	char *below = mmap(top - 2 * 4096 - 10 * 4096, 4096, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid = fork();
	if (pid == 0) {
		g[-4096] = 1;
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("near another mapping: %s %s\n", WIFSIGNALED(st) ? "killed by" : "exited", WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : "");
	return below == MAP_FAILED;
}
