/* Prints its arguments and exits with the status given by the first one. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
	printf("hello, world\n");
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	return argc > 1 ? atoi(argv[1]) : 0;
}
