// SPDX-License-Identifier: Apache-2.0
/*
 * handle-setsockopt.c - record the names of the options a socket sets
 * before it is switched to the host.
 *
 * The filter traps setsockopt() only for the (level, name) pairs in
 * sockopt.c.  The agent copies the fd (which also vouches for the thread
 * id, see agent_copy_fd()), reads the socket's cookie, checks its kind (a
 * TCP or UDP one over IPv4 or IPv6?) unless it has a record already,
 * records the option's name for it, closes its copy and answers
 * CONTINUE: the kernel sets the caller's own value, with the caller's
 * credentials, and gives its own errno.  The copy is closed before the
 * answer, not after it: a copy of a socket still open when the caller
 * runs again and closes its own fd can keep the socket open for good on
 * this kernel (docs/design.md §4, "No copy outlives the answer";
 * integration-publish-close).
 *
 * No value is read from the caller's memory: at the switch the agent
 * reads each named option from the socket itself (sockopt_copy()), as
 * the kernel validated and stored it.  A thread that rewrites optval
 * while another sets it races only the kernel's own copy_from_user(),
 * as on any socket.
 *
 * The name is recorded whether the call succeeds or not (the answer is
 * the kernel's, unseen): a failed call copies the value the socket has,
 * which is what it had.  A call the kernel refuses for its length (a
 * non-positive optlen, or less than an int at the socket and TCP levels,
 * where every listed option takes one) gets CONTINUE with nothing
 * recorded: copying SO_RCVBUF or SO_SNDBUF would lock the buffer size
 * (sockopt.c).  A closed fd gets EBADF from the agent (agent_copy_fd()).
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "agent.h"
#include "handlers.h"
#include "log.h"
#include "sockinfo.h"
#include "sockopt.h"
#include "sockstate.h"
#include "util.h"

/* Would the kernel refuse @optlen for any option of @level? */
static bool optlen_refused(int level, int optlen)
{
	if (optlen <= 0)
		return true;
	return (level == SOL_SOCKET || level == IPPROTO_TCP) &&
	       (size_t)optlen < sizeof(int);
}

/* Before the answer: note (@level, @name) on the record of @sock, the
 * agent's copy of the caller's fd, if it is a socket that may switch.  A
 * socket with a record is one (only those get one, and cookies are never
 * reused): its next options cost one getsockopt(), not four calls. */
static void record_name(struct agent *a, const struct seccomp_notif *call,
			int sock, int level, int name)
{
	uint64_t cookie = sockinfo_cookie(sock);
	struct sockinfo si;
	struct sockstate *s;
	int r;

	if (!cookie)
		return;
	if (!sockstate_lookup(a->socks, cookie) &&
	    (sockinfo_query_kind(sock, &si) < 0 ||
	     !sockinfo_is_switchable(&si)))
		return;
	r = agent_sockstate_get(a, call, sock, cookie, &s);
	if (r == 0)
		r = sockstate_record(s, level, name);
	if (r < 0)
		log_debug("not recording %s: %s", sockopt_name(level, name),
			  strerror(-r));
	else
		a->stats->opts++;
}

int handle_setsockopt(struct agent *a, const struct seccomp_notif *req)
{
	int level = (int)req->data.args[1];
	int name = (int)req->data.args[2];
	int optlen = (int)req->data.args[4];
	_cleanup_close_ int sock = -1;
	struct seccomp_notif call;
	int r;

	if (!sockopt_is_recorded(level, name) || optlen_refused(level, optlen))
		return HANDLER_CONTINUE;
	r = agent_copy_fd(a, req, &sock);
	if (r != 0)
		return r;

	/* @req lives in the journal slot the answer frees. */
	call = *req;
	record_name(a, &call, sock, level, name);
	/* The copy goes before the caller runs again: one held past the
	 * answer can keep the socket from ever closing (see the top). */
	closep(&sock);
	r = notify_continue(&a->notify, call.id);
	if (r < 0 && r != -ENOENT) /* ENOENT: the caller is gone */
		log_warn_errno(r, "answering notification %llu, ignoring",
			       (unsigned long long)call.id);
	return HANDLER_DONE;
}
