/* Dies the way its argument says: "null" writes through NULL, "abort"
 * calls abort(), "exit" exits with status 3 through exit_group. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
	const char *how = argc > 1 ? argv[1] : "null";
	if (strcmp(how, "null") == 0)
		*(volatile int *)0 = 1;
	if (strcmp(how, "abort") == 0)
		abort();
	if (strcmp(how, "exit") == 0)
		syscall(SYS_exit_group, 3);
	return 0;
}
