/* A signal whose frame cannot be written (its alternate stack is read-only)
 * becomes a SIGSEGV, which a handler on the normal stack catches; with
 * SIGSEGV blocked, the process dies of it. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t segv, usr1, code;
static void on_segv(int sig, siginfo_t *si, void *uc) {
	segv++;
	code = si->si_code;
}
static void on_usr1(int sig) { usr1++; }

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	static char alt[4 * 4096] __attribute__((aligned(4096)));
	stack_t st = {.ss_sp = alt, .ss_size = sizeof alt};
	sigaltstack(&st, NULL);
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
	sigaction(SIGSEGV, &sa, NULL);
	struct sigaction su = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK};
	sigaction(SIGUSR1, &su, NULL);
	mprotect(alt, sizeof alt, PROT_READ);
	raise(SIGUSR1);
	printf("SIGUSR1 handler ran %d, SIGSEGV handler ran %d, si_code SI_KERNEL %d\n", usr1, segv, code == SI_KERNEL);
	mprotect(alt, sizeof alt, PROT_READ | PROT_WRITE);
	raise(SIGUSR1);
	printf("with the stack writable again: SIGUSR1 handler ran %d\n", usr1);
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGSEGV);
		sigprocmask(SIG_BLOCK, &set, NULL);
		mprotect(alt, sizeof alt, PROT_READ);
		raise(SIGUSR1);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("child with SIGSEGV blocked: killed by %s\n", WIFSIGNALED(status) ? sigabbrev_np(WTERMSIG(status)) : "nothing");
	return 0;
}
