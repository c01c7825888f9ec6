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
	put_file(f, "lower\n");

	printf("tmpfs: %s\n", res(mount("none", a, "tmpfs", 0, "mode=0750,uid=65534,size=1m")));
	struct stat st;
	stat(a, &st);
	struct statfs sf;
	statfs(a, &sf);
	printf("  root mode %o uid %d, tmpfs magic %d\n", st.st_mode & 07777, st.st_uid, sf.f_type == 0x01021994);
	show_file(f);
	put_file(f, "upper\n");
	show_file(f);
	printf("bad option: %s\n", res(mount("none", b, "tmpfs", 0, "bogus=1")));
	printf("unknown type: %s\n", res(mount("none", b, "nosuchfs", 0, NULL)));
	printf("target missing: %s\n", res(mount("none", "/nonexistent/x", "tmpfs", 0, NULL)));
	printf("target a file: %s\n", res(mount("none", f, "tmpfs", 0, NULL)));

	printf("bind a on b: %s\n", res(mount(a, b, NULL, MS_BIND, NULL)));
	char bf[80];
	snprintf(bf, sizeof bf, "%s/file", b);
	show_file(bf);
	printf("remount b read-only: %s\n", res(mount(NULL, b, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)));
	put_file(bf, "x");
	printf("  a still writable: ");
	put_file(f, "upper2\n");
	show_file(bf);
	printf("move b to c: %s\n", res(mount(b, c, NULL, MS_MOVE, NULL)));
	char cf[80];
	snprintf(cf, sizeof cf, "%s/file", c);
	show_file(cf);
	printf("umount c: %s\n", res(umount(c)));

	pid_t pid = fork();
	if (pid == 0) {
		printf("child sees a's tmpfs:");
		show_file(f);
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
	show_file(f);
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
