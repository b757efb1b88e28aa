// SPDX-License-Identifier: Apache-2.0
/*
 * handle-setsockopt.c - record the options a socket sets before it is
 * switched to the host.
 *
 * The filter traps setsockopt() only for the (level, name) pairs in
 * sockopt.c.  The agent applies the option itself, on its pidfd_getfd()
 * copy of the socket, from its own bounded copy of the value: what is
 * recorded is exactly what was applied, and the container's answer is
 * the kernel's own.  Nothing is read twice, so a racing thread that
 * rewrites optval cannot make the record differ from the socket.
 *
 * Every case the agent does not handle (not a socket, not TCP/UDP, a
 * negative optlen, an unreadable optval) gets CONTINUE, so that the kernel
 * itself produces the errno; those calls record nothing.  A closed fd gets
 * EBADF from the agent (see agent_copy_fd()).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "agent.h"
#include "handlers.h"
#include "log.h"
#include "procmem.h"
#include "sockinfo.h"
#include "sockopt.h"
#include "util.h"

int handle_setsockopt(struct agent *a, const struct seccomp_notif *req)
{
	int level = (int)req->data.args[1];
	int name = (int)req->data.args[2];
	uint64_t uval = req->data.args[3];
	int optlen = (int)req->data.args[4];
	uint8_t val[SOCKOPT_VAL_MAX];
	_cleanup_close_ int sock = -1;
	struct sockinfo si;
	struct sockstate *s;
	ssize_t got;
	int r;

	if (!sockopt_is_recorded(level, name) || optlen <= 0)
		return HANDLER_CONTINUE;

	/* The kernel reads at most what the option needs; so do we.  Read
	 * by thread id first: the fd copy then vouches that the id was the
	 * trapped thread's (agent_copy_fd()). */
	got = procmem_read(req->pid, uval, val,
			   MIN((size_t)optlen, sizeof(val)));
	r = agent_copy_fd(a, req, &sock);
	if (r != 0)
		return r;
	if (got <= 0)
		return HANDLER_CONTINUE;
	if (sockinfo_query_kind(sock, &si) < 0 || !sockinfo_is_switchable(&si))
		return HANDLER_CONTINUE;

	if (setsockopt(sock, level, name, val, (socklen_t)got) < 0)
		return -errno;

	r = agent_sockstate_get(a, req, si.cookie, &s);
	if (r == 0)
		r = sockstate_record(s, level, name, val, (size_t)got);
	if (r < 0)
		log_debug("not recording %s: %s", sockopt_name(level, name),
			  strerror(-r));
	else
		a->stats->opts++;
	return 0; /* the option is set: answer success */
}
