/* Threads: 64 threads hammer a mutex and a condition variable; a robust
 * mutex held by a thread that dies is reported EOWNERDEAD; thread ids,
 * per-thread signals and the ways a multi-threaded process ends. The
 * argument picks how the process ends: "exit_group" from a second thread
 * while others run, "main_exits" (pthread_exit in main), or normally. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 64
#define TOTAL 1000000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;

static void *hammer(void *arg) {
	for (int i = 0; i < TOTAL / N; i++) {
		pthread_mutex_lock(&mu);
		if (++counter % 1000 == 0)
			pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
	}
	return (void *)syscall(SYS_gettid);
}

static pthread_mutex_t robust;

static void *die_holding(void *arg) {
	pthread_mutex_lock(&robust);
	return NULL; /* ends while holding the lock */
}

static __thread int tls_value;
static volatile int sig_thread_ok;

static void on_usr1(int sig) { sig_thread_ok = tls_value == 42; }

static void *wait_for_signal(void *arg) {
	tls_value = 42;
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &m, NULL);
	while (!sig_thread_ok)
		usleep(1000);
	return NULL;
}

static void *spin(void *arg) {
	for (;;)
		__asm__ volatile("pause");
	return NULL;
}

static void *exit_group_now(void *arg) {
	usleep(20000);
	printf("thread calls exit_group(5)\n");
	fflush(stdout);
	syscall(SYS_exit_group, 5);
	return NULL;
}

static void *outlive_main(void *arg) {
	usleep(20000);
	printf("last thread exits after main\n");
	fflush(stdout);
	return NULL;
}

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "";
	pthread_t th[N];
	for (int i = 0; i < N; i++)
		pthread_create(&th[i], NULL, hammer, NULL);
	pthread_mutex_lock(&mu);
	while (counter < TOTAL)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	long distinct = 0, me = syscall(SYS_gettid);
	for (int i = 0; i < N; i++) {
		void *tid;
		pthread_join(th[i], &tid);
		distinct += (long)tid != me && (long)tid > 0;
	}
	printf("counter=%ld, threads with their own tid=%ld, main tid is pid=%d\n", counter, distinct, me == getpid());

	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &at);
	pthread_t d;
	pthread_create(&d, NULL, die_holding, NULL);
	pthread_join(d, NULL);
	int r = pthread_mutex_lock(&robust);
	printf("robust lock after owner died: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
	if (r == EOWNERDEAD)
		printf("consistent: %d\n", pthread_mutex_consistent(&robust));
	pthread_mutex_unlock(&robust);
	printf("relock: %d\n", pthread_mutex_lock(&robust));
	pthread_mutex_unlock(&robust);

	/* A signal sent to one thread runs on that thread. */
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &m, NULL);
	signal(SIGUSR1, on_usr1);
	pthread_t w;
	pthread_create(&w, NULL, wait_for_signal, NULL);
	usleep(10000);
	pthread_kill(w, SIGUSR1);
	pthread_join(w, NULL);
	printf("pthread_kill ran the handler on the target thread: %d\n", sig_thread_ok);

	if (strcmp(mode, "exit_group") == 0) {
		pthread_t s, e;
		pthread_create(&s, NULL, spin, NULL);
		pthread_create(&e, NULL, exit_group_now, NULL);
		for (;;)
			pause();
	}
	if (strcmp(mode, "main_exits") == 0) {
		pthread_t o;
		pthread_create(&o, NULL, outlive_main, NULL);
		pthread_exit(NULL);
	}
	return 0;
}
