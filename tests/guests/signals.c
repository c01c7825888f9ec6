/* Signal behaviour, case by case; each case prints what it observes (codes,
 * errno names, counts) so a difference from native explains itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile sig_atomic_t count, last_code, depth, maxdepth;
static void *volatile last_addr;
static volatile int last_value;
static int pipefd[2];

static void on(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void record(int sig, siginfo_t *si, void *uc) {
	count++;
	last_code = si->si_code;
	last_addr = si->si_addr;
	last_value = si->si_value.sival_int;
}

static void jump(int sig, siginfo_t *si, void *uc) {
	last_code = si->si_code;
	last_addr = si->si_addr;
	siglongjmp(jb, sig);
}

static void test_kill_codes(void) {
	on(SIGUSR1, record, 0);
	kill(getpid(), SIGUSR1);
	printf("kill: count=%d code=%d\n", count, last_code);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
	printf("tgkill: count=%d code=%d\n", count, last_code);
	union sigval v = {.sival_int = 42};
	sigqueue(getpid(), SIGUSR1, v);
	printf("sigqueue: count=%d code=%d value=%d\n", count, last_code, last_value);
}

static void test_faults(void) {
	on(SIGSEGV, jump, 0);
	if (sigsetjmp(jb, 1) == 0)
		*(volatile int *)0x1000 = 1;
	printf("segv: code=%d addr=%p\n", last_code, last_addr);
	/* A hole between mappings: SEGV_MAPERR; a read-only page: SEGV_ACCERR. */
	char *hole = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole + 4096, 4096);
	if (sigsetjmp(jb, 1) == 0)
		(void)*(volatile char *)(hole + 4096);
	printf("segv in a hole: code=%d at-hole=%d\n", last_code, last_addr == hole + 4096);
	if (sigsetjmp(jb, 1) == 0)
		*(volatile char *)hole = 1;
	printf("segv on read-only: code=%d at-page=%d\n", last_code, last_addr == hole);
	munmap(hole, 3 * 4096);
	on(SIGFPE, jump, 0);
	if (sigsetjmp(jb, 1) == 0) {
		int a = 1, b = 0, c;
		__asm__ volatile("cltd; idivl %2" : "=a"(c) : "a"(a), "r"(b) : "edx");
		printf("no fpe %d\n", c);
	}
	printf("fpe: code=%d (FPE_INTDIV=%d)\n", last_code, FPE_INTDIV);
	on(SIGILL, jump, 0);
	void *here;
	if (sigsetjmp(jb, 1) == 0) {
		__asm__ volatile("lea 0(%%rip), %0; ud2" : "=r"(here));
	}
	printf("ill: code=%d at-ud2=%d\n", last_code, last_addr == here);
	on(SIGTRAP, record, 0);
	count = 0;
	__asm__ volatile("int3");
	printf("trap: count=%d code=%d (SI_KERNEL=%d) continued\n", count, last_code, SI_KERNEL);
	/* SIGBUS: touch a mapping past the end of its file. */
	char name[] = "/tmp/gophene-sigbus-XXXXXX";
	int fd = mkstemp(name);
	unlink(name);
	ftruncate(fd, 4096);
	char *p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	on(SIGBUS, jump, 0);
	if (sigsetjmp(jb, 1) == 0)
		(void)*(volatile char *)(p + 4096);
	printf("bus: code=%d (BUS_ADRERR=%d) offset=%ld\n", last_code, BUS_ADRERR, (char *)last_addr - p);
	munmap(p, 8192);
	close(fd);
}

static void nested2(int sig, siginfo_t *si, void *uc) {
	printf("  in SIGUSR2 handler, depth %d\n", depth + 1);
}

static void nested1(int sig, siginfo_t *si, void *uc) {
	depth++;
	if (depth > maxdepth)
		maxdepth = depth;
	static int again;
	printf("  in SIGUSR1 handler, depth %d\n", depth);
	if (!again++)
		raise(SIGUSR1); /* held back until we return: no SA_NODEFER */
	raise(SIGUSR2);
	depth--;
}

static void nodefer(int sig, siginfo_t *si, void *uc) {
	depth++;
	if (depth > maxdepth)
		maxdepth = depth;
	if (depth < 3)
		raise(SIGUSR1);
	depth--;
}

static void test_nesting(void) {
	on(SIGUSR1, nested1, 0);
	on(SIGUSR2, nested2, 0);
	raise(SIGUSR1);
	printf("nested: maxdepth=%d\n", maxdepth);
	maxdepth = 0;
	on(SIGUSR1, nodefer, SA_NODEFER);
	raise(SIGUSR1);
	printf("nodefer: maxdepth=%d\n", maxdepth);
	on(SIGUSR1, record, SA_RESETHAND);
	raise(SIGUSR1);
	struct sigaction old;
	sigaction(SIGUSR1, NULL, &old);
	printf("resethand: now default=%d\n", old.sa_handler == SIG_DFL);
	struct sigaction sa = {0};
	sa.sa_handler = SIG_IGN;
	int r = sigaction(SIGKILL, &sa, NULL);
	printf("sigaction(SIGKILL): %d %s\n", r, strerrorname_np(errno));
}

static char altstack[64 * 1024];

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(int n) {
	volatile char buf[1024];
	buf[0] = n;
	return recurse(n + 1) + buf[0];
}

static void overflow(int sig, siginfo_t *si, void *uc) {
	stack_t ss;
	sigaltstack(NULL, &ss);
	last_code = (ss.ss_flags & SS_ONSTACK) != 0;
	siglongjmp(jb, 1);
}

static void test_altstack(void) {
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
	sigaltstack(&ss, NULL);
	on(SIGSEGV, overflow, SA_ONSTACK);
	if (sigsetjmp(jb, 1) == 0)
		recurse(0);
	printf("altstack: overflow handled on the alternate stack=%d\n", last_code);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
}

static void alarm_writes(int sig, siginfo_t *si, void *uc) {
	count++;
	char c = 'x';
	write(pipefd[1], &c, 1);
}

static void arm(int usec) {
	struct itimerval it = {.it_value = {.tv_usec = usec}};
	setitimer(ITIMER_REAL, &it, NULL);
}

/* alarm_when_asleep has a child send the parent SIGALRM once /proc shows
 * the parent asleep (in the read that follows), so that however loaded
 * the machine, the signal comes during the read and not before it. */
static pid_t alarm_when_asleep(void) {
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", parent);
	for (int i = 0; i < 5000; i++) {
		int fd = open(path, O_RDONLY);
		int n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		char *p = strrchr(buf, ')');
		if (p && p[2] == 'S')
			break;
		usleep(1000);
	}
	usleep(20000);
	kill(parent, SIGALRM);
	_exit(0);
}

static void test_restart(void) {
	pipe(pipefd);
	char c;
	on(SIGALRM, alarm_writes, 0);
	fflush(stdout);
	pid_t pid = alarm_when_asleep();
	errno = 0;
	ssize_t n = read(pipefd[0], &c, 1);
	printf("read without SA_RESTART: %zd %s\n", n, strerrorname_np(errno));
	waitpid(pid, NULL, 0);
	/* Drain the handler's byte, never waiting for one. */
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	read(pipefd[0], &c, 1);
	fcntl(pipefd[0], F_SETFL, 0);
	on(SIGALRM, alarm_writes, SA_RESTART);
	fflush(stdout);
	pid = alarm_when_asleep();
	errno = 0;
	n = read(pipefd[0], &c, 1);
	printf("read with SA_RESTART: %zd %c %s\n", n, c, strerrorname_np(errno));
	waitpid(pid, NULL, 0);
}

static volatile sig_atomic_t ticks;
static void tick(int sig, siginfo_t *si, void *uc) { ticks++; }

/* A wait restarted again and again (SA_RESTART, a 2 ms interval timer)
 * runs its syscall instruction anew each time: under Gophene that
 * instruction may sit right after a rewritten call site (glibc's wait4 is
 * "mov $61,%eax; syscall"), and must never be rewritten itself. */
static void test_restart_many(void) {
	on(SIGALRM, tick, SA_RESTART);
	for (int round = 0; round < 3; round++) {
		/* The child's 60 ms start once the timer runs (a first fork may
		 * return to the parent late). */
		int go[2];
		pipe(go);
		pid_t pid = fork();
		if (pid == 0) {
			char c;
			close(go[1]);
			read(go[0], &c, 1);
			usleep(60000);
			_exit(round);
		}
		close(go[0]);
		ticks = 0;
		struct itimerval it = {{0, 2000}, {0, 2000}};
		setitimer(ITIMER_REAL, &it, NULL);
		close(go[1]);
		int st;
		pid_t r = waitpid(pid, &st, 0);
		struct itimerval off = {{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &off, NULL);
		printf("wait restarted over and over: right pid %d, exit %d, interrupted more than 5 times: %d\n",
		       r == pid, WEXITSTATUS(st), ticks > 5);
	}
	signal(SIGALRM, SIG_DFL);
	/* The syscall instructions of wait4 are all still there (Gophene may
	 * rewrite what comes before one, never the instruction itself). */
	const unsigned char *code = (const unsigned char *)(uintptr_t)wait4;
	int syscalls = 0;
	for (int i = 0; i + 1 < 128; i++)
		syscalls += code[i] == 0x0f && code[i + 1] == 0x05;
	printf("syscall instructions in wait4: %d\n", syscalls);
	/* Plain waits after, through whatever the site became. */
	for (int i = 0; i < 3; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(7);
		int st;
		pid_t r = waitpid(pid, &st, 0);
		printf("plain wait: right pid %d, exit %d\n", r == pid, WEXITSTATUS(st));
	}
}

static void test_sigsuspend(void) {
	sigset_t block, old, empty, now;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	on(SIGALRM, record, 0);
	count = 0;
	arm(20000);
	sigemptyset(&empty);
	errno = 0;
	int r = sigsuspend(&empty);
	sigprocmask(SIG_BLOCK, NULL, &now);
	printf("sigsuspend: %d %s count=%d alrm-still-blocked=%d\n", r, strerrorname_np(errno), count,
	       sigismember(&now, SIGALRM));
	/* pending and sigtimedwait */
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, NULL);
	raise(SIGUSR2);
	sigset_t pend;
	sigpending(&pend);
	printf("sigpending: usr2=%d\n", sigismember(&pend, SIGUSR2));
	siginfo_t si;
	sigset_t want;
	sigemptyset(&want);
	sigaddset(&want, SIGUSR2);
	int s = sigtimedwait(&want, &si, NULL);
	printf("sigtimedwait: %d code=%d\n", s, si.si_code);
	struct timespec ts = {0, 10000000};
	errno = 0;
	s = sigtimedwait(&want, &si, &ts);
	printf("sigtimedwait timeout: %d %s\n", s, strerrorname_np(errno));
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_posix_timer(void) {
	on(SIGRTMIN, record, 0);
	count = 0;
	timer_t id;
	struct sigevent ev = {0};
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_value.sival_int = 77;
	ev._sigev_un._tid = syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &ev, &id) != 0) {
		printf("timer_create: %s\n", strerrorname_np(errno));
		return;
	}
	struct itimerspec its = {.it_interval = {0, 5000000}, .it_value = {0, 5000000}};
	timer_settime(id, 0, &its, NULL);
	while (count < 3)
		pause();
	timer_delete(id);
	printf("timer: 3 signals, code=%d (SI_TIMER=%d) value=%d\n", last_code, SI_TIMER, last_value);
	int r = timer_delete(id);
	printf("timer_delete again: %d %s\n", r, strerrorname_np(errno));
}

static void test_timerfd(void) {
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = {.it_interval = {0, 3000000}, .it_value = {0, 3000000}};
	timerfd_settime(fd, 0, &its, NULL);
	uint64_t total = 0, n;
	for (int i = 0; i < 3; i++) {
		if (read(fd, &n, 8) == 8)
			total += n;
	}
	printf("timerfd: at least 3 expiries=%d\n", total >= 3);
	its = (struct itimerspec){0};
	timerfd_settime(fd, 0, &its, NULL);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	ssize_t r = read(fd, &n, 8);
	printf("timerfd disarmed read: %zd %s\n", r, strerrorname_np(errno));
	close(fd);
}

static void test_signalfd(void) {
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	int fd = signalfd(-1, &m, 0);
	kill(getpid(), SIGUSR1);
	raise(SIGUSR2);
	for (int i = 0; i < 2; i++) {
		struct signalfd_siginfo si;
		ssize_t r = read(fd, &si, sizeof si);
		printf("signalfd: %zd signo=%u code=%d pid-ok=%d\n", r, si.ssi_signo, si.ssi_code,
		       si.ssi_pid == (uint32_t)getpid());
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	struct signalfd_siginfo si;
	ssize_t r = read(fd, &si, sizeof si);
	printf("signalfd empty: %zd %s\n", r, strerrorname_np(errno));
	close(fd);
	sigprocmask(SIG_UNBLOCK, &m, NULL);
}

static void prof(int sig, siginfo_t *si, void *uc) { count++; }

static void test_itimer_prof(void) {
	on(SIGPROF, prof, SA_RESTART);
	count = 0;
	struct itimerval it = {.it_interval = {0, 10000}, .it_value = {0, 10000}};
	setitimer(ITIMER_PROF, &it, NULL);
	volatile unsigned long x = 0;
	while (count < 3)
		x++;
	it = (struct itimerval){0};
	setitimer(ITIMER_PROF, &it, NULL);
	struct itimerval cur;
	getitimer(ITIMER_PROF, &cur);
	printf("itimer_prof: 3 ticks of CPU time, now disarmed=%d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);
}

static void *victim(void *arg) {
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &m, NULL);
	pause();
	return (void *)(long)syscall(SYS_gettid);
}

static volatile long handled_by;

static void whoami(int sig, siginfo_t *si, void *uc) { handled_by = syscall(SYS_gettid); }

static void test_thread_target(void) {
	/* A process-directed signal goes to the one thread that does not block it. */
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, NULL);
	on(SIGUSR1, whoami, 0);
	pthread_t th;
	pthread_create(&th, NULL, victim, NULL);
	usleep(20000);
	kill(getpid(), SIGUSR1);
	void *tid;
	pthread_join(th, &tid);
	printf("process signal taken by the thread that allows it: %d\n", handled_by == (long)tid);
	sigprocmask(SIG_UNBLOCK, &m, NULL);
}

/* A signal that is ignored but blocked is kept, even while sigtimedwait
 * unblocks it for the wait; another process sends it. */
static void test_sigwait_ignored(void) {
	signal(SIGUSR2, SIG_IGN);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		usleep(20000);
		kill(parent, SIGUSR2);
		_exit(0);
	}
	struct timespec ts = {5, 0};
	siginfo_t si;
	int r = sigtimedwait(&set, &si, &ts);
	printf("sigtimedwait for an ignored, blocked signal: %d from the child %d\n", r, si.si_pid == pid);
	waitpid(pid, NULL, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR2, SIG_DFL);
}

static void on_usr1(int sig) {}

/* A parent waits until /proc shows its child asleep in pause(), then
 * wakes it with a signal. */
static void test_sleeping_state(void) {
	signal(SIGUSR1, on_usr1);
	pid_t pid = fork();
	if (pid == 0) {
		int r = pause();
		_exit(r == -1 && errno == EINTR ? 0 : 1);
	}
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	char state = 0;
	for (int i = 0; i < 1000 && state != 'S'; i++) {
		int fd = open(path, O_RDONLY);
		int n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		char *p = strrchr(buf, ')');
		state = p ? p[2] : 0;
		if (state != 'S')
			usleep(1000);
	}
	kill(pid, SIGUSR1);
	int st;
	waitpid(pid, &st, 0);
	printf("child seen sleeping: %d, woken from pause: %d\n", state == 'S', WIFEXITED(st) && WEXITSTATUS(st) == 0);
	signal(SIGUSR1, SIG_DFL);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_sigwait_ignored();
	test_sleeping_state();
	test_restart_many(); /* first: while glibc still takes its single-threaded paths */
	test_kill_codes();
	test_faults();
	test_nesting();
	test_altstack();
	signal(SIGSEGV, SIG_DFL);
	test_restart();
	test_sigsuspend();
	test_posix_timer();
	test_timerfd();
	test_signalfd();
	test_itimer_prof();
	test_thread_target();
	printf("done\n");
	return 0;
}
