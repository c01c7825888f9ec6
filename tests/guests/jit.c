/* Builds system-call instructions at run time in an RWX mapping and calls
 * them: they must reach the LibOS like any other system call. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
	/* mov $39,%eax; syscall; ret  -- getpid, the shape the patcher rewrites */
	static const unsigned char movsys[] = {0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3};
	/* mov %rdi,%rax; syscall; ret  -- number in a register, trap only */
	static const unsigned char regsys[] = {0x48, 0x89, 0xf8, 0x0f, 0x05, 0xc3};
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memcpy(p, movsys, sizeof movsys);
	memcpy(p + 64, regsys, sizeof regsys);
	long (*f)(void) = (long (*)(void))p;
	long (*g)(long) = (long (*)(long))(p + 64);
	long pid = getpid(), ok = 1;
	for (int i = 0; i < 5; i++)  /* the first call traps; later ones may be patched */
		ok &= f() == pid && g(39) == pid && g(110) == getppid();
	printf("run-time syscalls agree with libc: %s\n", ok ? "yes" : "no");
	/* Rewrite the code in place and call again. */
	p[1] = 110; /* getppid */
	printf("rewritten code agrees: %s\n", f() == getppid() ? "yes" : "no");
	/* A W^X JIT: write, make executable, run, make writable, rewrite,
	 * make executable again, run. */
	unsigned char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(q, movsys, sizeof movsys);
	long (*h)(void) = (long (*)(void))q;
	mprotect(q, 4096, PROT_READ | PROT_EXEC);
	ok = 1;
	for (int i = 0; i < 3; i++)
		ok &= h() == pid;
	mprotect(q, 4096, PROT_READ | PROT_WRITE);
	q[1] = 110;
	mprotect(q, 4096, PROT_READ | PROT_EXEC);
	for (int i = 0; i < 3; i++)
		ok &= h() == getppid();
	printf("W^X code agrees: %s\n", ok ? "yes" : "no");
	printf("pid %ld\n", pid);
	return 0;
}
