// SPDX-License-Identifier: Apache-2.0
/*
 * filter.c - build the filter with libseccomp, load it with seccomp(2).
 *
 * libseccomp 2.5 cannot ask for SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, so
 * the program is exported as BPF and loaded with the raw syscall, which
 * takes any flag the kernel knows.
 */
#include <errno.h>
#include <linux/filter.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "filter.h"
#include "seccomp-compat.h"
#include "sockopt.h"
#include "traps.h"
#include "util.h"

/* Compare only the low 32 bits: an int argument's upper half is junk. */
#define ARG32_EQ(i, v) \
	SCMP_CMP64((i), SCMP_CMP_MASKED_EQ, 0xffffffffULL, (uint32_t)(v))

/* The 32-bit ABIs a process of this architecture can call. */
static const uint32_t foreign_arches[] = {
#if defined(__x86_64__)
	SCMP_ARCH_X86,
	SCMP_ARCH_X32,
#elif defined(__aarch64__)
	SCMP_ARCH_ARM,
#endif
};

/* A TRAP_SOCKOPT_PAIRS trap, native syscall @nr: the recorded pairs. */
static int add_sockopt_pairs(scmp_filter_ctx ctx, int nr)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < sockopt_recorded_len; i++) {
		const struct sockopt_desc *d = &sockopt_recorded[i];

		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 2,
				     ARG32_EQ(1, d->level),
				     ARG32_EQ(2, d->name));
	}
	return r;
}

/*
 * The rules of one filter: in the native ABI every trap (@native), in the
 * foreign ones those with a foreign handler, whole; the denied calls in
 * all.  libseccomp takes native numbers and finds each ABI's own.
 */
static int add_rules(scmp_filter_ctx ctx, bool native)
{
	int r = 0, nr;

	for (size_t i = 0; r == 0 && i < traps_len; i++) {
		const struct trap *t = &traps[i];

		if (!native && !t->foreign)
			continue;
		nr = traps_nr(t);
		if (nr < 0)
			r = nr;
		else if (!native || t->match == TRAP_WHOLE)
			r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
		else
			r = add_sockopt_pairs(ctx, nr);
	}
	for (size_t i = 0; r == 0 && i < traps_denied_len; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(TRAPS_DENIED_ERRNO),
				     seccomp_syscall_resolve_name(
					     traps_denied[i]),
				     0);
	return r;
}

/*
 * The foreign ABIs in a filter of their own, merged into @ctx, so that
 * argument rules stay native-only (libseccomp cannot compare
 * socketcall()'s arguments, which are in memory), and a kernel without
 * one of them (x32 is off by default) loses nothing.
 */
static int add_foreign_abis(scmp_filter_ctx ctx)
{
	scmp_filter_ctx f;
	int r;

	if (ARRAY_SIZE(foreign_arches) == 0)
		return 0;
	f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f)
		return -ENOMEM;
	r = seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	if (r == 0)
		r = seccomp_arch_remove(f, SCMP_ARCH_NATIVE);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(foreign_arches); i++)
		r = seccomp_arch_add(f, foreign_arches[i]);
	if (r == 0)
		r = add_rules(f, false);
	if (r == 0)
		r = seccomp_merge(ctx, f); /* takes f, on success only */
	if (r < 0)
		seccomp_release(f);
	return r;
}

int filter_build(scmp_filter_ctx *ret)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return -ENOMEM;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	if (r == 0)
		r = add_rules(ctx, true);
	if (r == 0)
		r = add_foreign_abis(ctx);
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

/* Export @ctx as a BPF program through a memfd. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *ret)
{
	_cleanup_close_ int fd = memfd_create("nsbypass-bpf", MFD_CLOEXEC);
	struct stat st;
	void *buf;
	int r;

	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter))
		return -EINVAL;
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return -ENOMEM;
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		return -EIO;
	}
	ret->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	ret->filter = buf;
	return 0;
}

int filter_install(void)
{
	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	scmp_filter_ctx ctx;
	struct sock_fprog prog;
	int r, fd;

	r = filter_build(&ctx);
	if (r < 0)
		return r;
	r = export_bpf(ctx, &prog);
	seccomp_release(ctx);
	if (r < 0)
		return r;
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (fd < 0 && errno == EINVAL) {
		/* FIXME: drop when Linux 5.19 is the baseline. */
		flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags,
				  &prog);
	}
	r = fd < 0 ? -errno : fd;
	free(prog.filter);
	return r;
}
