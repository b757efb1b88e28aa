/* SPDX-License-Identifier: Apache-2.0 */
/*
 * curl-dl.h - libcurl, loaded when `nsbypass status` runs, and in the
 * etcd client process of `nsbypass oci --cluster` (cluster-proc.c).
 *
 * Every agent is this same executable (`nsbypass run` itself, the
 * children of `nsbypass oci`), and whatever the executable links, each
 * agent maps and touches at start: libcurl's chain (libssl, libcrypto,
 * Kerberos, LDAP, ...) took 3.9 MB of the agent's resident memory
 * (9.9 MB against 6.0 MB before, measured with /proc/PID/smaps) for a
 * client only the status command uses.  So the executable does not link
 * libcurl: the command loads it with dlopen(), as systemd loads its
 * optional libraries, and calls it through these pointers.  Built against
 * libcurl's headers, so the types are checked.
 */
#ifndef NB_CURL_DL_H
#define NB_CURL_DL_H

#include <curl/curl.h>
#include <stddef.h>

/* The library's name as Debian's libcurl4 packages install it. */
#define CURL_DL_SONAME "libcurl.so.4"

struct curl_dl {
	void *handle;
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption o, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO i, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode r);
	/* The multi interface, for a client on a libuv loop (etcd-client.c). */
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption o, ...);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *c);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *c);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int mask,
					 int *running);
	CURLMcode (*multi_assign)(CURLM *m, curl_socket_t s, void *p);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/**
 * curl_dl_open() - load libcurl and find the functions above
 * @ret:	filled on success
 * @err:	on failure, dlerror()'s words
 * @errlen:	size of @err
 * Return: 0, or -ENOENT (no library) / -ENOSYS (a function missing)
 */
int curl_dl_open(struct curl_dl *ret, char *err, size_t errlen);

/** curl_dl_close() - unload what curl_dl_open() loaded */
void curl_dl_close(struct curl_dl *c);

#endif /* NB_CURL_DL_H */
