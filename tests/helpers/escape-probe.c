// SPDX-License-Identifier: Apache-2.0
/*
 * escape-probe.c - try to operate a switched (host) socket by ways that
 * never pass through the trapped native syscalls: io_uring's CONNECT,
 * BIND and LISTEN, and the 32-bit x86 ABI (int $0x80) through its direct
 * socket calls and through socketcall().  What test-escape.sh runs inside
 * the container.
 *
 *   escape-probe uring|ia32|socketcall tcp|udp HOST PORT BINDPORT HOLD
 *
 * Connects a socket to HOST:PORT with connect() (the agent switches it),
 * then through the chosen way: disconnects it (AF_UNSPEC), binds it to
 * 0.0.0.0:BINDPORT and, for TCP, makes it listen; ia32 then does the
 * same to a fresh container socket and connects one ("fresh-*" steps).
 * Prints one line per step, "STEP 0" or "STEP -ERRNAME", then "holding",
 * and sleeps HOLD seconds so that the test can look for BINDPORT on the
 * host.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Opcodes by number: Debian 12's headers predate BIND and LISTEN (6.11). */
#define OP_CONNECT 16
#define OP_BIND 56
#define OP_LISTEN 57

/* The i386 ABI's numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
#define NR32_GETPID 20
#define NR32_SOCKETCALL 102
#define NR32_BIND 361
#define NR32_CONNECT 362
#define NR32_LISTEN 363
#define SC_BIND 2
#define SC_CONNECT 3
#define SC_LISTEN 4

static void say(const char *step, long r)
{
	if (r >= 0)
		printf("%s 0\n", step);
	else
		printf("%s -%s\n", step, strerrorname_np((int)-r) ?: "?");
	fflush(stdout);
}

/* --- io_uring, by hand: one submission at a time --- */

struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static long ring_init(struct ring *r)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	uint8_t *sq, *cq;

	memset(&p, 0, sizeof(p));
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -errno;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_len = cq_len = sq_len > cq_len ? sq_len : cq_len;
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
		  IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return -errno;
	cq = sq;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
		cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			  r->fd, IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			return -errno;
	}
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
		       IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return -errno;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* Submit one operation on @fd and wait for its result. */
static long ring_op(struct ring *r, uint8_t op, int fd, const void *addr,
		    uint64_t addr2, uint32_t len)
{
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	struct io_uring_sqe *sqe = &r->sqes[idx];
	long res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)addr;
	sqe->addr2 = addr2;
	sqe->len = len;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS,
		    NULL, 0) < 0)
		return -errno;
	head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EIO;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static int try_uring(int s, int tcp, struct sockaddr_in *wild)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct ring r;
	long e = ring_init(&r);

	if (e < 0) {
		say("io_uring_setup", e);
		return 0;
	}
	say("disconnect",
	    ring_op(&r, OP_CONNECT, s, &unspec, sizeof(unspec), 0));
	say("bind", ring_op(&r, OP_BIND, s, wild, sizeof(*wild), 0));
	if (tcp)
		say("listen", ring_op(&r, OP_LISTEN, s, NULL, 0, 8));
	return 0;
}

/* --- the i386 ABI from this 64-bit process: int $0x80 --- */

static long int80(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* The 32-bit ABI takes only pointers below 4 GiB. */
static void *low_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int try_ia32(int s, int tcp, const struct sockaddr_in *wild,
		    int via_socketcall)
{
	uint8_t *page = low_page();
	struct sockaddr *unspec;
	struct sockaddr_in *addr;
	uint32_t *args;
	long a;

	if (!page) {
		perror("mmap MAP_32BIT");
		return 1;
	}
	unspec = (struct sockaddr *)page;
	unspec->sa_family = AF_UNSPEC;
	addr = (struct sockaddr_in *)(page + 64);
	*addr = *wild;
	args = (uint32_t *)(page + 128);
	a = (long)(uintptr_t)args;
	if (via_socketcall) {
		args[0] = (uint32_t)s;
		args[1] = (uint32_t)(uintptr_t)unspec;
		args[2] = sizeof(*unspec);
		say("disconnect", int80(NR32_SOCKETCALL, SC_CONNECT, a, 0));
		args[1] = (uint32_t)(uintptr_t)addr;
		args[2] = sizeof(*addr);
		say("bind", int80(NR32_SOCKETCALL, SC_BIND, a, 0));
		args[1] = 8;
		if (tcp)
			say("listen", int80(NR32_SOCKETCALL, SC_LISTEN, a, 0));
		return 0;
	}
	say("disconnect",
	    int80(NR32_CONNECT, s, (long)(uintptr_t)unspec, sizeof(*unspec)));
	say("bind", int80(NR32_BIND, s, (long)(uintptr_t)addr, sizeof(*addr)));
	if (tcp)
		say("listen", int80(NR32_LISTEN, s, 8, 0));
	return 0;
}

/* The same ABI on a fresh container socket: bind to port 0 and listen
 * work as inside; a connect stays in the container (not switched). */
static int try_ia32_fresh(int tcp, const struct sockaddr_in *dst)
{
	struct sockaddr_in *addr = (struct sockaddr_in *)low_page();
	int s = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);

	if (!addr || s < 0) {
		perror("fresh socket");
		return 1;
	}
	addr->sin_family = AF_INET;
	say("fresh-bind",
	    int80(NR32_BIND, s, (long)(uintptr_t)addr, sizeof(*addr)));
	if (tcp)
		say("fresh-listen", int80(NR32_LISTEN, s, 8, 0));
	close(s);
	s = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	*addr = *dst;
	say("fresh-connect",
	    int80(NR32_CONNECT, s, (long)(uintptr_t)addr, sizeof(*addr)));
	close(s);
	return 0;
}

/* Does this kernel run i386 calls at all?  One that does not (built or
 * booted without ia32 emulation, or a hypervisor that does not pass the
 * trap on) kills the caller with SIGSEGV: ask in a child. */
static int have_ia32(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(int80(NR32_GETPID, 0, 0, 0) == getpid() ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct sockaddr_in wild = { .sin_family = AF_INET };
	int s, tcp, r;

	if (argc == 2 && strcmp(argv[1], "have-ia32") == 0)
		return have_ia32();
	if (argc != 7 || inet_pton(AF_INET, argv[3], &dst.sin_addr) != 1) {
		fprintf(stderr, "usage: escape-probe uring|ia32|socketcall "
				"tcp|udp HOST PORT BINDPORT HOLD\n"
				"       escape-probe have-ia32\n");
		return 2;
	}
	tcp = strcmp(argv[2], "tcp") == 0;
	dst.sin_port = htons((uint16_t)atoi(argv[4]));
	wild.sin_port = htons((uint16_t)atoi(argv[5]));
	s = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (s < 0) {
		perror("socket");
		return 1;
	}
	say("connect",
	    connect(s, (struct sockaddr *)&dst, sizeof(dst)) < 0 ? -errno : 0);
	if (strcmp(argv[1], "uring") == 0)
		r = try_uring(s, tcp, &wild);
	else
		r = try_ia32(s, tcp, &wild, strcmp(argv[1], "socketcall") == 0);
	if (r == 0 && strcmp(argv[1], "ia32") == 0)
		r = try_ia32_fresh(tcp, &dst);
	printf("holding\n");
	fflush(stdout);
	sleep((unsigned)atoi(argv[6]));
	return r;
}
