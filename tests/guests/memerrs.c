/* Memory and signal calls' answers in corner cases: the descriptor checked
 * first by mmap, mprotect of a read-only shared mapping, msync and
 * madvise on locked memory, residency after mlock and MAP_LOCKED,
 * SA_RESETHAND keeping the other flags, tgkill's tgid check, and timers
 * made with SIGEV_THREAD or set without a value. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "result.h"

static const char *mres(void *p) { return p == MAP_FAILED ? res(-1) : "ok"; }

static int resident(void *p, size_t len) {
	unsigned char v[64];
	if (mincore(p, len, v) < 0)
		return -1;
	int n = 0;
	for (size_t i = 0; i < len / 4096; i++)
		n += v[i] & 1;
	return n;
}

static long vmlck(void) {
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmLck: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static volatile int hits;
static void on_usr1(int sig, siginfo_t *si, void *uc) { hits++; }

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char path[] = "/tmp/memerrs-XXXXXX";
	int fd = mkstemp(path);
	ftruncate(fd, 8 * 4096);
	close(fd);
	printf("mmap of a closed fd, length 0: %s\n", mres(mmap(NULL, 0, PROT_WRITE, MAP_SHARED, fd, 0)));

	int zero = open("/dev/zero", O_RDONLY);
	void *z = mmap(NULL, 4096, PROT_READ, MAP_SHARED, zero, 0);
	printf("shared /dev/zero read-only: %s", mres(z));
	printf(", mprotect write %s", res(mprotect(z, 4096, PROT_READ | PROT_WRITE)));
	printf(", exec %s\n", res(mprotect(z, 4096, PROT_READ | PROT_EXEC)));
	int ro = open(path, O_RDONLY);
	void *f = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
	printf("shared file opened read-only: mprotect write %s", res(mprotect(f, 4096, PROT_READ | PROT_WRITE)));
	void *fp = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, ro, 0);
	printf(", private mapping %s\n", res(mprotect(fp, 4096, PROT_READ | PROT_WRITE)));
	printf("MADV_FREE on a file mapping: %s\n", res(madvise(fp, 4096, MADV_FREE)));

	char *a = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("untouched anonymous pages resident: %d\n", resident(a, 8 * 4096));
	printf("mlock 3 pages: %s", res(mlock(a, 3 * 4096)));
	printf(", resident %d", resident(a, 8 * 4096));
	printf(", VmLck %ld kB\n", vmlck());
	printf("msync MS_INVALIDATE on locked: %s", res(msync(a, 4096, MS_INVALIDATE)));
	printf(", MS_SYNC %s\n", res(msync(a, 4096, MS_SYNC)));
	printf("MADV_DONTNEED on locked: %s", res(madvise(a, 4096, MADV_DONTNEED)));
	printf(", on unlocked %s\n", res(madvise(a + 4 * 4096, 4096, MADV_DONTNEED)));
	munlock(a, 3 * 4096);
	printf("after munlock: MADV_FREE %s\n", res(madvise(a, 4096, MADV_FREE)));
	char *b = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	printf("MAP_LOCKED 4 pages: resident %d", resident(b, 4 * 4096));
	printf(", VmLck %ld kB\n", vmlck());
	char *c = mmap(NULL, 2 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	printf("MAP_POPULATE read-only 2 pages: resident %d\n", resident(c, 2 * 4096));

	struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESETHAND | SA_RESTART}, old;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	sigaction(SIGUSR1, NULL, &old);
	printf("SA_RESETHAND after one signal: handler default %d, SA_SIGINFO kept %d, SA_RESTART kept %d, SA_RESETHAND kept %d\n",
	       old.sa_handler == SIG_DFL, !!(old.sa_flags & SA_SIGINFO), !!(old.sa_flags & SA_RESTART), !!(old.sa_flags & SA_RESETHAND));
	printf("tgkill tgid -1: %s", res(syscall(SYS_tgkill, -1, gettid(), 0)));
	printf(", tgid 0: %s\n", res(syscall(SYS_tgkill, 0, gettid(), 0)));

	struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_signo = SIGUSR2};
	int id;
	printf("timer_create SIGEV_THREAD (raw): %s\n", res(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id)));
	ev.sigev_notify = 3;
	printf("timer_create notify 3: %s\n", res(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id)));
	timer_t t;
	timer_create(CLOCK_MONOTONIC, NULL, &t);
	printf("timer_settime without a value: %s\n", res(syscall(SYS_timer_settime, t, 0, NULL, NULL)));
	unlink(path);
	return 0;
}
