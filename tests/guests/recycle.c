/* Forked children must each start from their parent's state and nothing
 * else, however the LibOS provides them (Gophene reuses the host process
 * of an ended child for the next fork). Every child checks what it
 * inherited, then leaves traces that the next child must not see: written
 * memory, open descriptors, signal handlers, a CPU mask, a thread, CPU
 * time. Output is the same natively. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int marker = 1;
static char bss[8192];

static int count_fds(void) {
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

static double cpu_ms(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *spin(void *arg) {
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 250000000; i++)
		x += i;
	return arg;
}

static void on_usr1(int sig) { (void)sig; }

int main(void) {
	char *heap = malloc(1 << 20);
	memset(heap, 'p', 1 << 20);
	memset(bss, 'b', sizeof bss);
	char *anon = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(anon, 'a', 1 << 16);
	int fd = open("/proc/self/exe", O_RDONLY);
	unsigned char *file = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	unsigned char elf0 = file[0];
	cpu_set_t mine;
	sched_getaffinity(0, sizeof mine, &mine);
	int fds = count_fds();
	/* Some CPU time of our own, which children must not inherit. */
	spin(NULL);

	for (int i = 0; i < 12; i++) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			int bad = 0;
			if (marker != 1 || heap[12345] != 'p' || bss[100] != 'b' || anon[777] != 'a' || file[0] != elf0) {
				printf("child %d: memory not the parent's: marker=%d heap=%c bss=%c anon=%c\n", i, marker,
				       heap[12345], bss[100], anon[777]);
				bad = 1;
			}
			if (count_fds() != fds) {
				printf("child %d: %d descriptors, the parent has %d\n", i, count_fds(), fds);
				bad = 1;
			}
			struct sigaction sa;
			sigaction(SIGUSR1, NULL, &sa);
			if (sa.sa_handler != SIG_DFL) {
				printf("child %d: SIGUSR1 has a handler\n", i);
				bad = 1;
			}
			cpu_set_t now;
			sched_getaffinity(0, sizeof now, &now);
			if (!CPU_EQUAL(&now, &mine)) {
				printf("child %d: CPU mask changed\n", i);
				bad = 1;
			}
			/* A new process starts with (almost) no CPU time: far less
			 * than a spin (over 100 ms), though a slow
			 * host spends some ms setting the child up. */
			double pcpu = cpu_ms(CLOCK_PROCESS_CPUTIME_ID), tcpu = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
			struct tms t;
			times(&t);
			if (pcpu > 80 || tcpu > 80 || t.tms_utime + t.tms_stime > 8) {
				printf("child %d: inherited CPU time: process %.1f ms, thread %.1f ms, times %ld\n", i, pcpu,
				       tcpu, (long)(t.tms_utime + t.tms_stime));
				bad = 1;
			}
			printf("child %d: %s\n", i, bad ? "FAILED" : "ok");
			/* Traces the next child must not see. */
			marker = 99;
			memset(heap, 'c', 1 << 20);
			memset(bss, 'c', sizeof bss);
			memset(anon, 'c', 1 << 16);
			file[0] = 'c';
			open("/dev/null", O_RDONLY);
			open("/proc/self/exe", O_RDONLY);
			signal(SIGUSR1, on_usr1);
			cpu_set_t one;
			CPU_ZERO(&one);
			CPU_SET(sched_getcpu(), &one);
			sched_setaffinity(0, sizeof one, &one);
			pthread_t th;
			pthread_create(&th, NULL, spin, NULL);
			pthread_join(th, NULL);
			spin(NULL);
			fflush(stdout);
			_exit(i % 3);
		}
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != i % 3)
			printf("child %d: wait status %#x\n", i, st);
	}
	/* Killed at once: the child may not have started running yet. */
	for (int i = 0; i < 5; i++) {
		pid_t pid = fork();
		if (pid == 0)
			for (;;)
				pause();
		kill(pid, SIGKILL);
		int st;
		pid_t r = waitpid(pid, &st, 0);
		printf("killed at once: right pid %d, signaled %d, signal %d\n", r == pid, WIFSIGNALED(st), WTERMSIG(st));
	}
	printf("parent: marker=%d heap=%c file=%d\n", marker, heap[0], file[0] == elf0);
	printf("done\n");
	return 0;
}
