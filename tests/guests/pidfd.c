/* pidfds: pidfd_open and its errors, readiness when the process ends (for
 * poll and for a child that inherited the pidfd), waitid(P_PIDFD) with and
 * without PIDFD_NONBLOCK, pidfd_send_signal (from a pidfd and from a
 * /proc/<pid> directory), pidfd_getfd, CLONE_PIDFD; and kill's permission
 * check between processes of different users. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "result.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

static int pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags) {
	return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}
static int pidfd_getfd(int fd, int target, unsigned flags) { return syscall(SYS_pidfd_getfd, fd, target, flags); }

static int readable(int fd, int ms) {
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int n = poll(&p, 1, ms);
	return n == 1 && (p.revents & POLLIN);
}

static volatile int usr1;
static void on_usr1(int sig, siginfo_t *si, void *uc) { usr1 = si->si_value.sival_int; }

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int self = pidfd_open(getpid(), 0);
	char link[64] = "", path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", self);
	ssize_t n = readlink(path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	printf("self: fd ok %d, cloexec %d, flags O_RDWR %d, link %s, readable %d\n", self >= 0,
	       fcntl(self, F_GETFD) == FD_CLOEXEC, (fcntl(self, F_GETFL) & O_ACCMODE) == O_RDWR, link, readable(self, 0));
	printf("bad flags: %s\n", res(pidfd_open(getpid(), 1)));
	printf("pid 0: %s\n", res(pidfd_open(0, 0)));
	printf("no such pid: %s\n", res(pidfd_open(4000000, 0)));
	char buf[8];
	printf("read: %s\n", res(read(self, buf, sizeof buf)));

	/* A child's end makes its pidfd readable, here and in a child that
	 * inherited it; waitid(P_PIDFD) reaps it. */
	int go[2];
	pipe(go);
	pid_t a = fork();
	if (a == 0) {
		read(go[0], buf, 1);
		_exit(7);
	}
	int fa = pidfd_open(a, PIDFD_NONBLOCK);
	printf("child running: readable %d\n", readable(fa, 50));
	siginfo_t si = {0};
	printf("nonblocking waitid: %s\n", res(waitid(P_PIDFD, fa, &si, WEXITED)));
	pid_t b = fork();
	if (b == 0) {
		int r = readable(fa, 10000);
		printf("grandchild: inherited pidfd readable %d\n", r);
		_exit(0);
	}
	write(go[1], "x", 1);
	int ended = readable(fa, 10000);
	waitpid(b, NULL, 0); /* the grandchild prints first */
	printf("child ended: readable %d\n", ended);
	memset(&si, 0, sizeof si);
	int r = -1;
	for (int i = 0; i < 100 && r != 0; i++)
		r = waitid(P_PIDFD, fa, &si, WEXITED);
	printf("waitid: %d, same pid %d, code CLD_EXITED %d, status %d\n", r, si.si_pid == a, si.si_code == CLD_EXITED, si.si_status);
	printf("still readable %d; pidfd_open after the reap: %s\n", readable(fa, 0), res(pidfd_open(a, 0)));
	printf("signal after the reap: %s\n", res(pidfd_send_signal(fa, SIGTERM, NULL, 0)));
	close(fa);

	/* pidfd_send_signal. */
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		pause();
		_exit(0);
	}
	setpgid(c, c);
	int fc = pidfd_open(c, 0);
	printf("send with unknown flags: %s\n", res(pidfd_send_signal(fc, SIGTERM, NULL, 8)));
	printf("send with two flags: %s\n", res(pidfd_send_signal(fc, SIGTERM, NULL, 3)));
	printf("send on a pipe: %s\n", res(pidfd_send_signal(go[0], SIGTERM, NULL, 0)));
	siginfo_t qi = {.si_signo = SIGUSR1, .si_code = SI_QUEUE};
	printf("send with another signal's info: %s\n", res(pidfd_send_signal(fc, SIGTERM, &qi, 0)));
	qi.si_signo = SIGTERM;
	qi.si_code = 0;
	printf("send a kernel si_code to another process: %s\n", res(pidfd_send_signal(fc, SIGTERM, &qi, 0)));
	printf("send SIGTERM to the process group: %s\n", res(pidfd_send_signal(fc, SIGTERM, NULL, 4)));
	int st;
	waitpid(c, &st, 0);
	printf("child killed by %s\n", WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : "nothing");
	close(fc);

	struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO};
	sigaction(SIGUSR1, &sa, NULL);
	int procself = open("/proc/self", O_DIRECTORY);
	qi = (siginfo_t){.si_signo = SIGUSR1, .si_code = SI_QUEUE};
	qi.si_value.sival_int = 42;
	printf("send to /proc/self: %s", res(pidfd_send_signal(procself, SIGUSR1, &qi, 0)));
	printf(", handler saw %d\n", usr1);
	close(procself);

	/* pidfd_getfd: the child's pipe end, used from here. */
	int p1[2], p2[2];
	pipe(p1);
	pipe(p2);
	pid_t d = fork();
	if (d == 0) {
		int w = dup(p2[1]);
		write(p1[1], &w, sizeof w);
		read(go[0], buf, 1);
		_exit(0);
	}
	int w;
	read(p1[0], &w, sizeof w);
	int fd = pidfd_open(d, 0);
	int got = pidfd_getfd(fd, w, 0);
	printf("getfd: ok %d, cloexec %d\n", got >= 0, fcntl(got, F_GETFD) == FD_CLOEXEC);
	write(got, "hi", 2);
	char in[3] = "";
	read(p2[0], in, 2);
	printf("through it: %s\n", in);
	printf("getfd of a closed fd: %s\n", res(pidfd_getfd(fd, 999, 0)));
	printf("getfd with flags: %s\n", res(pidfd_getfd(fd, w, 1)));
	printf("getfd on a pipe: %s\n", res(pidfd_getfd(p1[0], w, 0)));
	write(go[1], "x", 1);
	waitpid(d, NULL, 0);
	close(fd);

	/* CLONE_PIDFD. */
	int cfd = -1;
	long e = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &cfd, 0, 0);
	if (e == 0)
		_exit(3);
	printf("CLONE_PIDFD: got fd %d, readable in time %d\n", cfd >= 0, readable(cfd, 10000));
	waitpid(e, &st, 0);
	printf("CLONE_PIDFD|CLONE_PARENT_SETTID: %s\n", res(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &cfd, 0, 0)));
	/* An unwritable pidfd address fails the clone: no child runs. */
	e = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, (void *)8, 0, 0);
	if (e == 0)
		_exit(9);
	printf("CLONE_PIDFD to a bad address: %s", res(e));
	printf(", children left: %s\n", res(wait(NULL)));
	printf("CLONE_NEWNS|CLONE_FS: %s\n", res(syscall(SYS_clone, CLONE_NEWNS | CLONE_FS | SIGCHLD, 0, 0, 0, 0)));

	/* kill between users. */
	pid_t parent = getpid();
	pid_t u = fork();
	if (u == 0) {
		setgid(65534);
		setuid(65534);
		printf("nobody: kill(root parent, 0) %s", res(kill(parent, 0)));
		printf(", SIGUSR2 %s", res(kill(parent, SIGUSR2)));
		printf(", SIGCONT in the session %s", res(kill(parent, SIGCONT)));
		printf(", self %s\n", res(kill(getpid(), 0)));
		_exit(0);
	}
	waitpid(u, NULL, 0);
	return 0;
}
