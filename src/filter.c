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
#include "util.h"

/* Compare only the low 32 bits: an int argument's upper half is junk. */
#define ARG32_EQ(i, v) SCMP_CMP64((i), SCMP_CMP_MASKED_EQ, 0xffffffffULL, \
				  (uint32_t)(v))

int filter_build(scmp_filter_ctx *ret)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!ctx)
		return -ENOMEM;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	if (r < 0)
		goto fail;
	r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(connect), 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(bind), 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(listen), 0);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < sockopt_recorded_len; i++) {
		const struct sockopt_desc *d = &sockopt_recorded[i];

		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(setsockopt),
				     2, ARG32_EQ(1, d->level),
				     ARG32_EQ(2, d->name));
		if (r < 0)
			goto fail;
	}
	*ret = ctx;
	return 0;
fail:
	seccomp_release(ctx);
	return r;
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
