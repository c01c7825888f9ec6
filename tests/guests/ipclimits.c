/* The SysV IPC limits and next ids of /proc/sys/kernel: read, written,
 * and applied by msgget and shmget. Natively the program first moves to
 * an IPC namespace of its own (so the host's settings are untouched);
 * under Gophene, which refuses that, each instance's IPC objects and
 * limits are its own already. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>

#include "result.h"

static void show(const char *name) {
	char path[128], buf[128] = "";
	snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
	FILE *f = fopen(path, "r");
	if (f) {
		fgets(buf, sizeof buf, f);
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	printf("%s: %s\n", name, f ? buf : strerrorname_np(errno));
}

static int set(const char *name, const char *v) {
	char path[128];
	snprintf(path, sizeof path, "/proc/sys/kernel/%s", name);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(v, f);
	return fclose(f) == 0 ? 0 : -1;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	unshare(CLONE_NEWIPC);
	const char *names[] = {"msgmni", "msgmnb", "shmmax", "shmall", "shmmni", "sem", "msg_next_id", "sem_next_id", "shm_next_id"};
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		show(names[i]);

	printf("msgmni = 3: %d\n", set("msgmni", "3"));
	int n = 0, ids[8];
	long r;
	while ((r = msgget(IPC_PRIVATE, IPC_CREAT | 0600)) >= 0 && n < 8)
		ids[n++] = r;
	printf("queues made: %d, then %s\n", n, res(r));
	for (int i = 0; i < n; i++)
		msgctl(ids[i], IPC_RMID, NULL);
	set("msgmni", "32000");
	struct msginfo mi;
	msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
	printf("IPC_INFO msgmni %d msgmnb %d\n", mi.msgmni, mi.msgmnb);

	printf("msg_next_id = 1234: %d\n", set("msg_next_id", "1234"));
	r = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	printf("next queue id 1234: %d\n", r == 1234);
	show("msg_next_id");
	set("msg_next_id", "1234");
	long r2 = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	printf("1234 again while taken: new id %d, slot 1235 %d\n", r2 != 1234 && r2 >= 0, r2 % 32768 == 1235);
	msgctl(r, IPC_RMID, NULL);
	msgctl(r2, IPC_RMID, NULL);
	printf("msg_next_id = junk: %d\n", set("msg_next_id", "junk"));

	printf("shmmax = 8192: %d\n", set("shmmax", "8192"));
	printf("shmget 8193: %s\n", res(shmget(IPC_PRIVATE, 8193, IPC_CREAT | 0600)));
	r = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	printf("shmget 8192: %s\n", r >= 0 ? "ok" : res(r));
	shmctl(r, IPC_RMID, NULL);
	struct shminfo si;
	shmctl(0, IPC_INFO, (struct shmid_ds *)&si);
	printf("IPC_INFO shmmax %lu shmmni %lu\n", si.shmmax, si.shmmni);
	set("shmmax", "18446744073692774399");
	set("shmall", "2");
	printf("shmall = 2 pages, shmget of 3 pages: %s\n", res(shmget(IPC_PRIVATE, 3 * 4096, IPC_CREAT | 0600)));
	set("shmall", "18446744073692774399");
	printf("shmget SHM_HUGETLB with none reserved: %s\n", res(shmget(IPC_PRIVATE, 2 << 20, IPC_CREAT | SHM_HUGETLB | 0600)));
	set("sem", "250 32000 32 2");
	show("sem");
	return 0;
}
