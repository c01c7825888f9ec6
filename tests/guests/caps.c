/* Capabilities and the numbers in /proc: capget/capset and their errors,
 * a dropped capability refusing what it guards, the sets across fork and
 * setuid (with and without keep-caps), prctl's capability requests,
 * oom_score_adj and /proc/sys values. Run as root, as the tests are. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/fsuid.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <limits.h>
static const char *en(int r) { return r < 0 ? strerrorname_np(errno) : "ok"; }
static int capget_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d) { return syscall(SYS_capget, h, d); }
static int capset_(struct __user_cap_header_struct *h, struct __user_cap_data_struct *d) { return syscall(SYS_capset, h, d); }
/* Writes a string to a file and says what happened. */
static void put(const char *path, const char *val) {
	int fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0) {
		printf("open %s: %s\n", path, strerrorname_np(errno));
		return;
	}
	long w = write(fd, val, strlen(val));
	printf("write %s to %s: %ld %s\n", val, path, w, en(w));
	close(fd);
}

static void get(const char *path) {
	char buf[256] = "";
	int fd = open(path, O_RDONLY);
	long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	printf("read %s: %s (%s)\n", path, buf, en(n));
	if (fd >= 0)
		close(fd);
}

/* /proc files that hold numbers: a process's own oom_score_adj, and
 * /proc/sys values written back unchanged or refused (so a native run
 * changes nothing on the host). */
static void sysctls(void) {
	get("/proc/self/oom_score_adj");
	put("/proc/self/oom_score_adj", "-1000");
	get("/proc/self/oom_score_adj");
	get("/proc/self/oom_adj");
	put("/proc/self/oom_score_adj", "1001");
	put("/proc/self/oom_score_adj", "abc");
	put("/proc/self/oom_adj", "-17");
	get("/proc/self/oom_score_adj");
	put("/proc/self/oom_score_adj", "0\n");
	get("/proc/self/oom_adj");
	put("/proc/sys/vm/overcommit_memory", "5");
	put("/proc/sys/kernel/pid_max", "100");
	put("/proc/sys/fs/pipe-max-size", "abc");
	get("/proc/sys/kernel/cap_last_cap");
	get("/proc/sys/kernel/msgmni");
	get("/proc/sys/kernel/shmmni");
	get("/proc/sys/fs/mqueue/msg_max");
	int fd = open("/proc/sys/kernel/ngroups_max", O_WRONLY);
	printf("open ngroups_max for writing: %s\n", en(fd));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct __user_cap_header_struct h = {0x12345678, 0};
	struct __user_cap_data_struct d[2];
	int r = capget_(&h, d);
	printf("bad version: %d %s version now %#x\n", r, strerrorname_np(errno), h.version);
	h.version = 0x12345678;
	r = capget_(&h, NULL);
	printf("probe: %d version %#x\n", r, h.version);
	h.version = _LINUX_CAPABILITY_VERSION_3; h.pid = 0;
	r = capget_(&h, d);
	printf("v3: %d eff %#x %#x perm %#x %#x inh %#x\n", r, d[0].effective, d[1].effective, d[0].permitted, d[1].permitted, d[0].inheritable);
	h.pid = -1; errno = 0;
	{ long rr = capget_(&h, d); printf("pid -1: %ld %s\n", rr, en(rr)); }
	h.pid = 0x7fffffff; errno = 0;
	{ long rr = capget_(&h, d); printf("pid INT_MAX: %ld %s\n", rr, en(rr)); }
	h.pid = 0; errno = 0;
	{ long rr = capget_(&h, (void *)8); printf("bad data: %ld %s\n", rr, en(rr)); }
	{ int a0 = prctl(PR_CAPBSET_READ, 0); int a41 = prctl(PR_CAPBSET_READ, 41); printf("bounding read 0: %d, 41: %d %s\n", a0, a41, en(a41)); }
	/* drop CAP_CHOWN from effective */
	h.version = _LINUX_CAPABILITY_VERSION_3; h.pid = 0;
	capget_(&h, d);
	d[0].effective &= ~(1 << CAP_SYS_CHROOT);
	printf("capset drop eff: %d\n", capset_(&h, d));
	errno = 0;
	{ long rr = chroot("/"); printf("chroot without CAP_SYS_CHROOT: %ld %s\n", rr, en(rr)); }
	d[0].effective |= (1 << CAP_SYS_CHROOT);
	printf("capset raise eff again: %d\n", capset_(&h, d));
	d[0].permitted &= ~(1 << CAP_SYS_CHROOT); d[0].effective &= ~(1 << CAP_SYS_CHROOT);
	printf("capset drop perm: %d\n", capset_(&h, d));
	d[0].permitted |= (1 << CAP_SYS_CHROOT);
	errno = 0;
	{ long rr = capset_(&h, d); printf("capset raise perm: %ld %s\n", rr, en(rr)); }
	h.pid = 1234; errno = 0;
	{ long rr = capset_(&h, d); printf("capset other pid: %ld %s\n", rr, en(rr)); }
	printf("keepcaps: %d\n", prctl(PR_GET_KEEPCAPS));
	{ long rr = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0); printf("ambient raise CAP_KILL (not inheritable): %ld %s\n", rr, en(rr)); }
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		h.pid = 0; h.version = _LINUX_CAPABILITY_VERSION_3;
		capget_(&h, d);
		printf("child perm has SYS_CHROOT: %d\n", !!(d[0].permitted & (1 << CAP_SYS_CHROOT)));
		setresuid(1000, 1000, 1000);
		capget_(&h, d);
		printf("after setuid 1000: eff %#x perm %#x\n", d[0].effective, d[0].permitted);
		errno = 0;
		{ long rr = setuid(0); printf("setuid(0) back: %ld %s\n", rr, en(rr)); }
		int fd = open("/proc/self/oom_score_adj", O_WRONLY);
		errno = 0;
		{ long w = write(fd, "-5", 2); printf("lower oom_score_adj unprivileged: %ld %s\n", w, en(w)); }
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	sysctls();
	/* setfsuid/setfsgid return the old id; -1 only asks. */
	int fu1 = setfsuid(65534), fu2 = setfsuid(-1), fu3 = setfsuid(0), fu4 = setfsuid(-1);
	int fg1 = setfsgid(65534), fg2 = setfsgid(-1), fg3 = setfsgid(0), fg4 = setfsgid(-1);
	printf("setfsuid: %d %d %d %d, setfsgid: %d %d %d %d\n", fu1, fu2, fu3, fu4, fg1, fg2, fg3, fg4);
	prctl(PR_SET_KEEPCAPS, 1);
	printf("keepcaps now: %d\n", prctl(PR_GET_KEEPCAPS));
	setresuid(1000, 1000, 1000);
	h.pid = 0; capget_(&h, d);
	printf("keepcaps setuid 1000: eff %#x perm %#x\n", d[0].effective, d[0].permitted);
	return 0;
}
