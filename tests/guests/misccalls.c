/* Less common system calls, with valid and invalid arguments: sysfs,
 * ustat, vhangup, ioprio_get/ioprio_set, kcmp, sethostname/setdomainname,
 * sched_setattr/sched_getattr, tee, vmsplice, readahead, membarrier and
 * process_vm_readv/process_vm_writev. Everything printed is the same on
 * any Linux host: no host names, pids or file-system lists. Run as root;
 * changes to the host name happen in a new UTS namespace, real-time and
 * deadline policies in children that exit at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

/* A pid nobody has: a child's, once reaped. */
static pid_t unused_pid(void) {
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void drop_to_nobody(void) {
	if (setgid(65534) < 0 || setuid(65534) < 0)
		printf("cannot drop privileges: %s\n", strerrorname_np(errno));
}

static void wait_child(void) {
	int st;
	wait(&st);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("child status %#x\n", st);
}

/* ---- sysfs */

static void test_sysfs(void) {
	long proc = syscall(SYS_sysfs, 1, "proc");
	char name[256] = "";
	long r = syscall(SYS_sysfs, 2, proc, name);
	printf("sysfs: proc has a positive index: %d, named back: %s %s\n", proc > 0, en(r), name);
	long n = syscall(SYS_sysfs, 3);
	FILE *f = fopen("/proc/filesystems", "r");
	char line[256];
	int listed = 0, found = 0;
	while (f && fgets(line, sizeof line, f)) {
		char *t = strrchr(line, '\t');
		if (!t)
			continue;
		t[strcspn(t, "\n")] = 0;
		listed++;
		long i = syscall(SYS_sysfs, 1, t + 1);
		if (i >= 0 && syscall(SYS_sysfs, 2, i, name) == 0 && strcmp(name, t + 1) == 0)
			found++;
	}
	if (f)
		fclose(f);
	printf("sysfs: count matches /proc/filesystems: %d, each type numbered and named back: %d\n",
	       n == listed, found == listed);
	printf("sysfs: unknown name: %s\n", en(syscall(SYS_sysfs, 1, "ext0")));
	printf("sysfs: empty name: %s\n", en(syscall(SYS_sysfs, 1, "")));
	printf("sysfs: bad name pointer: %s\n", en(syscall(SYS_sysfs, 1, (void *)8)));
	printf("sysfs: index out of range: %s\n", en(syscall(SYS_sysfs, 2, 1000, name)));
	printf("sysfs: index -1: %s\n", en(syscall(SYS_sysfs, 2, -1L, name)));
	r = syscall(SYS_sysfs, 2, (1L << 32) | proc, name);
	printf("sysfs: index's upper bits ignored: %s %s\n", en(r), name);
	printf("sysfs: bad buffer: %s\n", en(syscall(SYS_sysfs, 2, 0, (void *)8)));
	printf("sysfs: option 4: %s, option 0: %s\n", en(syscall(SYS_sysfs, 4)), en(syscall(SYS_sysfs, 0)));
}

/* ---- ustat */

struct ustat_ {
	int f_tfree;
	unsigned long f_tinode;
	char f_fname[6], f_fpack[6];
};

static void test_ustat(void) {
	struct stat st;
	struct ustat_ u;
	stat("/", &st);
	memset(&u, 0x55, sizeof u);
	long r = syscall(SYS_ustat, (unsigned)st.st_dev, &u);
	printf("ustat /: %s, names zeroed %d\n", en(r), u.f_fname[0] == 0 && u.f_fpack[5] == 0);
	stat("/proc", &st);
	r = syscall(SYS_ustat, (unsigned)st.st_dev, &u);
	printf("ustat /proc: %s, free %d, inodes %lu\n", en(r), u.f_tfree, u.f_tinode);
	printf("ustat bad buffer: %s\n", en(syscall(SYS_ustat, (unsigned)st.st_dev, (void *)8)));
	printf("ustat unknown device: %s\n", en(syscall(SYS_ustat, 0xffffffffu, &u)));
	printf("ustat unknown device, bad buffer: %s\n", en(syscall(SYS_ustat, 0xffffffffu, (void *)8)));
}

/* ---- vhangup */

static void test_vhangup(void) {
	if (fork() == 0) {
		setsid(); /* no controlling terminal: nothing to hang up */
		printf("vhangup as root: %s\n", en(syscall(SYS_vhangup)));
		drop_to_nobody();
		printf("vhangup as nobody: %s\n", en(syscall(SYS_vhangup)));
		_exit(0);
	}
	wait_child();
}

/* ---- ioprio */

#define IOPRIO(class, data) (((class) << 13) | (data))
static long ioget(int which, int who) { return syscall(SYS_ioprio_get, which, who); }
static long ioset(int which, int who, int v) { return syscall(SYS_ioprio_set, which, who, v); }

static void *ioprio_thread(void *arg) {
	printf("ioprio: a new thread starts with %#lx\n", ioget(1, 0));
	return NULL;
}

static void test_ioprio(void) {
	if (fork() != 0) {
		wait_child();
		return;
	}
	setpgid(0, 0);
	printf("ioprio: a new process has %#lx\n", ioget(1, 0));
	printf("ioprio: its group's best %#lx\n", ioget(2, 0));
	for (int c = 0; c < 8; c++) {
		long r = ioset(1, 0, IOPRIO(c, 1));
		printf("ioprio: class %d level 1: %s -> %#lx\n", c, en(r), ioget(1, 0));
	}
	long r = ioset(1, 0, IOPRIO(2, 0x1ff8 | 6));
	printf("ioprio: with hint bits: %s -> %#lx\n", en(r), ioget(1, 0));
	r = ioset(1, 0, 0x10000 | IOPRIO(2, 3));
	printf("ioprio: bit 16 set: %s -> %#lx\n", en(r), ioget(1, 0));
	printf("ioprio: -1: %s\n", en(ioset(1, 0, -1)));
	r = ioset(1, 0, IOPRIO(0, 8));
	printf("ioprio: NONE level 0 with hints: %s -> %#lx\n", en(r), ioget(1, 0));
	printf("ioprio: which 0: %s, which 4: %s, get which 4: %s\n", en(ioset(0, 0, IOPRIO(2, 1))),
	       en(ioset(4, 0, IOPRIO(2, 1))), en(ioget(4, 0)));
	printf("ioprio: bad class for which 4: %s\n", en(ioset(4, 0, IOPRIO(5, 1))));
	pid_t gone = unused_pid();
	printf("ioprio: unused pid: get %s, set %s, pid -1: %s\n", en(ioget(1, gone)), en(ioset(1, gone, IOPRIO(2, 1))),
	       en(ioset(1, -1, IOPRIO(2, 1))));
	printf("ioprio: unused user: get %s, set %s\n", en(ioget(3, 61234)), en(ioset(3, 61234, IOPRIO(2, 1))));
	printf("ioprio: unused group: %s\n", en(ioget(2, gone)));
	ioset(1, 0, IOPRIO(2, 5));
	pthread_t th;
	pthread_create(&th, NULL, ioprio_thread, NULL);
	pthread_join(th, NULL);
	int p[2], q[2];
	pipe(p);
	pipe(q);
	pid_t child = fork();
	if (child == 0) {
		char c;
		printf("ioprio: a child inherits %#lx\n", ioget(1, 0));
		ioset(1, 0, IOPRIO(3, 0));
		write(q[1], "x", 1);
		read(p[0], &c, 1);
		printf("ioprio: the child now has %#lx\n", ioget(1, 0));
		_exit(0);
	}
	char c;
	read(q[0], &c, 1);
	printf("ioprio: the child's, seen by the parent: %#lx\n", ioget(1, child));
	printf("ioprio: group best of BE/5 and IDLE: %#lx\n", ioget(2, 0));
	printf("ioprio: set the child's: %s\n", en(ioset(1, child, IOPRIO(1, 2))));
	printf("ioprio: group best now: %#lx\n", ioget(2, getpgrp()));
	r = ioset(2, 0, IOPRIO(2, 7));
	printf("ioprio: set the group: %s, mine %#lx\n", en(r), ioget(1, 0));
	write(p[1], "x", 1);
	wait_child();
	ioset(1, 0, IOPRIO(0, 0));
	if (fork() == 0) {
		printf("ioprio: a child of a NONE parent has %#lx\n", ioget(1, 0));
		_exit(0);
	}
	wait_child();
	pid_t parent = getpid();
	if (fork() == 0) {
		drop_to_nobody();
		printf("ioprio: nobody, real-time class: %s\n", en(ioset(1, 0, IOPRIO(1, 0))));
		printf("ioprio: nobody, idle class: %s\n", en(ioset(1, 0, IOPRIO(3, 0))));
		printf("ioprio: nobody, root's process: %s\n", en(ioset(1, parent, IOPRIO(2, 1))));
		printf("ioprio: nobody, read root's: %#lx\n", ioget(1, parent));
		_exit(0);
	}
	wait_child();
	_exit(0);
}

/* ---- kcmp */

static long kc(pid_t a, pid_t b, int type, long i1, long i2) { return syscall(SYS_kcmp, a, b, type, i1, i2); }

static pid_t main_pid;
static void *kcmp_thread(void *arg) {
	pid_t tid = gettid();
	printf("kcmp: a thread shares vm %ld files %ld fs %ld sighand %ld\n", kc(main_pid, tid, 1, 0, 0),
	       kc(main_pid, tid, 2, 0, 0), kc(main_pid, tid, 3, 0, 0), kc(tid, main_pid, 4, 0, 0));
	return NULL;
}

static void test_kcmp(const char *self) {
	pid_t me = getpid();
	main_pid = me;
	int fd = open(self, O_RDONLY), fd2 = dup(fd), fd3 = open(self, O_RDONLY);
	long a = kc(me, me, 0, fd, fd3), b = kc(me, me, 0, fd3, fd);
	printf("kcmp: same fd %ld, dup %ld, another open ordered %d, reversed %d\n", kc(me, me, 0, fd, fd),
	       kc(me, me, 0, fd, fd2), (a == 1 || a == 2), a + b == 3);
	printf("kcmp: pid 0: %s, unused pid: %s\n", en(kc(0, me, 0, fd, fd)), en(kc(me, unused_pid(), 0, fd, fd)));
	printf("kcmp: bad fd: %s, fd -1: %s\n", en(kc(me, me, 0, fd, 99)), en(kc(me, me, 0, -1, fd)));
	printf("kcmp: type 8: %s, type -1: %s\n", en(kc(me, me, 8, 0, 0)), en(kc(me, me, -1, 0, 0)));
	printf("kcmp: own vm %ld files %ld fs %ld sighand %ld io %ld sysvsem %ld\n", kc(me, me, 1, 0, 0), kc(me, me, 2, 0, 0),
	       kc(me, me, 3, 0, 0), kc(me, me, 4, 0, 0), kc(me, me, 5, 0, 0), kc(me, me, 6, 0, 0));
	pthread_t th;
	pthread_create(&th, NULL, kcmp_thread, NULL);
	pthread_join(th, NULL);

	int ep = epoll_create1(0), p[2];
	pipe(p);
	struct epoll_event ev = {.events = EPOLLIN};
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	struct {
		uint32_t efd, tfd, toff;
	} slot = {ep, p[0], 0};
	printf("kcmp epoll: registered file %ld, another %d\n", kc(me, me, 7, p[0], (long)&slot),
	       kc(me, me, 7, p[1], (long)&slot) > 0);
	slot.toff = 1;
	printf("kcmp epoll: second of that fd: %s\n", en(kc(me, me, 7, p[0], (long)&slot)));
	slot.toff = 0;
	slot.tfd = p[1];
	printf("kcmp epoll: unregistered fd: %s\n", en(kc(me, me, 7, p[0], (long)&slot)));
	slot.tfd = p[0];
	slot.efd = fd;
	printf("kcmp epoll: not an epoll fd: %s\n", en(kc(me, me, 7, p[0], (long)&slot)));
	slot.efd = 99;
	printf("kcmp epoll: bad epoll fd: %s\n", en(kc(me, me, 7, p[0], (long)&slot)));
	printf("kcmp epoll: bad slot: %s, bad fd: %s\n", en(kc(me, me, 7, p[0], 8)), en(kc(me, me, 7, 99, (long)&slot)));
	slot.efd = ep;
	epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);
	printf("kcmp epoll: after EPOLL_CTL_DEL: %s\n", en(kc(me, me, 7, p[0], (long)&slot)));

	int up[2], down[2];
	pipe(up);
	pipe(down);
	pid_t child = fork();
	if (child == 0) {
		pid_t c = getpid();
		char x;
		printf("kcmp child: inherited fd %ld, parent's dup %ld, own open %d\n", kc(me, c, 0, fd, fd),
		       kc(me, c, 0, fd2, fd), kc(me, c, 0, fd, fd3) > 0);
		long v = kc(me, c, 1, 0, 0), w = kc(c, me, 1, 0, 0);
		printf("kcmp child: vm differs %d, reversed %d, files %d fs %d sighand %d\n", v > 0, v + w == 3,
		       kc(me, c, 2, 0, 0) > 0, kc(me, c, 3, 0, 0) > 0, kc(me, c, 4, 0, 0) > 0);
		/* The parent has an undo list since it made a thread (CLONE_SYSVSEM). */
		printf("kcmp child: io %ld, sysvsem differs %d\n", kc(me, c, 5, 0, 0), kc(me, c, 6, 0, 0) > 0);
		syscall(SYS_ioprio_set, 1, 0, IOPRIO(2, 3));
		int s = semget(IPC_PRIVATE, 1, 0600);
		struct sembuf sb = {0, 1, SEM_UNDO};
		semop(s, &sb, 1);
		semctl(s, 0, IPC_RMID);
		printf("kcmp child: with its own io context %d, undo list %d\n", kc(me, c, 5, 0, 0) > 0, kc(c, me, 6, 0, 0) > 0);
		printf("kcmp child: parent's bad fd: %s\n", en(kc(me, c, 0, 99, fd)));
		write(up[1], "x", 1);
		read(down[0], &x, 1); /* wait for the parent's look */
		if (fork() == 0) {
			drop_to_nobody();
			printf("kcmp: nobody compares root's processes: %s\n", en(kc(me, c, 1, 0, 0)));
			printf("kcmp: nobody compares its own: %s %ld\n", en(kc(getpid(), getpid(), 0, fd, fd)),
			       kc(getpid(), getpid(), 0, fd, fd));
			_exit(0);
		}
		wait_child();
		_exit(0);
	}
	char x;
	read(up[0], &x, 1);
	printf("kcmp parent: child's inherited fd %ld, its io %d\n", kc(child, me, 0, fd, fd), kc(child, me, 5, 0, 0) > 0);
	write(down[1], "x", 1);
	wait_child();
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
	close(fd);
	close(fd2);
	close(fd3);
	close(ep);
	close(p[0]);
	close(p[1]);
}

/* ---- sethostname, setdomainname */

static void test_uts(void) {
	if (fork() != 0) {
		wait_child();
		return;
	}
	if (unshare(CLONE_NEWUTS) < 0) {
		printf("unshare(CLONE_NEWUTS): %s\n", strerrorname_np(errno));
		_exit(0);
	}
	struct utsname u;
	char buf[128];
	printf("sethostname: %s\n", en(sethostname("gophene-test", 12)));
	printf("setdomainname: %s\n", en(setdomainname("example.org", 11)));
	uname(&u);
	getdomainname(buf, sizeof buf);
	printf("uname: %s %s, getdomainname %s\n", u.nodename, u.domainname, buf);
	int f = open("/proc/sys/kernel/hostname", O_RDONLY);
	int n = read(f, buf, sizeof buf - 1);
	close(f);
	printf("/proc/sys/kernel/hostname: %.*s", n > 0 ? n : 0, buf);
	char big[80];
	memset(big, 'a', sizeof big);
	printf("sethostname 64 bytes: %s\n", en(sethostname(big, 64)));
	printf("sethostname 65 bytes: %s, -1: %s, NULL: %s\n", en(sethostname(big, 65)), en(syscall(SYS_sethostname, big, -1)),
	       en(syscall(SYS_sethostname, NULL, 10)));
	uname(&u);
	printf("after 64 bytes: length %zu\n", strlen(u.nodename));
	printf("setdomainname 65 bytes: %s, NULL: %s\n", en(setdomainname(big, 65)), en(syscall(SYS_setdomainname, NULL, 3)));
	printf("sethostname with a NUL: %s", en(sethostname("ab\0cd", 5)));
	uname(&u);
	printf(" -> %s, then %c%c\n", u.nodename, u.nodename[3], u.nodename[4]);
	printf("sethostname empty: %s", en(sethostname("", 0)));
	uname(&u);
	printf(" -> [%s]\n", u.nodename);
	f = open("/proc/sys/kernel/domainname", O_WRONLY);
	printf("write /proc/sys/kernel/domainname: %ld", (long)write(f, "viaproc\nrest", 12));
	close(f);
	getdomainname(buf, sizeof buf);
	printf(" -> %s\n", buf);
	f = open("/proc/sys/kernel/hostname", O_WRONLY);
	memset(big, 'h', sizeof big);
	printf("write 80 bytes to /proc/sys/kernel/hostname: %ld", (long)write(f, big, 80));
	close(f);
	uname(&u);
	printf(" -> length %zu\n", strlen(u.nodename));
	sethostname("parent-name", 11);
	if (fork() == 0) {
		uname(&u);
		printf("a child sees %s\n", u.nodename);
		drop_to_nobody();
		printf("nobody: sethostname %s, setdomainname %s\n", en(sethostname("x", 1)), en(setdomainname("x", 1)));
		_exit(0);
	}
	wait_child();
	_exit(0);
}

/* ---- sched_setattr, sched_getattr */

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
	char tail[200];
};

static long setattr(pid_t pid, struct attr *a, unsigned flags) { return syscall(SYS_sched_setattr, pid, a, flags); }
static long getattr(pid_t pid, struct attr *a, unsigned size, unsigned flags) {
	return syscall(SYS_sched_getattr, pid, a, size, flags);
}
static void show(const char *what, pid_t pid) {
	struct attr a;
	memset(&a, 0, sizeof a);
	long r = getattr(pid, &a, 56, 0);
	printf("%s: %s policy %u flags %#lx nice %d prio %u", what, en(r), a.policy, (unsigned long)a.flags, a.nice, a.prio);
	if (a.policy == SCHED_DEADLINE)
		printf(" runtime %lu deadline %lu period %lu", (unsigned long)a.runtime, (unsigned long)a.deadline,
		       (unsigned long)a.period);
	printf("\n");
}
static struct attr mk(uint32_t policy, int nice, uint32_t prio) {
	struct attr a;
	memset(&a, 0, sizeof a);
	a.size = 56;
	a.policy = policy;
	a.nice = nice;
	a.prio = prio;
	return a;
}

static void test_schedattr(void) {
	if (fork() != 0) {
		wait_child();
		return;
	}
	struct attr a;
	memset(&a, 0xff, sizeof a);
	long r = getattr(0, &a, 56, 0);
	printf("sched_getattr: %s size %u policy %u flags %#lx nice %d prio %u util %u %u tail %#x\n", en(r), a.size,
	       a.policy, (unsigned long)a.flags, a.nice, a.prio, a.util_min, a.util_max, (unsigned char)a.tail[0]);
	memset(&a, 0xff, sizeof a);
	r = getattr(0, &a, 48, 0);
	printf("sched_getattr size 48: %s size %u, beyond untouched %d\n", en(r), a.size, a.util_min == 0xffffffff);
	r = getattr(0, &a, 200, 0);
	printf("sched_getattr size 200: %s size %u\n", en(r), a.size);
	printf("sched_getattr size 47: %s, 4097: %s, NULL: %s, flags: %s, pid -1: %s, unused pid: %s, bad buffer: %s\n",
	       en(getattr(0, &a, 47, 0)), en(getattr(0, &a, 4097, 0)), en(getattr(0, NULL, 56, 0)),
	       en(getattr(0, &a, 56, 1)), en(getattr(-1, &a, 56, 0)), en(getattr(unused_pid(), &a, 56, 0)),
	       en(getattr(0, (void *)8, 56, 0)));

	a = mk(SCHED_OTHER, 0, 0);
	a.size = 40;
	r = setattr(0, &a, 0);
	printf("sched_setattr size 40: %s, size written back %u\n", en(r), a.size);
	a = mk(SCHED_OTHER, 0, 0);
	a.size = 200;
	a.tail[10] = 1;
	r = setattr(0, &a, 0);
	printf("sched_setattr size 200, not zero beyond: %s, size written back %u\n", en(r), a.size);
	a = mk(SCHED_OTHER, 0, 0);
	a.size = 200;
	printf("sched_setattr size 200, zero beyond: %s\n", en(setattr(0, &a, 0)));
	a = mk(SCHED_OTHER, 0, 0);
	a.size = 0;
	printf("sched_setattr size 0: %s\n", en(setattr(0, &a, 0)));
	a = mk(SCHED_OTHER, 0, 0);
	printf("sched_setattr NULL: %s, flags 1: %s, pid -1: %s, unused pid: %s, bad buffer: %s\n", en(setattr(0, NULL, 0)),
	       en(setattr(0, &a, 1)), en(setattr(-1, &a, 0)), en(setattr(unused_pid(), &a, 0)),
	       en(setattr(0, (void *)8, 0)));
	a = mk(SCHED_BATCH, 5, 0);
	r = setattr(0, &a, 0);
	printf("SCHED_BATCH nice 5: %s, getpriority %d\n", en(r), getpriority(PRIO_PROCESS, 0));
	show("  now", 0);
	a = mk(SCHED_OTHER, -50, 0);
	printf("nice -50: %s\n", en(setattr(0, &a, 0)));
	show("  now", 0);
	a = mk(SCHED_IDLE, 7, 0);
	printf("SCHED_IDLE nice 7: %s\n", en(setattr(0, &a, 0)));
	show("  now", 0);
	a = mk(SCHED_OTHER, 3, 0);
	a.flags = 0x08; /* SCHED_FLAG_KEEP_POLICY */
	printf("keep the policy, nice 3: %s\n", en(setattr(0, &a, 0)));
	show("  now", 0);
	a = mk(SCHED_OTHER, 2, 0);
	printf("back to SCHED_OTHER nice 2: %s\n", en(setattr(0, &a, 0)));
	a = mk(SCHED_BATCH, 9, 0);
	a.flags = 0x10; /* SCHED_FLAG_KEEP_PARAMS */
	printf("SCHED_BATCH keeping the parameters: %s\n", en(setattr(0, &a, 0)));
	show("  now", 0);
	struct {
		uint32_t policy, prio, flags;
	} bad[] = {{SCHED_FIFO, 0, 0}, {SCHED_FIFO, 100, 0}, {SCHED_OTHER, 3, 0}, {4, 0, 0}, {7, 0, 0},
		   {0xffffffff, 0, 0}, {SCHED_OTHER, 0, 0x80}, {SCHED_OTHER, 0, 0x10000000}, {SCHED_DEADLINE, 0, 0}};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		a = mk(bad[i].policy, 0, bad[i].prio);
		a.flags = bad[i].flags;
		printf("policy %d prio %u flags %#x: %s\n", (int)bad[i].policy, bad[i].prio, bad[i].flags, en(setattr(0, &a, 0)));
	}
	a = mk(SCHED_OTHER, 0, 0);
	a.size = 48;
	a.flags = 0x20;
	printf("utilization clamp in a 48-byte struct: %s\n", en(setattr(0, &a, 0)));
	struct {
		uint64_t runtime, deadline, period;
	} dl[] = {{10000000, 30000000, 30000000}, {100, 30000000, 30000000}, {20000000, 10000000, 30000000},
		  {10000000, 30000000, 20000000}, {10000000, 0, 30000000}, {10000, 50000, 50000}, {10000000, 30000000, 0}};
	for (unsigned i = 0; i < sizeof dl / sizeof dl[0]; i++) {
		if (fork() == 0) {
			a = mk(SCHED_DEADLINE, 0, 0);
			a.runtime = dl[i].runtime;
			a.deadline = dl[i].deadline;
			a.period = dl[i].period;
			printf("SCHED_DEADLINE %lu/%lu/%lu: %s\n", (unsigned long)a.runtime, (unsigned long)a.deadline,
			       (unsigned long)a.period, en(setattr(0, &a, 0)));
			if (sched_getscheduler(0) == SCHED_DEADLINE) {
				show("  now", 0);
				pid_t f = fork();
				if (f == 0)
					_exit(0);
				printf("  fork: %s\n", en(f));
			}
			_exit(0);
		}
		wait_child();
	}
	if (fork() == 0) {
		a = mk(SCHED_FIFO, 0, 10);
		a.flags = 1; /* SCHED_FLAG_RESET_ON_FORK */
		long r = setattr(0, &a, 0);
		printf("SCHED_FIFO 10, reset on fork: %s, sched_getscheduler %#x\n", en(r), sched_getscheduler(0));
		show("  now", 0);
		if (fork() == 0) {
			show("  its child", 0);
			_exit(0);
		}
		wait_child();
		a = mk(SCHED_FIFO, 0, 10);
		printf("  dropping reset on fork: %s\n", en(setattr(0, &a, 0)));
		if (fork() == 0) {
			show("  its child now", 0);
			_exit(0);
		}
		wait_child();
		a = mk(SCHED_OTHER, -5, 0);
		a.flags = 1;
		printf("  SCHED_OTHER nice -5, reset on fork: %s\n", en(setattr(0, &a, 0)));
		if (fork() == 0) {
			show("  its child then", 0);
			_exit(0);
		}
		wait_child();
		_exit(0);
	}
	wait_child();
	int p[2];
	pipe(p);
	pid_t child = fork();
	if (child == 0) {
		char c;
		read(p[0], &c, 1);
		show("child after the parent's change", 0);
		_exit(0);
	}
	a = mk(SCHED_BATCH, 4, 0);
	printf("another process: %s\n", en(setattr(child, &a, 0)));
	show("  seen by the parent", child);
	write(p[1], "x", 1);
	wait_child();
	pid_t parent = getpid();
	if (fork() == 0) {
		drop_to_nobody();
		a = mk(SCHED_FIFO, 0, 1);
		printf("nobody: SCHED_FIFO %s", en(setattr(0, &a, 0)));
		a = mk(SCHED_DEADLINE, 0, 0);
		a.runtime = 10000000, a.deadline = a.period = 30000000;
		printf(", SCHED_DEADLINE %s", en(setattr(0, &a, 0)));
		a = mk(SCHED_OTHER, 0, 0);
		printf(", lower nice %s", en(setattr(0, &a, 0)));
		a = mk(SCHED_OTHER, 10, 0);
		printf(", higher nice %s", en(setattr(0, &a, 0)));
		a = mk(SCHED_OTHER, 10, 0);
		printf(", root's process %s\n", en(setattr(parent, &a, 0)));
		_exit(0);
	}
	wait_child();
	_exit(0);
}

/* ---- tee, vmsplice */

static void test_splice(const char *self) {
	int p[2], q[2], fd = open(self, O_RDONLY), d = open("/", O_RDONLY);
	pipe(p);
	pipe(q);
	printf("tee 0 bytes: %s\n", en(tee(p[0], q[1], 0, 0)));
	printf("tee bad flags: %s\n", en(tee(p[0], q[1], 10, 0x10)));
	printf("tee empty, non-blocking: %s\n", en(tee(p[0], q[1], 10, SPLICE_F_NONBLOCK)));
	printf("tee from a write end: %s, to a read end: %s\n", en(tee(p[1], q[1], 10, 0)), en(tee(p[0], q[0], 10, 0)));
	printf("tee within one pipe: %s\n", en(tee(p[0], p[1], 10, 0)));
	printf("tee bad fd: %s, %s\n", en(tee(99, q[1], 10, 0)), en(tee(p[0], 99, 10, 0)));
	printf("tee from a file: %s, from a directory: %s\n", en(tee(fd, q[1], 10, 0)), en(tee(d, q[1], 10, 0)));
	write(p[1], "hello world", 11);
	long r1 = tee(p[0], q[1], 5, 0), r2 = tee(p[0], q[1], 100, 0);
	char b[64];
	long n = read(q[0], b, sizeof b);
	printf("tee 5 then 100: %ld %ld, copy holds %.*s\n", r1, r2, (int)n, b);
	n = read(p[0], b, sizeof b);
	printf("the original still holds %.*s\n", (int)n, b);
	if (fork() == 0) {
		write(p[1], "from the child", 14);
		_exit(0);
	}
	wait_child();
	n = tee(p[0], q[1], 100, 0);
	printf("tee of what a child wrote: %ld\n", n);
	n = read(q[0], b, sizeof b);
	read(p[0], b + 32, 32);
	printf("  copy %.*s\n", (int)n, b);

	char out[32] = "spliced from memory", in[32] = {0};
	struct iovec v[2] = {{out, 7}, {out + 7, 12}};
	printf("vmsplice: %ld", (long)vmsplice(p[1], v, 2, 0));
	n = read(p[0], in, sizeof in);
	printf(", read back %.*s\n", (int)n, in);
	write(p[1], "into memory", 11);
	memset(in, 0, sizeof in);
	struct iovec w = {in, 5};
	n = vmsplice(p[0], &w, 1, 0);
	printf("vmsplice from a read end: %ld %s", n, in);
	w.iov_len = sizeof in;
	n = vmsplice(p[0], &w, 1, 0);
	printf(", then %ld %s\n", n, in);
	printf("vmsplice bad flags: %s, bad fd: %s, file: %s, directory: %s\n", en(vmsplice(p[1], v, 1, 0x10)),
	       en(vmsplice(99, v, 1, 0)), en(vmsplice(fd, v, 1, 0)), en(vmsplice(d, v, 1, 0)));
	printf("vmsplice 1025 buffers: %s, bad vector: %s, no bytes: %s\n", en(vmsplice(p[1], v, 1025, 0)),
	       en(vmsplice(p[1], (void *)8, 1, 0)), en(vmsplice(fd, v, 0, 0)));
	struct iovec bad = {(void *)8, 10};
	printf("vmsplice bad buffer: %s\n", en(vmsplice(p[1], &bad, 1, 0)));
	int size = fcntl(p[1], F_GETPIPE_SZ);
	char *big = mmap(NULL, size + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iovec all = {big, size + 4096};
	n = vmsplice(p[1], &all, 1, 0);
	printf("vmsplice more than the pipe holds: %d\n", n == size);
	printf("vmsplice to a full pipe, non-blocking: %s\n", en(vmsplice(p[1], &all, 1, SPLICE_F_NONBLOCK)));
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	printf("tee to a full non-blocking pipe: %s\n", en(tee(q[0], p[1], 10, 0)));
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	printf("vmsplice with no reader: %s\n", en(vmsplice(p[1], v, 1, 0)));
	munmap(big, size + 4096);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	close(fd);
	close(d);
}

/* ---- readahead */

static void test_readahead(const char *self) {
	int fd = open(self, O_RDONLY), p[2];
	pipe(p);
	int d = open("/", O_RDONLY), w = open("/dev/null", O_WRONLY), pa = open(self, O_PATH);
	int maps = open("/proc/self/maps", O_RDONLY), z = open("/dev/zero", O_RDONLY), ev = eventfd(0, 0);
	int mfd = memfd_create("m", 0);
	printf("readahead: file %s, huge count %s, negative offset %s\n", en(readahead(fd, 0, 4096)),
	       en(readahead(fd, 0, -1UL)), en(readahead(fd, -5, 4096)));
	printf("readahead: pipe %s, write end %s, directory %s, write-only %s, O_PATH %s, bad fd %s\n",
	       en(readahead(p[0], 0, 4096)), en(readahead(p[1], 0, 4096)), en(readahead(d, 0, 4096)),
	       en(readahead(w, 0, 4096)), en(readahead(pa, 0, 4096)), en(readahead(99, 0, 4096)));
	printf("readahead: /proc/self/maps %s, /dev/zero %s, eventfd %s, memfd %s\n", en(readahead(maps, 0, 4096)),
	       en(readahead(z, 0, 4096)), en(readahead(ev, 0, 4096)), en(readahead(mfd, 0, 4096)));
	close(fd), close(p[0]), close(p[1]), close(d), close(w), close(pa), close(maps), close(z), close(ev), close(mfd);
}

/* ---- membarrier */

#define MB_RSEQ ((1 << 7) | (1 << 8))
static long mb(int cmd, unsigned flags) { return syscall(SYS_membarrier, cmd, flags, 0); }

static void test_membarrier(const char *self) {
	if (fork() != 0) {
		wait_child();
		return;
	}
	/* The RSEQ commands depend on the kernel having rseq. */
	printf("membarrier query: %#lx\n", mb(0, 0) & ~MB_RSEQ);
	printf("membarrier query with flags: %s, command -1: %s, command 1<<10: %s\n", en(mb(0, 1)), en(mb(-1, 0)),
	       en(mb(1 << 10, 0)));
	printf("membarrier global: %s, global expedited: %s\n", en(mb(1, 0)), en(mb(2, 0)));
	printf("membarrier registrations: %ld\n", mb(1 << 9, 0));
	printf("membarrier private expedited unregistered: %s, sync core: %s\n", en(mb(1 << 3, 0)), en(mb(1 << 5, 0)));
	printf("membarrier register sync core: %s\n", en(mb(1 << 6, 0)));
	printf("membarrier registrations %#lx\n", mb(1 << 9, 0));
	printf("membarrier private expedited: %s, sync core: %s\n", en(mb(1 << 3, 0)), en(mb(1 << 5, 0)));
	printf("membarrier register private: %s\n", en(mb(1 << 4, 0)));
	printf("membarrier register private again: %s\n", en(mb(1 << 4, 0)));
	printf("membarrier private expedited: %s\n", en(mb(1 << 3, 0)));
	printf("membarrier register global expedited: %s\n", en(mb(1 << 2, 0)));
	printf("membarrier registrations %#lx\n", mb(1 << 9, 0));
	if (fork() == 0) {
		printf("membarrier child: registrations %#lx\n", mb(1 << 9, 0));
		printf("membarrier child: private expedited %s\n", en(mb(1 << 3, 0)));
		_exit(0);
	}
	wait_child();
	execl(self, self, "membarrier-after-exec", NULL);
	printf("exec: %s\n", strerrorname_np(errno));
	_exit(1);
}

/* ---- process_vm_readv, process_vm_writev */

static long pvr(pid_t pid, struct iovec *l, unsigned long ln, struct iovec *r, unsigned long rn, unsigned long flags) {
	return syscall(SYS_process_vm_readv, pid, l, ln, r, rn, flags);
}
static long pvw(pid_t pid, struct iovec *l, unsigned long ln, struct iovec *r, unsigned long rn, unsigned long flags) {
	return syscall(SYS_process_vm_writev, pid, l, ln, r, rn, flags);
}

static char shared_buf[64] = "the parent's data";

static void test_process_vm(void) {
	pid_t me = getpid();
	char dst[64] = {0}, src[64] = "written by process_vm_writev";
	struct iovec l = {dst, 17}, r = {shared_buf, 17};
	long n = pvr(me, &l, 1, &r, 1, 0);
	printf("process_vm_readv self: %ld %.*s\n", n, (int)(n > 0 ? n : 0), dst);
	struct iovec l2[2] = {{dst, 3}, {dst + 10, 4}}, r2[3] = {{shared_buf, 2}, {shared_buf + 4, 0}, {shared_buf + 4, 10}};
	memset(dst, '.', 20);
	n = pvr(me, l2, 2, r2, 3, 0);
	printf("process_vm_readv scattered: %ld %.20s\n", n, dst);
	struct iovec lw = {src, 28}, rw = {dst, 28};
	n = pvw(me, &lw, 1, &rw, 1, 0);
	printf("process_vm_writev self: %ld %.28s\n", n, dst);
	printf("flags 1: %s, -1: %s\n", en(pvr(me, &l, 1, &r, 1, 1)), en(pvw(me, &l, 1, &r, 1, -1UL)));
	printf("nothing to move, unused pid: %ld, NULL vectors: %ld\n", pvr(unused_pid(), &l, 0, &r, 1, 0),
	       pvr(me, NULL, 0, NULL, 0, 0));
	printf("remote lengths all 0: %ld\n", pvr(unused_pid(), &l, 1, r2 + 1, 1, 0));
	printf("unused pid: %s, pid 0: %s, pid -1: %s\n", en(pvr(unused_pid(), &l, 1, &r, 1, 0)), en(pvr(0, &l, 1, &r, 1, 0)),
	       en(pvr(-1, &l, 1, &r, 1, 0)));
	struct iovec neg = {dst, -1UL};
	printf("length -1 local: %s, remote: %s\n", en(pvr(me, &neg, 1, &r, 1, 0)), en(pvr(me, &l, 1, &neg, 1, 0)));
	struct iovec badl = {(void *)-1L, 17}, badr = {(void *)-1L, 17}, lowr = {(void *)8, 17};
	printf("local base -1: %s, remote base -1: %s, remote base 8: %s\n", en(pvr(me, &badl, 1, &r, 1, 0)),
	       en(pvr(me, &l, 1, &badr, 1, 0)), en(pvw(me, &l, 1, &lowr, 1, 0)));
	printf("local vector -1: %s, remote vector -1: %s, 1025 local: %s, 1025 remote: %s\n",
	       en(pvr(me, (void *)-1L, 1, &r, 1, 0)), en(pvr(me, &l, 1, (void *)-1L, 1, 0)), en(pvr(me, &l, 1025, &r, 1, 0)),
	       en(pvr(me, &l, 1, &r, 1025, 0)));
	char *pages = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(pages, 'p', 3 * 4096);
	mprotect(pages + 2 * 4096, 4096, PROT_NONE);
	mprotect(pages + 4096, 4096, PROT_READ);
	struct iovec lbig = {malloc(3 * 4096), 3 * 4096}, rpages = {pages + 4000, 3 * 4096 - 4000};
	printf("remote read into a PROT_NONE page: %ld\n", pvr(me, &lbig, 1, &rpages, 1, 0));
	printf("remote write into a read-only page: %ld\n", pvw(me, &lbig, 1, &rpages, 1, 0));
	struct iovec lpart = {pages + 2 * 4096 - 100, 300}, rsrc = {shared_buf, 64};
	printf("local write-back into a read-only page: %s\n", en(pvr(me, &lpart, 1, &rsrc, 1, 0)));
	struct iovec lpart2 = {pages + 2 * 4096 - 100, 300}, rdst = {dst, 64};
	printf("local read from a page then PROT_NONE: %ld\n", pvw(me, &lpart2, 1, &rdst, 1, 0));
	struct iovec lnone = {pages + 2 * 4096, 10};
	printf("local PROT_NONE: %s, remote PROT_NONE: %s\n", en(pvr(me, &lnone, 1, &r, 1, 0)), en(pvr(me, &l, 1, &lnone, 1, 0)));

	int p[2], q[2];
	pipe(p);
	pipe(q);
	pid_t child = fork();
	if (child == 0) {
		char c;
		strcpy(shared_buf, "the child's own copy");
		write(q[1], "x", 1);
		read(p[0], &c, 1);
		printf("child: its buffer now holds %s\n", shared_buf);
		_exit(0);
	}
	char c;
	read(q[0], &c, 1);
	memset(dst, 0, sizeof dst);
	struct iovec lc = {dst, 20}, rc = {shared_buf, 20};
	n = pvr(child, &lc, 1, &rc, 1, 0);
	printf("read the child's: %ld %.20s\n", n, dst);
	char msg[] = "changed by the parent";
	struct iovec lm = {msg, sizeof msg}, rm = {shared_buf, sizeof msg};
	printf("write the child's: %ld\n", pvw(child, &lm, 1, &rm, 1, 0));
	struct iovec rbad = {(void *)8, 20};
	printf("the child's bad address: %s\n", en(pvr(child, &lc, 1, &rbad, 1, 0)));
	printf("the parent's is unchanged: %s\n", shared_buf);
	if (fork() == 0) {
		drop_to_nobody();
		printf("nobody reads root's process: %s, writes: %s\n", en(pvr(child, &lc, 1, &rc, 1, 0)),
		       en(pvw(child, &lm, 1, &rm, 1, 0)));
		printf("nobody reads itself: %ld\n", pvr(getpid(), &lc, 1, &rc, 1, 0));
		_exit(0);
	}
	wait_child();
	write(p[1], "x", 1);
	wait_child();
	munmap(pages, 3 * 4096);
	free(lbig.iov_base);
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "membarrier-after-exec") == 0) {
		printf("membarrier after exec: registrations %#lx\n", mb(1 << 9, 0));
		printf("membarrier after exec: private expedited %s\n", en(mb(1 << 3, 0)));
		return 0;
	}
	const char *self = "/proc/self/exe";
	test_sysfs();
	test_ustat();
	test_vhangup();
	test_ioprio();
	test_kcmp(self);
	test_uts();
	test_schedattr();
	test_splice(self);
	test_readahead(self);
	test_membarrier(argv[0]);
	test_process_vm();
	printf("done\n");
	return 0;
}
