// SPDX-License-Identifier: Apache-2.0
/*
 * agent-recover.c - answer what a dead agent of the container left
 * pending (docs/design.md §6.6).
 *
 * notify.c hands over each notification of the journal that the kernel
 * still holds: received by the dead agent, never answered.  The dead
 * agent may have done a part of the work; the only part the container
 * can see is a host socket installed at the caller's fd, which the slot
 * names (its cookie and fd number, written before the install) with the
 * answer that was to follow.  If that socket is at that fd now, the
 * install happened: that answer is given.  Otherwise the install did not
 * happen (or another thread replaced the fd since, which the kernel's
 * own order would have let happen too), and nothing the container can
 * see was done: the notification is handled as a new one, from the
 * thread's registers and memory as they still are (it is blocked in the
 * call).  Host sockets the dead agent had made and not installed died
 * with it.
 */
#include <errno.h>

#include "agent.h"
#include "sockinfo.h"
#include "target.h"
#include "traps.h"
#include "util.h"

/* Is the socket of @cookie at @fd of thread @tid? */
static bool installed(struct agent *a, pid_t tid, int fd, uint64_t cookie)
{
	_cleanup_close_ int copy = -1;
	int pidfd, fresh;

	pidfd = pidfd_cache_get(&a->pidfds, tid, &fresh);
	if (pidfd < 0)
		return false;
	copy = target_getfd(pidfd, fd);
	return copy >= 0 && sockinfo_cookie(copy) == cookie;
}

int agent_recover(void *ctx, const struct agent_slot *slot)
{
	struct agent *a = ctx;
	const struct seccomp_notif *req = &slot->u.notif;
	uint64_t cookie;

	a->stats->recovered++;
	cookie = __atomic_load_n(&slot->installed_cookie, __ATOMIC_ACQUIRE);
	if (cookie && installed(a, (pid_t)req->pid, slot->installed_fd, cookie))
		return slot->answer;
	return traps_dispatch(a, req);
}
