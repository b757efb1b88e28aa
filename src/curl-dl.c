// SPDX-License-Identifier: Apache-2.0
/*
 * curl-dl.c - see curl-dl.h.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "curl-dl.h"
#include "util.h"

#define SYM(field, name)                              \
	{                                             \
		name, offsetof(struct curl_dl, field) \
	}

static const struct {
	const char *name;
	size_t offset;
} syms[] = {
	SYM(global_init, "curl_global_init"),
	SYM(global_cleanup, "curl_global_cleanup"),
	SYM(easy_init, "curl_easy_init"),
	SYM(easy_setopt, "curl_easy_setopt"),
	SYM(easy_perform, "curl_easy_perform"),
	SYM(easy_getinfo, "curl_easy_getinfo"),
	SYM(easy_cleanup, "curl_easy_cleanup"),
	SYM(easy_strerror, "curl_easy_strerror"),
	SYM(multi_init, "curl_multi_init"),
	SYM(multi_cleanup, "curl_multi_cleanup"),
	SYM(multi_setopt, "curl_multi_setopt"),
	SYM(multi_add_handle, "curl_multi_add_handle"),
	SYM(multi_remove_handle, "curl_multi_remove_handle"),
	SYM(multi_socket_action, "curl_multi_socket_action"),
	SYM(multi_assign, "curl_multi_assign"),
	SYM(multi_info_read, "curl_multi_info_read"),
	SYM(slist_append, "curl_slist_append"),
	SYM(slist_free_all, "curl_slist_free_all"),
};

int curl_dl_open(struct curl_dl *ret, char *err, size_t errlen)
{
	struct curl_dl c = { 0 };

	c.handle = dlopen(CURL_DL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!c.handle) {
		snprintf(err, errlen, "%s", dlerror());
		return -ENOENT;
	}
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
		void *p = dlsym(c.handle, syms[i].name);

		if (!p) {
			snprintf(err, errlen, "%s", dlerror());
			dlclose(c.handle);
			return -ENOSYS;
		}
		/* A data pointer to a function pointer, as POSIX lets
		 * dlsym()'s result be used. */
		memcpy((char *)&c + syms[i].offset, &p, sizeof(p));
	}
	*ret = c;
	return 0;
}

void curl_dl_close(struct curl_dl *c)
{
	if (c->handle)
		dlclose(c->handle);
	c->handle = NULL;
}
