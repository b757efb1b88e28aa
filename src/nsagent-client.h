/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nsagent-client.h - start nsbypass-nsagent in the container's namespaces
 * and turn its reports into the policy's "container's own subnets".
 */
#ifndef NB_NSAGENT_CLIENT_H
#define NB_NSAGENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "policy.h"

/* Largest report accepted; a larger message is rejected whole. */
#define NSAGENT_REPORT_MAX 16384

struct nsagent_client {
	uv_poll_t poll;
	int fd;
	bool closing;
	struct policy *policy;
	unsigned int reports;
	char buf[NSAGENT_REPORT_MAX + 1];
};

/**
 * nsagent_parse_report() - parse "subnets CIDR CIDR ...\n"
 * @msg:	the message, not NUL-terminated
 * @len:	its length
 * @ret:	array of @max CIDRs
 * @max:	its size
 * @ret_n:	how many were parsed
 *
 * Return: 0, or -EINVAL for a malformed report (nothing to apply), or
 * -ENOSPC when it names more than @max subnets.
 */
int nsagent_parse_report(const char *msg, size_t len, struct cidr *ret,
			 size_t max, size_t *ret_n);

/**
 * nsagent_find() - the nsbypass-nsagent binary: $NSBYPASS_NSAGENT, next
 * to our own executable, the build tree's nsagent/, then libexecdir.
 * Return: a malloc'd path, or NULL if none is executable
 */
char *nsagent_find(void);

/**
 * nsagent_client_start() - watch @fd (owned from now on) for reports that
 * replace @policy's subnets
 * Return: 0 or -errno
 */
int nsagent_client_start(struct nsagent_client *c, uv_loop_t *loop, int fd,
			 struct policy *policy);

/** nsagent_client_stop() - stop watching; closes the fd */
void nsagent_client_stop(struct nsagent_client *c);

#endif /* NB_NSAGENT_CLIENT_H */
