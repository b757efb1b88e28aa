/* SPDX-License-Identifier: Apache-2.0 */
/*
 * handlers.h - one handler per trapped syscall, each in handle-*.c; the
 * table in traps.c says which handles what.
 * A handler returns 0 (the call succeeds), a negative errno (the call
 * fails with it), HANDLER_CONTINUE, HANDLER_GONE or HANDLER_DONE (see
 * notify.h).
 */
#ifndef NB_HANDLERS_H
#define NB_HANDLERS_H

#include <linux/seccomp.h>

struct agent;
struct publish;
struct sockinfo;

typedef int (*handler_cb)(struct agent *a, const struct seccomp_notif *req);

int handle_connect(struct agent *a, const struct seccomp_notif *req);
int handle_setsockopt(struct agent *a, const struct seccomp_notif *req);
int handle_listen(struct agent *a, const struct seccomp_notif *req);
int handle_bind(struct agent *a, const struct seccomp_notif *req);
/* handle-foreign.c: a call from a foreign ABI, made native for the
 * trap's foreign handler (traps.h); CONTINUE for anything else */
int handle_foreign(struct agent *a, const struct seccomp_notif *req);
/* handle-foreign.c: connect() from a foreign ABI, arguments made native */
int handle_foreign_connect(struct agent *a, const struct seccomp_notif *req);

/* handle-connect.c: what Linux answers a connect() on a host TCP socket
 * that is connecting (-EALREADY) or connected (-EISCONN); 0 if closed */
int host_tcp_busy(int sock, const struct sockinfo *si);

/* handle-publish.c: bind() of a published TCP port, done on the host */
int publish_bind(struct agent *a, const struct seccomp_notif *req, int sock,
		 const struct sockinfo *si, const struct publish *p);

#endif /* NB_HANDLERS_H */
