/* result.h: how the guest programs print what a call returned, so that a
 * run natively and one under Gophene can be compared line by line. */
#ifndef GUESTS_RESULT_H
#define GUESTS_RESULT_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

#endif
