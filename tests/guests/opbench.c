/* Times one operation N times and prints microseconds per operation (the
 * median of five samples):
 *   opbench thread N        pthread_create + pthread_join of an empty thread
 *   opbench futex N         a futex round trip between two threads
 *   opbench signal N        kill(getpid(), SIGUSR1) delivered to a handler
 *   opbench fork N [MiB]    fork + _exit + waitpid, the parent holding a
 *                           touched heap of MiB mebibytes */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void *empty(void *arg) { return arg; }

static void op_thread(void) {
	pthread_t t;
	pthread_create(&t, NULL, empty, NULL);
	pthread_join(t, NULL);
}

/* Two threads hand a token back and forth through one futex word: the
 * main thread waits for 1, the partner for 0. */
static atomic_int word;
static volatile int stop;

static void fwait(int val) {
	while (atomic_load(&word) == val)
		syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void fset(int val) {
	atomic_store(&word, val);
	syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *partner(void *arg) {
	while (!stop) {
		fwait(0);
		fset(0);
	}
	return arg;
}

static void op_futex(void) {
	fset(1);
	fwait(1);
}

static volatile sig_atomic_t caught;
static void handler(int sig) { caught++; }

static void op_signal(void) { kill(getpid(), SIGUSR1); }

static void op_fork(void) {
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	int st;
	waitpid(pid, &st, 0);
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: opbench thread|futex|signal|fork N [MiB]\n");
		return 2;
	}
	int n = atoi(argv[2]);
	void (*op)(void) = NULL;
	pthread_t p;
	if (strcmp(argv[1], "thread") == 0) {
		op = op_thread;
	} else if (strcmp(argv[1], "futex") == 0) {
		pthread_create(&p, NULL, partner, NULL);
		op = op_futex;
	} else if (strcmp(argv[1], "signal") == 0) {
		signal(SIGUSR1, handler);
		op = op_signal;
	} else if (strcmp(argv[1], "fork") == 0) {
		size_t mib = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
		if (mib) {
			char *heap = malloc(mib << 20);
			memset(heap, 1, mib << 20);
		}
		op = op_fork;
	} else {
		fprintf(stderr, "unknown operation %s\n", argv[1]);
		return 2;
	}
	op(); /* warm up: first-time costs are not what is measured */
	double s[5];
	for (int r = 0; r < 5; r++) {
		double t0 = now_us();
		for (int i = 0; i < n; i++)
			op();
		s[r] = (now_us() - t0) / n;
	}
	if (strcmp(argv[1], "futex") == 0) {
		stop = 1;
		fset(1);
		pthread_join(p, NULL);
	}
	if (strcmp(argv[1], "signal") == 0 && caught != 5 * n + 1) {
		fprintf(stderr, "caught %d signals, sent %d\n", (int)caught, 5 * n + 1);
		return 1;
	}
	qsort(s, 5, sizeof s[0], cmp);
	printf("%.3f\n", s[2]);
	return 0;
}
