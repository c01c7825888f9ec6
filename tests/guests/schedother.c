/* Scheduling calls that name another process: a parent reads and changes
 * its child's policy, priority and nice value, queues it a signal with
 * rt_sigqueueinfo, and gets ESRCH for a pid nobody has; waitpid(INT_MIN)
 * is ESRCH. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static volatile sig_atomic_t got, value;
static void on_usr1(int sig, siginfo_t *si, void *uc) {
	got = 1;
	value = si->si_value.sival_int;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int p[2];
	pipe(p);
	struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART};
	sigaction(SIGUSR1, &sa, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		read(p[0], &c, 1);
		printf("child: nice %d, got the queued signal %d with value %d\n", getpriority(PRIO_PROCESS, 0), got, value);
		_exit(0);
	}
	close(p[0]);
	struct sched_param sp;
	errno = 0;
	long r = sched_getparam(pid, &sp);
	printf("sched_getparam(child): %s prio %d\n", en(r), sp.sched_priority);
	printf("sched_getscheduler(child): %d\n", sched_getscheduler(pid));
	sp.sched_priority = 10;
	r = sched_setscheduler(pid, SCHED_FIFO, &sp);
	printf("sched_setscheduler(child, FIFO 10): %s, now %d\n", en(r), sched_getscheduler(pid));
	sched_getparam(pid, &sp);
	printf("child's priority: %d\n", sp.sched_priority);
	sp.sched_priority = 0;
	sched_setscheduler(pid, SCHED_OTHER, &sp);
	errno = 0;
	r = getpriority(PRIO_PROCESS, pid);
	printf("getpriority(child): %ld %s\n", r, strerrorname_np(errno));
	printf("setpriority(child, 5): %s\n", en(setpriority(PRIO_PROCESS, pid, 5)));
	siginfo_t si = {.si_code = SI_QUEUE, .si_pid = getpid(), .si_uid = getuid()};
	si.si_value.sival_int = 42;
	printf("rt_sigqueueinfo(child): %s\n", en(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &si)));
	write(p[1], "x", 1);
	waitpid(pid, NULL, 0);
	printf("sched_getparam(nobody's pid): %s\n", en(sched_getparam(0x3ffff0, &sp)));
	printf("setpriority(nobody's pid): %s\n", en(setpriority(PRIO_PROCESS, 0x3ffff0, 1)));
	printf("waitpid(INT_MIN): %s\n", en(waitpid(INT_MIN, NULL, 0)));
	return 0;
}
