/* RLIMIT_FSIZE: a write that would pass the limit is cut short, one that
 * starts at it fails with EFBIG and raises SIGXFSZ (ignored here, then
 * fatal in a child). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

/* Output is kept until the limit is lifted: it would apply to stdout too. */
static char out[4096];
#define say(...) snprintf(out + strlen(out), sizeof out - strlen(out), __VA_ARGS__)
static volatile sig_atomic_t xfsz;
static void on_xfsz(int sig) { xfsz++; }

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char path[] = "/tmp/gophene-fsize-XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	signal(SIGXFSZ, on_xfsz);
	struct rlimit rl = {100, RLIM_INFINITY};
	setrlimit(RLIMIT_FSIZE, &rl);
	char buf[64];
	memset(buf, 'x', sizeof buf);
	long r = write(fd, buf, 64);
	say("first 64: %ld\n", r);
	r = write(fd, buf, 64);
	say("next 64, limit 100: %ld\n", r);
	r = write(fd, buf, 1);
	say("at the limit: %s, SIGXFSZ %d\n", en(r), xfsz);
	r = pwrite(fd, buf, 10, 95);
	say("pwrite across it: %ld\n", r);
	r = pwrite(fd, buf, 10, 200);
	say("pwrite past it: %s, SIGXFSZ %d\n", en(r), xfsz);
	rl.rlim_cur = RLIM_INFINITY;
	setrlimit(RLIMIT_FSIZE, &rl);
	fputs(out, stdout);
	rl.rlim_cur = 100;
	setrlimit(RLIMIT_FSIZE, &rl);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGXFSZ, SIG_DFL);
		write(fd, buf, 1);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	rl.rlim_cur = RLIM_INFINITY;
	setrlimit(RLIMIT_FSIZE, &rl);
	printf("child with the default action: %s\n", WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : "exited");
	return 0;
}
