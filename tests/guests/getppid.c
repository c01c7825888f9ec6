/* Times a getppid() loop and prints nanoseconds per call (the median of
 * seven samples). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 200000;
	double s[7];
	for (int r = 0; r < 7; r++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < n; i++)
			getppid();
		clock_gettime(CLOCK_MONOTONIC, &b);
		s[r] = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
	}
	qsort(s, 7, sizeof s[0], cmp);
	printf("%.1f\n", s[3]);
	return 0;
}
