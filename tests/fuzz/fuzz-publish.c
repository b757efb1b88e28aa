// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-publish.c - publish specs ("[HOSTIP:]HOSTPORT:CONTAINERPORT
 * [/tcp|/udp]", publish_parse()) as --publish, a BypassSpec's portMapping
 * and the nsbypass.publish annotation give them: one per '\n'-separated
 * line, each formatted back and parsed again (the same entry), then added
 * to one table and its host address taken for both families.
 */
#include <errno.h>

#include "fuzz.h"
#include "publish.h"

static void assert_same(const struct publish *a, const struct publish *b)
{
	FUZZ_ASSERT(a->udp == b->udp && a->family == b->family &&
		    a->host_given == b->host_given &&
		    a->host_port == b->host_port &&
		    a->container_port == b->container_port);
	FUZZ_ASSERT(a->family == AF_INET6 ?
			    memcmp(&a->host.v6, &b->host.v6, 16) == 0 :
			    a->host.v4.s_addr == b->host.v4.s_addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *line, *save = NULL;
	char buf[PUBLISH_SPEC_MAX];
	struct publish_table *t = calloc(1, sizeof(*t));
	struct sockaddr_storage ss;
	struct publish p, q;
	int r;

	if (!text || !t)
		goto out;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (publish_parse(line, &p) < 0)
			continue;
		FUZZ_ASSERT(p.host_port && p.container_port);
		FUZZ_ASSERT(publish_to_string(&p, buf));
		FUZZ_ASSERT(publish_parse(buf, &q) == 0);
		assert_same(&p, &q);
		r = publish_add(t, &p);
		FUZZ_ASSERT(r == 0 || r == -EEXIST || r == -ENOSPC);
		(void)publish_host_addr(&p, AF_INET, &ss);
		(void)publish_host_addr(&p, AF_INET6, &ss);
		(void)publish_port_shared(t, &p);
	}
	FUZZ_ASSERT(t->n <= PUBLISH_MAX);
out:
	free(t);
	free(text);
	return 0;
}
