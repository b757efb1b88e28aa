/* SPDX-License-Identifier: Apache-2.0 */
/*
 * procmem.h - bounded reads of a trapped process's memory.
 *
 * Every pointer and length comes from the container, which is the
 * attacker: the caller passes its own buffer and its own bound, and a
 * read never allocates.  After a read the caller must check that the
 * notification is still valid (notify_id_valid()): the thread id in a
 * notification may have been recycled between the trap and the read.
 */
#ifndef NB_PROCMEM_H
#define NB_PROCMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * procmem_read() - copy up to @len bytes at @addr in thread @tid to @buf
 * @tid:	thread id from the notification
 * @addr:	address in the tracee
 * @buf:	the agent's buffer
 * @len:	bytes wanted; the caller has already bounded it
 *
 * A read that faults part way returns the bytes before the fault, like the
 * kernel's own copy_from_user() would see them.
 *
 * Return: bytes read (> 0), 0 when @len is 0, -EFAULT when nothing at @addr
 * is readable, -ESRCH when the thread is gone, other -errno on failure.
 */
ssize_t procmem_read(pid_t tid, uint64_t addr, void *buf, size_t len);

#endif /* NB_PROCMEM_H */
