/* result.h: how the guest programs print what a call returned, so that a
 * run natively and one under Gophene can be compared line by line. */
#ifndef GUESTS_RESULT_H
#define GUESTS_RESULT_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* res is a call's result as text: the value, or "-1 ENAME" on failure
 * (errno's name, never its message). The text stays valid until the next
 * call. */
static const char *res(long r) {
	static char buf[64];
	if (r < 0)
		snprintf(buf, sizeof buf, "-1 %s", strerrorname_np(errno));
	else
		snprintf(buf, sizeof buf, "%ld", r);
	return buf;
}

/* put_file writes s to the file path (made or truncated), or says why not. */
__attribute__((unused)) static void put_file(const char *path, const char *s) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("  write %s: %s\n", path, res(fd));
		return;
	}
	write(fd, s, strlen(s));
	close(fd);
}

/* show_file prints the start of the file path, or why it cannot be read. */
__attribute__((unused)) static void show_file(const char *path) {
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("  %s: %s\n", path, res(fd));
		return;
	}
	int n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	printf("  %s: %s", path, buf);
}

#endif
