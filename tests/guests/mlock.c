/* The mlock family: locked memory is accounted per process (VmLck in
 * /proc/self/status), limited by RLIMIT_MEMLOCK without CAP_IPC_LOCK, not
 * inherited across fork, and the errors for holes and bad flags. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static long vmlck(void) {
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p + 8 * 4096, 4096); /* a hole */
	printf("VmLck at start: %ld\n", vmlck());
	printf("mlock 3 pages from the middle of one: %s\n", en(mlock(p + 100, 2 * 4096)));
	printf("VmLck: %ld\n", vmlck());
	printf("mlock over a hole: %s\n", en(mlock(p + 8 * 4096, 2 * 4096)));
	printf("mlock2 bad flags: %s\n", en(mlock2(p, 4096, 8)));
	printf("mlock2 MLOCK_ONFAULT: %s\n", en(mlock2(p + 4 * 4096, 4096, MLOCK_ONFAULT)));
	printf("VmLck: %ld\n", vmlck());
	printf("munlock one: %s, VmLck %ld\n", en(munlock(p, 4096)), vmlck());
	printf("munlock over a hole: %s\n", en(munlock(p + 8 * 4096, 2 * 4096)));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child VmLck: %ld\n", vmlck());
		struct rlimit rl = {0, 0};
		setrlimit(RLIMIT_MEMLOCK, &rl);
		setuid(65534);
		printf("unprivileged, limit 0: %s\n", en(mlock(p, 4096)));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = {4096, 4096};
		setrlimit(RLIMIT_MEMLOCK, &rl);
		setuid(65534);
		printf("unprivileged, one page allowed: %s, then two more: %s\n", en(mlock(p, 4096)), en(mlock(p + 4096, 2 * 4096)));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	printf("mlockall 0: %s\n", en(mlockall(0)));
	printf("mlockall MCL_ONFAULT alone: %s\n", en(mlockall(MCL_ONFAULT)));
	printf("munlockall: %s, VmLck %ld\n", en(munlockall()), vmlck());
	printf("done\n");
	return 0;
}
