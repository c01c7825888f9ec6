/* Files made by a process that is not root: they belong to its fsuid and
 * fsgid, or to the directory's group in a set-group-ID directory; a
 * directory it may not write refuses new entries; a file it may not read
 * refuses to open. Run as root: the test itself drops to nobody. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static void owner(const char *what, const char *path) {
	struct stat st;
	if (lstat(path, &st) < 0) {
		printf("%s: %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%s: uid %d gid %d set-group-ID %d\n", what, (int)st.st_uid, (int)st.st_gid, !!(st.st_mode & S_ISGID));
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char dir[] = "/tmp/gophene-own-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	chmod(dir, 0777);
	char sg[256], plain[256], closed[256], secret[256];
	snprintf(sg, sizeof sg, "%s/setgid", dir);
	snprintf(plain, sizeof plain, "%s/plain", dir);
	snprintf(closed, sizeof closed, "%s/closed", dir);
	snprintf(secret, sizeof secret, "%s/secret", dir);
	mkdir(sg, 0777);
	chown(sg, 0, 100);
	chmod(sg, 02777);
	mkdir(plain, 0777);
	chmod(plain, 0777);
	mkdir(closed, 0755);
	close(open(secret, O_CREAT | O_WRONLY, 0600));
	pid_t pid = fork();
	if (pid == 0) {
		setgroups(0, NULL);
		setgid(65534);
		setuid(65534);
		umask(0);
		char p[300];
		snprintf(p, sizeof p, "%s/file", sg);
		close(open(p, O_CREAT | O_WRONLY, 0644));
		owner("file in a set-group-ID directory", p);
		snprintf(p, sizeof p, "%s/sub", sg);
		mkdir(p, 0755);
		owner("directory in a set-group-ID directory", p);
		snprintf(p, sizeof p, "%s/file", plain);
		close(open(p, O_CREAT | O_WRONLY, 0644));
		owner("file in a plain directory", p);
		snprintf(p, sizeof p, "%s/fifo", plain);
		mkfifo(p, 0644);
		owner("FIFO", p);
		snprintf(p, sizeof p, "%s/file", closed);
		printf("create in a directory of root's, mode 755: %s\n", en(open(p, O_CREAT | O_WRONLY, 0644)));
		printf("mkdir there: %s\n", en(mkdir(p, 0755)));
		printf("open root's 600 file: %s\n", en(open(secret, O_RDONLY)));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	system(cmd);
	printf("done\n");
	return 0;
}
