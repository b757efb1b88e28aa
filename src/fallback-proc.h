/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fallback-proc.h - the fallback network of `nsbypass run` in a process
 * of its own, confined (sandbox.h): libslirp parses every frame the
 * container sends, so it runs where a compromise reaches nothing the
 * agent holds (the notify fd, pidfds, nsagent's report socket, the route
 * socket) and none of the user's files.
 *
 * The agent forks it first, before it holds any of that.  The process
 * enters its sandbox at once and waits for the tap, which the agent hands
 * on over a one-way control socket (SCM_RIGHTS) when nsagent delivers it;
 * it then runs the fallback network (fallback.h) on a libuv loop of its
 * own, with the published ports that go through slirp, until the agent
 * closes the control socket.  The agent never reads from that socket: a
 * compromised fallback can only close it, or die.  docs/design.md §1.3
 * and §7.
 */
#ifndef NB_FALLBACK_PROC_H
#define NB_FALLBACK_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "fallback.h"
#include "publish.h"

/**
 * struct fallback_proc - the fallback network's process, as the agent
 * sees it
 * @pid:	its pid; 0 once reaped
 * @ctl:	the agent's end of the control socket (send only), -1 once
 *		closed
 * @ending:	the agent ended it: its exit is not news
 */
struct fallback_proc {
	pid_t pid;
	int ctl;
	bool ending;
};

/**
 * fallback_proc_spawn() - fork the fallback network's process
 * @cfg:	the fallback network
 * @ports:	published ports to forward through slirp (all of them: the
 *		caller leaves out the bind-bypassed ones)
 * @tap_name:	the tap's name in the container, for its log lines
 * @ret:	the process, for the other calls here
 *
 * Call it before the process holds anything the fallback must not have
 * (a notify fd, pidfds, nsagent's socket): the child closes every fd but
 * stderr and its end of the control socket (stdin and stdout become
 * /dev/null) and then confines itself with sandbox_enter().  It dies with
 * the caller (PR_SET_PDEATHSIG), sits in a process group of its own (a
 * terminal's Ctrl-C is for the command) and ignores SIGPIPE.  The caller
 * must be single-threaded.
 *
 * Return: 0 or -errno (socketpair(), fork())
 */
int fallback_proc_spawn(const struct fallback_config *cfg,
			const struct publish_table *ports, const char *tap_name,
			struct fallback_proc *ret);

/**
 * fallback_proc_give_tap() - hand the tap to the fallback's process
 * @p:		the process
 * @tap_fd:	the tap fd, closed here whatever happens
 *
 * Return: 0, or -errno: -EPIPE (or -ECONNREFUSED) when the process is
 * gone already (its end is logged when it is reaped)
 */
int fallback_proc_give_tap(struct fallback_proc *p, int tap_fd);

/**
 * fallback_proc_reaped() - is @pid the fallback's process?  If so, log
 * how it ended when that is news (the agent did not end it) and forget it
 * @p:		the process
 * @pid:	a child that waitpid() returned
 * @status:	its wait status
 *
 * A death by SIGSYS has a line of its own: the seccomp filter killed it
 * for a system call outside its allow-list.  Bypassed traffic goes on
 * either way; only what needed the fallback network is cut off.
 *
 * Return: true when @pid was the fallback's process
 */
bool fallback_proc_reaped(struct fallback_proc *p, pid_t pid, int status);

/**
 * fallback_proc_end() - end the fallback's process and reap it
 * @p:		the process; nothing happens if there is none
 *
 * Closes the control socket, which the process takes as the signal to
 * stop; a process that has not exited after a second is killed.  Nothing
 * of it runs on, and its host ports are free, when this returns.
 */
void fallback_proc_end(struct fallback_proc *p);

#endif /* NB_FALLBACK_PROC_H */
