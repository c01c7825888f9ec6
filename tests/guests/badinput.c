/* Single system calls with arguments that once crashed the whole LibOS:
 * each must give Linux's answer and leave the process running. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "result.h"

static volatile int chld;
static void on_chld(int sig) { chld++; }

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* clone with an exit signal that is no signal: the child's end sends
	 * nothing, and only __WALL/__WCLONE waits see the child. */
	signal(SIGCHLD, on_chld);
	long pid = syscall(SYS_clone, 0xff, 0, 0, 0, 0);
	if (pid == 0)
		_exit(3);
	int status = 0;
	usleep(100000);
	printf("clone exit signal 0xff: plain wait %s\n", res(waitpid(pid, &status, WNOHANG)));
	long w = waitpid(pid, &status, __WALL);
	printf("__WALL wait: same pid %d, exit %d, SIGCHLD seen %d\n", w == pid, WEXITSTATUS(status), chld);

	/* NUMA policies with huge or wrapping maxnode (an empty mask and the
	 * default policy, whose answer does not depend on the host's nodes). */
	static unsigned long mask[4096 / 8 + 8]; /* get_mempolicy writes up to a page */
	int mode;
	static char page[4096] __attribute__((aligned(4096)));
	unsigned long sizes[] = {0, 1, 2, 65, 4096 * 8 + 1, 4096 * 8 + 2, 1UL << 40, UINT64_MAX, UINT64_MAX - 62};
	for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		unsigned long n = sizes[i];
		printf("maxnode %lu: get_mempolicy %s", n, res(syscall(SYS_get_mempolicy, &mode, mask, n, 0, 0)));
		printf(", set_mempolicy %s", res(syscall(SYS_set_mempolicy, 0, mask, n)));
		printf(", mbind %s\n", res(syscall(SYS_mbind, page, 4096, 0, mask, n, 0)));
	}
	printf("set_mempolicy bad mode: %s\n", res(syscall(SYS_set_mempolicy, 99, mask, 1UL << 40)));

	/* EFLAGS.AC set, then a system call. The red zone below the stack
	 * pointer is stepped over before pushing. (A signal handler run with
	 * AC set crashes natively at random, so none is tried.) */
	long r;
	unsigned long flags;
	__asm__ volatile("sub $128, %%rsp; pushf; orl $0x40000, (%%rsp); popf; mov $39, %%eax; syscall; mov %%rax, %0;"
	                 "pushf; pop %1;"
	                 "pushf; andl $~0x40000, (%%rsp); popf; add $128, %%rsp"
	                 : "=&r"(r), "=&r"(flags) : : "rax", "rcx", "r11", "memory", "cc");
	printf("getpid with EFLAGS.AC set: same %d, AC kept %d\n", r == getpid(), (flags & 0x40000) != 0);
	return 0;
}
