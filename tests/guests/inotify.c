/* inotify: the events of creating, writing, renaming, deleting and
 * changing files in a watched directory and of a watched file, IN_ONESHOT,
 * IN_MASK_ADD, IN_MASK_CREATE, IN_DONT_FOLLOW, IN_ONLYDIR, the IN_IGNORED
 * of inotify_rm_watch and of a deleted file, a non-blocking read (EAGAIN),
 * readiness through poll, select and epoll, FIONREAD, a blocking read
 * woken by another process, an instance shared with a forked child, the
 * watches in /proc/self/fdinfo, and the errors of each call. Events are
 * printed with their masks decoded, their names, and their cookies only
 * as zero, or equal or not to the previous one. Run as root or not. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef IN_MASK_CREATE
#define IN_MASK_CREATE 0x10000000
#endif

static const char *res(long r) {
	static char buf[64];
	if (r < 0)
		snprintf(buf, sizeof buf, "-1 %s", strerrorname_np(errno));
	else
		snprintf(buf, sizeof buf, "%ld", r);
	return buf;
}

static const struct {
	unsigned bit;
	const char *name;
} names[] = {
	{IN_ACCESS, "ACCESS"}, {IN_MODIFY, "MODIFY"}, {IN_ATTRIB, "ATTRIB"},
	{IN_CLOSE_WRITE, "CLOSE_WRITE"}, {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"},
	{IN_OPEN, "OPEN"}, {IN_MOVED_FROM, "MOVED_FROM"}, {IN_MOVED_TO, "MOVED_TO"},
	{IN_CREATE, "CREATE"}, {IN_DELETE, "DELETE"}, {IN_DELETE_SELF, "DELETE_SELF"},
	{IN_MOVE_SELF, "MOVE_SELF"}, {IN_UNMOUNT, "UNMOUNT"}, {IN_Q_OVERFLOW, "Q_OVERFLOW"},
	{IN_IGNORED, "IGNORED"}, {IN_ISDIR, "ISDIR"},
};

static void print_mask(unsigned m) {
	const char *sep = "";
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (m & names[i].bit) {
			printf("%s%s", sep, names[i].name);
			sep = "|";
			m &= ~names[i].bit;
		}
	}
	if (m)
		printf("%s0x%x", sep, m);
}

static unsigned last_cookie;

/* drain reads every queued event (the fd is non-blocking) and prints
 * them; it returns how many there were. */
static int drain(int fd) {
	char buf[4096] __attribute__((aligned(8)));
	int count = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0) {
			if (errno != EAGAIN)
				printf("  read: %s\n", res(n));
			return count;
		}
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			printf("  wd=%d ", e->wd);
			print_mask(e->mask);
			printf(" name=\"%s\"", e->len ? e->name : "");
			if (e->cookie == 0)
				printf(" cookie=0");
			else
				printf(" cookie=%s", e->cookie == last_cookie ? "same" : "new");
			if (e->cookie)
				last_cookie = e->cookie;
			printf("\n");
			p += sizeof *e + e->len;
			count++;
		}
	}
}

static void touch(const char *path) {
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	write(fd, "x", 1);
	close(fd);
}

static void readiness(int fd, const char *when) {
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int pr = poll(&p, 1, 0);
	fd_set set;
	FD_ZERO(&set);
	FD_SET(fd, &set);
	struct timeval tv = {0, 0};
	int sr = select(fd + 1, &set, NULL, NULL, &tv);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	int er = epoll_wait(ep, &out, 1, 0);
	close(ep);
	int avail = -1;
	ioctl(fd, FIONREAD, &avail);
	printf("%s: poll %d revents 0x%x, select %d, epoll %d, FIONREAD %d\n", when, pr, p.revents, sr, er, avail);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char dir[] = "/tmp/inotify-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	chmod(dir, 0755);
	chdir(dir);

	printf("inotify_init1(bad flags): %s\n", res(inotify_init1(1)));
	printf("inotify_init1(IN_CLOEXEC<<1): %s\n", res(inotify_init1(IN_CLOEXEC << 1)));
	int in = syscall(SYS_inotify_init);
	printf("inotify_init: fd ok %d, flags 0%o, cloexec %d\n", in >= 0, fcntl(in, F_GETFL) & ~0100000, fcntl(in, F_GETFD));
	close(in);
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	printf("inotify_init1(NONBLOCK|CLOEXEC): fd ok %d, flags 0%o, cloexec %d\n", in >= 0, fcntl(in, F_GETFL) & ~0100000, fcntl(in, F_GETFD));
	char lpath[64];
	snprintf(lpath, sizeof lpath, "/proc/self/fd/%d", in);
	char target[64] = "";
	readlink(lpath, target, sizeof target - 1);
	printf("fd link: %s\n", target);

	printf("\n== a watched directory\n");
	int wd = inotify_add_watch(in, ".", IN_ALL_EVENTS);
	printf("watch .: %s\n", res(wd));
	readiness(in, "no events");
	char buf[64];
	printf("read with nothing queued: %s\n", res(read(in, buf, sizeof buf)));
	touch("a");
	readiness(in, "after touch");
	printf("read into 8 bytes: %s\n", res(read(in, buf, 8)));
	drain(in);
	mkdir("sub", 0755);
	rename("a", "b");
	rename("b", "sub/c");
	rename("sub/c", "d");
	link("d", "e");
	symlink("d", "f");
	chmod("d", 0600);
	int fd = open("d", O_WRONLY);
	ftruncate(fd, 0);
	close(fd);
	fd = open("d", O_RDONLY);
	read(fd, buf, 1);
	close(fd);
	unlink("d");
	unlink("e");
	unlink("f");
	rmdir("sub");
	chmod(".", 0755);
	drain(in);

	printf("\n== watch descriptors\n");
	touch("file");
	mkdir("subdir", 0755);
	symlink("file", "flink");
	symlink("subdir", "dlink");
	int fwd = inotify_add_watch(in, "file", IN_MODIFY);
	printf("watch file: new wd %d\n", fwd != wd && fwd > 0);
	printf("again: same %d\n", inotify_add_watch(in, "file", IN_ATTRIB) == fwd);
	printf("through a link: same %d\n", inotify_add_watch(in, "flink", IN_ATTRIB) == fwd);
	int lwd = inotify_add_watch(in, "flink", IN_ATTRIB | IN_DONT_FOLLOW);
	printf("the link itself (IN_DONT_FOLLOW): different %d\n", lwd > 0 && lwd != fwd);
	char abs[128];
	snprintf(abs, sizeof abs, "%s/file", dir);
	printf("by absolute path: same %d\n", inotify_add_watch(in, abs, IN_ATTRIB) == fwd);
	printf("with ..: same %d\n", inotify_add_watch(in, "subdir/../file", IN_ATTRIB) == fwd);
	int pfd = open("file", O_RDONLY);
	snprintf(lpath, sizeof lpath, "/proc/self/fd/%d", pfd);
	printf("through /proc/self/fd: same %d\n", inotify_add_watch(in, lpath, IN_ATTRIB) == fwd);
	close(pfd);
	printf("IN_ONLYDIR on a directory: %d\n", inotify_add_watch(in, "subdir", IN_ATTRIB | IN_ONLYDIR) > 0);
	printf("IN_ONLYDIR through a link: %d\n", inotify_add_watch(in, "dlink", IN_ATTRIB | IN_ONLYDIR) > 0);
	printf("IN_ONLYDIR|IN_DONT_FOLLOW on the link: %s\n", res(inotify_add_watch(in, "dlink", IN_ATTRIB | IN_ONLYDIR | IN_DONT_FOLLOW)));
	printf("IN_ONLYDIR on a file: %s\n", res(inotify_add_watch(in, "file", IN_ATTRIB | IN_ONLYDIR)));
	printf("IN_MASK_CREATE on a watched file: %s\n", res(inotify_add_watch(in, "file", IN_ATTRIB | IN_MASK_CREATE)));
	printf("IN_MASK_CREATE|IN_MASK_ADD: %s\n", res(inotify_add_watch(in, "file", IN_ATTRIB | IN_MASK_CREATE | IN_MASK_ADD)));
	drain(in);

	printf("\n== the mask of a file watch\n");
	fwd = inotify_add_watch(in, "file", IN_MODIFY);
	int rwd = inotify_add_watch(in, ".", IN_CREATE);
	printf("replace the mask with MODIFY: same %d, directory watch now CREATE only: same %d\n", fwd > 0, rwd == wd);
	fd = open("file", O_RDWR);
	write(fd, "y", 1);
	read(fd, buf, 1);
	drain(in);
	inotify_add_watch(in, "file", IN_ACCESS | IN_MASK_ADD);
	printf("IN_MASK_ADD ACCESS:\n");
	pwrite(fd, "y", 1, 0);
	pread(fd, buf, 1, 0);
	drain(in);
	inotify_add_watch(in, "file", IN_ACCESS);
	printf("replace with ACCESS:\n");
	pwrite(fd, "y", 1, 0);
	pread(fd, buf, 1, 0);
	drain(in);
	close(fd);

	printf("\n== /proc/self/fdinfo\n");
	snprintf(lpath, sizeof lpath, "/proc/self/fdinfo/%d", in);
	FILE *fi = fopen(lpath, "r");
	char line[512];
	int lines = 0;
	while (fi && fgets(line, sizeof line, fi)) {
		unsigned w, mask;
		if (sscanf(line, "inotify wd:%x ino:%*x sdev:%*x mask:%x", &w, &mask) == 2) {
			if (w == (unsigned)fwd || w == (unsigned)wd)
				printf("wd %s mask 0x%x\n", w == (unsigned)wd ? "dir" : "file", mask);
			lines++;
		}
	}
	if (fi)
		fclose(fi);
	printf("watches listed: %d\n", lines);

	printf("\n== inotify_rm_watch\n");
	printf("rm_watch file: %s\n", res(inotify_rm_watch(in, fwd)));
	printf("rm_watch again: %s\n", res(inotify_rm_watch(in, fwd)));
	printf("rm_watch -1: %s\n", res(inotify_rm_watch(in, -1)));
	drain(in);
	printf("the link's watches:\n");
	inotify_rm_watch(in, lwd);
	drain(in);

	printf("\n== IN_ONESHOT\n");
	fwd = inotify_add_watch(in, "file", IN_MODIFY | IN_ONESHOT);
	printf("watch: %d\n", fwd > 0);
	fd = open("file", O_WRONLY);
	write(fd, "1", 1);
	write(fd, "2", 1);
	close(fd);
	drain(in);
	printf("rm_watch after it fired: %s\n", res(inotify_rm_watch(in, fwd)));

	printf("\n== a deleted file\n");
	fwd = inotify_add_watch(in, "file", IN_ALL_EVENTS);
	unlink("file");
	drain(in);
	unlink("flink");
	unlink("dlink");
	rmdir("subdir");
	drain(in);

	printf("\n== errors\n");
	printf("missing file: %s\n", res(inotify_add_watch(in, "nothing", IN_MODIFY)));
	touch("plain");
	printf("through a file: %s\n", res(inotify_add_watch(in, "plain/x", IN_MODIFY)));
	printf("trailing slash on a file: %s\n", res(inotify_add_watch(in, "plain/", IN_MODIFY)));
	printf("empty path: %s\n", res(inotify_add_watch(in, "", IN_MODIFY)));
	printf("bad pointer: %s\n", res(inotify_add_watch(in, (char *)1, IN_MODIFY)));
	printf("mask 0: %s\n", res(inotify_add_watch(in, ".", 0)));
	printf("unknown mask bit: %s\n", res(inotify_add_watch(in, ".", IN_MODIFY | 0x10000)));
	printf("flags only: %d\n", inotify_add_watch(in, "plain", IN_ONESHOT) > 0);
	printf("bad fd: %s\n", res(inotify_add_watch(999, ".", IN_MODIFY)));
	printf("bad fd and mask 0: %s\n", res(inotify_add_watch(999, ".", 0)));
	printf("not an inotify fd: %s\n", res(inotify_add_watch(1, ".", IN_MODIFY)));
	printf("rm_watch bad fd: %s\n", res(inotify_rm_watch(999, 1)));
	printf("rm_watch not an inotify fd: %s\n", res(inotify_rm_watch(1, 1)));
	chmod("plain", 0);
	pid_t pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && setuid(65534) < 0)
			_exit(1);
		printf("unreadable file: %s\n", res(inotify_add_watch(in, "plain", IN_MODIFY)));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	drain(in);

	printf("\n== a forked child\n");
	inotify_add_watch(in, ".", IN_CREATE | IN_DELETE);
	pid = fork();
	if (pid == 0) {
		int cwd = inotify_add_watch(in, ".", IN_CREATE | IN_DELETE);
		printf("child: same wd %d\n", cwd == wd);
		touch("from-child");
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	printf("parent:\n");
	drain(in);
	unlink("from-child");
	drain(in);

	printf("\n== a blocking read\n");
	fcntl(in, F_SETFL, 0);
	pid = fork();
	if (pid == 0) {
		usleep(100000);
		touch("late");
		_exit(0);
	}
	char ebuf[256] __attribute__((aligned(8)));
	ssize_t n = read(in, ebuf, sizeof ebuf);
	struct inotify_event *e = (struct inotify_event *)ebuf;
	printf("read: %d bytes, ", n > 0);
	print_mask(e->mask);
	printf(" name=\"%s\"\n", e->name);
	waitpid(pid, NULL, 0);
	fcntl(in, F_SETFL, O_NONBLOCK);
	unlink("late");
	unlink("plain");
	drain(in);

	printf("\n== pseudo files\n");
	printf("/proc/self/status: %d\n", inotify_add_watch(in, "/proc/self/status", IN_MODIFY) > 0);
	printf("/proc: %d\n", inotify_add_watch(in, "/proc", IN_CREATE | IN_ONLYDIR) > 0);
	int nwd = inotify_add_watch(in, "/dev/null", IN_DELETE_SELF);
	printf("/dev/null: %d, again: same %d\n", nwd > 0, inotify_add_watch(in, "/dev/null", IN_MOVE_SELF) == nwd);
	printf("IN_MASK_CREATE on it: %s\n", res(inotify_add_watch(in, "/dev/null", IN_MOVE_SELF | IN_MASK_CREATE)));
	printf("missing /proc file: %s\n", res(inotify_add_watch(in, "/proc/self/nothing", IN_MODIFY)));
	printf("rm_watch: %s\n", res(inotify_rm_watch(in, nwd)));
	drain(in);

	close(in);
	chdir("/");
	rmdir(dir);
	printf("done\n");
	return 0;
}
