/* Linux native AIO through the raw system calls (no libaio): io_setup's
 * checks and its ring in /proc/self/maps; io_submit of reads, writes,
 * vectors, fsync, fdsync and polls, with the aio_key it clears, partial
 * submission and each error (bad iocb fields, descriptors, buffers, flags,
 * priorities); results in the events (EFAULT, RWF_NOWAIT's EAGAIN);
 * IOCB_FLAG_RESFD signalling an eventfd (up to its overflow, POLLERR);
 * io_getevents with min_nr and timeouts (only "timed out" is printed),
 * a signal (EINTR), io_pgetevents' mask, a bad events array; io_cancel of
 * a waiting poll and of finished requests; io_destroy waking a waiting
 * thread; a forked child using its parent's context; and execve dropping
 * the contexts. Context ids and addresses are never printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long io_setup(unsigned nr, aio_context_t *c) { return syscall(SYS_io_setup, nr, c); }
static long io_destroy(aio_context_t c) { return syscall(SYS_io_destroy, c); }
static long io_submit(aio_context_t c, long nr, struct iocb **v) { return syscall(SYS_io_submit, c, nr, v); }
static long io_cancel(aio_context_t c, struct iocb *cb, struct io_event *ev) { return syscall(SYS_io_cancel, c, cb, ev); }
static long io_getevents(aio_context_t c, long min, long nr, struct io_event *ev, struct timespec *ts) {
	return syscall(SYS_io_getevents, c, min, nr, ev, ts);
}
struct aio_sigset {
	const sigset_t *mask;
	size_t size;
};
static long io_pgetevents(aio_context_t c, long min, long nr, struct io_event *ev, struct timespec *ts, struct aio_sigset *s) {
	return syscall(SYS_io_pgetevents, c, min, nr, ev, ts, s);
}

static const char *en(long r) {
	static char buf[64];
	if (r < 0)
		snprintf(buf, sizeof buf, "-1 %s", strerrorname_np(errno));
	else
		snprintf(buf, sizeof buf, "%ld", r);
	return buf;
}

/* An event's result: a count or an errno name. */
static const char *evres(long long r) {
	static char buf[64];
	if (r < 0)
		snprintf(buf, sizeof buf, "%s", strerrorname_np(-r));
	else
		snprintf(buf, sizeof buf, "%lld", r);
	return buf;
}

static void prep(struct iocb *cb, int op, int fd, void *buf, unsigned long long n, long long off) {
	memset(cb, 0, sizeof *cb);
	cb->aio_lio_opcode = op;
	cb->aio_fildes = fd;
	cb->aio_buf = (uintptr_t)buf;
	cb->aio_nbytes = n;
	cb->aio_offset = off;
}

static aio_context_t ctx;

/* submit submits one iocb and prints what io_submit says. */
static long submit(const char *what, struct iocb *cb) {
	struct iocb *v[1] = {cb};
	long r = io_submit(ctx, 1, v);
	printf("%s: submit %s\n", what, en(r));
	return r;
}

/* reap takes one event (within a second) and prints its result. */
static void reap(const char *what, struct iocb *cb) {
	struct io_event ev;
	struct timespec ts = {1, 0};
	long n = io_getevents(ctx, 1, 1, &ev, &ts);
	if (n != 1) {
		printf("%s: getevents %s\n", what, en(n));
		return;
	}
	printf("%s: res %s, res2 %lld, obj ours %d, data %llu\n", what, evres(ev.res), (long long)ev.res2,
	       ev.obj == (uintptr_t)cb, (unsigned long long)ev.data);
}

/* one submits one iocb and reaps its event if it was submitted. */
static void one(const char *what, struct iocb *cb) {
	if (submit(what, cb) == 1)
		reap(what, cb);
}

static int maps_has_aio(void) {
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, "[aio]"))
			n++;
	if (f)
		fclose(f);
	return n;
}

static long long ms_since(struct timespec *t0) {
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000LL + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static volatile sig_atomic_t handled;
static void on_signal(int sig) { handled++; }

static long destroyed;

static void *destroyer(void *arg) {
	usleep(50000);
	destroyed = io_destroy(*(aio_context_t *)arg);
	return NULL;
}

static void setup_checks(void) {
	aio_context_t c = 1;
	printf("io_setup *ctxp != 0: %s\n", en(io_setup(1, &c)));
	c = 0;
	printf("io_setup nr 0: %s\n", en(io_setup(0, &c)));
	printf("io_setup nr -1: %s\n", en(io_setup(-1, &c)));
	printf("io_setup NULL: %s\n", en(io_setup(1, NULL)));
	printf("io_setup nr 1<<31: %s\n", en(io_setup(1u << 31, &c)));
	unsigned long max = 0;
	FILE *f = fopen("/proc/sys/fs/aio-max-nr", "r");
	if (f && fscanf(f, "%lu", &max) == 1)
		printf("io_setup aio-max-nr + 1: %s\n", en(io_setup(max + 1, &c)));
	if (f)
		fclose(f);
	aio_context_t *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("io_setup read-only ctxp: %s\n", en(io_setup(1, ro)));
	munmap(ro, 4096);
	int before = maps_has_aio();
	long r = io_setup(128, &ctx);
	printf("io_setup: %s, ctx set %d\n", en(r), ctx != 0);
	printf("rings in /proc/self/maps: %d more\n", maps_has_aio() - before);
}

static void rw_checks(int fd) {
	char out[64] = "hello, asynchronous world", in[64] = {0};
	struct iocb cb;
	prep(&cb, IOCB_CMD_PWRITE, fd, out, 25, 100);
	cb.aio_data = 42;
	cb.aio_key = 0xdead;
	one("pwrite 25 at 100", &cb);
	printf("aio_key after submit: %#x\n", cb.aio_key);
	prep(&cb, IOCB_CMD_PREAD, fd, in, 64, 100);
	cb.aio_data = 43;
	one("pread 64 at 100", &cb);
	printf("read back: %s\n", in);
	prep(&cb, IOCB_CMD_PREAD, fd, in, 64, 1 << 20);
	one("pread past the end", &cb);

	char a[4] = "abc", b[8] = "defgh", c2[3] = "ij";
	struct iovec wv[3] = {{a, 3}, {b, 5}, {c2, 2}};
	prep(&cb, IOCB_CMD_PWRITEV, fd, wv, 3, 0);
	one("pwritev 3 vectors at 0", &cb);
	char r1[4] = {0}, r2[16] = {0};
	struct iovec rv[2] = {{r1, 3}, {r2, 7}};
	prep(&cb, IOCB_CMD_PREADV, fd, rv, 2, 0);
	one("preadv 2 vectors at 0", &cb);
	printf("vectors read: %s|%s\n", r1, r2);
	prep(&cb, IOCB_CMD_PREADV, fd, rv, 0, 0);
	one("preadv 0 vectors", &cb);

	prep(&cb, IOCB_CMD_FSYNC, fd, NULL, 0, 0);
	one("fsync", &cb);
	prep(&cb, IOCB_CMD_FDSYNC, fd, NULL, 0, 0);
	one("fdsync", &cb);

	/* Several at once, reaped together. */
	struct iocb cbs[3], *v[3];
	char bufs[3][8];
	for (int i = 0; i < 3; i++) {
		prep(&cbs[i], IOCB_CMD_PREAD, fd, bufs[i], 4, i * 4);
		cbs[i].aio_data = 100 + i;
		v[i] = &cbs[i];
	}
	printf("submit 3: %s\n", en(io_submit(ctx, 3, v)));
	struct io_event evs[8];
	struct timespec ts = {1, 0};
	long n = io_getevents(ctx, 3, 8, evs, &ts);
	printf("getevents min 3: %s\n", en(n));
	for (long i = 0; i < n; i++)
		printf("  event data %llu res %s\n", (unsigned long long)evs[i].data, evres(evs[i].res));

	/* Partial submission: the second iocb is bad. */
	struct iocb bad;
	prep(&cbs[0], IOCB_CMD_PREAD, fd, bufs[0], 4, 0);
	prep(&bad, IOCB_CMD_PREAD, -1, bufs[1], 4, 0);
	v[0] = &cbs[0];
	v[1] = &bad;
	printf("submit good then bad fd: %s\n", en(io_submit(ctx, 2, v)));
	reap("  the good one", &cbs[0]);
	v[0] = &bad;
	v[1] = &cbs[0];
	printf("submit bad fd then good: %s\n", en(io_submit(ctx, 2, v)));
	v[0] = &cbs[0];
	v[1] = NULL;
	printf("submit good then NULL: %s\n", en(io_submit(ctx, 2, v)));
	reap("  the good one", &cbs[0]);
	printf("submit nr 0: %s\n", en(io_submit(ctx, 0, NULL)));
	printf("submit nr -1: %s\n", en(io_submit(ctx, -1, v)));
	printf("submit bad ctx: %s\n", en(syscall(SYS_io_submit, 12345, 1, v)));
	printf("submit bad array: %s\n", en(io_submit(ctx, 1, (struct iocb **)8)));
}

static void error_checks(int fd) {
	char buf[64];
	struct iocb cb;
	int rdonly = open("/proc/self/exe", O_RDONLY);
	int wronly = open("/dev/null", O_WRONLY);
	int path = open("/", O_PATH);
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	int p[2];
	pipe(p);

	prep(&cb, IOCB_CMD_NOOP, fd, NULL, 0, 0);
	submit("IOCB_CMD_NOOP", &cb);
	prep(&cb, 42, fd, NULL, 0, 0);
	submit("opcode 42", &cb);
	prep(&cb, IOCB_CMD_PREAD, fd, buf, 4, 0);
	cb.aio_reserved2 = 1;
	submit("aio_reserved2 set", &cb);
	prep(&cb, IOCB_CMD_PREAD, fd, buf, -1ULL, 0);
	submit("aio_nbytes negative", &cb);
	prep(&cb, IOCB_CMD_PREAD, 999, buf, 4, 0);
	submit("bad fd", &cb);
	prep(&cb, IOCB_CMD_PWRITE, rdonly, buf, 4, 0);
	submit("write to O_RDONLY", &cb);
	prep(&cb, IOCB_CMD_PREAD, wronly, buf, 4, 0);
	submit("read from O_WRONLY", &cb);
	prep(&cb, IOCB_CMD_PREAD, path, buf, 4, 0);
	submit("read from O_PATH", &cb);
	prep(&cb, IOCB_CMD_PREAD, dir, buf, 4, 0);
	submit("read from a directory", &cb);
	prep(&cb, IOCB_CMD_PREAD, fd, buf, 4, -1);
	submit("negative offset", &cb);
	prep(&cb, IOCB_CMD_PREAD, fd, buf, 4, 0x7ffffffffffffffe);
	submit("offset + count overflows", &cb);
	prep(&cb, IOCB_CMD_PREAD, fd, (void *)0xffff800000000000, 4, 0);
	submit("kernel buffer", &cb);
	char *hole = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, 4096);
	prep(&cb, IOCB_CMD_PREAD, fd, hole, 4, 0);
	one("unmapped buffer", &cb);
	prep(&cb, IOCB_CMD_PREADV, fd, hole, 1, 0);
	submit("unmapped iovec array", &cb);
	struct iovec iov[1] = {{hole, 4}};
	prep(&cb, IOCB_CMD_PREADV, fd, iov, 1, 0);
	one("iovec to unmapped memory", &cb);
	prep(&cb, IOCB_CMD_PREADV, fd, iov, 1025, 0);
	submit("1025 vectors", &cb);
	struct iovec negv[1] = {{buf, (size_t)-1}};
	prep(&cb, IOCB_CMD_PREADV, fd, negv, 1, 0);
	submit("negative vector length", &cb);
	printf("submit iocb at an unmapped address: %s\n", en(io_submit(ctx, 1, (struct iocb *[]){(struct iocb *)hole})));

	prep(&cb, IOCB_CMD_FSYNC, fd, buf, 0, 0);
	submit("fsync with a buffer", &cb);
	prep(&cb, IOCB_CMD_FSYNC, p[0], NULL, 0, 0);
	submit("fsync of a pipe", &cb);
	prep(&cb, IOCB_CMD_FDSYNC, rdonly, NULL, 0, 0);
	one("fdsync of a read-only file", &cb);

	prep(&cb, IOCB_CMD_PREAD, fd, buf, 4, 0);
	cb.aio_rw_flags = 0x10000;
	submit("unknown RWF flag", &cb);
	prep(&cb, IOCB_CMD_PWRITE, fd, buf, 4, 0);
	cb.aio_rw_flags = RWF_APPEND | RWF_NOAPPEND;
	submit("RWF_APPEND|RWF_NOAPPEND", &cb);
	prep(&cb, IOCB_CMD_PREAD, fd, buf, 4, 0);
	cb.aio_rw_flags = RWF_HIPRI | RWF_DSYNC;
	one("pread RWF_HIPRI|RWF_DSYNC", &cb);
	prep(&cb, IOCB_CMD_PREAD, p[0], buf, 4, 0);
	cb.aio_rw_flags = RWF_NOWAIT;
	one("RWF_NOWAIT read of an empty pipe", &cb);

	prep(&cb, IOCB_CMD_PREAD, fd, buf, 4, 0);
	cb.aio_flags = IOCB_FLAG_IOPRIO;
	cb.aio_reqprio = (2 << 13) | 4; /* best effort, level 4 */
	one("IOCB_FLAG_IOPRIO best effort 4", &cb);
	cb.aio_reqprio = 5 << 13;
	submit("IOCB_FLAG_IOPRIO class 5", &cb);
	cb.aio_reqprio = 3;
	submit("IOCB_FLAG_IOPRIO class none, level 3", &cb);

	/* Pipes have no position: the offset is ignored. */
	write(p[1], "piped", 5);
	memset(buf, 0, sizeof buf);
	prep(&cb, IOCB_CMD_PREAD, p[0], buf, 64, 12345);
	one("pread of a pipe", &cb);
	printf("read from the pipe: %s\n", buf);
	prep(&cb, IOCB_CMD_PWRITE, p[1], "again", 5, 777);
	one("pwrite to a pipe", &cb);
	printf("pipe holds: %s\n", en(read(p[0], buf, sizeof buf)));

	close(rdonly);
	close(wronly);
	close(path);
	close(dir);
	close(p[0]);
	close(p[1]);
}

static void eventfd_checks(int fd) {
	char buf[8];
	struct iocb cb;
	int efd = eventfd(0, EFD_NONBLOCK);
	uint64_t v = 0;
	struct pollfd pfd = {efd, POLLIN, 0};
	printf("eventfd readable before: %d\n", poll(&pfd, 1, 0));
	prep(&cb, IOCB_CMD_PREAD, fd, buf, 4, 0);
	cb.aio_flags = IOCB_FLAG_RESFD;
	cb.aio_resfd = efd;
	submit("pread with RESFD", &cb);
	submit("again", &cb);
	int n = poll(&pfd, 1, 1000);
	printf("eventfd readable after: %d, revents %#x\n", n, pfd.revents);
	long r = read(efd, &v, 8);
	printf("eventfd count: %s %llu\n", en(r), (unsigned long long)v);
	struct io_event evs[2];
	printf("getevents: %s\n", en(io_getevents(ctx, 2, 2, evs, NULL)));

	cb.aio_resfd = fd;
	submit("RESFD not an eventfd", &cb);
	cb.aio_resfd = 999;
	submit("RESFD bad fd", &cb);

	/* The kernel's own signal saturates: 2^64-2 + 1 overflows. */
	v = UINT64_MAX - 1;
	write(efd, &v, 8);
	cb.aio_resfd = efd;
	one("pread with RESFD on a full eventfd", &cb);
	pfd.events = POLLIN;
	n = poll(&pfd, 1, 1000);
	printf("full eventfd: poll %d revents %#x\n", n, pfd.revents);
	r = read(efd, &v, 8);
	printf("full eventfd count: %s %#llx\n", en(r), (unsigned long long)v);
	close(efd);
}

static void poll_checks(void) {
	int p[2];
	pipe(p);
	struct iocb cb, cb2;
	struct io_event ev;
	struct timespec ts = {0, 10000000};
	write(p[1], "x", 1);
	prep(&cb, IOCB_CMD_POLL, p[0], (void *)POLLIN, 0, 0);
	one("poll of a readable pipe", &cb);
	prep(&cb, IOCB_CMD_POLL, p[1], (void *)(POLLOUT | POLLIN), 0, 0);
	one("poll of a pipe's write end", &cb);
	char c;
	read(p[0], &c, 1);

	prep(&cb, IOCB_CMD_POLL, p[0], (void *)POLLIN, 0, 0);
	cb.aio_data = 7;
	submit("poll of an empty pipe", &cb);
	long n = io_getevents(ctx, 1, 1, &ev, &ts);
	printf("  getevents 10 ms: %s\n", en(n));
	write(p[1], "y", 1);
	reap("  after a write", &cb);
	read(p[0], &c, 1);

	prep(&cb, IOCB_CMD_POLL, p[0], (void *)POLLIN, 0, 0);
	submit("another poll of the empty pipe", &cb);
	printf("  io_cancel: %s\n", en(io_cancel(ctx, &cb, &ev)));
	reap("  after io_cancel", &cb);
	printf("  io_cancel again: %s\n", en(io_cancel(ctx, &cb, &ev)));

	prep(&cb2, IOCB_CMD_POLL, p[0], (void *)POLLIN, 0, 0);
	cb2.aio_data = 9;
	submit("a third poll", &cb2);
	cb2.aio_key = 1;
	printf("  io_cancel with aio_key 1: %s\n", en(io_cancel(ctx, &cb2, &ev)));
	cb2.aio_key = 0;
	printf("  io_cancel of another iocb: %s\n", en(io_cancel(ctx, &cb, &ev)));
	close(p[1]);
	reap("  after the writer closed", &cb2);

	prep(&cb, IOCB_CMD_POLL, p[0], (void *)0x10000, 0, 0);
	submit("poll for events beyond 16 bits", &cb);
	prep(&cb, IOCB_CMD_POLL, p[0], (void *)POLLIN, 1, 0);
	submit("poll with aio_nbytes", &cb);
	close(p[0]);
}

static void getevents_checks(int fd) {
	struct io_event evs[4];
	struct timespec zero = {0, 0}, ten = {0, 10000000}, t0;
	char buf[4];
	struct iocb cbs[3], *v[3];

	printf("getevents min > nr: %s\n", en(io_getevents(ctx, 2, 1, evs, &zero)));
	printf("getevents min -1: %s\n", en(io_getevents(ctx, -1, 1, evs, &zero)));
	printf("getevents bad ctx: %s\n", en(syscall(SYS_io_getevents, 0, 0, 1, evs, &zero)));
	printf("getevents bad timeout: %s\n", en(io_getevents(ctx, 0, 1, evs, (struct timespec *)8)));
	printf("getevents nothing, timeout 0: %s\n", en(io_getevents(ctx, 1, 4, evs, &zero)));
	printf("getevents nothing, bad events: %s\n", en(io_getevents(ctx, 0, 4, (struct io_event *)8, &zero)));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long n = io_getevents(ctx, 1, 4, evs, &ten);
	printf("getevents nothing, 10 ms: %s, timed out: %s\n", en(n), ms_since(&t0) >= 9 ? "yes" : "no");

	for (int i = 0; i < 3; i++) {
		prep(&cbs[i], IOCB_CMD_PREAD, fd, buf, 1, i);
		cbs[i].aio_data = i;
		v[i] = &cbs[i];
	}
	io_submit(ctx, 3, v);
	printf("getevents bad events: %s\n", en(io_getevents(ctx, 1, 4, (struct io_event *)8, &zero)));
	n = io_getevents(ctx, 1, 1, evs, &zero);
	printf("getevents nr 1 of 3: %s, data %llu\n", en(n), (unsigned long long)evs[0].data);
	printf("getevents min 0: %s\n", en(io_getevents(ctx, 0, 0, evs, NULL)));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = io_getevents(ctx, 3, 4, evs, &ten);
	printf("getevents min 3 of 2, 10 ms: %s, timed out: %s\n", en(n), ms_since(&t0) >= 9 ? "yes" : "no");

	/* A signal ends a wait without a timeout. */
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 20000}};
	setitimer(ITIMER_REAL, &it, NULL);
	n = io_getevents(ctx, 1, 4, evs, NULL);
	printf("getevents interrupted: %s, handler ran %d\n", en(n), handled);

	/* io_pgetevents: the mask blocks SIGALRM during the wait only. */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	struct aio_sigset s = {&block, 8};
	handled = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	struct timespec fifth = {0, 200000000};
	n = io_pgetevents(ctx, 1, 4, evs, &fifth, &s);
	printf("pgetevents with SIGALRM blocked: %s\n", en(n));
	usleep(1000);
	printf("handler ran: %d\n", handled);
	sigset_t none;
	sigemptyset(&none);
	s.mask = &none;
	handled = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	n = io_pgetevents(ctx, 1, 4, evs, NULL, &s);
	printf("pgetevents interrupted: %s, handler ran %d\n", en(n), handled);
	s.size = 4;
	printf("pgetevents bad sigset size: %s\n", en(io_pgetevents(ctx, 0, 4, evs, &zero, &s)));
	printf("pgetevents bad sigset: %s\n", en(io_pgetevents(ctx, 0, 4, evs, &zero, (struct aio_sigset *)8)));
	s.mask = (sigset_t *)8;
	s.size = 8;
	printf("pgetevents bad mask: %s\n", en(io_pgetevents(ctx, 0, 4, evs, &zero, &s)));
	printf("pgetevents no sigset: %s\n", en(io_pgetevents(ctx, 0, 4, evs, &zero, NULL)));

	prep(&cbs[0], IOCB_CMD_PREAD, fd, buf, 1, 0);
	io_submit(ctx, 1, v);
	printf("io_cancel of a finished read: %s\n", en(io_cancel(ctx, &cbs[0], evs)));
	printf("io_cancel NULL iocb: %s\n", en(io_cancel(ctx, NULL, evs)));
	printf("io_cancel bad ctx: %s\n", en(syscall(SYS_io_cancel, 0, &cbs[0], evs)));
	printf("drain: %s\n", en(io_getevents(ctx, 1, 4, evs, &zero)));
}

static void destroy_checks(int fd) {
	aio_context_t c = 0;
	struct io_event ev;
	printf("io_setup: %s\n", en(io_setup(4, &c)));
	pthread_t th;
	pthread_create(&th, NULL, destroyer, &c);
	long n = io_getevents(c, 1, 1, &ev, NULL);
	pthread_join(th, NULL);
	printf("io_destroy while a thread waits: %s\n", en(destroyed));
	printf("the waiting getevents: %s\n", en(n));
	printf("io_destroy again: %s\n", en(io_destroy(c)));
	printf("io_destroy 0: %s\n", en(io_destroy(0)));
	printf("io_destroy -1: %s\n", en(io_destroy(-1)));
	printf("getevents after: %s\n", en(io_getevents(c, 0, 1, &ev, NULL)));
}

static void fork_checks(int fd) {
	char buf[4];
	struct iocb cb, *v[1] = {&cb};
	struct io_event ev;
	struct timespec zero = {0, 0};
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		prep(&cb, IOCB_CMD_PREAD, fd, buf, 1, 0);
		printf("child: submit on the parent's context: %s\n", en(io_submit(ctx, 1, v)));
		printf("child: getevents on it: %s\n", en(io_getevents(ctx, 0, 1, &ev, &zero)));
		printf("child: io_destroy of it: %s\n", en(io_destroy(ctx)));
		aio_context_t c = 0;
		printf("child: its own io_setup: %s\n", en(io_setup(1, &c)));
		printf("child: submit on it: %s\n", en(io_submit(c, 1, v)));
		printf("child: reap: %s\n", en(io_getevents(c, 1, 1, &ev, NULL)));
		printf("child: io_destroy: %s\n", en(io_destroy(c)));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	prep(&cb, IOCB_CMD_PREAD, fd, buf, 1, 0);
	printf("parent: submit after the child: %s\n", en(io_submit(ctx, 1, v)));
	printf("parent: reap: %s\n", en(io_getevents(ctx, 1, 1, &ev, NULL)));
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "exec") == 0) {
		aio_context_t old = strtoull(argv[2], NULL, 0);
		struct io_event ev;
		struct timespec zero = {0, 0};
		printf("after execve: getevents on the old context: %s\n", en(io_getevents(old, 0, 1, &ev, &zero)));
		printf("after execve: io_destroy of it: %s\n", en(io_destroy(old)));
		printf("after execve: rings in /proc/self/maps: %d\n", maps_has_aio());
		aio_context_t c = 0;
		printf("after execve: io_setup: %s\n", en(io_setup(1, &c)));
		printf("after execve: io_destroy: %s\n", en(io_destroy(c)));
		printf("done\n");
		return 0;
	}
	char dir[] = "/tmp/aioXXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[64];
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	unlink(path);
	rmdir(dir);

	setup_checks();
	rw_checks(fd);
	error_checks(fd);
	eventfd_checks(fd);
	poll_checks();
	getevents_checks(fd);
	destroy_checks(fd);
	fork_checks(fd);

	printf("io_destroy: %s\n", en(io_destroy(ctx)));
	printf("rings left: %d\n", maps_has_aio());
	aio_context_t c = 0;
	io_setup(8, &c);
	char arg[32];
	snprintf(arg, sizeof arg, "%#llx", (unsigned long long)c);
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "exec", arg, (char *)NULL);
	printf("execl: %s\n", en(-1));
	return 1;
}
