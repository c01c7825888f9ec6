/* Kernel keyrings: add_key, request_key and keyctl with valid and invalid
 * arguments, across fork, exec and threads, as root and after dropping to
 * uid 65534. Serial numbers differ between runs, so only whether two of
 * them are equal is printed. Natively the program touches no persistent
 * keyring of the host: it first joins a fresh anonymous session keyring
 * and then uses only that, its process and thread keyrings and keyrings
 * linked there (nothing of it outlives the program), and never the user
 * keyrings, persistent keyrings or big_key (which hosts lack or have). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/keyctl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int32_t key_serial_t;

static long add_key(const char *type, const char *desc, const void *payload, size_t plen, key_serial_t ring) {
	return syscall(SYS_add_key, type, desc, payload, plen, ring);
}

static long request_key(const char *type, const char *desc, const char *callout, key_serial_t dest) {
	return syscall(SYS_request_key, type, desc, callout, dest);
}

static long kc(long op, unsigned long a, unsigned long b, unsigned long c, unsigned long d) {
	return syscall(SYS_keyctl, op, a, b, c, d);
}

static const char *en(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

#define SHOW(label, expr)                                 \
	do {                                              \
		long r_ = (expr);                         \
		printf("%s: %s\n", label, en(r_));        \
	} while (0)
#define SHOWN(label, expr)                                \
	do {                                              \
		long r_ = (expr);                         \
		if (r_ < 0)                               \
			printf("%s: %s\n", label, en(r_)); \
		else                                      \
			printf("%s: %ld\n", label, r_);   \
	} while (0)

static key_serial_t id_of(key_serial_t special, int create) {
	return kc(KEYCTL_GET_KEYRING_ID, special, create, 0, 0);
}

/* The description of key k, as KEYCTL_DESCRIBE gives it. */
static const char *describe(key_serial_t k) {
	static char buf[512];
	long n = kc(KEYCTL_DESCRIBE, k, (unsigned long)buf, sizeof buf, 0);
	if (n < 0)
		return strerrorname_np(errno);
	return buf;
}

/* What KEYCTL_READ gives for k: its length and, for short text, the text. */
static void show_read(const char *label, key_serial_t k) {
	char buf[64] = {0};
	long n = kc(KEYCTL_READ, k, (unsigned long)buf, sizeof buf - 1, 0);
	if (n < 0)
		printf("%s: %s\n", label, en(n));
	else
		printf("%s: %ld \"%.*s\"\n", label, n, n < 64 ? (int)n : 0, buf);
}

/* Whether keyring r holds exactly the keys given (in any order). */
static int holds(key_serial_t r, int n, ...) {
	key_serial_t got[32];
	long len = kc(KEYCTL_READ, r, (unsigned long)got, sizeof got, 0);
	if (len < 0 || len != n * 4)
		return 0;
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		key_serial_t want = va_arg(ap, int);
		int found = 0;
		for (int j = 0; j < n; j++)
			found |= got[j] == want;
		if (!found)
			return 0;
	}
	va_end(ap);
	return 1;
}

/* Whether key k is gone (within two seconds: Linux frees an unlinked key
 * after an RCU grace period). */
static int gone(key_serial_t k) {
	for (int i = 0; i < 200; i++) {
		if (kc(KEYCTL_DESCRIBE, k, 0, 0, 0) < 0 && errno == ENOKEY)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* /proc/keys' line for k without its serial and usage count. */
static void show_proc_keys(const char *label, key_serial_t k) {
	FILE *f = fopen("/proc/keys", "r");
	char line[512];
	int found = 0;
	while (f && fgets(line, sizeof line, f)) {
		unsigned serial, perm;
		char flags[16], timeout[16], type[32], desc[256];
		int usage, uid, gid;
		if (sscanf(line, "%x %15s %d %15s %x %d %d %31s %255[^\n]", &serial, flags, &usage, timeout, &perm, &uid, &gid, type, desc) == 9 &&
		    (key_serial_t)serial == k) {
			printf("%s: %s %s %08x %d %d %s %s\n", label, flags, timeout, perm, uid, gid, type, desc);
			found = 1;
		}
	}
	if (f)
		fclose(f);
	if (!found)
		printf("%s: not listed\n", label);
}

static void payloads(key_serial_t ses) {
	static char big[32768];
	memset(big, 'x', sizeof big);
	SHOW("user 32767 bytes", add_key("user", "big", big, 32767, ses));
	SHOW("user 32768 bytes", add_key("user", "big2", big, 32768, ses));
	SHOW("user 1 MiB bytes", add_key("user", "big3", big, 1 << 20, ses));
	SHOW("user empty payload", add_key("user", "empty", "", 0, ses));
	SHOW("user NULL payload, length 64", add_key("user", "null", NULL, 64, ses));
	SHOW("keyring with a payload", add_key("keyring", "r", "x", 1, ses));
	SHOW("keyring NULL payload", add_key("keyring", "r0", NULL, 0, ses));
	SHOW("logon without colon", add_key("logon", "nocolon", "x", 1, ses));
	SHOW("logon leading colon", add_key("logon", ":x", "x", 1, ses));
	long lg = add_key("logon", "svc:pw", "secret", 6, ses);
	SHOW("logon svc:pw", lg);
	show_read("read logon", lg);
	printf("describe logon: %s\n", describe(lg));
	SHOW("unknown type", add_key("nosuchtype", "d", "x", 1, ses));
	SHOW("dot type", add_key(".user", "d", "x", 1, ses));
	SHOW("empty type", add_key("", "d", "x", 1, ses));
	SHOW("long type", add_key("abcdefghijabcdefghijabcdefghijab", "d", "x", 1, ses));
	SHOW("type 31 chars", add_key("abcdefghijabcdefghijabcdefghija", "d", "x", 1, ses));
	SHOW("bad type pointer", add_key((char *)-1, "d", "x", 1, ses));
	SHOW("bad description pointer", add_key("user", (char *)-1, "x", 1, ses));
	SHOW("empty description", add_key("user", "", "x", 1, ses));
	SHOW("NULL description", add_key("user", NULL, "x", 1, ses));
	SHOW("dot keyring description", add_key("keyring", ".ring", NULL, 0, ses));
	SHOW("dot user description", add_key("user", ".dotted", "x", 1, ses));
	char *desc = malloc(4097);
	memset(desc, 'd', 4096);
	desc[4096] = 0;
	SHOW("description 4096 chars", add_key("user", desc, "x", 1, ses));
	desc[4095] = 0;
	SHOW("description 4095 chars", add_key("user", desc, "x", 1, ses));
	free(desc);
	SHOW("into keyring 0", add_key("user", "z", "x", 1, 0));
	SHOW("into group keyring", add_key("user", "z", "x", 1, KEY_SPEC_GROUP_KEYRING));
	SHOW("into a missing key", add_key("user", "z", "x", 1, 1));
	long u = add_key("user", "u", "x", 1, ses);
	SHOW("into a user key", add_key("user", "z", "x", 1, u));
	kc(KEYCTL_CLEAR, ses, 0, 0, 0);
}

static void specials(void) {
	SHOW("thread keyring, no create", id_of(KEY_SPEC_THREAD_KEYRING, 0));
	SHOW("process keyring, no create", id_of(KEY_SPEC_PROCESS_KEYRING, 0));
	key_serial_t t = id_of(KEY_SPEC_THREAD_KEYRING, 1);
	SHOW("thread keyring, create", t);
	printf("thread keyring again same: %d\n", id_of(KEY_SPEC_THREAD_KEYRING, 0) == t);
	key_serial_t p = id_of(KEY_SPEC_PROCESS_KEYRING, 1);
	printf("process keyring differs from thread's: %d\n", p > 0 && p != t);
	printf("describe thread keyring: %s\n", describe(KEY_SPEC_THREAD_KEYRING));
	printf("describe process keyring: %s\n", describe(KEY_SPEC_PROCESS_KEYRING));
	printf("describe session keyring: %s\n", describe(KEY_SPEC_SESSION_KEYRING));
	SHOW("group keyring", id_of(KEY_SPEC_GROUP_KEYRING, 1));
	SHOW("request_key auth key", id_of(KEY_SPEC_REQKEY_AUTH_KEY, 0));
	SHOW("requestor keyring", id_of(KEY_SPEC_REQUESTOR_KEYRING, 0));
	SHOW("special -9", id_of(-9, 0));
	SHOW("id 0", id_of(0, 0));
	SHOW("id 1", id_of(1, 0));
	SHOW("read id 0", kc(KEYCTL_READ, 0, 0, 0, 0));
	SHOW("read group keyring", kc(KEYCTL_READ, KEY_SPEC_GROUP_KEYRING, 0, 0, 0));
	SHOW("revoke id 2", kc(KEYCTL_REVOKE, 2, 0, 0, 0));
	SHOWN("unknown operation", kc(999, 0, 0, 0, 0));
	SHOWN("pkey query with arg3", kc(KEYCTL_PKEY_QUERY, t, 1, 0, 0));
	SHOWN("capabilities length", kc(KEYCTL_CAPABILITIES, 0, 0, 0, 0));
	SHOWN("assume authority -1", kc(KEYCTL_ASSUME_AUTHORITY, -1, 0, 0, 0));
	SHOWN("assume authority 0", kc(KEYCTL_ASSUME_AUTHORITY, 0, 0, 0, 0));
	SHOWN("assume authority of a keyring", kc(KEYCTL_ASSUME_AUTHORITY, t, 0, 0, 0));
	SHOWN("instantiate", kc(KEYCTL_INSTANTIATE, t, (unsigned long)"x", 1, 0));
	SHOWN("instantiate 1 MiB", kc(KEYCTL_INSTANTIATE, t, (unsigned long)"x", 1 << 20, 0));
	SHOWN("negate", kc(KEYCTL_NEGATE, t, 10, 0, 0));
	SHOWN("reject error 0", kc(KEYCTL_REJECT, t, 10, 0, 0));
	SHOWN("reject ERESTARTSYS", kc(KEYCTL_REJECT, t, 10, 512, 0));
	SHOWN("reject EKEYREJECTED", kc(KEYCTL_REJECT, t, 10, EKEYREJECTED, 0));
	struct iovec iov = {"x", 1};
	SHOWN("instantiate iov", kc(KEYCTL_INSTANTIATE_IOV, t, (unsigned long)&iov, 1, 0));
	SHOWN("instantiate iov 2000 entries", kc(KEYCTL_INSTANTIATE_IOV, t, (unsigned long)&iov, 2000, 0));
	SHOWN("instantiate bad iov", kc(KEYCTL_INSTANTIATE_IOV, t, 8, 1, 0));
	SHOWN("reqkey no change", kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_NO_CHANGE, 0, 0, 0));
	SHOWN("reqkey thread", kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_THREAD_KEYRING, 0, 0, 0));
	SHOWN("reqkey group", kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_GROUP_KEYRING, 0, 0, 0));
	SHOWN("reqkey 8", kc(KEYCTL_SET_REQKEY_KEYRING, 8, 0, 0, 0));
	SHOWN("reqkey session", kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_SESSION_KEYRING, 0, 0, 0));
	SHOWN("reqkey default", kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_DEFAULT, 0, 0, 0));
	kc(KEYCTL_CLEAR, KEY_SPEC_THREAD_KEYRING, 0, 0, 0);
	kc(KEYCTL_CLEAR, KEY_SPEC_PROCESS_KEYRING, 0, 0, 0);
}

static void keys_and_keyrings(key_serial_t ses) {
	long k1 = add_key("user", "k1", "hello", 5, ses);
	SHOW("add k1", k1);
	printf("describe k1: %s\n", describe(k1));
	show_read("read k1", k1);
	long again = add_key("user", "k1", "world!", 6, ses);
	printf("add k1 again updates it: %d\n", again == k1);
	show_read("read k1 after update", k1);
	char small[4] = "abc";
	SHOWN("describe into a small buffer", kc(KEYCTL_DESCRIBE, k1, (unsigned long)small, sizeof small, 0));
	printf("small buffer untouched: %d\n", strcmp(small, "abc") == 0);
	SHOWN("describe length", kc(KEYCTL_DESCRIBE, k1, 0, 0, 0));
	SHOWN("describe bad buffer", kc(KEYCTL_DESCRIBE, k1, 8, 100, 0));
	SHOWN("read length", kc(KEYCTL_READ, k1, 0, 0, 0));
	SHOWN("read into 2 bytes", kc(KEYCTL_READ, k1, (unsigned long)small, 2, 0));
	printf("small buffer untouched: %d\n", strcmp(small, "abc") == 0);
	SHOWN("read bad buffer", kc(KEYCTL_READ, k1, 8, 100, 0));

	long r1 = add_key("keyring", "ring1", NULL, 0, ses);
	SHOW("add ring1", r1);
	printf("describe ring1: %s\n", describe(r1));
	SHOW("link k1 into ring1", kc(KEYCTL_LINK, k1, r1, 0, 0));
	printf("ring1 holds k1: %d\n", holds(r1, 1, k1));
	printf("session holds k1 and ring1: %d\n", holds(ses, 2, k1, r1));
	SHOWN("read ring1 into 3 bytes", kc(KEYCTL_READ, r1, (unsigned long)small, 3, 0));
	long k2 = add_key("user", "k2", "two", 3, r1);
	key_serial_t one = 0;
	SHOWN("read ring1 into 4 bytes", kc(KEYCTL_READ, r1, (unsigned long)&one, 4, 0));
	printf("4 bytes untouched: %d\n", one == 0);
	SHOW("link ring1 into itself", kc(KEYCTL_LINK, r1, r1, 0, 0));
	SHOW("link session into ring1", kc(KEYCTL_LINK, ses, r1, 0, 0));
	SHOW("link into a user key", kc(KEYCTL_LINK, k2, k1, 0, 0));
	SHOW("link a missing key", kc(KEYCTL_LINK, 1, r1, 0, 0));
	SHOW("clear a user key", kc(KEYCTL_CLEAR, k1, 0, 0, 0));
	SHOW("update ring1", kc(KEYCTL_UPDATE, r1, (unsigned long)"x", 1, 0));
	SHOW("update k1 4097 bytes", kc(KEYCTL_UPDATE, k1, (unsigned long)"x", 4097, 0));
	SHOW("update k1 empty", kc(KEYCTL_UPDATE, k1, 0, 0, 0));
	SHOW("update k1 bad pointer", kc(KEYCTL_UPDATE, k1, 8, 5, 0));
	SHOW("update k1", kc(KEYCTL_UPDATE, k1, (unsigned long)"again", 5, 0));
	show_read("read k1 after keyctl update", k1);

	/* Searches. */
	printf("search session for k1: %d\n", kc(KEYCTL_SEARCH, ses, (unsigned long)"user", (unsigned long)"k1", 0) == k1);
	printf("search session for nested k2: %d\n", kc(KEYCTL_SEARCH, ses, (unsigned long)"user", (unsigned long)"k2", 0) == k2);
	printf("search session for itself: %d\n", kc(KEYCTL_SEARCH, ses, (unsigned long)"keyring", (unsigned long)"_ses", 0) == ses);
	SHOW("search for a missing key", kc(KEYCTL_SEARCH, ses, (unsigned long)"user", (unsigned long)"nope", 0));
	SHOW("search an unknown type", kc(KEYCTL_SEARCH, ses, (unsigned long)"nosuchtype", (unsigned long)"k1", 0));
	SHOW("search a dot type", kc(KEYCTL_SEARCH, ses, (unsigned long)".x", (unsigned long)"k1", 0));
	SHOW("search a user key", kc(KEYCTL_SEARCH, k1, (unsigned long)"user", (unsigned long)"k1", 0));
	SHOW("search bad description", kc(KEYCTL_SEARCH, ses, (unsigned long)"user", 8, 0));
	long r2 = add_key("keyring", "ring2", NULL, 0, ses);
	printf("search with a destination: %d\n", kc(KEYCTL_SEARCH, ses, (unsigned long)"user", (unsigned long)"k2", r2) == k2);
	printf("ring2 holds k2: %d\n", holds(r2, 1, k2));
	printf("request_key finds k2: %d\n", request_key("user", "k2", NULL, 0) == k2);
	SHOW("request_key missing, no callout", request_key("user", "nope", NULL, 0));
	SHOW("request_key unknown type", request_key("nosuchtype", "nope", NULL, 0));
	SHOW("request_key dot type", request_key(".user", "nope", NULL, 0));
	SHOW("request_key keyring with callout", request_key("keyring", "nope", "info", 0));
	SHOW("request_key bad callout", request_key("user", "nope", (char *)-1, 0));
	SHOW("request_key into group keyring", request_key("user", "k2", NULL, KEY_SPEC_GROUP_KEYRING));

	/* Unlink and move. */
	SHOW("unlink k2 from ring2", kc(KEYCTL_UNLINK, k2, r2, 0, 0));
	SHOW("unlink k2 from ring2 again", kc(KEYCTL_UNLINK, k2, r2, 0, 0));
	SHOW("unlink from a user key", kc(KEYCTL_UNLINK, k2, k1, 0, 0));
	SHOW("move k2 to ring2", kc(KEYCTL_MOVE, k2, r1, r2, 0));
	printf("ring1 empty: %d, ring2 holds k2: %d\n", holds(r1, 1, k1), holds(r2, 1, k2));
	SHOW("move k2 back, missing", kc(KEYCTL_MOVE, k2, r1, r2, 0));
	SHOW("move bad flags", kc(KEYCTL_MOVE, k2, r2, r1, 2));
	long k2b = add_key("user", "k2", "other", 5, r1);
	SHOW("move exclusive onto a match", kc(KEYCTL_MOVE, k2, r2, r1, KEYCTL_MOVE_EXCL));
	SHOW("move onto a match", kc(KEYCTL_MOVE, k2, r2, r1, 0));
	printf("ring1 holds k1 and k2: %d, ring2 empty: %d\n", holds(r1, 2, k1, k2), holds(r2, 0));
	printf("k2 replaced by the move is gone: %d\n", gone(k2b));

	/* Restrictions. */
	SHOW("restrict ring2", kc(KEYCTL_RESTRICT_KEYRING, r2, 0, 0, 0));
	SHOW("link into restricted ring2", kc(KEYCTL_LINK, k1, r2, 0, 0));
	SHOW("add into restricted ring2", add_key("user", "r", "x", 1, r2));
	SHOW("restrict ring2 again", kc(KEYCTL_RESTRICT_KEYRING, r2, 0, 0, 0));
	SHOW("restrict with type user", kc(KEYCTL_RESTRICT_KEYRING, r1, (unsigned long)"user", (unsigned long)"x", 0));
	SHOW("restrict with unknown type", kc(KEYCTL_RESTRICT_KEYRING, r1, (unsigned long)"nosuchtype", (unsigned long)"x", 0));
	SHOW("restrict with only a restriction", kc(KEYCTL_RESTRICT_KEYRING, r1, 0, (unsigned long)"x", 0));
	SHOW("restrict with only a type", kc(KEYCTL_RESTRICT_KEYRING, r1, (unsigned long)"user", 0, 0));
	SHOW("restrict a user key", kc(KEYCTL_RESTRICT_KEYRING, k1, 0, 0, 0));

	/* Permissions. */
	SHOW("chown k1 to 65534", kc(KEYCTL_CHOWN, k1, 65534, -1, 0));
	printf("describe k1: %s\n", describe(k1));
	SHOW("chown k1 group 100", kc(KEYCTL_CHOWN, k1, -1, 100, 0));
	printf("describe k1: %s\n", describe(k1));
	SHOW("chown k1 back", kc(KEYCTL_CHOWN, k1, 0, 0, 0));
	SHOW("chown nothing", kc(KEYCTL_CHOWN, 1, -1, -1, 0));
	SHOW("chown a missing key", kc(KEYCTL_CHOWN, 1, 0, -1, 0));
	SHOW("setperm bad bits", kc(KEYCTL_SETPERM, k1, 0x40000000, 0, 0));
	SHOW("setperm k1 without possessor search", kc(KEYCTL_SETPERM, k1, 0x37010000, 0, 0));
	printf("describe k1: %s\n", describe(k1));
	SHOW("search k1 unsearchable", kc(KEYCTL_SEARCH, ses, (unsigned long)"user", (unsigned long)"k1", 0));
	show_read("read k1 unsearchable", k1);
	SHOW("setperm k1 unpossessed", kc(KEYCTL_SETPERM, k1, 0x3f010000, 0, 0));
	SHOW("update k1 unpossessed", kc(KEYCTL_UPDATE, k1, (unsigned long)"x", 1, 0));
	SHOW("add k1 unpossessed", add_key("user", "k1", "y", 1, ses));
	SHOW("revoke k1 unpossessed", kc(KEYCTL_REVOKE, k1, 0, 0, 0));
	SHOW("link k1 unpossessed", kc(KEYCTL_LINK, k1, r2, 0, 0));
	SHOW("unlink k1 unpossessed", kc(KEYCTL_UNLINK, k1, r1, 0, 0));
	SHOW("link k1 back", kc(KEYCTL_LINK, k1, r1, 0, 0));
	long k3 = add_key("user", "k3", "3", 1, ses);
	SHOW("setperm k3 nothing", kc(KEYCTL_SETPERM, k3, 0, 0, 0));
	SHOW("describe k3 nothing", kc(KEYCTL_DESCRIBE, k3, 0, 0, 0));
	SHOW("invalidate k3 nothing", kc(KEYCTL_INVALIDATE, k3, 0, 0, 0));
	SHOW("unlink k3 nothing", kc(KEYCTL_UNLINK, k3, ses, 0, 0));
	/* Timeouts, revocation, invalidation. */
	long kt = add_key("user", "timed", "t", 1, ses);
	SHOW("set timeout", kc(KEYCTL_SET_TIMEOUT, kt, 1, 0, 0));
	show_proc_keys("proc keys timed", kt);
	sleep(2);
	show_read("read expired", kt);
	SHOW("describe expired", kc(KEYCTL_DESCRIBE, kt, 0, 0, 0));
	SHOW("search expired", kc(KEYCTL_SEARCH, ses, (unsigned long)"user", (unsigned long)"timed", 0));
	SHOW("request_key expired", request_key("user", "timed", NULL, 0));
	SHOW("set timeout on expired", kc(KEYCTL_SET_TIMEOUT, kt, 0, 0, 0));
	show_proc_keys("proc keys expired", kt);
	printf("add over expired revives it: %d\n", add_key("user", "timed", "u", 1, ses) == kt);
	show_read("read revived", kt);
	SHOW("revoke k2", kc(KEYCTL_REVOKE, k2, 0, 0, 0));
	show_read("read revoked", k2);
	SHOW("describe revoked", kc(KEYCTL_DESCRIBE, k2, 0, 0, 0));
	SHOW("search revoked", kc(KEYCTL_SEARCH, r1, (unsigned long)"user", (unsigned long)"k2", 0));
	long k2c = add_key("user", "k2", "new", 3, r1);
	printf("add over revoked makes a new key: %d\n", k2c > 0 && k2c != k2);
	printf("revoked k2 gone with its last link: %d\n", gone(k2));
	SHOW("revoke ring2", kc(KEYCTL_REVOKE, r2, 0, 0, 0));
	SHOW("add into revoked ring2", add_key("user", "z", "x", 1, r2));
	SHOW("invalidate k2c", kc(KEYCTL_INVALIDATE, k2c, 0, 0, 0));
	SHOW("describe invalidated", kc(KEYCTL_DESCRIBE, k2c, 0, 0, 0));
	int only = 0;
	for (int i = 0; i < 200 && !(only = holds(r1, 0)); i++)
		usleep(10000); /* Linux unlinks invalidated keys in the background */
	printf("ring1 empty once k2c is invalidated: %d\n", only);
	SHOW("clear session", kc(KEYCTL_CLEAR, ses, 0, 0, 0));
	printf("k1 gone with ring1: %d\n", gone(k1));
}

static void negative_keys(key_serial_t ses) {
	long r = request_key("user", "neg", "callout", ses);
	printf("request_key with callout: %s\n", en(r));
	key_serial_t neg = 0;
	SHOWN("session holds one key", kc(KEYCTL_READ, ses, (unsigned long)&neg, 4, 0));
	printf("describe negative: %s\n", describe(neg));
	show_read("read negative", neg);
	show_proc_keys("proc keys negative", neg);
	SHOW("request_key finds the negative key", request_key("user", "neg", "callout", 0));
	SHOW("search finds the negative key", kc(KEYCTL_SEARCH, ses, (unsigned long)"user", (unsigned long)"neg", 0));
	SHOW("update negative", kc(KEYCTL_UPDATE, neg, (unsigned long)"x", 1, 0));
	printf("add over negative: %d\n", add_key("user", "neg", "pos", 3, ses) == neg);
	show_read("read now positive", neg);
	SHOW("logon without colon by request_key", request_key("logon", "nocolon", "c", ses));
	kc(KEYCTL_CLEAR, ses, 0, 0, 0);
	long ring = add_key("keyring", "ro", NULL, 0, ses);
	kc(KEYCTL_SETPERM, ring, 0x0b000000, 0, 0);
	SHOW("request_key into unwritable keyring", request_key("user", "x", "c", ring));
	SHOW("join named", kc(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)"gophene-keys-test", 0, 0, 0));
	SHOW("join named again", kc(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)"gophene-keys-test", 0, 0, 0));
	kc(KEYCTL_SETPERM, KEY_SPEC_SESSION_KEYRING, 0x0b000000, 0, 0);
	kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_SESSION_KEYRING, 0, 0, 0);
	SHOW("request_key, unwritable default keyring", request_key("user", "x", "c", 0));
	kc(KEYCTL_SET_REQKEY_KEYRING, KEY_REQKEY_DEFL_DEFAULT, 0, 0, 0);
	SHOW("join dot name", kc(KEYCTL_JOIN_SESSION_KEYRING, (unsigned long)".builtin_trusted_keys", 0, 0, 0));
	SHOW("join bad name", kc(KEYCTL_JOIN_SESSION_KEYRING, 8, 0, 0, 0));
}

static void *thread_main(void *arg) {
	key_serial_t *main_thread = arg;
	key_serial_t t = id_of(KEY_SPEC_THREAD_KEYRING, 0);
	if (main_thread[0] > 0) {
		printf("new thread of a thread with a thread keyring: own one: %d\n", t > 0 && t != *main_thread);
	} else {
		printf("new thread: no thread keyring: %s\n", en(t));
		t = id_of(KEY_SPEC_THREAD_KEYRING, 1);
		printf("new thread: made one: %s\n", en(t));
	}
	show_proc_keys("new thread: proc keys thread keyring", t);
	printf("new thread: same process keyring: %d\n", id_of(KEY_SPEC_PROCESS_KEYRING, 0) == main_thread[1]);
	printf("new thread: same session keyring: %d\n", id_of(KEY_SPEC_SESSION_KEYRING, 0) == main_thread[2]);
	return NULL;
}

static void threads(void) {
	key_serial_t ids[3] = {id_of(KEY_SPEC_THREAD_KEYRING, 0), id_of(KEY_SPEC_PROCESS_KEYRING, 1), id_of(KEY_SPEC_SESSION_KEYRING, 0)};
	pthread_t th;
	printf("main thread: thread keyring: %s\n", en(ids[0]));
	pthread_create(&th, NULL, thread_main, ids);
	pthread_join(th, NULL);
	printf("main thread: same thread keyring after: %d\n", id_of(KEY_SPEC_THREAD_KEYRING, 0) == ids[0]);
}

/* A thread with no thread keyring starts one. */
static void *thread_starter(void *arg) {
	key_serial_t *ids = arg;
	key_serial_t mine[3] = {id_of(KEY_SPEC_THREAD_KEYRING, 0), ids[1], ids[2]};
	printf("second thread: thread keyring: %s\n", en(mine[0]));
	pthread_t th;
	pthread_create(&th, NULL, thread_main, mine);
	pthread_join(th, NULL);
	return NULL;
}

static void threads_without(void) {
	key_serial_t ids[3] = {0, id_of(KEY_SPEC_PROCESS_KEYRING, 1), id_of(KEY_SPEC_SESSION_KEYRING, 0)};
	pthread_t th;
	pthread_create(&th, NULL, thread_starter, ids);
	pthread_join(th, NULL);
}

static int wait_child(pid_t pid) {
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void processes(const char *self) {
	key_serial_t ses = id_of(KEY_SPEC_SESSION_KEYRING, 0);
	key_serial_t proc = id_of(KEY_SPEC_PROCESS_KEYRING, 1);
	long shared = add_key("user", "shared", "s", 1, ses);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child: same session keyring: %d\n", id_of(KEY_SPEC_SESSION_KEYRING, 0) == ses);
		printf("child: no process keyring: %s\n", en(id_of(KEY_SPEC_PROCESS_KEYRING, 0)));
		printf("child: no thread keyring: %s\n", en(id_of(KEY_SPEC_THREAD_KEYRING, 0)));
		show_read("child: read shared", shared);
		SHOW("child: process keyring of the parent", kc(KEYCTL_DESCRIBE, proc, 0, 0, 0));
		SHOW("child: add to the session", add_key("user", "fromchild", "c", 1, ses));
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid);
	printf("parent: sees the child's key: %d\n", kc(KEYCTL_SEARCH, ses, (unsigned long)"user", (unsigned long)"fromchild", 0) > 0);

	/* execve keeps the session keyring, drops the process keyring. */
	pid = fork();
	if (pid == 0) {
		char arg[32];
		snprintf(arg, sizeof arg, "%d", proc);
		execl(self, self, "exec-check", arg, NULL);
		_exit(99);
	}
	wait_child(pid);

	/* A process that drops root. */
	key_serial_t priv = add_key("keyring", "private", NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	long secret = add_key("user", "secret", "s", 1, priv);
	long rootring = add_key("keyring", "rootring", NULL, 0, ses);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		key_serial_t t0 = id_of(KEY_SPEC_THREAD_KEYRING, 1);
		printf("root child: describe thread keyring: %s\n", describe(t0));
		if (setgid(65534) || setuid(65534))
			_exit(1);
		printf("nobody: thread keyring follows the fsuid: %s\n", describe(t0));
		printf("nobody: describe possessed root key: %s\n", describe(shared));
		show_read("nobody: read possessed root key", shared);
		SHOW("nobody: setperm root key", kc(KEYCTL_SETPERM, shared, 0x3f3f0000, 0, 0));
		SHOW("nobody: chown root key", kc(KEYCTL_CHOWN, shared, 65534, -1, 0));
		SHOW("nobody: describe unpossessed root keyring", kc(KEYCTL_DESCRIBE, priv, 0, 0, 0));
		SHOW("nobody: read unpossessed root key", kc(KEYCTL_READ, secret, 0, 0, 0));
		SHOW("nobody: link into unpossessed root keyring", kc(KEYCTL_LINK, shared, priv, 0, 0));
		SHOW("nobody: add into possessed root keyring", add_key("user", "n", "n", 1, rootring));
		long mine = add_key("user", "nobodys", "n", 1, KEY_SPEC_SESSION_KEYRING);
		SHOW("nobody: add to the session", mine);
		printf("nobody: describe own key: %s\n", describe(mine));
		SHOW("nobody: setperm own key", kc(KEYCTL_SETPERM, mine, 0x3f3f0000, 0, 0));
		SHOW("nobody: chown own key", kc(KEYCTL_CHOWN, mine, 0, -1, 0));
		SHOW("nobody: chown own key to own group", kc(KEYCTL_CHOWN, mine, -1, 65534, 0));
		SHOW("nobody: chown own key to group 0", kc(KEYCTL_CHOWN, mine, -1, 0, 0));
		key_serial_t t = id_of(KEY_SPEC_THREAD_KEYRING, 1);
		printf("nobody: describe thread keyring: %s\n", describe(t));
		SHOW("nobody: session to parent, same session", kc(KEYCTL_SESSION_TO_PARENT, 0, 0, 0, 0));
		long anon = kc(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
		SHOW("nobody: session to parent, parent is root", kc(KEYCTL_SESSION_TO_PARENT, 0, 0, 0, 0));
		printf("nobody: describe new session: %s\n", describe(anon));
		show_proc_keys("nobody: proc keys new session", anon);
		show_proc_keys("nobody: proc keys unpossessed root keyring", priv);
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid);
	printf("root: nobody's key in the session: %d\n", kc(KEYCTL_SEARCH, ses, (unsigned long)"user", (unsigned long)"nobodys", 0) > 0);

	/* A child gives its new session keyring to its parent. */
	kc(KEYCTL_LINK, ses, KEY_SPEC_PROCESS_KEYRING, 0, 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		key_serial_t mine = kc(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
		printf("child: joined a new session: %d\n", mine > 0 && mine != ses);
		add_key("user", "inchildsession", "c", 1, mine);
		SHOW("child: session to parent", kc(KEYCTL_SESSION_TO_PARENT, 0, 0, 0, 0));
		SHOW("child: session to parent again", kc(KEYCTL_SESSION_TO_PARENT, 0, 0, 0, 0));
		fflush(stdout);
		_exit(0);
	}
	wait_child(pid);
	key_serial_t now = id_of(KEY_SPEC_SESSION_KEYRING, 0);
	printf("parent: session replaced by the child's: %d\n", now > 0 && now != ses);
	printf("parent: finds the child's key: %d\n", request_key("user", "inchildsession", NULL, 0) > 0);
	SHOW("parent: old session kept by the process keyring", kc(KEYCTL_DESCRIBE, ses, 0, 0, 0));
	printf("parent: process keyring kept: %d\n", id_of(KEY_SPEC_PROCESS_KEYRING, 0) == proc);
	kc(KEYCTL_CLEAR, ses, 0, 0, 0);
	kc(KEYCTL_CLEAR, KEY_SPEC_PROCESS_KEYRING, 0, 0, 0);
}

static int exec_check(const char *proc) {
	printf("after exec: no process keyring: %s\n", en(id_of(KEY_SPEC_PROCESS_KEYRING, 0)));
	printf("after exec: the parent's process keyring: %s\n", en(kc(KEYCTL_DESCRIBE, atoi(proc), 0, 0, 0)));
	printf("after exec: session keyring: %s\n", describe(KEY_SPEC_SESSION_KEYRING));
	return 0;
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "exec-check") == 0)
		return exec_check(argv[2]);
	key_serial_t ses = kc(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
	SHOW("join anonymous session", ses);
	printf("session id matches: %d\n", id_of(KEY_SPEC_SESSION_KEYRING, 0) == ses);
	printf("session id with create matches: %d\n", id_of(KEY_SPEC_SESSION_KEYRING, 1) == ses);
	show_proc_keys("proc keys session", ses);
	payloads(ses);
	specials();
	keys_and_keyrings(ses);
	negative_keys(ses);
	ses = kc(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
	threads();
	threads_without();
	processes(argv[0]);
	printf("done\n");
	return 0;
}
