// SPDX-License-Identifier: Apache-2.0
/*
 * daemon-http.c - libmicrohttpd glue of `nsbypass daemon`.
 *
 * The server itself (libmicrohttpd on the daemon's libuv loop, the
 * accepting, the bound on connections and the peer check) is
 * http-server.c's; this file answers the requests.  So the whole daemon
 * is one thread on one libuv loop, the same loop on which
 * daemon-children.c spawns and reaps children: no locks, and no request
 * blocks another.
 *
 * A request that must wait for a child (POST until the child's ready
 * byte, DELETE until it has exited) suspends its connection
 * (MHD_suspend_connection()); the child's callback queues the reply and
 * resumes it, and wakes the server up.
 *
 * The request body (POST) is collected up to DAEMON_BODY_MAX bytes.  A
 * longer one is read to its end and dropped, then gets 413: answering
 * before it is read would close a socket with unread data, and the
 * client would see a reset instead of the answer.  Only past
 * DAEMON_HTTP_DISCARD_MAX is it cut short: a Content-Length above that
 * gets 413 at once, a chunked body that grows past it a closed
 * connection.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon-api.h"
#include "daemon-http.h"
#include "http-server.h"
#include "log.h"
#include "unix-path.h"
#include "util.h"

/* Bytes of a body that is too large read and dropped, to answer it. */
#define DAEMON_HTTP_DISCARD_MAX (1024 * 1024)

/* Sent when even an error reply could not be allocated. */
static const char oom_body[] = "{\"message\":\"out of memory\"}\n";

struct daemon_http {
	struct http_server *srv;
	struct daemon_children *children;
};

/* One request, from its headers until MHD completes it. */
struct request {
	struct daemon_http *h;
	struct MHD_Connection *conn;
	char *path;   /* decoded */
	int path_err; /* of daemon_path_decode() */
	enum daemon_route route;
	const char *id;	   /* of a DELETE, in @path */
	const char *allow; /* Allow header of a 405 */
	char *body;
	size_t len;
	size_t seen; /* body bytes, kept or not */
	bool too_large;
	bool suspended;
};

/*
 * Queue @status with @body (malloc'd JSON text, taken; NULL: empty).
 * Errors are JSON, and so is everything with a body, as in bypass4netnsd.
 */
static enum MHD_Result queue_reply(struct request *req, unsigned int status,
				   char *body)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (body)
		resp = MHD_create_response_from_buffer_with_free_callback(
			strlen(body), body, free);
	else if (status >= 300)
		resp = MHD_create_response_from_buffer(sizeof(oom_body) - 1,
						       (void *)oom_body,
						       MHD_RESPMEM_PERSISTENT);
	else
		resp = MHD_create_response_from_buffer(0, NULL,
						       MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	if ((body || status >= 300) &&
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				    "application/json") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED && req->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
					req->allow);
	ret = MHD_queue_response(req->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result queue_error(struct request *req, unsigned int status,
				   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum MHD_Result queue_error(struct request *req, unsigned int status,
				   const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return queue_reply(req, status, daemon_error_json(msg));
}

/* implements daemon_reply_cb: the answer to a suspended request */
static void on_reply(void *opaque, unsigned int status, char *body)
{
	struct request *req = opaque;

	ASSERT(req->suspended);
	req->suspended = false;
	queue_reply(req, status, body);
	MHD_resume_connection(req->conn);
	http_server_wake(req->h->srv);
}

static enum MHD_Result wait_reply(struct request *req)
{
	req->suspended = true;
	MHD_suspend_connection(req->conn);
	return MHD_YES;
}

static enum MHD_Result handle_create(struct request *req)
{
	struct daemon_spec *spec;
	char err[256];
	int r;

	if (req->too_large)
		return queue_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
				   "the body is longer than %d bytes",
				   DAEMON_BODY_MAX);
	r = daemon_spec_parse(req->body ? req->body : "", req->len, &spec, err,
			      sizeof(err));
	if (r == -EINVAL)
		return queue_error(req, MHD_HTTP_BAD_REQUEST, "%s", err);
	if (r < 0)
		return queue_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "out of memory");
	r = daemon_children_create(req->h->children, spec, on_reply, req);
	switch (r) {
	case 0:
		return wait_reply(req);
	case -EEXIST:
		return queue_error(req, MHD_HTTP_BAD_REQUEST,
				   "id: a bypass with this id exists");
	case -EADDRINUSE:
		return queue_error(req, MHD_HTTP_BAD_REQUEST,
				   "socketPath: another bypass uses it");
	case -ENOSPC:
		return queue_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "too many bypasses (at most %d)",
				   DAEMON_CHILDREN_MAX);
	case -ESHUTDOWN:
		return queue_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
				   "the daemon is shutting down");
	default:
		return queue_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "cannot start nsbypass oci: %s",
				   strerror(-r));
	}
}

static enum MHD_Result handle(struct request *req, const char *id)
{
	char *list;

	switch (req->route) {
	case DAEMON_ROUTE_LIST:
		list = daemon_children_list(req->h->children);
		if (!list)
			return queue_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
					   "out of memory");
		return queue_reply(req, MHD_HTTP_OK, list);
	case DAEMON_ROUTE_CREATE:
		return handle_create(req);
	case DAEMON_ROUTE_DELETE:
		/* bypass4netnsd answers an unknown id with 400. */
		if (daemon_children_delete(req->h->children, id, on_reply,
					   req) < 0)
			return queue_error(req, MHD_HTTP_BAD_REQUEST,
					   "no bypass with this id");
		return wait_reply(req);
	case DAEMON_ROUTE_BAD_METHOD:
		return queue_error(req, MHD_HTTP_METHOD_NOT_ALLOWED,
				   "method not allowed");
	default:
		return queue_error(req, MHD_HTTP_NOT_FOUND, "no such path");
	}
}

/* The first call for a request: its headers are in. */
static enum MHD_Result start_request(struct daemon_http *h,
				     struct MHD_Connection *conn,
				     const char *url, const char *method,
				     void **req_cls)
{
	struct request *req;
	const char *cl;

	req = calloc(1, sizeof(*req));
	if (!req)
		return MHD_NO;
	req->h = h;
	req->conn = conn;
	*req_cls = req;
	/* The path as sent (on_unescape()): decoded here, and a NUL in
	 * it is refused rather than cut short. */
	req->path = strdup(url);
	if (!req->path)
		return MHD_NO;
	req->path_err = daemon_path_decode(req->path);
	if (req->path_err < 0)
		req->route = DAEMON_ROUTE_NOT_FOUND;
	else
		req->route = daemon_route(method, req->path, &req->id);
	if (req->route == DAEMON_ROUTE_BAD_METHOD)
		req->allow = daemon_route_allow(req->path);
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > DAEMON_HTTP_DISCARD_MAX)
		return queue_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
				   "the body is longer than %d bytes",
				   DAEMON_BODY_MAX);
	return MHD_YES;
}

/* implements MHD_AccessHandlerCallback */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct request *req = *req_cls;
	size_t n = *upload_data_size;

	if (!req)
		return start_request(cls, conn, url, method, req_cls);
	if (n) {
		/* Only a POST's body is kept, and only up to the limit. */
		*upload_data_size = 0;
		if (n > DAEMON_HTTP_DISCARD_MAX - req->seen)
			return MHD_NO;
		req->seen += n;
		if (req->route != DAEMON_ROUTE_CREATE || req->too_large)
			return MHD_YES;
		if (n > DAEMON_BODY_MAX - req->len) {
			req->too_large = true;
			free(req->body);
			req->body = NULL;
			return MHD_YES;
		}
		char *b = realloc(req->body, req->len + n + 1);

		if (!b)
			return MHD_NO;
		memcpy(b + req->len, upload_data, n);
		req->body = b;
		req->len += n;
		return MHD_YES;
	}
	/* The whole request is in: it is not evicted to make room. */
	http_server_busy(conn);
	if (req->path_err == -EILSEQ)
		return queue_error(req, MHD_HTTP_BAD_REQUEST,
				   "the path has an escape that decodes to "
				   "a NUL byte");
	if (req->path_err < 0)
		return queue_error(req, MHD_HTTP_BAD_REQUEST,
				   "the path has a malformed escape ('%%' "
				   "and two hex digits)");
	return handle(req, req->id);
}

/* implements MHD_RequestCompletedCallback */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *req = *req_cls;

	if (!req)
		return;
	ASSERT(!req->suspended);
	free(req->path);
	free(req->body);
	free(req);
	*req_cls = NULL;
}

int daemon_http_listen(const char *path)
{
	return http_listen_unix(path);
}

/* The server is gone: so is what its requests pointed to. */
static void on_server_closed(void *cls)
{
	free(cls);
}

int daemon_http_start(uv_loop_t *loop, int listen_fd,
		      struct daemon_children *children,
		      struct daemon_http **ret)
{
	struct http_server_ops ops = {
		.name = "daemon",
		.on_request = on_request,
		.on_completed = on_completed,
		.on_closed = on_server_closed,
		.same_uid = true,
		.suspend = true,
	};
	struct daemon_http *h;
	int r;

	h = calloc(1, sizeof(*h));
	if (!h) {
		close(listen_fd);
		return -ENOMEM;
	}
	h->children = children;
	ops.cls = h;
	r = http_server_start(loop, listen_fd, &ops, &h->srv);
	if (r == 0)
		*ret = h;
	return r;
}

void daemon_http_stop(struct daemon_http *h)
{
	if (!h)
		return;
	/* h goes with the server (on_server_closed()). */
	http_server_stop(h->srv);
}
