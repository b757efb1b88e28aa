// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-cidr.c - CIDRs and ignore lists (policy.c): --ignore, a
 * BypassSpec's ignoreSubnets and the nsbypass.ignore annotation.  One
 * CIDR per '\n'-separated line: cidr_parse(), the round trip through
 * cidr_format(), into a policy's ignore list; each line is also tried as
 * --mirrored-subnets' value and, as raw bytes, as the socket address a
 * container hands connect() (policy_classify()).
 */
#include <errno.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *line, *save = NULL, buf[64];
	struct policy *p = calloc(1, sizeof(*p));
	struct sockaddr_storage ss;
	enum policy_mirrored m;
	struct cidr c, d;
	size_t len;
	int r;

	if (!text || !p)
		goto out;
	policy_init(p);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		(void)policy_parse_mirrored(line, &m);
		len = strlen(line);
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, line, len < sizeof(ss) ? len : sizeof(ss));
		FUZZ_ASSERT(policy_classify(p, (struct sockaddr *)&ss,
					    (socklen_t)(len < sizeof(ss) ?
								len :
								sizeof(ss))) <
			    POLICY_DEST_MAX);
		if (cidr_parse(line, &c) < 0)
			continue;
		FUZZ_ASSERT((c.family == AF_INET && c.prefix <= 32) ||
			    (c.family == AF_INET6 && c.prefix <= 128));
		FUZZ_ASSERT(cidr_format(&c, buf, sizeof(buf)));
		FUZZ_ASSERT(cidr_parse(buf, &d) == 0 && cidr_equal(&c, &d));
		FUZZ_ASSERT(cidr_contains(&c, c.family, c.addr));
		r = policy_add_ignore(p, &c);
		FUZZ_ASSERT(r == 0 || r == -ENOSPC || r == -EEXIST);
	}
	FUZZ_ASSERT(p->n_ignore <= POLICY_LIST_MAX);
out:
	free(p);
	free(text);
	return 0;
}
