/* mount(2) and umount2(2) inside the process's own mount namespace:
 * tmpfs with options, bind mounts, remount read-only, MS_MOVE, a busy
 * mount, unmounting back to what was below, children seeing the mounts,
 * and the errors. Natively the program first unshares its mount
 * namespace, so the host's mounts are untouched. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "result.h"

static void put(const char *path, const char *s) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("  write %s: %s\n", path, res(fd));
		return;
	}
	write(fd, s, strlen(s));
	close(fd);
}

static void show(const char *path) {
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("  %s: %s\n", path, res(fd));
		return;
	}
	int n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	printf("  %s: %s", path, buf);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	char dir[] = "/tmp/mountXXXXXX";
	mkdtemp(dir);
	char a[64], b[64], c[64], f[80];
	snprintf(a, sizeof a, "%s/a", dir);
	snprintf(b, sizeof b, "%s/b", dir);
	snprintf(c, sizeof c, "%s/c", dir);
	mkdir(a, 0755);
	mkdir(b, 0755);
	mkdir(c, 0755);
	snprintf(f, sizeof f, "%s/file", a);
	put(f, "lower\n");

	printf("tmpfs: %s\n", res(mount("none", a, "tmpfs", 0, "mode=0750,uid=65534,size=1m")));
	struct stat st;
	stat(a, &st);
	struct statfs sf;
	statfs(a, &sf);
	printf("  root mode %o uid %d, tmpfs magic %d\n", st.st_mode & 07777, st.st_uid, sf.f_type == 0x01021994);
	show(f);
	put(f, "upper\n");
	show(f);
	printf("bad option: %s\n", res(mount("none", b, "tmpfs", 0, "bogus=1")));
	printf("unknown type: %s\n", res(mount("none", b, "nosuchfs", 0, NULL)));
	printf("target missing: %s\n", res(mount("none", "/nonexistent/x", "tmpfs", 0, NULL)));
	printf("target a file: %s\n", res(mount("none", f, "tmpfs", 0, NULL)));

	printf("bind a on b: %s\n", res(mount(a, b, NULL, MS_BIND, NULL)));
	char bf[80];
	snprintf(bf, sizeof bf, "%s/file", b);
	show(bf);
	printf("remount b read-only: %s\n", res(mount(NULL, b, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)));
	put(bf, "x");
	printf("  a still writable: ");
	put(f, "upper2\n");
	show(bf);
	printf("move b to c: %s\n", res(mount(b, c, NULL, MS_MOVE, NULL)));
	char cf[80];
	snprintf(cf, sizeof cf, "%s/file", c);
	show(cf);
	printf("umount c: %s\n", res(umount(c)));

	pid_t pid = fork();
	if (pid == 0) {
		printf("child sees a's tmpfs:");
		show(f);
		_exit(0);
	}
	waitpid(pid, NULL, 0);

	chdir(a);
	printf("umount a with the cwd inside: %s\n", res(umount(a)));
	chdir("/");
	int fd = open(f, O_RDONLY);
	printf("umount a with a file open: %s\n", res(umount2(a, 0)));
	close(fd);
	printf("umount2 bad flags: %s\n", res(umount2(a, 0x100)));
	printf("umount a: %s\n", res(umount(a)));
	show(f);
	printf("umount a again: %s\n", res(umount(a)));
	printf("umount a file: %s\n", res(umount(f)));

	pid = fork();
	if (pid == 0) {
		setuid(65534);
		printf("unprivileged mount: %s", res(mount("none", a, "tmpfs", 0, NULL)));
		printf(", umount: %s\n", res(umount(a)));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	unlink(f);
	rmdir(a);
	rmdir(b);
	rmdir(c);
	rmdir(dir);
	return 0;
}
