/* personality(2) keeps any value (Linux no longer checks execution
 * domains), and prctl's timer slack is kept and read back. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/personality.h>
#include <sys/prctl.h>

int main(void) {
	printf("at start: %#x\n", personality(0xffffffff));
	int old = personality(PER_LINUX | ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC);
	printf("set, old %#x, now %#x\n", old, personality(0xffffffff));
	old = personality(PER_SVR4);
	printf("PER_SVR4, old %#x, now %#x\n", old, personality(0xffffffff));
	personality(PER_LINUX);
	printf("timer slack: %d\n", prctl(PR_GET_TIMERSLACK));
	int r = prctl(PR_SET_TIMERSLACK, 200000);
	printf("set: %d, now %d\n", r, prctl(PR_GET_TIMERSLACK));
	prctl(PR_SET_TIMERSLACK, 0);
	printf("reset: %d\n", prctl(PR_GET_TIMERSLACK));
	return 0;
}
