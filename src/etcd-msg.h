/* SPDX-License-Identifier: Apache-2.0 */
/*
 * etcd-msg.h - the JSON of etcd's v3 gateway (docs/design.md §6.8): the
 * request bodies nsbypass sends and the answers it reads.
 *
 * The gateway is etcd's gRPC API over HTTP/1.1 POSTs with JSON bodies,
 * served on the client URL by etcd 3.4 and later under /v3/.  Its JSON is
 * protobuf's mapping: keys and values base64, 64-bit integers as strings
 * (numbers are taken too), fields at their zero value left out (a PUT
 * event has no "type").  A failed call answers {"error": ...}; a stream
 * (watch, keepalive) is one {"result": ...} or {"error": ...} object per
 * line.
 *
 * What etcd answers was written by other nodes (keys, values) and comes
 * over the network: every answer is parsed strictly and within bounds.
 */
#ifndef NB_ETCD_MSG_H
#define NB_ETCD_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest key and value taken from etcd (longer ones are refused). */
#define ETCD_KEY_MAX 512
#define ETCD_VALUE_MAX 65536
/* The longest answer or stream line read (a range of every record). */
#define ETCD_ANSWER_MAX (16 << 20)

/* One key-value of a range answer or a watch event, decoded. */
struct etcd_kv {
	const uint8_t *key;
	size_t key_len;
	const uint8_t *value; /* NULL for a delete event */
	size_t value_len;
	int64_t mod_revision;
	int64_t lease;
};

/* Called for each key-value; a negative return stops the parse with it. */
typedef int (*etcd_kv_cb)(const struct etcd_kv *kv, bool deleted, void *opaque);

/* Request bodies: malloc()ed, NUL-terminated JSON; NULL without memory or
 * for a key or value over the bounds above. */
char *etcd_body_put(const void *key, size_t key_len, const void *value,
		    size_t value_len, int64_t lease);
/* Every key under @prefix (etcd's range_end: @prefix with its last byte
 * incremented). */
char *etcd_body_range_prefix(const char *prefix);
char *etcd_body_delete(const void *key, size_t key_len);
char *etcd_body_grant(int64_t ttl);
/* A lease's id: the body of /v3/lease/keepalive and /v3/lease/revoke. */
char *etcd_body_lease(int64_t id);
/* A watch of every key under @prefix from @start_revision on. */
char *etcd_body_watch(const char *prefix, int64_t start_revision);

/**
 * etcd_prefix_end() - the range_end of every key that starts with @prefix
 * @prefix:	the prefix, @len bytes
 * @len:	its length
 * @ret:	@len bytes at most are written
 * Return: the length of @ret; 0 means "to the end of the key space" (a
 * prefix of 0xff bytes only), which etcd spells as one NUL byte
 */
size_t etcd_prefix_end(const uint8_t *prefix, size_t len, uint8_t *ret);

/**
 * etcd_parse_answer() - a unary answer's revision (put, delete, revoke)
 * @body:	the answer, @len bytes
 * @len:	its length
 * @revision:	header.revision (0 if absent)
 * Return: 0; -ENOENT for a "not found" error (a lease gone, code 5), -EIO
 * for another error answer, -EINVAL for anything that is not an answer
 */
int etcd_parse_answer(const char *body, size_t len, int64_t *revision);

/**
 * etcd_parse_range() - every key-value of a range answer, through @cb
 * Return: 0 (with *@revision the store's revision of that view), what
 * @cb returned if negative, or as etcd_parse_answer()
 */
int etcd_parse_range(const char *body, size_t len, etcd_kv_cb cb, void *opaque,
		     int64_t *revision);

/**
 * etcd_parse_grant() - a lease grant's id and TTL
 * Return: 0, or as etcd_parse_answer() (-EINVAL also for no ID or a TTL
 * under 1)
 */
int etcd_parse_grant(const char *body, size_t len, int64_t *id, int64_t *ttl);

/**
 * etcd_parse_keepalive() - one line of a keepalive stream
 * @ttl:	the TTL the lease has again; 0 when the lease is gone (etcd
 *		answers without a TTL)
 * Return: 0, or as etcd_parse_answer()
 */
int etcd_parse_keepalive(const char *line, size_t len, int64_t *ttl);

enum etcd_watch_kind {
	ETCD_WATCH_CREATED,  /* the watch runs */
	ETCD_WATCH_EVENTS,   /* events follow (through the callback) */
	ETCD_WATCH_PROGRESS, /* no event: the revision moved on */
	ETCD_WATCH_CANCELED, /* ended by etcd (compaction, no leader) */
};

struct etcd_watch_msg {
	enum etcd_watch_kind kind;
	int64_t revision;	  /* header.revision */
	int64_t compact_revision; /* CANCELED: the oldest revision left */
};

/**
 * etcd_parse_watch() - one line of a watch stream; its events through @cb
 * Return: 0, what @cb returned if negative, or as etcd_parse_answer()
 */
int etcd_parse_watch(const char *line, size_t len, etcd_kv_cb cb, void *opaque,
		     struct etcd_watch_msg *ret);

#endif /* NB_ETCD_MSG_H */
