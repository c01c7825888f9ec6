/* chroot(2): paths, ".." at the new root, the current directory kept when
 * it lies inside, a child inheriting the root, and the errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "result.h"

static void jailed(const char *top) {
	char p[128];
	pid_t pid;
	snprintf(p, sizeof p, "%s/jail/sub", top);
	chdir(p);
	snprintf(p, sizeof p, "%s/jail", top);
	printf("chroot: %s\n", res(chroot(p)));
	char cwd[256];
	printf("  getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : res(-1));
	show_file("/inside");
	show_file("../inside");
	show_file("/../../outside");
	show_file("/../inside");
	snprintf(p, sizeof p, "%s/outside", top);
	show_file(p);
	struct stat st;
	printf("  /proc there: %s\n", res(stat("/proc/self", &st)));
	pid = fork();
	if (pid == 0) {
		printf("  chroot into a dir without search permission as root: %s\n", res(chroot("/noexec")));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	pid = fork();
	if (pid == 0) {
		printf("child:");
		show_file("/inside");
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	printf("  chroot(\"/\"): %s, chdir(\"/..\"): %s\n", res(chroot("/")), res(chdir("/..")));
	printf("  getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : res(-1));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char top[] = "/tmp/chrootXXXXXX", p[128];
	mkdtemp(top);
	chmod(top, 0755);
	snprintf(p, sizeof p, "%s/outside", top);
	put_file(p, "outside\n");
	snprintf(p, sizeof p, "%s/jail", top);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/jail/sub", top);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/jail/inside", top);
	put_file(p, "inside\n");
	snprintf(p, sizeof p, "%s/jail/noexec", top);
	mkdir(p, 0600);

	printf("chroot to a file: %s\n", res(chroot(strcat(strcpy(p, top), "/outside"))));
	printf("chroot to nothing: %s\n", res(chroot("/nonexistent")));
	pid_t pid = fork();
	if (pid == 0) {
		setuid(65534);
		printf("unprivileged chroot: %s\n", res(chroot(top)));
		_exit(0);
	}
	waitpid(pid, NULL, 0);

	pid = fork();
	if (pid == 0) {
		jailed(top); /* the jail's process goes; the parent cleans up */
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	snprintf(p, sizeof p, "%s/jail/inside", top);
	printf("cleanup: %s", res(unlink(p)));
	snprintf(p, sizeof p, "%s/jail/sub", top);
	printf(" %s", res(rmdir(p)));
	snprintf(p, sizeof p, "%s/jail/noexec", top);
	printf(" %s", res(rmdir(p)));
	snprintf(p, sizeof p, "%s/jail", top);
	printf(" %s", res(rmdir(p)));
	snprintf(p, sizeof p, "%s/outside", top);
	printf(" %s", res(unlink(p)));
	printf(" %s\n", res(rmdir(top)));
	return 0;
}
