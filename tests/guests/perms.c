/* Permission checks of a process that is not root, which the host (where
 * gophene may run as root) would not make: search permission on every
 * directory a path walks through, write permission on the directory for
 * entries made or removed, sticky directories, protected hard links,
 * O_NOATIME, chmod, chown and time changes by others, set-group-ID bits
 * of new files, access() with real and effective ids, truncate past
 * RLIMIT_FSIZE. Run as root: root makes the files, the checks drop to
 * nobody. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY 65534
#define OTHER_GID 100 /* a group nobody is not in */

static char dir[64];

/* at is dir/name, in one of a few rotating buffers. */
static const char *at(const char *fmt, ...) {
	static char bufs[4][512];
	static int n;
	char *b = bufs[n++ % 4];
	char name[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	snprintf(b, 512, "%s/%s", dir, name);
	return b;
}

static void res(const char *what, long r) {
	printf("%-44s %s\n", what, r < 0 ? strerrorname_np(errno) : "ok");
}

static void closed(const char *what, int fd) {
	res(what, fd);
	if (fd >= 0)
		close(fd);
}

static void mode(const char *what, const char *path) {
	struct stat st;
	if (lstat(path, &st) < 0) {
		printf("%-44s %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%-44s mode %04o uid %d gid %d\n", what, st.st_mode & 07777, (int)st.st_uid, (int)st.st_gid);
}

static void mk(const char *path, int m) {
	mkdir(path, m);
	chmod(path, m);
}

static void touch(const char *path, int m) {
	close(open(path, O_CREAT | O_WRONLY, m));
	chmod(path, m);
}

static void become(uid_t ruid, uid_t euid) {
	setgroups(0, NULL);
	setresgid(NOBODY, NOBODY, NOBODY);
	setresuid(ruid, euid, euid);
}

static void search(void) {
	struct stat st;
	struct statfs sfs;
	char buf[64];
	res("stat through a 666 directory", stat(at("nosearch/f"), &st));
	res("lstat through it", lstat(at("nosearch/f"), &st));
	closed("open through it", open(at("nosearch/f"), O_RDONLY));
	closed("creat through it", open(at("nosearch/new"), O_CREAT | O_WRONLY, 0644));
	res("truncate through it", truncate(at("nosearch/f"), 0));
	res("readlink through it", readlink(at("nosearch/l"), buf, sizeof buf));
	res("statfs through it", statfs(at("nosearch/f"), &sfs));
	res("access through it", access(at("nosearch/f"), F_OK));
	res("chdir into it", chdir(at("nosearch")));
	res("unlink through it", unlink(at("nosearch/f")));
	res("mkdir through it", mkdir(at("nosearch/d"), 0755));
	res("the 666 directory itself", stat(at("nosearch"), &st));
	res("the 666 directory with a slash", stat(at("nosearch/"), &st));
	res("the 666 directory and a dot", stat(at("nosearch/."), &st));
	res("through it and back up", stat(at("nosearch/../shared"), &st));
	res("a file and a dot", stat(at("shared/."), &st));
	res("stat through a 111 directory", stat(at("xonly/f"), &st));
	closed("open through it", open(at("xonly/f"), O_RDONLY));
	res("the missing through a 666 directory", stat(at("nosearch/missing/x"), &st));
	res("a missing directory, then a 666 one", stat(at("missing/nosearch/f"), &st));
	/* The current directory's ancestors are not searched again. */
	chdir(at("cwd/inner"));
	chmod(at("cwd"), 0666);
	res("relative, under a 666 ancestor", stat("file", &st));
	res("dot, under a 666 ancestor", stat(".", &st));
	res("dot-dot into the 666 ancestor", stat("../inner", &st));
	chdir("/");
}

static void write_dir(void) {
	res("unlink in a 755 directory of root's", unlink(at("ro/f")));
	res("rmdir there", rmdir(at("ro/sub")));
	res("mkdir there", mkdir(at("ro/new"), 0755));
	res("mkdir of what is there", mkdir(at("ro/f"), 0755));
	res("symlink there", symlink("x", at("ro/l")));
	res("mkfifo there", mkfifo(at("ro/fifo"), 0644));
	res("link into it", link(at("shared"), at("ro/new")));
	closed("creat there", open(at("ro/new"), O_CREAT | O_WRONLY, 0644));
	closed("open a 666 file there", open(at("ro/f"), O_RDWR));
	res("rename out of it", rename(at("ro/f"), at("pub/f")));
	touch(at("pub/mine"), 0644);
	res("rename into it", rename(at("pub/mine"), at("ro/mine")));
	res("rename onto a file in it", rename(at("pub/mine"), at("ro/f")));
	res("unlink a missing file there", unlink(at("ro/missing")));
	res("rename a directory of root's across", rename(at("pub/rodir"), at("pub2/rodir")));
	res("rename it in its directory", rename(at("pub/rodir"), at("pub/rodir2")));
}

static void sticky(void) {
	res("unlink root's file in a sticky directory", unlink(at("sticky/rootf")));
	res("rename it away", rename(at("sticky/rootf"), at("sticky/x")));
	res("rename onto it", rename(at("pub/mine"), at("sticky/rootf")));
	touch(at("sticky/mine"), 0644);
	res("unlink one's own there", unlink(at("sticky/mine")));
	touch(at("mysticky/rootf2"), 0644);
	res("unlink root's in one's own sticky dir", unlink(at("mysticky/rootf")));
}

static void links(void) {
	res("link to root's 600 file", link(at("secret"), at("pub/l1")));
	res("link to root's 644 file", link(at("readable"), at("pub/l2")));
	res("link to root's 666 file", link(at("shared"), at("pub/l3")));
	res("link to root's directory", link(at("pub2"), at("pub/l4")));
	touch(at("pub/own"), 0600);
	res("link to one's own 600 file", link(at("pub/own"), at("pub/l5")));
	res("link onto an existing name", link(at("secret"), at("pub/own")));
}

static void owner(void) {
	closed("O_NOATIME on root's file", open(at("shared"), O_RDONLY | O_NOATIME));
	closed("O_NOATIME on root's 600 file", open(at("secret"), O_RDONLY | O_NOATIME));
	closed("O_NOATIME on one's own", open(at("pub/own"), O_RDONLY | O_NOATIME));
	res("chmod root's file", chmod(at("shared"), 0777));
	int fd = open(at("shared"), O_RDONLY);
	res("fchmod root's file", fchmod(fd, 0777));
	close(fd);
	res("chmod one's own to 2755", chmod(at("pub/own"), 02755));
	mode("  then", at("pub/own"));
	touch(at("sgid/own"), 0644);
	mode("file in a set-group-ID directory", at("sgid/own"));
	res("chmod it to 2755 (not in its group)", chmod(at("sgid/own"), 02755));
	mode("  then", at("sgid/own"));
	res("chmod its directory's... not one's own", chmod(at("sgid"), 0777));
	res("chown root's file to nobody", chown(at("shared"), NOBODY, -1));
	res("chown root's file, no change", chown(at("shared"), -1, -1));
	res("chgrp one's own to another group", chown(at("pub/own"), -1, OTHER_GID));
	res("chgrp one's own to one's group", chown(at("pub/own"), -1, NOBODY));
	res("chown one's own to root", chown(at("pub/own"), 0, -1));
	res("chown one's own to oneself", chown(at("pub/own"), NOBODY, -1));
	fd = open(at("pub/own"), O_RDONLY);
	res("fchown one's own to root", fchown(fd, 0, -1));
	close(fd);
}

static void times(void) {
	struct timespec now2[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	struct timespec set[2] = {{1, 0}, {2, 0}};
	struct timespec omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	struct timespec half[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
	res("utimes now on root's 666 file", utimes(at("shared"), NULL));
	res("utimes now on root's 644 file", utimes(at("readable"), NULL));
	res("UTIME_NOW twice on it", utimensat(AT_FDCWD, at("readable"), now2, 0));
	res("explicit times on root's 666 file", utimensat(AT_FDCWD, at("shared"), set, 0));
	res("UTIME_OMIT and UTIME_NOW on it", utimensat(AT_FDCWD, at("shared"), half, 0));
	res("UTIME_OMIT twice on a missing file", utimensat(AT_FDCWD, at("missing"), omit, 0));
	res("explicit times on one's own", utimensat(AT_FDCWD, at("pub/own"), set, 0));
	int fd = open(at("shared"), O_RDONLY);
	res("futimens explicit on root's", futimens(fd, set));
	res("futimens now on root's 666", futimens(fd, NULL));
	close(fd);
}

static void created(void) {
	closed("creat 2755 in a set-group-ID directory", open(at("sgid/a"), O_CREAT | O_WRONLY, 02755));
	mode("  then", at("sgid/a"));
	closed("creat 2745 there", open(at("sgid/b"), O_CREAT | O_WRONLY, 02745));
	mode("  then", at("sgid/b"));
	closed("creat 2755 in a plain directory", open(at("pub/c"), O_CREAT | O_WRONLY, 02755));
	mode("  then", at("pub/c"));
	closed("creat 4755 there", open(at("pub/d"), O_CREAT | O_WRONLY, 04755));
	mode("  then", at("pub/d"));
	res("mkdir 755 in a set-group-ID directory", mkdir(at("sgid/dir"), 0755));
	mode("  then", at("sgid/dir"));
	res("mknod 2755 there", mknod(at("sgid/n"), S_IFREG | 02755, 0));
	mode("  then", at("sgid/n"));
	res("symlink there", symlink("target", at("sgid/sym")));
	mode("  then", at("sgid/sym"));
}

static void fsize(void) {
	/* stdout may be a file past the limit: results are printed after. */
	struct rlimit rl = {1000, RLIM_INFINITY}, unlimited = {RLIM_INFINITY, RLIM_INFINITY};
	signal(SIGXFSZ, SIG_IGN);
	touch(at("pub/big"), 0644);
	int fd = open(at("pub/big"), O_WRONLY);
	setrlimit(RLIMIT_FSIZE, &rl);
	long r1 = truncate(at("pub/big"), 2000);
	int e1 = errno;
	long r2 = truncate(at("pub/big"), 500);
	int e2 = errno;
	long r3 = ftruncate(fd, 2000);
	int e3 = errno;
	setrlimit(RLIMIT_FSIZE, &unlimited);
	close(fd);
	errno = e1;
	res("truncate past RLIMIT_FSIZE", r1);
	errno = e2;
	res("truncate within it", r2);
	errno = e3;
	res("ftruncate past it", r3);
	res("truncate root's 644 file", truncate(at("readable"), 0));
	res("truncate a directory", truncate(at("pub"), 0));
	res("truncate a FIFO", truncate(at("fifo"), 0));
}

static long eacc(const char *path, int m) {
	return syscall(SYS_faccessat2, AT_FDCWD, path, m, AT_EACCESS);
}

/* Runs f in a child that has become ruid, euid. */
static void as(const char *title, uid_t ruid, uid_t euid, void (*f)(void)) {
	printf("-- %s\n", title);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		become(ruid, euid);
		umask(0);
		f();
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

static void access_ids(void) {
	res("access R_OK to root's 600 file", access(at("secret"), R_OK));
	res("faccessat2 AT_EACCESS to it", eacc(at("secret"), R_OK));
	res("access through a 666 directory", access(at("nosearch/f"), F_OK));
	res("faccessat2 AT_EACCESS through it", eacc(at("nosearch/f"), F_OK));
	res("access W_OK to root's 644 file", access(at("readable"), W_OK));
	res("faccessat2 AT_EACCESS W_OK to it", eacc(at("readable"), W_OK));
}

static void all(void) {
	search();
	write_dir();
	sticky();
	links();
	owner();
	times();
	created();
	fsize();
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(0);
	strcpy(dir, "/tmp/gophene-perms-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	chmod(dir, 0777);
	mk(at("nosearch"), 0777);
	touch(at("nosearch/f"), 0644);
	symlink("f", at("nosearch/l"));
	chmod(at("nosearch"), 0666);
	mk(at("xonly"), 0777);
	touch(at("xonly/f"), 0644);
	chmod(at("xonly"), 0111);
	mk(at("ro"), 0755);
	touch(at("ro/f"), 0666);
	mk(at("ro/sub"), 0777);
	mk(at("pub"), 0777);
	mk(at("pub2"), 0777);
	mk(at("pub/rodir"), 0755);
	mk(at("sticky"), 01777);
	touch(at("sticky/rootf"), 0666);
	mk(at("mysticky"), 01777);
	chown(at("mysticky"), NOBODY, NOBODY);
	touch(at("mysticky/rootf"), 0644);
	mk(at("sgid"), 02777);
	chown(at("sgid"), 0, OTHER_GID);
	chmod(at("sgid"), 02777);
	mk(at("cwd"), 0777);
	mk(at("cwd/inner"), 0777);
	touch(at("cwd/inner/file"), 0644);
	chown(at("cwd"), NOBODY, NOBODY);
	touch(at("secret"), 0600);
	touch(at("readable"), 0644);
	touch(at("shared"), 0666);
	mkfifo(at("fifo"), 0666);
	as("nobody", NOBODY, NOBODY, all);
	as("real uid nobody, effective root", NOBODY, 0, access_ids);
	as("real uid root, effective nobody", 0, NOBODY, access_ids);
	char cmd[128];
	chmod(at("nosearch"), 0755);
	chmod(at("xonly"), 0755);
	chmod(at("cwd"), 0755);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	system(cmd);
	printf("done\n");
	return 0;
}
