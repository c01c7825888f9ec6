/* Process behaviour, case by case: fork, vfork, posix_spawn, execve, wait
 * and waitid, SIGCHLD, zombies, orphans, process groups and sessions, job
 * control, file offsets and pipes shared across fork, SIGPIPE. Pids differ
 * between a native run and a Gophene run, so each case prints relations
 * (equal, positive) and the codes it observes, never a pid itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static const char *self;

static const char *ename(int e) {
	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case ECHILD: return "ECHILD";
	case EPIPE: return "EPIPE";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

static void status(const char *what, int st) {
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by %d%s\n", what, WTERMSIG(st), WCOREDUMP(st) ? " (core)" : "");
	else if (WIFSTOPPED(st))
		printf("%s: stopped by %d\n", what, WSTOPSIG(st));
	else if (WIFCONTINUED(st))
		printf("%s: continued\n", what);
	else
		printf("%s: status %#x\n", what, st);
}

static void reap(const char *what, pid_t pid) {
	int st;
	pid_t r = waitpid(pid, &st, 0);
	if (r != pid) {
		printf("%s: waitpid %s\n", what, ename(errno));
		return;
	}
	status(what, st);
}

static void test_fork_basic(void) {
	pid_t me = getpid();
	int var = 1;
	char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *big = malloc(8 << 20);
	memset(big, 'p', 8 << 20);
	strcpy(shared, "parent");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		var = 2;
		big[12345] = 'c';
		strcpy(shared, "child wrote this");
		_exit(getppid() == me && getpid() != me && big[1 << 20] == 'p' ? 7 : 8);
	}
	printf("fork: returned a positive pid: %d\n", pid > 0);
	reap("fork child", pid);
	printf("fork: parent's var still %d, heap byte %c, shared page \"%s\"\n", var, big[12345], shared);
	free(big);
	munmap(shared, 4096);
	errno = 0;
	int r = waitpid(-1, NULL, 0);
	printf("fork: waitpid with no children: %d %s\n", r, ename(errno));
}

static volatile sig_atomic_t chld_count, chld_code, chld_status, chld_pid_ok;
static pid_t expect_pid;
static void on_chld(int sig, siginfo_t *si, void *uc) {
	chld_count++;
	chld_code = si->si_code;
	chld_status = si->si_status;
	chld_pid_ok = si->si_pid == expect_pid;
}

/* catch_sigchld installs on_chld with SA_SIGINFO | SA_RESTART | flags. */
static void catch_sigchld(int flags) {
	struct sigaction sa = {0};
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | flags;
	sigaction(SIGCHLD, &sa, NULL);
}

static void test_sigchld_and_zombies(void) {
	catch_sigchld(0);
	fflush(stdout);
	/* The child may be gone before fork returns: hold SIGCHLD until the
	 * handler can know whom to expect. */
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	pid_t pid = fork();
	if (pid == 0)
		_exit(42);
	expect_pid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	while (chld_count == 0)
		usleep(1000);
	printf("sigchld: count=%d code=%d status=%d pid matches=%d\n", chld_count, chld_code, chld_status, chld_pid_ok);
	printf("zombie: kill(pid, 0) = %d\n", kill(pid, 0));
	siginfo_t si = {0};
	int r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	printf("waitid WNOWAIT: r=%d code=%d status=%d pid matches=%d\n", r, si.si_code, si.si_status, si.si_pid == pid);
	reap("zombie", pid);
	errno = 0;
	r = kill(pid, 0);
	printf("reaped: kill(pid, 0) = %d %s\n", r, ename(errno));

	/* WNOHANG on a running child. */
	int p[2];
	pipe(p);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	int st;
	printf("WNOHANG on a running child: %d\n", (int)waitpid(pid, &st, WNOHANG));
	close(p[1]);
	reap("after pipe closed", pid);

	/* A child killed by a signal, and SIGCHLD ignored (auto-reap). */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	expect_pid = pid;
	chld_count = 0;
	kill(pid, SIGTERM);
	while (chld_count == 0)
		usleep(1000);
	printf("sigchld after kill: code=%d status=%d\n", chld_code, chld_status);
	reap("killed child", pid);
	signal(SIGCHLD, SIG_IGN);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(1);
	errno = 0;
	r = waitpid(pid, &st, 0);
	printf("SIGCHLD ignored: waitpid = %d %s\n", r, ename(errno));
	signal(SIGCHLD, SIG_DFL);
}

static void test_orphans(void) {
	int p[2];
	pipe(p);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pid_t mid = getpid();
		if (fork() == 0) {
			close(p[0]);
			while (getppid() == mid)
				usleep(1000);
			dprintf(p[1], "orphan: re-parented away from its dead parent\n");
			_exit(0);
		}
		_exit(0);
	}
	close(p[1]);
	reap("middle child", pid);
	char buf[128];
	ssize_t n = read(p[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("%s", buf);
	close(p[0]);
}

static void test_shared_files(void) {
	char path[] = "/tmp/gophene-procs-XXXXXX";
	int fd = mkstemp(path);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		write(fd, "child,", 6);
		_exit(0);
	}
	reap("offset child", pid);
	write(fd, "parent", 6);
	printf("shared offset: lseek=%ld\n", (long)lseek(fd, 0, SEEK_CUR));
	int a = open(path, O_WRONLY | O_APPEND);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int b = open(path, O_WRONLY | O_APPEND);
		for (int i = 0; i < 100; i++)
			write(b, "c", 1);
		_exit(0);
	}
	for (int i = 0; i < 100; i++)
		write(a, "p", 1);
	reap("append child", pid);
	struct stat st;
	fstat(fd, &st);
	printf("O_APPEND from two processes: size=%ld\n", (long)st.st_size);
	close(a);
	close(fd);
	unlink(path);

	/* A pipe both ways, with dup2 onto stdin and stdout, then exec. */
	int to[2], from[2];
	pipe(to);
	pipe(from);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[0]); close(to[1]); close(from[0]); close(from[1]);
		execl("/usr/bin/tr", "tr", "a-z", "A-Z", (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	write(to[1], "through tr\n", 11);
	close(to[1]);
	char buf[64] = {0};
	ssize_t n, got = 0;
	while ((n = read(from[0], buf + got, sizeof buf - 1 - got)) > 0)
		got += n;
	printf("pipe through exec: %s", buf);
	close(from[0]);
	reap("tr", pid);
}

/* Record locks and flock between processes: a conflict is refused, F_GETLK
 * names the holder, and a child's locks go away when it has exited. */
static void test_locks(void) {
	char path[] = "/tmp/gophene-lock-XXXXXX";
	int fd = mkstemp(path);
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
	printf("locks: parent F_SETLK = %d\n", fcntl(fd, F_SETLK, &l));
	int p[2];
	pipe(p);
	pid_t me = getpid();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int f2 = open(path, O_RDWR);
		struct flock m = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1};
		errno = 0;
		int r = fcntl(f2, F_SETLK, &m);
		printf("locks: child F_SETLK on the parent's range = %d %s\n", r, ename(errno));
		m.l_start = 20;
		printf("locks: child F_SETLK past it = %d\n", fcntl(f2, F_SETLK, &m));
		m.l_start = 5;
		fcntl(f2, F_GETLK, &m);
		printf("locks: F_GETLK type=%d holder is the parent=%d start=%ld len=%ld\n", m.l_type, m.l_pid == me,
		       (long)m.l_start, (long)m.l_len);
		printf("locks: child flock(LOCK_EX) = %d\n", flock(f2, LOCK_EX | LOCK_NB));
		fflush(stdout);
		write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	read(p[0], &c, 1);
	int f3 = open(path, O_RDWR);
	errno = 0;
	int r = flock(f3, LOCK_EX | LOCK_NB);
	printf("locks: parent flock while the child holds it = %d %s\n", r, ename(errno));
	kill(pid, SIGKILL);
	reap("lock holder", pid);
	printf("locks: parent flock after the child died = %d\n", flock(f3, LOCK_EX | LOCK_NB));
	close(p[0]);
	close(p[1]);
	close(f3);
	close(fd);
	unlink(path);
}

static void test_sigpipe(void) {
	int p[2], sync[2];
	pipe(p);
	pipe(sync);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		close(sync[1]);
		char c;
		read(sync[0], &c, 1); /* end of file: the parent has closed its ends */
		write(p[1], "x", 1);
		_exit(0);
	}
	close(p[1]);
	close(p[0]);
	close(sync[0]);
	close(sync[1]);
	reap("write to a closed pipe", pid);
	pipe(p);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	ssize_t r = write(p[1], "x", 1);
	printf("SIGPIPE ignored: write = %zd %s\n", r, ename(errno));
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}

static void test_groups(void) {
	pid_t me = getpid();
	printf("groups: getpgid(0)==getpgrp: %d, getsid(0)==getsid(me): %d\n", getpgid(0) == getpgrp(), getsid(0) == getsid(me));
	int p[2];
	pipe(p);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		read(p[0], &c, 1);
		_exit(getpgrp() == getpid() ? 0 : 1);
	}
	close(p[0]);
	int r = setpgid(pid, pid);
	printf("setpgid(child, child) = %d, getpgid(child)==child: %d\n", r, getpgid(pid) == pid);
	errno = 0;
	r = setpgid(pid, me + 100000);
	printf("setpgid into a missing group: %d %s\n", r, ename(errno));
	errno = 0;
	printf("kill(-group, 0) = %d\n", kill(-pid, 0));
	close(p[1]);
	reap("group leader child", pid);
	errno = 0;
	r = kill(-pid, 0);
	printf("kill to an empty group: %d %s\n", r, ename(errno));

	/* Two children in one group, killed together. */
	fflush(stdout);
	pid_t a = fork();
	if (a == 0) {
		setpgid(0, 0);
		pause();
		_exit(0);
	}
	setpgid(a, a);
	pid_t b = fork();
	if (b == 0) {
		pause();
		_exit(0);
	}
	setpgid(b, a);
	printf("second member joined: %d\n", getpgid(b) == a);
	kill(-a, SIGUSR1);
	reap("member a", a);
	reap("member b", b);

	/* setsid in a child; a session leader cannot change group. */
	pipe(p);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		pid_t s = setsid();
		int ok = s == getpid() && getsid(0) == getpid() && getpgrp() == getpid();
		errno = 0;
		int again = setsid();
		int e1 = errno;
		errno = 0;
		int sp = setpgid(0, getppid());
		dprintf(p[1], "setsid: new session ok=%d, again=%d %s, setpgid=%d %s\n", ok, again, ename(e1), sp, ename(errno));
		_exit(0);
	}
	close(p[1]);
	char buf[200];
	ssize_t n = read(p[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("%s", buf);
	close(p[0]);
	reap("setsid child", pid);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		errno = 0;
		int r = setsid();
		printf("setsid as a group leader: %d %s\n", r, ename(errno));
		_exit(0);
	}
	reap("group leader", pid);
}

static void test_job_control(void) {
	catch_sigchld(0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		/* A group of its own, whose parent is in another group of the
		 * session: Linux drops SIGTSTP sent to an orphaned group, and the
		 * group the test runs in may be one. */
		setpgid(0, 0);
		for (;;)
			pause();
	}
	setpgid(pid, pid);
	expect_pid = pid;
	chld_count = 0;
	int st;
	kill(pid, SIGSTOP);
	pid_t r = waitpid(pid, &st, WUNTRACED);
	printf("WUNTRACED: right pid %d\n", r == pid);
	status("after SIGSTOP", st);
	while (chld_count == 0)
		usleep(1000);
	printf("sigchld on stop: code=%d status=%d\n", chld_code, chld_status);
	printf("stop reported once: WNOHANG|WUNTRACED = %d\n", (int)waitpid(pid, &st, WNOHANG | WUNTRACED));
	chld_count = 0;
	kill(pid, SIGCONT);
	r = waitpid(pid, &st, WCONTINUED);
	printf("WCONTINUED: right pid %d\n", r == pid);
	status("after SIGCONT", st);
	while (chld_count == 0)
		usleep(1000);
	printf("sigchld on continue: code=%d status=%d\n", chld_code, chld_status);
	kill(pid, SIGTSTP);
	siginfo_t si = {0};
	waitid(P_PID, pid, &si, WSTOPPED);
	printf("waitid WSTOPPED: code=%d status=%d\n", si.si_code, si.si_status);
	/* A stopped process still dies of SIGKILL. */
	kill(pid, SIGKILL);
	reap("stopped then killed", pid);

	/* SA_NOCLDSTOP: no SIGCHLD for a stop. */
	catch_sigchld(SA_NOCLDSTOP);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		raise(SIGSTOP);
		_exit(5);
	}
	chld_count = 0;
	waitpid(pid, &st, WUNTRACED);
	status("raise(SIGSTOP)", st);
	usleep(20000);
	printf("SA_NOCLDSTOP: sigchld count=%d\n", chld_count);
	kill(pid, SIGCONT);
	reap("continued child", pid);
	signal(SIGCHLD, SIG_DFL);
}

static void test_exec(void) {
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int keep = open("/dev/null", O_RDONLY);
	signal(SIGUSR1, SIG_IGN);
	struct sigaction sa = {0};
	sa.sa_handler = (void (*)(int))on_chld;
	sigaction(SIGUSR2, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	umask(027);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char a[16], b[16];
		snprintf(a, sizeof a, "%d", fd);
		snprintf(b, sizeof b, "%d", keep);
		execl(self, self, "exec-check", a, b, (char *)NULL);
		_exit(127);
	}
	reap("exec-check", pid);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	umask(022);
	close(fd);
	close(keep);

	/* A #! script, and exec errors. */
	char path[] = "/tmp/gophene-script-XXXXXX";
	int s = mkstemp(path);
	dprintf(s, "#!/bin/sh\necho \"script got $# args: $1 $2\"\n");
	fchmod(s, 0755);
	close(s);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(path, "script", "one", "two", (char *)NULL);
		_exit(127);
	}
	reap("script", pid);
	unlink(path);
	errno = 0;
	execl("/nonexistent/prog", "x", (char *)NULL);
	printf("exec of a missing file: %s\n", ename(errno));
	errno = 0;
	execl("/etc/hostname", "x", (char *)NULL);
	printf("exec of a non-executable: %s\n", ename(errno));
}

static int exec_check(int argc, char **argv) {
	int fd = atoi(argv[2]), keep = atoi(argv[3]);
	errno = 0;
	int r1 = fcntl(fd, F_GETFD);
	int e1 = errno;
	int r2 = fcntl(keep, F_GETFD);
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	int ign = sa.sa_handler == SIG_IGN;
	sigaction(SIGUSR2, NULL, &sa);
	int dfl = sa.sa_handler == SIG_DFL;
	sigset_t set;
	sigprocmask(SIG_BLOCK, NULL, &set);
	mode_t m = umask(0);
	printf("after exec: cloexec fd %d %s, kept fd %d, ignored stays %d, handler reset %d, mask kept %d, umask %03o\n",
	       r1, ename(e1), r2, ign, dfl, sigismember(&set, SIGHUP), m);
	return 3;
}

static void test_vfork_spawn(void) {
	volatile int shared = 0;
	fflush(stdout);
	pid_t pid = vfork();
	if (pid == 0) {
		shared = 99;
		_exit(4);
	}
	printf("vfork: parent sees the child's write: %d\n", shared);
	reap("vfork child", pid);
	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		execl("/bin/echo", "echo", "vfork+exec", (char *)NULL);
		_exit(127);
	}
	reap("vfork exec", pid);

	char *argv[] = {"sh", "-c", "exit 3", NULL};
	fflush(stdout);
	int r = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
	printf("posix_spawn: %s\n", ename(r));
	reap("spawned", pid);
	char *bad[] = {"nope", NULL};
	r = posix_spawn(&pid, "/nonexistent/nope", NULL, NULL, bad, environ);
	printf("posix_spawn of a missing file: %s\n", ename(r));

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	char *quiet[] = {"echo", "you should not see this", NULL};
	r = posix_spawn(&pid, "/bin/echo", &fa, NULL, quiet, environ);
	printf("posix_spawn with file actions: %s\n", ename(r));
	reap("quiet", pid);
	posix_spawn_file_actions_destroy(&fa);
}

static void test_threaded_fork(void);

int main(int argc, char **argv) {
	self = argv[0];
	if (argc > 1 && strcmp(argv[1], "exec-check") == 0)
		return exec_check(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_fork_basic();
	test_sigchld_and_zombies();
	test_orphans();
	test_shared_files();
	test_sigpipe();
	test_locks();
	test_groups();
	test_job_control();
	test_exec();
	test_vfork_spawn();
	test_threaded_fork();
	printf("done\n");
	return 0;
}

#include <pthread.h>
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int spin = 1;
static void *holder(void *arg) {
	while (spin) {
		pthread_mutex_lock(&lock);
		usleep(100);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

/* Fork while other threads run and take locks (malloc's, stdio's, ours):
 * only the forking thread goes on in the child, which can still use
 * malloc and stdio. */
static void test_threaded_fork(void) {
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, holder, NULL);
	int ok = 0;
	for (int i = 0; i < 20; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			char *p = malloc(1000);
			snprintf(p, 1000, "x");
			_exit(p[0] == 'x' ? 0 : 1);
		}
		int st;
		waitpid(pid, &st, 0);
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	spin = 0;
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	printf("fork in a threaded process: %d of 20 children fine\n", ok);
}
