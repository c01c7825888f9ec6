/* Tries to read files through each path given on the command line and
 * prints what happened: the first line of the file, or the errno name. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cd") == 0 && i + 1 < argc) {
			if (chdir(argv[++i]) != 0)
				printf("chdir %s: %s\n", argv[i], strerrorname_np(errno));
			continue;
		}
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			printf("%s: %s\n", argv[i], strerrorname_np(errno));
			continue;
		}
		char buf[256];
		ssize_t n = read(fd, buf, sizeof buf - 1);
		if (n < 0) {
			printf("%s: read %s\n", argv[i], strerrorname_np(errno));
		} else {
			buf[n] = 0;
			buf[strcspn(buf, "\n")] = 0;
			printf("%s: \"%s\"\n", argv[i], buf);
		}
		close(fd);
	}
	return 0;
}
