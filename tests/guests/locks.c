/* POSIX record locks are the process's: closing any descriptor of a file
 * releases them, even when a dup keeps the file open; F_CREATED_QUERY
 * tells whether an open created its file. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef F_CREATED_QUERY
#define F_CREATED_QUERY (1024 + 4)
#endif

/* seen reports, from a child, what F_GETLK says of the file. */
static const char *seen(const char *path) {
	int p[2];
	pipe(p);
	if (fork() == 0) {
		int fd = open(path, O_RDWR);
		struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		fcntl(fd, F_GETLK, &l);
		char c = l.l_type == F_UNLCK ? 'u' : 'l';
		write(p[1], &c, 1);
		_exit(0);
	}
	char c = '?';
	read(p[0], &c, 1);
	wait(NULL);
	close(p[0]);
	close(p[1]);
	return c == 'u' ? "unlocked" : c == 'l' ? "locked" : "?";
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char path[] = "/tmp/locks-XXXXXX";
	int fd = mkstemp(path);
	write(fd, "0123456789", 10);
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5};
	printf("lock: %d\n", fcntl(fd, F_SETLK, &l));
	printf("another process sees: %s\n", seen(path));
	int d = fcntl(fd, F_DUPFD, 0);
	close(d);
	printf("after closing a dup: %s\n", seen(path));

	fcntl(fd, F_SETLK, &l);
	int other = open(path, O_RDONLY);
	close(other);
	printf("after closing another open of the file: %s\n", seen(path));

	struct flock ofd = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 5};
	int o1 = open(path, O_RDWR);
	printf("OFD lock: %d\n", fcntl(o1, F_OFD_SETLK, &ofd));
	int o2 = dup(o1);
	close(o2);
	printf("OFD lock after closing a dup: %s\n", seen(path));
	close(o1);
	printf("OFD lock after closing the last: %s\n", seen(path));
	close(fd);

	printf("F_CREATED_QUERY of an open without O_CREAT: %d\n", fcntl(open(path, O_RDONLY), F_CREATED_QUERY, 0));
	printf("of O_CREAT on an existing file: %d\n", fcntl(open(path, O_RDONLY | O_CREAT, 0600), F_CREATED_QUERY, 0));
	unlink(path);
	printf("of O_CREAT making it: %d\n", fcntl(open(path, O_RDONLY | O_CREAT, 0600), F_CREATED_QUERY, 0));
	unlink(path);
	printf("of O_CREAT|O_EXCL making it: %d\n", fcntl(open(path, O_RDWR | O_CREAT | O_EXCL, 0600), F_CREATED_QUERY, 0));
	unlink(path);
	return 0;
}
