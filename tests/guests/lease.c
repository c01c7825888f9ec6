/* File leases: F_SETLEASE/F_GETLEASE, conflicts (EAGAIN), the owner's
 * signal when another process opens the file (SIGIO, or the F_SETSIG
 * signal with si_fd), the opener waiting until the lease is given up, and
 * EACCES for a file the caller does not own. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "result.h"

static const char *lname(int t) { return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?"; }

/* breakLease has a child open path with flags while the parent holds a
 * lease on fd; the parent waits for sig, reports it, and gives up the
 * lease; the child reports its open. */
static void breakLease(const char *path, int fd, int sig, int flags, const char *what) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int o = open(path, flags);
		printf("  child: open for %s: %s\n", what, o >= 0 ? "ok" : res(o));
		_exit(0);
	}
	struct timespec ts = {10, 0};
	siginfo_t si;
	int got = sigtimedwait(&set, &si, &ts);
	printf("  holder: got the signal %d, si_fd is the fd %d", got == sig, sig != SIGIO ? si.si_fd == fd : 1);
	printf(", lease now %s\n", lname(fcntl(fd, F_GETLEASE)));
	fflush(stdout);
	fcntl(fd, F_SETLEASE, F_UNLCK);
	waitpid(pid, NULL, 0);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char path[] = "/tmp/lease-XXXXXX";
	int w = mkstemp(path);
	write(w, "data", 4);
	fchmod(w, 0644);
	close(w);

	int r = open(path, O_RDONLY);
	printf("F_GETLEASE at first: %s\n", lname(fcntl(r, F_GETLEASE)));
	printf("read lease on O_RDONLY: %s", res(fcntl(r, F_SETLEASE, F_RDLCK)));
	printf(", now %s\n", lname(fcntl(r, F_GETLEASE)));
	printf("bad type: %s\n", res(fcntl(r, F_SETLEASE, 42)));
	int r2 = open(path, O_RDONLY);
	printf("write lease while a read fd is open elsewhere: %s\n", res(fcntl(r, F_SETLEASE, F_WRLCK)));
	close(r2);
	fcntl(r, F_SETLEASE, F_UNLCK);
	int rw = open(path, O_RDWR);
	printf("read lease on O_RDWR: %s\n", res(fcntl(rw, F_SETLEASE, F_RDLCK)));
	close(rw);
	int pfd[2];
	pipe(pfd);
	printf("lease on a pipe: %s\n", res(fcntl(pfd[0], F_SETLEASE, F_RDLCK)));

	printf("write lease, broken by a read open (SIGIO):\n");
	printf("  set: %s\n", res(fcntl(r, F_SETLEASE, F_WRLCK)));
	breakLease(path, r, SIGIO, O_RDONLY, "reading");

	printf("read lease, broken by a write open (F_SETSIG SIGRTMIN+1):\n");
	fcntl(r, F_SETSIG, SIGRTMIN + 1);
	printf("  set: %s\n", res(fcntl(r, F_SETLEASE, F_RDLCK)));
	breakLease(path, r, SIGRTMIN + 1, O_WRONLY, "writing");

	fcntl(r, F_SETSIG, 0);
	fcntl(r, F_SETLEASE, F_RDLCK);
	signal(SIGIO, SIG_IGN);
	pid_t pid = fork();
	if (pid == 0) {
		printf("non-blocking open of a leased file: %s\n", res(open(path, O_WRONLY | O_NONBLOCK)));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	fcntl(r, F_SETLEASE, F_UNLCK);

	pid = fork();
	if (pid == 0) {
		setuid(65534);
		int o = open(path, O_RDONLY);
		printf("lease by a non-owner: %s\n", res(fcntl(o, F_SETLEASE, F_RDLCK)));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	unlink(path);
	return 0;
}
