// SPDX-License-Identifier: Apache-2.0
/*
 * test-oci-state.c - the container process state parser (oci-state.c)
 * and the per-container settings it carries (oci-config.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nbtest.h"
#include "oci-config.h"
#include "oci-state.h"
#include "util.h"

/* As runc sends it: compact. */
static const char runc_state[] =
	"{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":4422,"
	"\"metadata\":\"ignore=10.1.0.0/16\",\"state\":{\"ociVersion\":"
	"\"1.0.2\",\"id\":\"4f6c0e2b9a1d\",\"status\":\"creating\","
	"\"pid\":4422,\"bundle\":\"/run/b\",\"annotations\":"
	"{\"io.podman.x\":\"y\",\"nsbypass.publish\":\"8080:80\","
	"\"nsbypass.c2c\":\"false\",\"nsbypass.host-subnets\":\"none\"}}}";

/* As crun sends it: pretty-printed, with a trailing newline. */
static const char crun_state[] =
	"{\n  \"ociVersion\": \"1.0.0\",\n  \"fds\": [\n    \"extra\",\n"
	"    \"seccompFd\"\n  ],\n  \"pid\": 77,\n  \"state\": {\n"
	"    \"ociVersion\": \"1.0.0\",\n    \"id\": \"ctr_1.a-b+c\",\n"
	"    \"status\": \"creating\",\n    \"pid\": 77\n  }\n}\n";

static int parse(const char *s, struct oci_state *st, const char **why)
{
	return oci_state_parse(s, strlen(s), st, why);
}

/* @s must be refused with a reason containing @want. */
static void refused(const char *s, const char *want)
{
	struct oci_state st;
	const char *why = NULL;

	ASSERT_EQ(parse(s, &st, &why), -EINVAL);
	ASSERT_TRUE(why != NULL);
	if (!strstr(why, want))
		nbtest_fail(__FILE__, __LINE__, "'%s': reason '%s', want '%s'",
			    s, why, want);
	ASSERT_TRUE(st.id == NULL && st.metadata == NULL);
}

NBTEST(runc_compact)
{
	struct oci_state st;
	const char *why;

	ASSERT_OK(parse(runc_state, &st, &why));
	ASSERT_STREQ(st.id, "4f6c0e2b9a1d");
	ASSERT_EQ(st.pid, 4422);
	ASSERT_EQ(st.seccomp_fd, 0);
	ASSERT_EQ(st.n_fds, 1);
	ASSERT_STREQ(st.metadata, "ignore=10.1.0.0/16");
	ASSERT_STREQ(st.publish, "8080:80");
	ASSERT_STREQ(st.c2c, "false");
	ASSERT_STREQ(st.host_subnets, "none");
	ASSERT_TRUE(st.ignore == NULL && st.ignore_bind == NULL);
	oci_state_clear(&st);
}

NBTEST(crun_pretty)
{
	struct oci_state st;
	const char *why;

	ASSERT_OK(parse(crun_state, &st, &why));
	ASSERT_STREQ(st.id, "ctr_1.a-b+c");
	ASSERT_EQ(st.pid, 77);
	ASSERT_EQ(st.seccomp_fd, 1);
	ASSERT_EQ(st.n_fds, 2);
	ASSERT_TRUE(st.metadata == NULL && st.c2c == NULL);
	oci_state_clear(&st);
}

NBTEST(pid_from_state)
{
	struct oci_state st;
	const char *why;

	ASSERT_OK(parse("{\"fds\":[\"seccompFd\"],\"state\":{\"id\":\"a\","
			"\"pid\":9}}",
			&st, &why));
	ASSERT_EQ(st.pid, 9);
	oci_state_clear(&st);
}

NBTEST(truncated)
{
	char buf[sizeof(runc_state)];

	/* Every proper prefix is refused. */
	for (size_t n = 1; n < sizeof(runc_state) - 1; n++) {
		struct oci_state st;
		const char *why;

		memcpy(buf, runc_state, n);
		ASSERT_EQ(oci_state_parse(buf, n, &st, &why), -EINVAL);
	}
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"a\"",
		"truncated");
	refused("", "empty");
}

NBTEST(bad_json)
{
	refused("not json", "JSON");
	refused("[1,2]", "not a JSON object");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"a\"}} x",
		"JSON");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"a\"}}{}",
		"JSON");
	/* Strict mode: no single quotes, no trailing commas. */
	refused("{'fds':['seccompFd']}", "JSON");
	refused("{\"fds\":[\"seccompFd\",],\"pid\":1,\"state\":{\"id\":\"a\"}}",
		"JSON");
	/* Invalid UTF-8. */
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"a\"},"
		"\"x\":\"\xff\"}",
		"JSON");
}

NBTEST(deep_nesting)
{
	char buf[200];
	size_t n = 0;

	n += (size_t)snprintf(buf, sizeof(buf), "{\"x\":");
	for (int i = 0; i < 40; i++)
		buf[n++] = '[';
	for (int i = 0; i < 40; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = '\0';
	refused(buf, "JSON");
}

NBTEST(fds)
{
	refused("{\"pid\":1,\"state\":{\"id\":\"a\"}}", "no fds");
	refused("{\"fds\":\"seccompFd\",\"pid\":1,\"state\":{\"id\":\"a\"}}",
		"no fds");
	refused("{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"a\"}}",
		"does not name seccompFd");
	refused("{\"fds\":[\"seccompfd\"],\"pid\":1,\"state\":{\"id\":\"a\"}}",
		"does not name seccompFd");
	refused("{\"fds\":[\"seccompFd\\u0000x\"],\"pid\":1,\"state\":{\"id\":\"a\"}}",
		"does not name seccompFd");
	refused("{\"fds\":[\"seccompFd\",\"seccompFd\"],\"pid\":1,"
		"\"state\":{\"id\":\"a\"}}",
		"twice");
	refused("{\"fds\":[1],\"pid\":1,\"state\":{\"id\":\"a\"}}",
		"not a string");
}

NBTEST(too_many_fds)
{
	char buf[2048];
	size_t n = 0;

	n += (size_t)snprintf(buf, sizeof(buf), "{\"fds\":[\"seccompFd\"");
	for (int i = 0; i < OCI_FDS_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",\"e%d\"", i);
	snprintf(buf + n, sizeof(buf) - n,
		 "],\"pid\":1,\"state\":{\"id\":\"a\"}}");
	refused(buf, "too many");
}

NBTEST(pid_and_id)
{
	/* No pid, or 0 (crun's exec states): taken, the pid not known. */
	static const char *const unknown[] = {
		"{\"fds\":[\"seccompFd\"],\"state\":{\"id\":\"a\"}}",
		"{\"fds\":[\"seccompFd\"],\"pid\":0,\"state\":{\"id\":\"a\"}}",
		"{\"fds\":[\"seccompFd\"],\"pid\":0,\"state\":{\"id\":\"a\","
		"\"pid\":0}}",
	};
	struct oci_state st;
	const char *why;

	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		ASSERT_EQ(oci_state_parse(unknown[i], strlen(unknown[i]), &st,
					  &why),
			  0);
		ASSERT_EQ(st.pid, 0);
		oci_state_clear(&st);
	}
	refused("{\"fds\":[\"seccompFd\"],\"pid\":0,\"state\":{\"id\":\"a\","
		"\"pid\":-1}}",
		"pid");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":-5,\"state\":{\"id\":\"a\"}}",
		"pid");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":4294967297,\"state\":{\"id\":\"a\"}}",
		"pid");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":\"12\",\"state\":{\"id\":\"a\"}}",
		"pid");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1}", "no state");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":[]}", "no state");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{}}", "state.id");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"\"}}",
		"state.id");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"a b\"}}",
		"state.id");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"a\\nb\"}}",
		"state.id");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"../x\"}}",
		"state.id");
}

NBTEST(strings)
{
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"metadata\":5,"
		"\"state\":{\"id\":\"a\"}}",
		"metadata");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"metadata\":\"a\\u0001\","
		"\"state\":{\"id\":\"a\"}}",
		"metadata");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"a\","
		"\"annotations\":[]}}",
		"annotations");
	refused("{\"fds\":[\"seccompFd\"],\"pid\":1,\"state\":{\"id\":\"a\","
		"\"annotations\":{\"nsbypass.ignore\":1}}}",
		"annotation");
}

static void config_default(struct oci_config *c)
{
	struct cidr cidr;

	memset(c, 0, sizeof(*c));
	policy_init(&c->policy);
	ASSERT_OK(cidr_parse("192.0.2.0/24", &cidr));
	ASSERT_OK(policy_add_ignore(&c->policy, &cidr));
}

static int apply(struct oci_config *c, const char *metadata, const char *ignore,
		 const char *publish, const char *bind, char *why, size_t len)
{
	struct oci_state st = {
		.metadata = (char *)metadata,
		.ignore = (char *)ignore,
		.publish = (char *)publish,
		.ignore_bind = (char *)bind,
	};

	return oci_config_apply(c, &st, why, len);
}

NBTEST(config_defaults_kept)
{
	struct oci_config c;
	char why[160];

	config_default(&c);
	ASSERT_OK(apply(&c, NULL, NULL, NULL, NULL, why, sizeof(why)));
	ASSERT_EQ(c.policy.n_ignore, 1);
	ASSERT_OK(apply(&c, ";;", NULL, NULL, NULL, why, sizeof(why)));
	ASSERT_EQ(c.policy.n_ignore, 1);
	ASSERT_EQ(c.publish.n, 0);
	ASSERT_TRUE(!c.ignore_bind);
	ASSERT_TRUE(!c.no_c2c); /* c2c on by default */
}

NBTEST(config_metadata)
{
	struct oci_config c;
	char why[160];

	config_default(&c);
	ASSERT_OK(apply(&c,
			"ignore=10.0.0.0/8,fd00::/8;publish=8080:80,"
			"[::1]:9090:90/udp;ignore-bind=true",
			NULL, NULL, NULL, why, sizeof(why)));
	ASSERT_EQ(c.policy.n_ignore, 2);
	ASSERT_EQ(c.publish.n, 2);
	ASSERT_EQ(c.publish.p[1].container_port, 90);
	ASSERT_TRUE(c.publish.p[1].udp);
	ASSERT_TRUE(c.ignore_bind);
	/* An empty value empties the list. */
	ASSERT_OK(apply(&c, "ignore=", NULL, NULL, NULL, why, sizeof(why)));
	ASSERT_EQ(c.policy.n_ignore, 0);
	ASSERT_EQ(c.publish.n, 2);
}

NBTEST(config_annotations_win)
{
	struct oci_config c;
	char why[160];

	config_default(&c);
	ASSERT_OK(apply(&c, "ignore=10.0.0.0/8;ignore-bind=true",
			"10.99.0.0/24,10.98.0.0/24,10.97.0.1", "80:80", "false",
			why, sizeof(why)));
	ASSERT_EQ(c.policy.n_ignore, 3);
	ASSERT_EQ(c.publish.n, 1);
	ASSERT_TRUE(!c.ignore_bind);
}

/* c2c=false from the metadata, the annotation over it. */
NBTEST(config_c2c)
{
	struct oci_state st = { .metadata = (char *)"c2c=false" };
	struct oci_config c;
	char why[160];

	config_default(&c);
	ASSERT_OK(oci_config_apply(&c, &st, why, sizeof(why)));
	ASSERT_TRUE(c.no_c2c);
	st.c2c = (char *)"true";
	ASSERT_OK(oci_config_apply(&c, &st, why, sizeof(why)));
	ASSERT_TRUE(!c.no_c2c);
	st.metadata = NULL;
	st.c2c = (char *)"false";
	ASSERT_OK(oci_config_apply(&c, &st, why, sizeof(why)));
	ASSERT_TRUE(c.no_c2c);
	st.c2c = (char *)"no";
	ASSERT_EQ(oci_config_apply(&c, &st, why, sizeof(why)), -EINVAL);
	ASSERT_TRUE(strstr(why, "c2c") != NULL);
}

/* host-subnets from the metadata, the annotation over it. */
NBTEST(config_host_subnets)
{
	struct oci_state st = { .metadata = (char *)"host-subnets=all" };
	struct oci_config c;
	char why[160];

	config_default(&c);
	ASSERT_EQ(c.policy.mirrored_mode, POLICY_MIRRORED_AUTO);
	ASSERT_OK(oci_config_apply(&c, &st, why, sizeof(why)));
	ASSERT_EQ(c.policy.mirrored_mode, POLICY_MIRRORED_ALWAYS);
	st.host_subnets = (char *)"none";
	ASSERT_OK(oci_config_apply(&c, &st, why, sizeof(why)));
	ASSERT_EQ(c.policy.mirrored_mode, POLICY_MIRRORED_NEVER);
	st.metadata = NULL;
	st.host_subnets = (char *)"auto";
	ASSERT_OK(oci_config_apply(&c, &st, why, sizeof(why)));
	ASSERT_EQ(c.policy.mirrored_mode, POLICY_MIRRORED_AUTO);
	st.host_subnets = (char *)"autox";
	ASSERT_EQ(oci_config_apply(&c, &st, why, sizeof(why)), -EINVAL);
	ASSERT_TRUE(strstr(why, "host-subnets") != NULL);
	st.host_subnets = (char *)"allowance"; /* longer than any name */
	ASSERT_EQ(oci_config_apply(&c, &st, why, sizeof(why)), -EINVAL);
}

NBTEST(config_bad)
{
	static const char *const bad_metadata[] = {
		"ignore",
		"bogus=1",
		"ignore=10.0.0.0/33",
		"ignore=10.0.0.0/8,",
		"ignore=,10.0.0.0/8",
		"ignore=a,,b",
		"publish=80",
		"publish=80:80,80:81",
		"ignore-bind=yes",
		"c2c=0",
		"c2c=",
		"host-subnets=",
		"host-subnets=never",
		"=x",
	};
	struct oci_config c;
	char why[160];

	for (size_t i = 0; i < sizeof(bad_metadata) / sizeof(*bad_metadata);
	     i++) {
		config_default(&c);
		why[0] = '\0';
		if (apply(&c, bad_metadata[i], NULL, NULL, NULL, why,
			  sizeof(why)) != -EINVAL)
			nbtest_fail(__FILE__, __LINE__,
				    "metadata '%s' accepted", bad_metadata[i]);
		ASSERT_TRUE(why[0] != '\0');
	}
	config_default(&c);
	ASSERT_EQ(apply(&c, NULL, "nope", NULL, NULL, why, sizeof(why)),
		  -EINVAL);
	ASSERT_TRUE(strstr(why, "annotation") != NULL);
	ASSERT_EQ(apply(&c, NULL, NULL, NULL, "1", why, sizeof(why)), -EINVAL);
}

/* What an agent sends a new daemon is what its first daemon parsed,
 * with the agent's pid and the two more fds named. */
NBTEST(adopt_round_trip)
{
	struct oci_state st, copy, back;
	const char *why;
	char *text;
	int n;

	ASSERT_OK(parse(runc_state, &st, &why));
	ASSERT_EQ(st.adopt_agent, 0);
	ASSERT_OK(oci_state_copy(&copy, &st));
	oci_state_clear(&st);
	n = oci_state_format_adopt(&copy, 4422, 5151, &text);
	ASSERT_TRUE(n > 0 && (size_t)n == strlen(text));
	ASSERT_OK(oci_state_parse(text, (size_t)n, &back, &why));
	ASSERT_STREQ(back.id, "4f6c0e2b9a1d");
	ASSERT_EQ(back.pid, 4422);
	ASSERT_EQ(back.adopt_agent, 5151);
	ASSERT_EQ(back.n_fds, 3);
	ASSERT_EQ(back.seccomp_fd, 0);
	ASSERT_EQ(back.shm_fd, 1);
	ASSERT_EQ(back.services_fd, 2);
	ASSERT_STREQ(back.metadata, "ignore=10.1.0.0/16");
	ASSERT_STREQ(back.publish, "8080:80");
	ASSERT_STREQ(back.c2c, "false");
	ASSERT_STREQ(back.host_subnets, "none");
	ASSERT_TRUE(back.ignore == NULL && back.ignore_bind == NULL);
	free(text);
	oci_state_clear(&back);
	oci_state_clear(&copy);
}

NBTEST(adopt_refused)
{
#define ADOPT_STATE(fds, adopt)                                  \
	"{\"fds\":[" fds "],\"pid\":9,\"state\":{\"id\":\"a\"}," \
	"\"nsbypassAdopt\":" adopt "}"
	refused(ADOPT_STATE("\"seccompFd\"", "{\"agentPid\":7}"),
		"must name nsbypassShm and nsbypassServices");
	refused(ADOPT_STATE("\"seccompFd\",\"nsbypassShm\"",
			    "{\"agentPid\":7}"),
		"must name nsbypassShm");
	refused(ADOPT_STATE("\"seccompFd\",\"nsbypassShm\",\"nsbypassShm\","
			    "\"nsbypassServices\"",
			    "{\"agentPid\":7}"),
		"once each");
	refused(ADOPT_STATE("\"seccompFd\",\"nsbypassShm\",\"nsbypassServices\"",
			    "{}"),
		"no valid agentPid");
	refused(ADOPT_STATE("\"seccompFd\",\"nsbypassShm\",\"nsbypassServices\"",
			    "{\"agentPid\":0}"),
		"no valid agentPid");
	refused(ADOPT_STATE("\"seccompFd\",\"nsbypassShm\",\"nsbypassServices\"",
			    "{\"agentPid\":\"7\"}"),
		"no valid agentPid");
	refused(ADOPT_STATE("\"seccompFd\",\"nsbypassShm\",\"nsbypassServices\"",
			    "7"),
		"no valid agentPid");
#undef ADOPT_STATE
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(runc_compact),
		NBTEST_ENTRY(crun_pretty),
		NBTEST_ENTRY(pid_from_state),
		NBTEST_ENTRY(truncated),
		NBTEST_ENTRY(bad_json),
		NBTEST_ENTRY(deep_nesting),
		NBTEST_ENTRY(fds),
		NBTEST_ENTRY(too_many_fds),
		NBTEST_ENTRY(pid_and_id),
		NBTEST_ENTRY(strings),
		NBTEST_ENTRY(config_defaults_kept),
		NBTEST_ENTRY(config_metadata),
		NBTEST_ENTRY(config_annotations_win),
		NBTEST_ENTRY(config_c2c),
		NBTEST_ENTRY(config_host_subnets),
		NBTEST_ENTRY(config_bad),
		NBTEST_ENTRY(adopt_round_trip),
		NBTEST_ENTRY(adopt_refused),
	};

	return nbtest_run(tests, sizeof(tests) / sizeof(*tests));
}
