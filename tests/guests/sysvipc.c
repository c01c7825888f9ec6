/* System V message queues and semaphores across processes: a producer and
 * a consumer over a queue (by type, truncation, errors, removal waking a
 * waiter with EIDRM), semaphores with SEM_UNDO released when the holder
 * dies, timed waits, waiter counts, permissions after dropping root, and
 * the errors of bad ids, keys and pointers, and a shared memory counter
 * incremented by four processes. Every object is removed at
 * the end, so a native run leaves nothing behind. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

struct msg {
	long mtype;
	char text[64];
};

static void pause_ms(int ms) {
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

static int wait_child(pid_t pid) {
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Whether /proc/sysvipc/<kind> lists object id with mode perms. */
static int listed(const char *kind, int id, int perms) {
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/sysvipc/%s", kind);
	FILE *f = fopen(path, "r");
	int found = 0;
	while (f && fgets(line, sizeof line, f)) {
		int key, lid;
		unsigned mode;
		if (sscanf(line, "%d %d %o", &key, &lid, &mode) == 3 && lid == id && (int)mode == perms)
			found = 1;
	}
	if (f)
		fclose(f);
	return found;
}

static void queues(void) {
	int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	printf("msgget private: %s, in /proc/sysvipc/msg: %d\n", en(q), listed("msg", q, 0600));
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 30; i++) {
			struct msg m = {1 + i % 3};
			snprintf(m.text, sizeof m.text, "message %d of type %ld", i, m.mtype);
			if (msgsnd(q, &m, strlen(m.text) + 1, 0) < 0)
				_exit(1);
		}
		_exit(0);
	}
	printf("producer exit: %d\n", wait_child(pid));
	struct msqid_ds ds;
	long r = msgctl(q, IPC_STAT, &ds);
	printf("IPC_STAT: %s qnum=%lu lspid is child=%d mode=%o\n", en(r), (unsigned long)ds.msg_qnum, ds.msg_lspid == pid, ds.msg_perm.mode & 0777);
	struct msg m;
	int twos = 0;
	while ((r = msgrcv(q, &m, sizeof m.text, 2, IPC_NOWAIT)) > 0)
		twos++;
	printf("type 2 messages: %d, then %s\n", twos, en(r));
	r = msgrcv(q, &m, sizeof m.text, -1, 0);
	printf("lowest type <= 1: %ld \"%s\"\n", r, m.text);
	r = msgrcv(q, &m, 5, 0, 0);
	printf("too small a buffer: %s\n", en(r));
	r = msgrcv(q, &m, 5, 0, MSG_NOERROR);
	printf("MSG_NOERROR: %ld \"%.5s\" type %ld\n", r, m.text, m.mtype);
	r = msgrcv(q, &m, sizeof m.text, 3, MSG_EXCEPT);
	printf("MSG_EXCEPT 3: type %ld\n", r < 0 ? -1 : m.mtype);
	int left = 0;
	while (msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT) > 0)
		left++;
	printf("left: %d\n", left);
	m.mtype = 0;
	printf("mtype 0: %s\n", en(msgsnd(q, &m, 4, 0)));
	m.mtype = 1;
	printf("size too big: %s\n", en(msgsnd(q, &m, 100000, 0)));
	printf("bad pointer: %s\n", en(msgsnd(q, (void *)8, 4, 0)));
	/* A receiver blocked on the queue wakes with EIDRM when it goes. */
	fflush(stdout);
	int ready[2];
	pipe(ready);
	pid = fork();
	if (pid == 0) {
		write(ready[1], "r", 1);
		long r = msgrcv(q, &m, sizeof m.text, 0, 0);
		printf("blocked receiver after removal: %s\n", en(r));
		fflush(stdout);
		_exit(0);
	}
	/* The child has started (however slow its fork was); it is in msgrcv
	 * well before 100 ms have passed. */
	char c;
	read(ready[0], &c, 1);
	close(ready[0]);
	close(ready[1]);
	pause_ms(100);
	long rm = msgctl(q, IPC_RMID, NULL);
	wait_child(pid); /* the child prints first, then we do */
	printf("IPC_RMID: %s\n", en(rm));
	printf("send to removed: %s\n", en(msgsnd(q, &m, 4, 0)));
	printf("bad id: %s\n", en(msgsnd(0x7ffffff, &m, 4, 0)));

	key_t key = 0x47500000 | (getpid() & 0xffff);
	printf("missing key: %s\n", en(msgget(key, 0600)));
	int k = msgget(key, IPC_CREAT | IPC_EXCL | 0640);
	printf("create key: %s\n", en(k));
	printf("create again, excl: %s\n", en(msgget(key, IPC_CREAT | IPC_EXCL | 0640)));
	printf("open again: same id %d\n", msgget(key, 0) == k);
	/* Permissions: another user may not write a 0640 queue. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setgid(65534);
		setuid(65534);
		m.mtype = 1;
		printf("other user sends: %s\n", en(msgsnd(k, &m, 4, IPC_NOWAIT)));
		printf("other user removes: %s\n", en(msgctl(k, IPC_RMID, NULL)));
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid);
	printf("owner removes: %s\n", en(msgctl(k, IPC_RMID, NULL)));
}

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static void semaphores(void) {
	int s = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
	printf("semget: %s, in /proc/sysvipc/sem: %d\n", en(s), listed("sem", s, 0600));
	printf("semget 0 sems: %s\n", en(semget(IPC_PRIVATE, 0, IPC_CREAT | 0600)));
	unsigned short init[3] = {1, 0, 5};
	printf("SETALL: %s\n", en(semctl(s, 0, SETALL, (union semun){.array = init})));
	printf("SETVAL too big: %s\n", en(semctl(s, 0, SETVAL, (union semun){.val = 40000})));
	/* A holder takes semaphore 0 with SEM_UNDO and dies: its hold ends. */
	fflush(stdout);
	int held[2];
	pipe(held);
	pid_t pid = fork();
	if (pid == 0) {
		struct sembuf take = {0, -1, SEM_UNDO};
		if (semop(s, &take, 1) < 0)
			_exit(1);
		write(held[1], "h", 1);
		pause_ms(100);
		kill(getpid(), SIGKILL);
	}
	/* Only once the holder has it: a slow fork must not let us take it
	 * first (and then wait for ever, with the holder). */
	char h;
	read(held[0], &h, 1);
	close(held[0]);
	close(held[1]);
	struct sembuf take = {0, -1, IPC_NOWAIT};
	printf("while held, IPC_NOWAIT: %s\n", en(semop(s, &take, 1)));
	take.sem_flg = 0;
	long r = semop(s, &take, 1);
	printf("after the holder died: %s\n", en(r));
	printf("holder status: %d\n", wait_child(pid));
	printf("GETVAL 0: %d, GETPID is mine: %d\n", semctl(s, 0, GETVAL), semctl(s, 0, GETPID) == getpid());
	/* A waiter for semaphore 1 counts in GETNCNT until it is given one. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sembuf w = {1, -1, 0};
		_exit(semop(s, &w, 1) < 0 ? 1 : 0);
	}
	/* The waiter counts once it waits: give it up to 5 s to get there. */
	for (int i = 0; i < 500 && semctl(s, 1, GETNCNT) == 0; i++)
		pause_ms(10);
	printf("GETNCNT 1: %d\n", semctl(s, 1, GETNCNT));
	struct sembuf give = {1, 1, 0};
	semop(s, &give, 1);
	int status = wait_child(pid);
	printf("waiter exit: %d, GETVAL 1: %d\n", status, semctl(s, 1, GETVAL));
	/* Several operations at once: all or nothing. */
	struct sembuf two[2] = {{2, -2, 0}, {1, -1, IPC_NOWAIT}};
	printf("all or nothing: %s, GETVAL 2: %d\n", en(semop(s, two, 2)), semctl(s, 2, GETVAL));
	struct timespec ts = {0, 50000000};
	struct sembuf zero = {2, 0, 0};
	printf("semtimedop wait for zero: %s\n", en(semtimedop(s, &zero, 1, &ts)));
	struct sembuf bad = {7, 1, 0};
	printf("sem_num out of range: %s\n", en(semop(s, &bad, 1)));
	printf("no operations: %s\n", en(semop(s, &bad, 0)));
	unsigned short all[3];
	semctl(s, 0, GETALL, (union semun){.array = all});
	printf("GETALL: %d %d %d\n", all[0], all[1], all[2]);
	struct semid_ds ds;
	r = semctl(s, 0, IPC_STAT, (union semun){.buf = &ds});
	printf("IPC_STAT: %s nsems=%lu\n", en(r), (unsigned long)ds.sem_nsems);
	printf("IPC_RMID: %s\n", en(semctl(s, 0, IPC_RMID)));
	printf("GETVAL removed: %s\n", en(semctl(s, 0, GETVAL)));
}

/* A counter in a shared segment, incremented by four processes under a
 * semaphore; attachment counts across fork, detach and removal. */
static void shared_memory(void) {
	int m = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
	printf("shmget: %s, in /proc/sysvipc/shm: %d\n", en(m), listed("shm", m, 0600));
	printf("shmget size 0: %s\n", en(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600)));
	int lock = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	semctl(lock, 0, SETVAL, (union semun){.val = 1});
	volatile long *counter = shmat(m, NULL, 0);
	printf("shmat: %s\n", counter == (void *)-1 ? strerrorname_np(errno) : "ok");
	struct shmid_ds ds;
	shmctl(m, IPC_STAT, &ds);
	printf("size %zu nattch %lu cpid is mine %d\n", (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch, ds.shm_cpid == getpid());
	pid_t kids[4];
	fflush(stdout);
	for (int k = 0; k < 4; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			struct sembuf down = {0, -1, SEM_UNDO}, up = {0, 1, SEM_UNDO};
			for (int i = 0; i < 500; i++) {
				semop(lock, &down, 1);
				*counter = *counter + 1;
				semop(lock, &up, 1);
			}
			_exit(0);
		}
	}
	pause_ms(20);
	for (int k = 0; k < 4; k++)
		wait_child(kids[k]);
	printf("counter after 4 x 500: %ld\n", *counter);
	/* Another attachment of the same segment sees the same memory. */
	volatile long *again = shmat(m, NULL, SHM_RDONLY);
	printf("second attachment reads: %ld\n", *again);
	shmctl(m, IPC_STAT, &ds);
	printf("nattch now %lu\n", (unsigned long)ds.shm_nattch);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		*(volatile long *)again = 1; /* read-only: SIGSEGV */
		_exit(0);
	}
	printf("writing a read-only attachment: status %d\n", wait_child(pid));
	/* A child attaches the segment on its own and writes to it. */
	pid = fork();
	if (pid == 0) {
		long *own = shmat(m, NULL, 0);
		if (own == (void *)-1)
			_exit(1);
		own[100] = 77;
		_exit(shmdt(own) < 0 ? 2 : 0);
	}
	int st = wait_child(pid);
	printf("child's own attachment: status %d, wrote %ld\n", st, counter[100]);
	printf("shmdt not at an attachment: %s\n", en(shmdt((void *)((char *)again + 4096))));
	printf("shmdt: %s\n", en(shmdt((void *)again)));
	printf("shmdt again: %s\n", en(shmdt((void *)again)));
	printf("shmat unaligned: %s\n", shmat(m, (void *)((char *)counter + 8), 0) == (void *)-1 ? strerrorname_np(errno) : "ok");
	printf("IPC_RMID while attached: %s\n", en(shmctl(m, IPC_RMID, NULL)));
	shmctl(m, IPC_STAT, &ds);
	printf("removed but attached: dest %d nattch %lu, still reads %ld\n", !!(ds.shm_perm.mode & SHM_DEST), (unsigned long)ds.shm_nattch, *counter);
	printf("last shmdt: %s\n", en(shmdt((void *)counter)));
	printf("IPC_STAT after: %s\n", en(shmctl(m, IPC_STAT, &ds)));
	printf("shmat bad id: %s\n", shmat(0x7ffffff, NULL, 0) == (void *)-1 ? strerrorname_np(errno) : "ok");
	semctl(lock, 0, IPC_RMID);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	queues();
	semaphores();
	shared_memory();
	printf("done\n");
	return 0;
}
