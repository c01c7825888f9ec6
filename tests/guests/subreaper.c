#define _GNU_SOURCE
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
/* A child subreaper adopts its orphaned grandchild; without it pid 1 would. */
int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int v = -1;
	prctl(PR_GET_CHILD_SUBREAPER, &v);
	printf("subreaper at first: %d\n", v);
	printf("set: %d\n", prctl(PR_SET_CHILD_SUBREAPER, 1));
	prctl(PR_GET_CHILD_SUBREAPER, &v);
	printf("now: %d\n", v);
	int p[2];
	pipe(p);
	pid_t me = getpid();
	pid_t c = fork();
	if (c == 0) {
		int w = -1;
		prctl(PR_GET_CHILD_SUBREAPER, &w);
		printf("child's own flag: %d\n", w);
		if (fork() == 0) {
			char b;
			read(p[0], &b, 1);
			printf("grandchild: parent is the subreaper %d\n", getppid() == me);
			_exit(5);
		}
		_exit(0);
	}
	waitpid(c, NULL, 0);
	write(p[1], "x", 1);
	int st;
	pid_t g = wait(&st);
	printf("waited for the orphan: %d, status %d\n", g > 0, WEXITSTATUS(st));
	printf("no more children: %s\n", wait(NULL) < 0 ? strerrorname_np(errno) : "?");
	return 0;
}
