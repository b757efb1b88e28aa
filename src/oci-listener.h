/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oci-listener.h - the listenerPath socket of `nsbypass oci`: a unix
 * stream socket on a libuv loop where runtimes (runc, crun) send the
 * container process state and its fds.
 *
 * Each connection is read until EOF: the text in any number of chunks,
 * the fds (SCM_RIGHTS, received MSG_CMSG_CLOEXEC) with any of them.  Only
 * then does the owner get the whole payload.  A connection is refused,
 * with one log line and every fd it brought closed, when its peer is of
 * another uid (SO_PEERCRED), when it sends more than OCI_PAYLOAD_MAX
 * bytes or OCI_FDS_MAX fds, or when it does not finish within
 * OCI_LISTENER_TIMEOUT_MS.  Connections are served side by side: a slow
 * or silent peer holds up no other.
 */
#ifndef NB_OCI_LISTENER_H
#define NB_OCI_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "oci-state.h"

/* The largest state accepted: 1 MiB of annotations and some room. */
#define OCI_PAYLOAD_MAX (1024 * 1024 + 64 * 1024)
/* A peer has this long to send everything and shut down its side. */
#define OCI_LISTENER_TIMEOUT_MS 10000
/* Connections read at once; more wait in the backlog. */
#define OCI_LISTENER_CONN_MAX 64

struct oci_listener;
struct oci_conn;

/**
 * typedef oci_payload_cb - a connection sent everything
 * @l:		the listener
 * @buf:	the bytes, NUL-terminated (not counted in @len)
 * @len:	how many
 * @fds:	the fds received, in order (O_CLOEXEC)
 * @n_fds:	how many (0 to OCI_FDS_MAX)
 * @peer:	the sender's pid (SO_PEERCRED at accept)
 *
 * The callback owns the fds: it must close every one it does not keep.
 * @buf is valid during the call.
 */
typedef void (*oci_payload_cb)(struct oci_listener *l, const char *buf,
			       size_t len, int *fds, size_t n_fds, pid_t peer);

struct oci_listener {
	uv_loop_t *loop;
	uv_poll_t poll;
	int fd;
	char *path;
	uid_t uid; /* the only peer uid accepted */
	bool stopping;
	bool paused; /* every slot busy */
	unsigned int n_conns;
	struct oci_conn *conns; /* OCI_LISTENER_CONN_MAX slots */
	oci_payload_cb on_payload;
	void *data; /* the owner's */
};

/**
 * oci_listener_start() - create the socket at @path (mode 0600) and serve
 * @l:		the listener
 * @loop:	the loop
 * @path:	the socket path; a stale socket there (nobody answers) is
 *		replaced, a live one or anything else is an error
 * @cb:		called for every complete payload
 *
 * Return: 0, -ENAMETOOLONG, -EADDRINUSE (a server answers at @path),
 * -EEXIST (not a socket), or another -errno
 */
int oci_listener_start(struct oci_listener *l, uv_loop_t *loop,
		       const char *path, oci_payload_cb cb);

/** oci_listener_stop() - close everything, remove the socket file */
void oci_listener_stop(struct oci_listener *l);

#endif /* NB_OCI_LISTENER_H */
