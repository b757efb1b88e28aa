/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s4n-api.h - the requests of slirp4netns's API socket, answered as a pure
 * function: request bytes in, reply text out, with the forwards made
 * through a struct hostfwd_table.  The socket itself is s4n-api-socket.c.
 *
 * The protocol (slirp4netns(1), "API SOCKET"): one JSON object per
 * connection, less than 4096 bytes, {"execute": NAME, "arguments": {...}}
 * with NAME add_hostfwd, list_hostfwd or remove_hostfwd.  The reply is
 * {"return": {...}} or {"error": {"desc": "..."}}.
 */
#ifndef NB_S4N_API_H
#define NB_S4N_API_H

#include <stddef.h>

#include "s4n-hostfwd.h"

/* A request must be shorter than this (slirp4netns's limit). */
#define API_REQUEST_MAX 4096

/**
 * api_handle() - answer one request
 * @t:		the forwards; add_hostfwd and remove_hostfwd change them
 * @req:	the request as read until EOF, not NUL-terminated, any bytes
 * @len:	its length; API_REQUEST_MAX or more is refused unread
 *
 * Every request gets exactly one reply: malformed JSON, an unknown
 * "execute", bad arguments and backend failures get an error reply.
 *
 * Return: the reply, a malloc'd NUL-terminated JSON text without a
 * newline, or NULL when out of memory
 */
char *api_handle(struct hostfwd_table *t, const char *req, size_t len);

/**
 * api_error_reply() - {"error":{"desc":@desc}}, for errors of the socket
 * layer (a client that never finished its request)
 * Return: a malloc'd text, or NULL when out of memory
 */
char *api_error_reply(const char *desc);

#endif /* NB_S4N_API_H */
