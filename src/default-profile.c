// SPDX-License-Identifier: Apache-2.0
/*
 * default-profile.c - the tables of the built-in base profile (see
 * default-profile.h).  The unconditional list is the engines' one for
 * Linux 6.x (containers-common 0.50 plus the calls Linux added since, so
 * that a recent libc finds them), before nsbypass moves its own calls to
 * SCMP_ACT_NOTIFY: profile.c strips connect, bind, listen and setsockopt
 * from here as it would from any --base profile.  Names that the
 * runtime's libseccomp does not know are skipped by runc and crun.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "default-profile.h"
#include "util.h"

/*
 * Tables kept dense by hand: the formatter would put one name per line
 * and break the initializer macros apart.
 */
/* clang-format off */
const char *const default_allow[] = {
	"_llseek", "_newselect", "accept", "accept4", "access", "adjtimex",
	"alarm", "bind", "brk", "cachestat", "capget", "capset", "chdir",
	"chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
	"clock_getres", "clock_getres_time64", "clock_gettime",
	"clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
	"clone", "clone3", "close", "close_range", "connect",
	"copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
	"epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
	"epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd",
	"eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
	"faccessat2", "fadvise64", "fadvise64_64", "fallocate",
	"fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2",
	"fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
	"fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
	"fsconfig", "fsetxattr", "fsmount", "fsopen", "fspick", "fstat",
	"fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
	"ftruncate64", "futex", "futex_requeue", "futex_time64",
	"futex_wait", "futex_waitv", "futex_wake", "futimesat",
	"get_mempolicy", "get_robust_list", "get_thread_area", "getcpu",
	"getcwd", "getdents", "getdents64", "getegid", "getegid32",
	"geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
	"getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp",
	"getpid", "getppid", "getpriority", "getrandom", "getresgid",
	"getresgid32", "getresuid", "getresuid32", "getrlimit", "getrusage",
	"getsid", "getsockname", "getsockopt", "gettid", "gettimeofday",
	"getuid", "getuid32", "getxattr", "inotify_add_watch",
	"inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel",
	"io_destroy", "io_getevents", "io_setup", "io_submit", "ioctl",
	"ioprio_get", "ioprio_set", "ipc", "keyctl", "kill",
	"landlock_add_rule", "landlock_create_ruleset",
	"landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
	"linkat", "listen", "listxattr", "llistxattr", "lremovexattr",
	"lseek", "lsetxattr", "lstat", "lstat64", "madvise",
	"map_shadow_stack", "mbind", "membarrier", "memfd_create",
	"memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
	"mlock", "mlock2", "mlockall", "mmap", "mmap2", "mount",
	"mount_setattr", "move_mount", "mprotect", "mq_getsetattr",
	"mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
	"mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
	"msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
	"munlockall", "munmap", "name_to_handle_at", "nanosleep",
	"newfstatat", "open", "open_tree", "openat", "openat2", "pause",
	"pidfd_getfd", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2",
	"pivot_root", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
	"ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
	"prlimit64", "process_mrelease", "process_vm_readv",
	"process_vm_writev", "pselect6", "pselect6_time64", "ptrace",
	"pwrite64", "pwritev", "pwritev2", "read", "readahead", "readdir",
	"readlink", "readlinkat", "readv", "reboot", "recv", "recvfrom",
	"recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
	"removexattr", "rename", "renameat", "renameat2", "restart_syscall",
	"rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
	"rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
	"sched_get_priority_max", "sched_get_priority_min",
	"sched_getaffinity", "sched_getattr", "sched_getparam",
	"sched_getscheduler", "sched_rr_get_interval",
	"sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
	"sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
	"select", "semctl", "semget", "semop", "semtimedop",
	"semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
	"sendmsg", "sendto", "set_mempolicy", "set_robust_list",
	"set_thread_area", "set_tid_address", "setfsgid", "setfsgid32",
	"setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
	"setgroups32", "setitimer", "setns", "setpgid", "setpriority",
	"setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
	"setresuid32", "setreuid", "setreuid32", "setrlimit", "setsid",
	"setsockopt", "setuid", "setuid32", "setxattr", "shmat", "shmctl",
	"shmdt", "shmget", "shutdown", "sigaction", "sigaltstack", "signal",
	"signalfd", "signalfd4", "sigpending", "sigprocmask", "sigreturn",
	"sigsuspend", "socketcall", "socketpair", "splice", "stat", "stat64",
	"statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
	"sync_file_range", "syncfs", "syscall", "sysinfo", "syslog", "tee",
	"tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
	"timer_gettime", "timer_gettime64", "timer_settime",
	"timer_settime64", "timerfd", "timerfd_create", "timerfd_gettime",
	"timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
	"tkill", "truncate", "truncate64", "ugetrlimit", "umask", "umount",
	"umount2", "uname", "unlink", "unlinkat", "unshare", "utime",
	"utimensat", "utimensat_time64", "utimes", "vfork", "wait4",
	"waitid", "waitpid", "write", "writev",
};
const size_t default_allow_len = ARRAY_SIZE(default_allow);

#define CMP(i, v, o) { (i), (v), "SCMP_CMP_" #o }
#define ALLOW "SCMP_ACT_ALLOW"
/* personality(2) values a normal program queries or sets. */
#define PERSONALITY(v) \
	{ .names = { "personality" }, .action = ALLOW, \
	  .args = { CMP(0, (v), EQ) }, .nargs = 1 }
/* Calls allowed to holders of capability @c only. */
#define WITH_CAP(c, ...) \
	{ .names = { __VA_ARGS__ }, .action = ALLOW, .caps = (c) }

const struct default_rule default_rules[] = {
	PERSONALITY(0x0),		/* PER_LINUX */
	PERSONALITY(0x8),		/* UNAME26 */
	PERSONALITY(0x20000),		/* PER_LINUX | ADDR_NO_RANDOMIZE */
	PERSONALITY(0x20008),
	PERSONALITY(0xffffffff),	/* query */
	{ .names = { "arm_fadvise64_64", "arm_sync_file_range", "breakpoint",
		     "cacheflush", "set_tls", "sync_file_range2" },
	  .action = ALLOW, .arches = { "arm", "arm64" } },
	{ .names = { "arch_prctl" }, .action = ALLOW,
	  .arches = { "amd64", "x32" } },
	{ .names = { "modify_ldt" }, .action = ALLOW,
	  .arches = { "amd64", "x32", "x86" } },
	WITH_CAP("CAP_DAC_READ_SEARCH", "open_by_handle_at"),
	WITH_CAP("CAP_SYS_ADMIN", "bpf", "fanotify_init", "lookup_dcookie",
		 "perf_event_open", "quotactl", "setdomainname", "sethostname"),
	WITH_CAP("CAP_SYS_CHROOT", "chroot"),
	WITH_CAP("CAP_SYS_MODULE", "delete_module", "finit_module",
		 "init_module", "query_module"),
	WITH_CAP("CAP_SYS_PACCT", "acct"),
	WITH_CAP("CAP_SYS_PTRACE", "kcmp", "process_madvise"),
	WITH_CAP("CAP_SYS_RAWIO", "ioperm", "iopl"),
	WITH_CAP("CAP_SYS_TIME", "clock_settime", "clock_settime64",
		 "settimeofday", "stime"),
	WITH_CAP("CAP_SYS_TTY_CONFIG", "vhangup"),
	/*
	 * Audit netlink sockets need CAP_AUDIT_WRITE; without it they fail
	 * with EINVAL, as if the kernel had no audit, and every other
	 * socket() is allowed (the two NE rules are the complement of the
	 * EQ one).
	 */
	{ .names = { "socket" }, .action = "SCMP_ACT_ERRNO",
	  .errno_ret = EINVAL,
	  .args = { CMP(0, AF_NETLINK, EQ), CMP(2, NETLINK_AUDIT, EQ) },
	  .nargs = 2, .not_caps = "CAP_AUDIT_WRITE" },
	{ .names = { "socket" }, .action = ALLOW,
	  .args = { CMP(2, NETLINK_AUDIT, NE) }, .nargs = 1,
	  .not_caps = "CAP_AUDIT_WRITE" },
	{ .names = { "socket" }, .action = ALLOW,
	  .args = { CMP(0, AF_NETLINK, NE) }, .nargs = 1,
	  .not_caps = "CAP_AUDIT_WRITE" },
	WITH_CAP("CAP_AUDIT_WRITE", "socket"),
};
const size_t default_rules_len = ARRAY_SIZE(default_rules);
/* clang-format on */
