// SPDX-License-Identifier: Apache-2.0
/*
 * procmem.c - process_vm_readv() with the kernel's fault semantics.
 *
 * process_vm_readv() needs the same ptrace access as pidfd_getfd(); the
 * owner of the container's user namespace has it.  Remote iovecs are split
 * at page boundaries so that a read that crosses into an unmapped page
 * returns the readable prefix instead of failing as a whole.
 */
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include "procmem.h"
#include "util.h"

#define PAGE_GUESS 4096UL

ssize_t procmem_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local, remote[2];
	unsigned long riovcnt = 1;
	size_t first;
	ssize_t n;

	if (len == 0)
		return 0;
	if (addr == 0 || addr + len < addr)
		return -EFAULT;

	/* Split at the first page boundary: a fault in the second part
	 * still returns the first. */
	first = PAGE_GUESS - (addr % PAGE_GUESS);
	remote[0].iov_base = (void *)(uintptr_t)addr;
	remote[0].iov_len = MIN(first, len);
	if (len > first) {
		remote[1].iov_base = (void *)(uintptr_t)(addr + first);
		remote[1].iov_len = len - first;
		riovcnt = 2;
	}
	local.iov_base = buf;
	local.iov_len = len;

	n = process_vm_readv(tid, &local, 1, remote, riovcnt, 0);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EFAULT;
	return n;
}
