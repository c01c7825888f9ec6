/* Pseudo-terminals: posix_openpt, grantpt, unlockpt and ptsname, the line
 * discipline (canonical input, echo, ONLCR), window size, ttyname, and a
 * child that makes the slave its controlling terminal (forkpty) and talks
 * through it. Names of /dev/pts entries are printed without their number,
 * which depends on the host's other terminals. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <utmp.h>

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

/* Reads what the other side wrote, until n bytes or a short wait. */
static int drain(int fd, char *buf, int n) {
	int got = 0;
	while (got < n) {
		fd_set s;
		FD_ZERO(&s);
		FD_SET(fd, &s);
		struct timeval tv = {0, 300000};
		if (select(fd + 1, &s, NULL, NULL, &tv) <= 0)
			break;
		int r = read(fd, buf + got, n - got);
		if (r <= 0)
			break;
		got += r;
	}
	buf[got] = 0;
	return got;
}

static void show(const char *what, const char *s) {
	printf("%s: \"", what);
	for (; *s; s++) {
		if (*s == '\r')
			printf("\\r");
		else if (*s == '\n')
			printf("\\n");
		else
			putchar(*s);
	}
	printf("\"\n");
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	printf("posix_openpt: %s\n", en(m));
	printf("grantpt: %s unlockpt: %s\n", en(grantpt(m)), en(unlockpt(m)));
	char *name = ptsname(m);
	printf("ptsname under /dev/pts/: %d\n", name && strncmp(name, "/dev/pts/", 9) == 0);
	int s = open(name, O_RDWR | O_NOCTTY);
	printf("open slave: %s isatty %d %d\n", en(s), isatty(m), isatty(s));
	char tn[64] = "";
	ttyname_r(s, tn, sizeof tn);
	printf("ttyname of slave is ptsname: %d\n", strcmp(tn, name) == 0);

	struct winsize ws = {.ws_row = 33, .ws_col = 111};
	printf("TIOCSWINSZ: %s\n", en(ioctl(m, TIOCSWINSZ, &ws)));
	struct winsize got = {0};
	ioctl(s, TIOCGWINSZ, &got);
	printf("slave window: %dx%d\n", got.ws_row, got.ws_col);

	/* Canonical mode with echo: a line typed on the master reaches the
	 * slave at its newline and comes back echoed. */
	char buf[256];
	write(m, "hello\n", 6);
	int n = drain(s, buf, sizeof buf - 1);
	show("slave reads", n > 0 ? buf : "");
	n = drain(m, buf, sizeof buf - 1);
	show("master sees echo", n > 0 ? buf : "");
	/* Output processing: \n becomes \r\n. */
	write(s, "out\n", 4);
	n = drain(m, buf, sizeof buf - 1);
	show("master reads", n > 0 ? buf : "");
	/* Raw mode: bytes pass at once, no echo. */
	struct termios t;
	tcgetattr(s, &t);
	cfmakeraw(&t);
	printf("tcsetattr raw: %s\n", en(tcsetattr(s, TCSANOW, &t)));
	write(m, "ab", 2);
	n = drain(s, buf, 2);
	show("raw slave reads", n > 0 ? buf : "");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("TIOCSCTTY in a child without a session of its own: %s\n", en(ioctl(s, TIOCSCTTY, 0)));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	close(s);

	/* forkpty: the child runs on a new terminal as its session leader. */
	int master;
	fflush(stdout);
	pid = forkpty(&master, NULL, NULL, &ws);
	if (pid == 0) {
		struct winsize w;
		ioctl(0, TIOCGWINSZ, &w);
		printf("child: tty %d, session leader %d, window %dx%d\n", isatty(0), getsid(0) == getpid(), w.ws_row, w.ws_col);
		fflush(stdout);
		_exit(3);
	}
	n = drain(master, buf, sizeof buf - 1);
	show("from the child", n > 0 ? buf : "");
	int st;
	waitpid(pid, &st, 0);
	printf("child exit: %d\n", WEXITSTATUS(st));
	printf("done\n");
	return 0;
}
