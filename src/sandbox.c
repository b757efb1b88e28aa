// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox.c - empty root, no capabilities, a seccomp allow-list: the
 * confinement of the process that runs libslirp (see sandbox.h).
 *
 * The allow-list is what a process that only runs libslirp on a libuv
 * loop calls, measured with strace on `nsbypass slirp4netns` and on the
 * fallback of `nsbypass run` (TCP, UDP, DNS, ICMP echo, IPv6, host
 * forwards, the API socket) with libslirp 4.7 and 4.9: docs/design.md §6
 * lists it with the reason for each group.  What is not on the list
 * kills the process (slirp4netns and passt do the same): a compromised
 * parser gets no second try, and a call we missed shows up as a dead
 * process with SIGSYS rather than as a feature that fails quietly.  The
 * exceptions answer an errno: the escapes one expects an attacker to try
 * (EPERM; the test hook tries each from inside), socket families
 * (EAFNOSUPPORT: glib falls back from journald to stderr on it), and
 * calls libc and libuv probe and have a fallback for (ENOSYS: clone3,
 * io_uring, openat2).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sandbox.h"
#include "util.h"

#define KEEP_FDS_MAX 64
#define SANDBOX_FILES_MAX 16

/* Where the empty tmpfs is mounted before it becomes the root: any
 * directory does, in our own mount namespace; the first that exists. */
static const char *const tmpfs_dirs[] = { "/tmp", "/run", "/mnt", "/dev" };

static bool filter_loaded;

bool sandbox_active(void)
{
	return filter_loaded;
}

#if defined(__SANITIZE_ADDRESS__)
/*
 * LeakSanitizer's check at exit stops the world with clone() and ptrace()
 * and lists threads in /proc: none of that is possible in the sandbox,
 * and a failed check fails the process.  The sanitizer runtime asks this
 * (a weak hook) at exit: a confined process skips the check, every other
 * process keeps it.  ASan's and UBSan's own run-time calls are on the
 * allow-list (mmap, madvise, write, sched_yield), so reports still come.
 */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return filter_loaded;
}
#endif

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int sandbox_close_fds(const int *keep, size_t n)
{
	int k[KEEP_FDS_MAX];
	unsigned int from = 0;

	if (n > ARRAY_SIZE(k))
		return -E2BIG;
	memcpy(k, keep, n * sizeof(*k));
	qsort(k, n, sizeof(*k), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (k[i] < 0 || (unsigned int)k[i] < from)
			continue; /* not an fd, or a duplicate */
		if ((unsigned int)k[i] > from &&
		    close_range(from, (unsigned int)k[i] - 1, 0) < 0)
			return -errno;
		from = (unsigned int)k[i] + 1;
	}
	if (close_range(from, ~0U, 0) < 0)
		return -errno;
	return 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return 0;
}

/*
 * A mount namespace of our own.  Where we may not make one (no
 * CAP_SYS_ADMIN in our user namespace), a new user namespace first: we
 * have every capability there, and our uid and gid map onto themselves,
 * so files keep their owners.  The network namespace stays ours.
 */
static int new_namespaces(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	int r;

	if (unshare(CLONE_NEWNS | CLONE_NEWIPC) == 0)
		return 0;
	if (errno != EPERM)
		return log_errno(-errno,
				 "sandbox: cannot make a mount namespace");
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC) < 0)
		return log_errno(-errno,
				 "sandbox: cannot make a user and mount "
				 "namespace (unprivileged user namespaces "
				 "disabled?)");
	snprintf(map, sizeof(map), "%u %u 1\n", uid, uid);
	r = write_file("/proc/self/uid_map", map);
	if (r == 0) {
		/* An unprivileged gid_map needs setgroups denied. */
		r = write_file("/proc/self/setgroups", "deny");
		if (r == -ENOENT)
			r = 0;
	}
	if (r == 0) {
		snprintf(map, sizeof(map), "%u %u 1\n", gid, gid);
		r = write_file("/proc/self/gid_map", map);
	}
	if (r < 0)
		return log_errno(r, "sandbox: cannot map our uid and gid");
	return 0;
}

/* MS_* flags a bind remount must keep: the source's locked ones. */
static unsigned long locked_flags(const char *path)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {
		{ ST_NOSUID, MS_NOSUID },	  { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC },	  { ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	struct statvfs sv;
	unsigned long ms = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (sv.f_flag & map[i].st)
			ms |= map[i].ms;
	/* No atime flag means strictatime, which a remount must say. */
	if (!(sv.f_flag & (ST_NOATIME | ST_RELATIME)))
		ms |= MS_STRICTATIME;
	return ms;
}

/* mkdir -p the directories of @path (within our tmpfs). */
static int make_parents(char *path)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			int r = -errno;

			*s = '/';
			return r;
		}
		*s = '/';
	}
	return 0;
}

/* Bind the host file open at @src (O_PATH) read-only at @path under
 * @root. */
static int bind_file(const char *root, const char *path, int src)
{
	char target[PATH_MAX], from[32];
	unsigned long flags;
	struct stat st;
	int fd, r;

	if ((size_t)snprintf(target, sizeof(target), "%s%s", root, path) >=
	    sizeof(target))
		return -ENAMETOOLONG;
	if (fstat(src, &st) < 0)
		return -errno;
	r = make_parents(target);
	if (r < 0)
		return r;
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(target, 0755) < 0 && errno != EEXIST)
			return -errno;
	} else {
		fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	snprintf(from, sizeof(from), "/proc/self/fd/%d", src);
	if (mount(from, target, NULL, MS_BIND, NULL) < 0)
		return -errno;
	flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC |
		locked_flags(target);
	if (!S_ISCHR(st.st_mode))
		flags |= MS_NODEV;
	if (mount(NULL, target, NULL, flags, NULL) < 0)
		return -errno;
	return 0;
}

/* An empty directory at @path under @root. */
static int empty_dir(const char *root, const char *path)
{
	char target[PATH_MAX];
	int r;

	if ((size_t)snprintf(target, sizeof(target), "%s%s", root, path) >=
	    sizeof(target))
		return -ENAMETOOLONG;
	r = make_parents(target);
	if (r == 0 && mkdir(target, 0755) < 0 && errno != EEXIST)
		r = -errno;
	return r;
}

/* Open the sources of @files (O_PATH); a missing one is -1, left out. */
static int open_sources(const struct sandbox_file *files, int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *src = files[i].source ? files[i].source :
						    files[i].path;

		if (files[i].path[0] != '/')
			return log_errno(-EINVAL, "sandbox: %s: not absolute",
					 files[i].path);
		if (!*src)
			continue; /* an empty directory: nothing to open */
		fds[i] = open(src, O_PATH | O_CLOEXEC);
		if (fds[i] < 0 && errno != ENOENT)
			return log_errno(-errno, "sandbox: cannot open %s",
					 src);
		if (fds[i] < 0)
			log_debug("sandbox: no %s on the host, left out", src);
	}
	return 0;
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		closep(&fds[i]);
}

static int enter_root(const struct sandbox_file *files, const int *src)
{
	const unsigned long tmpfs_flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	const char *dir = NULL;
	int r;

	/* Nothing we mount from here on reaches the host, nor back. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return log_errno(-errno, "sandbox: cannot make / private");
	for (size_t i = 0; !dir && i < ARRAY_SIZE(tmpfs_dirs); i++)
		if (mount("tmpfs", tmpfs_dirs[i], "tmpfs", tmpfs_flags,
			  "size=64k,nr_inodes=64,mode=0755") == 0)
			dir = tmpfs_dirs[i];
	if (!dir)
		return log_errno(-errno,
				 "sandbox: cannot mount an empty tmpfs");
	for (size_t i = 0; files && files[i].path; i++) {
		if (files[i].source && !*files[i].source) {
			r = empty_dir(dir, files[i].path);
			if (r < 0)
				return log_errno(r, "sandbox: cannot make %s",
						 files[i].path);
			continue;
		}
		if (src[i] < 0)
			continue;
		r = bind_file(dir, files[i].path, src[i]);
		if (r < 0)
			return log_errno(r, "sandbox: cannot bind %s",
					 files[i].path);
	}
	if (mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY | tmpfs_flags, NULL) <
	    0)
		return log_errno(-errno, "sandbox: cannot make the tmpfs "
					 "read-only");
	/* new_root and put_old the same: the old root ends up on top of
	 * the new one, and is detached from there (pivot_root(2)). */
	if (chdir(dir) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		return log_errno(-errno, "sandbox: cannot pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return log_errno(-errno, "sandbox: cannot detach the old root");
	if (chdir("/") < 0)
		return log_errno(-errno, "sandbox: chdir /");
	return 0;
}

int sandbox_enter_root(const struct sandbox_file *files)
{
	int src[SANDBOX_FILES_MAX];
	size_t n = 0;
	int r;

	while (files && files[n].path)
		if (++n > ARRAY_SIZE(src))
			return log_errno(-E2BIG, "sandbox: too many files");
	for (size_t i = 0; i < n; i++)
		src[i] = -1;
	/* The sources are opened in the new mount namespace (a bind takes
	 * only mounts of its own) and before the tmpfs may hide some. */
	r = new_namespaces();
	if (r == 0)
		r = open_sources(files, src, n);
	if (r == 0)
		r = enter_root(files, src);
	close_all(src, n);
	return r;
}

int sandbox_drop_caps(uint64_t keep)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break; /* past the last capability */
			return log_errno(-errno,
					 "sandbox: cannot drop "
					 "capability %d from the bounding set",
					 cap);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return log_errno(-errno, "sandbox: cannot clear the ambient "
					 "capabilities");
	if (syscall(SYS_capget, &h, d) < 0)
		return log_errno(-errno, "sandbox: capget");
	for (size_t i = 0; i < ARRAY_SIZE(d); i++) {
		uint32_t k = (uint32_t)(keep >> (32 * i));

		d[i].permitted &= k;
		d[i].effective = d[i].permitted;
		d[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return log_errno(-errno, "sandbox: capset");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return log_errno(-errno, "sandbox: no_new_privs");
	return 0;
}

/* Compare the low 32 bits only: int arguments. */
#define ARG32_EQ(i, v) \
	SCMP_CMP64((i), SCMP_CMP_MASKED_EQ, 0xffffffffULL, (uint64_t)(v))
#define ARG_MASKED_EQ(i, m, v) \
	SCMP_CMP64((i), SCMP_CMP_MASKED_EQ, (uint64_t)(m), (uint64_t)(v))

/* Allowed whatever the arguments. */
static const char *const allowed[] = {
	/* the loop: epoll, its wake-ups, timers and signals */
	"epoll_create1",
	"epoll_ctl",
	"epoll_wait",
	"epoll_pwait",
	"epoll_pwait2",
	"poll",
	"ppoll",
	"pipe2",
	"eventfd2",
	"clock_gettime",
	"clock_getres",
	"gettimeofday",
	"time",
	"clock_nanosleep",
	"nanosleep",
	"rt_sigaction",
	"rt_sigprocmask",
	"rt_sigreturn",
	"sigaltstack",
	"restart_syscall",
	/* fds: the tap, host sockets, the API socket, stderr */
	"read",
	"write",
	"readv",
	"writev",
	"close",
	"lseek",
	"dup",
	"dup2",
	"dup3",
	/* libslirp's sockets, guest to host and host forwards (and its FTP
	 * emulation's data connections) */
	"connect",
	"bind",
	"listen",
	"accept",
	"accept4",
	"getsockname",
	"getpeername",
	"getsockopt",
	"setsockopt",
	"sendto",
	"recvfrom",
	"sendmsg",
	"recvmsg",
	"sendmmsg",
	"recvmmsg",
	"shutdown",
	/* libslirp's stat() of resolv.conf, fstat() in fopen() */
	"fstat",
	"newfstatat",
	"fstatat64",
	"stat",
	"lstat",
	"statx",
	/* memory (mmap and mprotect below: never executable) */
	"brk",
	"munmap",
	"mremap",
	"madvise",
	/* the rest of libc: locks, ids, randomness, the end */
	"futex",
	"sched_yield",
	"getpid",
	"gettid",
	"getppid",
	"getuid",
	/* libuv 1.45+ reads the kernel's version when it makes a loop */
	"uname",
	"geteuid",
	"getgid",
	"getegid",
	"getrandom",
	"capget",
	"exit",
	"exit_group",
};

/* Refused with EPERM: what a compromised slirp would try to get further.
 * The test hook tries these from inside; they must not kill it. */
static const char *const refused[] = {
	"execve",
	"execveat",
	"ptrace",
	"process_vm_readv",
	"process_vm_writev",
	"pidfd_open",
	"pidfd_getfd",
	"pidfd_send_signal",
	"kcmp",
	"socketpair",
	"clone",
	"fork",
	"vfork",
	"setns",
	"unshare",
	"mount",
	"umount2",
	"pivot_root",
	"chroot",
	"open_tree",
	"move_mount",
	"fsopen",
	"fsconfig",
	"fsmount",
	"fspick",
	"mount_setattr",
	"open_by_handle_at",
	"name_to_handle_at",
	"bpf",
	"perf_event_open",
	"userfaultfd",
	"keyctl",
	"add_key",
	"request_key",
	"init_module",
	"finit_module",
	"delete_module",
	"kexec_load",
	"kexec_file_load",
	"setuid",
	"setgid",
	"setreuid",
	"setregid",
	"setresuid",
	"setresgid",
	"setgroups",
	"capset",
	"prctl",
	"seccomp",
	"memfd_create",
	"memfd_secret",
	"mknodat",
	"mknod",
};

/* Answered ENOSYS: libc or libuv fall back to what the list allows. */
static const char *const unimplemented[] = {
	"clone3",  "io_uring_setup", "io_uring_enter", "io_uring_register",
	"openat2",
};

/* ioctl()s of libuv (FIONBIO, FIOCLEX), libslirp (FIONREAD, SIOCOUTQ)
 * and stdio (TCGETS, isatty()). */
static const unsigned long ioctls[] = {
	FIONBIO, FIONREAD, FIOCLEX, FIONCLEX, TCGETS, TIOCOUTQ,
};

static const int fcntls[] = { F_GETFD, F_SETFD, F_GETFL, F_SETFL };

static int add_all(scmp_filter_ctx ctx, uint32_t action,
		   const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int r;

		if (nr == __NR_SCMP_ERROR)
			continue; /* not a call of this architecture */
		r = seccomp_rule_add(ctx, action, nr, 0);
		if (r < 0)
			return log_errno(r, "sandbox: seccomp rule for %s",
					 names[i]);
	}
	return 0;
}

/* socket(): AF_INET and AF_INET6 only; other families are refused. */
static int add_socket_rules(scmp_filter_ctx ctx)
{
	int r = 0;

	for (int af = 0; r == 0 && af < 64; af++)
		r = seccomp_rule_add(ctx,
				     af == AF_INET || af == AF_INET6 ?
					     SCMP_ACT_ALLOW :
					     SCMP_ACT_ERRNO(EAFNOSUPPORT),
				     SCMP_SYS(socket), 1, ARG32_EQ(0, af));
	return r;
}

/* openat() for reading only (resolv.conf, /dev/urandom); the root is
 * read-only anyway, this refuses writing opens before the kernel does. */
static int add_open_rules(scmp_filter_ctx ctx)
{
	const uint64_t m = O_ACCMODE | O_CREAT;
	int r;

	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
			     ARG_MASKED_EQ(2, m, O_RDONLY));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				     SCMP_SYS(openat), 1,
				     ARG_MASKED_EQ(2, O_ACCMODE, O_WRONLY));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				     SCMP_SYS(openat), 1,
				     ARG_MASKED_EQ(2, O_ACCMODE, O_RDWR));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				     SCMP_SYS(openat), 1,
				     ARG_MASKED_EQ(2, m, O_CREAT));
	return r;
}

/* mmap() and mprotect() never make memory executable: no new code. */
static int add_memory_rules(scmp_filter_ctx ctx)
{
	static const int calls[] = { SCMP_SYS(mmap), SCMP_SYS(mprotect) };
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(calls); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 1,
				     ARG_MASKED_EQ(2, PROT_EXEC, 0));
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
					     calls[i], 1,
					     ARG_MASKED_EQ(2, PROT_EXEC,
							   PROT_EXEC));
	}
	return r;
}

/* Signals to ourselves only (abort(), raise()). */
static int add_signal_rules(scmp_filter_ctx ctx)
{
	static const int calls[] = { SCMP_SYS(kill), SCMP_SYS(tgkill) };
	uint64_t self = (uint64_t)getpid();
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(calls); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 1,
				     SCMP_A0(SCMP_CMP_EQ, self));
		if (r == 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
					     calls[i], 1,
					     SCMP_A0(SCMP_CMP_NE, self));
	}
	return r;
}

static int add_argument_rules(scmp_filter_ctx ctx)
{
	int r;

	r = add_socket_rules(ctx);
	if (r == 0)
		r = add_open_rules(ctx);
	if (r == 0)
		r = add_memory_rules(ctx);
	if (r == 0)
		r = add_signal_rules(ctx);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(ioctls); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     ARG32_EQ(1, ioctls[i]));
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(fcntls); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
				     ARG32_EQ(1, fcntls[i]));
	if (r < 0)
		log_errno(r, "sandbox: seccomp argument rules");
	return r;
}

#ifdef NB_TEST_HOOKS
/*
 * Test builds trap instead of killing, to name the call: the handler
 * writes its number (async-signal-safe: no stdio, no allocation) and the
 * process then dies of SIGSYS, as it would have.
 */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char buf[96] = "nsbypass: sandbox: system call ";
	char num[16];
	size_t len = strlen(buf), n = 0;
	unsigned int v = (unsigned int)si->si_syscall;

	do {
		num[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(num));
	while (n)
		buf[len++] = num[--n];
	memcpy(buf + len, " is not on the allow-list\n", 26);
	len += 26;
	if (write(STDERR_FILENO, buf, len) < 0) {
		/* nothing left to tell it with */
	}
	signal(SIGSYS, SIG_DFL);
	raise(SIGSYS); /* delivered when the handler returns */
}

static uint32_t default_action(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys,
				.sa_flags = SA_SIGINFO };

	sigaction(SIGSYS, &sa, NULL);
	return SCMP_ACT_TRAP;
}
#else
static uint32_t default_action(void)
{
	return SCMP_ACT_KILL_PROCESS;
}
#endif

int sandbox_load_filter(void)
{
	scmp_filter_ctx ctx = seccomp_init(default_action());
	int r;

	if (!ctx)
		return log_errno(-ENOMEM, "sandbox: seccomp_init");
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = add_all(ctx, SCMP_ACT_ALLOW, allowed, ARRAY_SIZE(allowed));
	if (r == 0)
		r = add_all(ctx, SCMP_ACT_ERRNO(EPERM), refused,
			    ARRAY_SIZE(refused));
	if (r == 0)
		r = add_all(ctx, SCMP_ACT_ERRNO(ENOSYS), unimplemented,
			    ARRAY_SIZE(unimplemented));
	if (r == 0)
		r = add_argument_rules(ctx);
	if (r == 0) {
		r = seccomp_load(ctx);
		if (r < 0)
			log_errno(r, "sandbox: cannot load the seccomp filter");
	}
	seccomp_release(ctx);
	if (r == 0)
		filter_loaded = true;
	return r;
}

int sandbox_enter(const struct sandbox_config *c)
{
	int r;

	if (c->keep_fds) {
		r = sandbox_close_fds(c->keep_fds, c->n_keep_fds);
		if (r < 0)
			return log_errno(r, "sandbox: cannot close fds");
	}
	r = sandbox_enter_root(c->files);
	if (r == 0)
		r = sandbox_drop_caps(c->keep_caps);
	if (r == 0)
		r = sandbox_load_filter();
	if (r == 0 && c->loop) {
		r = uv_loop_fork(c->loop);
		if (r < 0)
			log_errno(r, "sandbox: cannot rebuild the loop");
	}
	return r;
}
