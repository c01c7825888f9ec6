/* Restarted system calls at rewritten call sites.
 *
 * A hundred children each send their parent a few SIGUSR1 (handler
 * installed with signal(), so SA_RESTART) while the parent is blocked in
 * waitpid, in read on a pipe, in nanosleep or in a futex wait on memory
 * shared with the child. Every blocked call is interrupted and restarted
 * (nanosleep is resumed by hand with what remains, as Linux never restarts
 * it), again and again at the same call sites, and every call after it
 * must still work: a call site that was rewritten wrongly kills the
 * process with SIGILL or SIGSEGV, or returns the wrong thing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t usr1;
static void on_usr1(int sig) { usr1++; }

static void pause_ms(int ms) {
	struct timespec ts = {0, ms * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The child's part: a few signals to the parent, a millisecond apart,
 * then whatever the parent waits for. */
static void pester(pid_t parent, int n) {
	for (int i = 0; i < n; i++) {
		pause_ms(1);
		kill(parent, SIGUSR1);
	}
	pause_ms(1);
}

static long futex(uint32_t *addr, int op, uint32_t val) {
	return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

enum { WAITPID, READ, NANOSLEEP, FUTEX, KINDS };
static const char *kind_name[KINDS] = {"waitpid", "read", "nanosleep", "futex"};

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGUSR1, on_usr1);
	uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (word == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	int rounds[KINDS] = {0}, signalled[KINDS] = {0}, wrong[KINDS] = {0};
	pid_t parent = getpid();
	for (int i = 0; i < 100; i++) {
		int kind = i % KINDS;
		int fds[2];
		if (pipe(fds) < 0) {
			perror("pipe");
			return 1;
		}
		__atomic_store_n(word, 0, __ATOMIC_SEQ_CST);
		usr1 = 0;
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			close(fds[0]);
			pester(parent, 4);
			switch (kind) {
			case READ:
				write(fds[1], "x", 1);
				break;
			case FUTEX:
				__atomic_store_n(word, 1, __ATOMIC_SEQ_CST);
				futex(word, FUTEX_WAKE, 1);
				break;
			}
			_exit(i & 0x7f);
		}
		close(fds[1]);
		int bad = 0;
		switch (kind) {
		case READ: {
			char c = 0;
			ssize_t n = read(fds[0], &c, 1);
			bad = n != 1 || c != 'x';
			break;
		}
		case NANOSLEEP: {
			/* Long enough to be interrupted by every signal. */
			struct timespec ts = {0, 60 * 1000000L};
			int interrupted = 0;
			while (nanosleep(&ts, &ts) < 0) {
				if (errno != EINTR) {
					bad = 1;
					break;
				}
				interrupted++;
			}
			bad |= interrupted == 0;
			break;
		}
		case FUTEX:
			while (__atomic_load_n(word, __ATOMIC_SEQ_CST) == 0) {
				long r = futex(word, FUTEX_WAIT, 0);
				if (r < 0 && errno != EAGAIN && errno != EINTR) {
					bad = 1;
					break;
				}
			}
			break;
		}
		int st = 0;
		pid_t r = waitpid(pid, &st, 0);
		bad |= r != pid || !WIFEXITED(st) || WEXITSTATUS(st) != (i & 0x7f);
		close(fds[0]);
		rounds[kind]++;
		signalled[kind] += usr1 > 0;
		wrong[kind] += bad;
	}
	for (int k = 0; k < KINDS; k++)
		printf("%s: rounds=%d interrupted=%d wrong=%d\n", kind_name[k], rounds[k], signalled[k], wrong[k]);
	printf("done\n");
	return 0;
}
