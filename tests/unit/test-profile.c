// SPDX-License-Identifier: Apache-2.0
/*
 * test-profile.c - the seccomp profiles of `nsbypass profile`.
 *
 * The profile is checked as data (which names sit under which action,
 * and that the setsockopt() rules split the (level, name) space exactly:
 * every pair matches one rule, NOTIFY for sockopt.c's pairs and ALLOW for
 * the rest), and then as a runtime reads it: its setsockopt() rules are
 * added to a real libseccomp filter the way runc does (one rule per name,
 * x86_64 with the x86 and x32 sub-architectures, in the profile's order
 * and in reverse), loaded in a child, and real setsockopt() calls show
 * which rule the kernel applied (NOTIFY replaced by a marker errno, so no
 * listener is needed; a call no rule matches gets another one).
 */
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "default-profile.h"
#include "nbtest.h"
#include "profile.h"
#include "sockopt.h"
#include "traps.h"
#include "util.h"

#define MARK_ERRNO 123	    /* stands for SCMP_ACT_NOTIFY in the child */
#define UNMATCHED_ERRNO 124 /* the child's default action */

static json_object *notify_profile(void)
{
	json_object *p = NULL;

	ASSERT_OK(profile_default(&p));
	ASSERT_OK(profile_add_notify(p, "/run/user/1000/nsbypass/oci.sock",
				     NULL));
	return p;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *get_str(json_object *o, const char *key)
{
	return json_object_get_string(get(o, key));
}

static bool rule_has_name(json_object *rule, const char *name)
{
	json_object *names = get(rule, "names");

	for (size_t i = 0; i < json_object_array_length(names); i++)
		if (strcmp(json_object_get_string(
				   json_object_array_get_idx(names, i)),
			   name) == 0)
			return true;
	return false;
}

NBTEST(default_shape)
{
	json_object *p = NULL, *rules;
	bool connect_allowed = false;

	ASSERT_OK(profile_default(&p));
	ASSERT_STREQ(get_str(p, "defaultAction"), "SCMP_ACT_ERRNO");
	ASSERT_EQ(json_object_get_int(get(p, "defaultErrnoRet")), 1);
	ASSERT_EQ(json_object_array_length(get(p, "archMap")), 2);
	rules = get(p, "syscalls");
	ASSERT_EQ(json_object_array_length(rules), default_rules_len + 1);
	/* The base is the engine's: connect is allowed until we move it. */
	for (size_t i = 0; i < json_object_array_length(rules); i++)
		if (rule_has_name(json_object_array_get_idx(rules, i),
				  "connect"))
			connect_allowed = true;
	ASSERT_TRUE(connect_allowed);
	ASSERT_TRUE(get(p, "listenerPath") == NULL);
	json_object_put(p);
}

/* The names that must only appear in our rules. */
static bool is_ours(const char *name)
{
	return traps_find(name) != NULL;
}

/* How many calls are trapped whole. */
static size_t whole_traps(void)
{
	size_t n = 0;

	for (size_t i = 0; i < traps_len; i++)
		n += traps[i].match == TRAP_WHOLE;
	return n;
}

NBTEST(notified_only_in_our_rules)
{
	json_object *p = notify_profile(), *rules = get(p, "syscalls");
	size_t whole = 0, pairs = 0;

	ASSERT_STREQ(get_str(p, "listenerPath"),
		     "/run/user/1000/nsbypass/oci.sock");
	ASSERT_TRUE(get(p, "listenerMetadata") == NULL);
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		json_object *rule = json_object_array_get_idx(rules, i);
		json_object *names = get(rule, "names");
		const char *action = get_str(rule, "action");
		const char *comment = get_str(rule, "comment");

		for (size_t j = 0; j < json_object_array_length(names); j++) {
			const char *n = json_object_get_string(
				json_object_array_get_idx(names, j));

			if (!is_ours(n))
				continue;
			/* Ours carry a comment; the base's never name them. */
			ASSERT_TRUE(comment &&
				    strncmp(comment, "nsbypass: ", 10) == 0);
			if (strcmp(n, "setsockopt") != 0) {
				ASSERT_STREQ(action, "SCMP_ACT_NOTIFY");
				ASSERT_TRUE(get(rule, "args") == NULL);
				whole++;
			} else if (strcmp(action, "SCMP_ACT_NOTIFY") == 0) {
				pairs++;
			} else {
				ASSERT_STREQ(action, "SCMP_ACT_ALLOW");
			}
		}
		/* Nothing a runtime needs for itself is notified. */
		if (strcmp(action, "SCMP_ACT_NOTIFY") == 0) {
			ASSERT_TRUE(!rule_has_name(rule, "sendmsg"));
			ASSERT_TRUE(!rule_has_name(rule, "write"));
			ASSERT_TRUE(!rule_has_name(rule, "fcntl"));
			ASSERT_TRUE(!rule_has_name(rule, "close"));
		}
	}
	ASSERT_EQ(whole, whole_traps());
	ASSERT_EQ(pairs, sockopt_recorded_len);
	json_object_put(p);
}

/* Does @arg (one "args" entry) hold for the value @v of its argument? */
static bool arg_holds(json_object *arg, const uint64_t *v)
{
	unsigned int index = (unsigned int)json_object_get_int(
		get(arg, "index"));
	uint64_t value = json_object_get_uint64(get(arg, "value"));
	uint64_t two = json_object_get_uint64(get(arg, "valueTwo"));
	const char *op = get_str(arg, "op");

	ASSERT_TRUE(index == 1 || index == 2);
	if (strcmp(op, "SCMP_CMP_EQ") == 0)
		return v[index] == value;
	if (strcmp(op, "SCMP_CMP_GT") == 0)
		return v[index] > value;
	if (strcmp(op, "SCMP_CMP_MASKED_EQ") == 0)
		return (v[index] & value) == two;
	nbtest_fail(__FILE__, __LINE__, "unexpected op %s", op);
}

/* The action of the one setsockopt() rule matching level/name, or NULL. */
static const char *match(json_object *rules, uint64_t level, uint64_t name)
{
	const uint64_t v[3] = { 0, level, name };
	const char *found = NULL;

	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		json_object *rule = json_object_array_get_idx(rules, i);
		json_object *args = get(rule, "args");
		bool all = true;

		if (!rule_has_name(rule, "setsockopt"))
			continue;
		ASSERT_TRUE(args != NULL);
		for (size_t j = 0; j < json_object_array_length(args); j++)
			all = all &&
			      arg_holds(json_object_array_get_idx(args, j), v);
		if (!all)
			continue;
		if (found)
			nbtest_fail(__FILE__, __LINE__,
				    "level %llu name %llu: two rules match",
				    (unsigned long long)level,
				    (unsigned long long)name);
		found = get_str(rule, "action");
	}
	return found;
}

NBTEST(setsockopt_partition)
{
	static const uint64_t big[] = {
		255,
		256,
		1000,
		65535,
		0x7fffffff,
		0x80000000,
		0xffffffff,
		0x100000000ULL,
		0x100000001ULL,
		0x100000006ULL,
		~0ULL,
	};
	json_object *p = notify_profile(), *rules = get(p, "syscalls");
	uint64_t vals[200 + ARRAY_SIZE(big)];
	size_t nv = 0, notified = 0;

	for (uint64_t i = 0; i < 200; i++)
		vals[nv++] = i;
	for (size_t i = 0; i < ARRAY_SIZE(big); i++)
		vals[nv++] = big[i];
	for (size_t l = 0; l < nv; l++)
		for (size_t n = 0; n < nv; n++) {
			const char *a = match(rules, vals[l], vals[n]);
			bool want = vals[l] <= 0xffffffff &&
				    vals[n] <= 0xffffffff &&
				    sockopt_is_recorded((int)vals[l],
							(int)vals[n]) &&
				    (int)vals[l] >= 0 && (int)vals[n] >= 0;

			if (!a)
				nbtest_fail(__FILE__, __LINE__,
					    "level %llu name %llu: no rule",
					    (unsigned long long)vals[l],
					    (unsigned long long)vals[n]);
			ASSERT_STREQ(a, want ? "SCMP_ACT_NOTIFY" :
					       "SCMP_ACT_ALLOW");
			notified += want;
		}
	ASSERT_EQ(notified, sockopt_recorded_len);
	json_object_put(p);
}

/* runc's way: one seccomp_rule_add() per name, conditions ANDed. */
static int add_json_rule(scmp_filter_ctx ctx, json_object *rule)
{
	const char *action = get_str(rule, "action");
	json_object *args = get(rule, "args");
	struct scmp_arg_cmp cmp[6];
	unsigned int n = 0;
	uint32_t act;

	act = strcmp(action, "SCMP_ACT_NOTIFY") == 0 ?
		      SCMP_ACT_ERRNO(MARK_ERRNO) :
		      SCMP_ACT_ALLOW;
	for (size_t j = 0; j < json_object_array_length(args) && n < 6; j++) {
		json_object *a = json_object_array_get_idx(args, j);
		const char *op = get_str(a, "op");

		cmp[n].arg = (unsigned int)json_object_get_int(get(a, "index"));
		cmp[n].op = strcmp(op, "SCMP_CMP_EQ") == 0 ? SCMP_CMP_EQ :
			    strcmp(op, "SCMP_CMP_GT") == 0 ? SCMP_CMP_GT :
							     SCMP_CMP_MASKED_EQ;
		cmp[n].datum_a = json_object_get_uint64(get(a, "value"));
		cmp[n].datum_b = json_object_get_uint64(get(a, "valueTwo"));
		n++;
	}
	return seccomp_rule_add_array(ctx, act, SCMP_SYS(setsockopt), n, cmp);
}

/* 0 on success, else the errno of setsockopt() on a new socket. */
static int try_opt(int fam, int type, int level, int name, int val)
{
	int fd = socket(fam, type, 0), r;

	if (fd < 0)
		return -1;
	r = setsockopt(fd, level, name, &val, sizeof(val)) < 0 ? errno : 0;
	close(fd);
	return r;
}

static void libseccomp_child(bool reverse)
{
	json_object *p = notify_profile(), *rules = get(p, "syscalls");
	/* What the child needs, allowed; anything else gets a marker. */
	static const char *const needed[] = {
		"socket",	 "close",
		"write",	 "writev",
		"exit_group",	 "exit",
		"rt_sigreturn",	 "rt_sigprocmask",
		"rt_sigaction",	 "mmap",
		"munmap",	 "mprotect",
		"madvise",	 "brk",
		"futex",	 "getpid",
		"gettid",	 "fstat",
		"newfstatat",	 "sched_yield",
		"clock_gettime", "sigaltstack",
		"prctl",	 "lseek",
		"read",		 "openat",
		"ioctl",
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(UNMATCHED_ERRNO));
	size_t n = json_object_array_length(rules);

	ASSERT_TRUE(ctx != NULL);
	for (size_t i = 0; i < ARRAY_SIZE(needed); i++)
		ASSERT_OK(seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
					   seccomp_syscall_resolve_name(
						   needed[i]),
					   0));
	ASSERT_OK(seccomp_arch_add(ctx, SCMP_ARCH_X86));
	ASSERT_OK(seccomp_arch_add(ctx, SCMP_ARCH_X32));
	for (size_t k = 0; k < n; k++) {
		json_object *rule =
			json_object_array_get_idx(rules,
						  reverse ? n - 1 - k : k);

		if (rule_has_name(rule, "setsockopt"))
			ASSERT_OK(add_json_rule(ctx, rule));
	}
	ASSERT_OK(seccomp_load(ctx));
	seccomp_release(ctx);
	json_object_put(p);

	ASSERT_EQ(try_opt(AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, 1),
		  MARK_ERRNO);
	ASSERT_EQ(try_opt(AF_INET, SOCK_STREAM, IPPROTO_TCP, TCP_NODELAY, 1),
		  MARK_ERRNO);
	ASSERT_EQ(try_opt(AF_INET6, SOCK_STREAM, IPPROTO_IPV6, IPV6_V6ONLY, 1),
		  MARK_ERRNO);
	ASSERT_EQ(try_opt(AF_INET, SOCK_DGRAM, IPPROTO_IP, IP_TOS, 0x10),
		  MARK_ERRNO);
	/* Not recorded: allowed, and the kernel answers. */
	ASSERT_EQ(try_opt(AF_INET, SOCK_STREAM, SOL_SOCKET, SO_PRIORITY, 3), 0);
	ASSERT_EQ(try_opt(AF_INET, SOCK_STREAM, SOL_SOCKET, SO_DONTROUTE, 1),
		  0);
	ASSERT_EQ(try_opt(AF_INET, SOCK_DGRAM, IPPROTO_IP, IP_MULTICAST_TTL, 5),
		  0);
	ASSERT_EQ(try_opt(AF_INET, SOCK_STREAM, IPPROTO_TCP, TCP_QUICKACK, 1),
		  0);
	ASSERT_EQ(try_opt(AF_INET, SOCK_DGRAM, IPPROTO_UDP, 1 /* UDP_CORK */,
			  1),
		  0);
	ASSERT_EQ(try_opt(AF_INET, SOCK_STREAM, 1000, 2, 1), ENOPROTOOPT);
	_exit(0);
}

static void libseccomp_run(bool reverse)
{
	pid_t pid = fork();
	int st;

	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		alarm(20);
		libseccomp_child(reverse);
	}
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
}

NBTEST(libseccomp_in_order)
{
	libseccomp_run(false);
}

NBTEST(libseccomp_reversed)
{
	libseccomp_run(true);
}

NBTEST(merge_base)
{
	static const char base[] =
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
		" \"listenerPath\": \"/old\", \"listenerMetadata\": \"old\","
		" \"syscalls\": ["
		"  {\"names\": [\"read\", \"connect\", \"write\"],"
		"   \"action\": \"SCMP_ACT_ALLOW\"},"
		"  {\"names\": [\"setsockopt\"], \"action\": \"SCMP_ACT_ALLOW\"},"
		"  {\"name\": \"bind\", \"action\": \"SCMP_ACT_ALLOW\"},"
		"  {\"names\": [], \"action\": \"SCMP_ACT_ALLOW\"}"
		" ], \"extra\": true}\n";
	json_object *p = NULL, *q, *rules, *first;
	char err[128];
	size_t n;

	ASSERT_OK(profile_parse(base, &p, err, sizeof(err)));
	ASSERT_OK(profile_add_notify(p, "/new.sock", "meta"));
	ASSERT_EQ(json_object_get_int(get(p, "defaultErrnoRet")), 38);
	ASSERT_STREQ(get_str(p, "listenerPath"), "/new.sock");
	ASSERT_STREQ(get_str(p, "listenerMetadata"), "meta");
	ASSERT_TRUE(json_object_get_boolean(get(p, "extra")));
	rules = get(p, "syscalls");
	n = json_object_array_length(rules);
	/* The base's rules come last: read+write, then the empty one. */
	ASSERT_TRUE(n >= 2);
	first = json_object_array_get_idx(rules, n - 2);
	ASSERT_EQ(json_object_array_length(get(first, "names")), 2);
	ASSERT_TRUE(rule_has_name(first, "read"));
	ASSERT_TRUE(rule_has_name(first, "write"));
	ASSERT_EQ(json_object_array_length(
			  get(json_object_array_get_idx(rules, n - 1),
			      "names")),
		  0);
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(rules, i);

		ASSERT_TRUE(get(r, "name") == NULL);
		if (!get_str(r, "comment"))
			ASSERT_TRUE(!rule_has_name(r, "setsockopt") &&
				    !rule_has_name(r, "connect"));
	}
	/* The key order: listener keys just before "syscalls". */
	{
		const char *keys[8];
		size_t k = 0;

		json_object_object_foreach(p, key, val)
		{
			(void)val;
			if (k < ARRAY_SIZE(keys))
				keys[k++] = key;
		}
		ASSERT_EQ(k, 6);
		ASSERT_STREQ(keys[2], "listenerPath");
		ASSERT_STREQ(keys[3], "listenerMetadata");
		ASSERT_STREQ(keys[4], "syscalls");
		ASSERT_STREQ(keys[5], "extra");
	}
	json_object_put(p);

	/* No metadata given: the base's is dropped. */
	ASSERT_OK(profile_parse(base, &p, err, sizeof(err)));
	ASSERT_OK(profile_add_notify(p, "/new.sock", NULL));
	ASSERT_TRUE(get(p, "listenerMetadata") == NULL);
	json_object_put(p);

	/* No "syscalls" at all: ours are added. */
	ASSERT_OK(profile_parse("{\"defaultAction\": \"SCMP_ACT_ALLOW\"}", &p,
				err, sizeof(err)));
	ASSERT_OK(profile_add_notify(p, "/x", NULL));
	q = notify_profile();
	/* (q also has the socketcall NOTIFY rule: its base allows socketcall
	 * whole; this base has none.) */
	ASSERT_EQ(json_object_array_length(get(p, "syscalls")),
		  json_object_array_length(get(q, "syscalls")) - 1 -
			  default_rules_len - 1);
	json_object_put(p);
	json_object_put(q);
}

/* The default allows socketcall() whole: it becomes one argument-free
 * NOTIFY rule, first, and no other rule names it. */
NBTEST(socketcall_notified)
{
	json_object *p = notify_profile(), *rules = get(p, "syscalls");
	json_object *first = json_object_array_get_idx(rules, 0);

	ASSERT_TRUE(rule_has_name(first, "socketcall"));
	ASSERT_EQ(json_object_array_length(get(first, "names")), 1);
	ASSERT_STREQ(get_str(first, "action"), "SCMP_ACT_NOTIFY");
	ASSERT_TRUE(get(first, "args") == NULL);
	for (size_t i = 1; i < json_object_array_length(rules); i++)
		ASSERT_TRUE(!rule_has_name(json_object_array_get_idx(rules, i),
					   "socketcall"));
	json_object_put(p);
}

/* A base that allows io_uring gets it back as ENOSYS, in one rule only. */
NBTEST(io_uring_denied)
{
	static const char base[] =
		"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
		"{\"names\": [\"io_uring_setup\", \"read\"],"
		" \"action\": \"SCMP_ACT_ALLOW\"},"
		"{\"names\": [\"io_uring_enter\", \"io_uring_register\"],"
		" \"action\": \"SCMP_ACT_ALLOW\"}]}";
	json_object *p, *rules;
	char err[256];
	size_t seen = 0;

	ASSERT_OK(profile_parse(base, &p, err, sizeof(err)));
	ASSERT_OK(profile_add_notify(p, "/l.sock", NULL));
	rules = get(p, "syscalls");
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		json_object *rule = json_object_array_get_idx(rules, i);

		for (size_t j = 0; j < traps_denied_len; j++) {
			if (!rule_has_name(rule, traps_denied[j]))
				continue;
			ASSERT_STREQ(get_str(rule, "action"), "SCMP_ACT_ERRNO");
			ASSERT_EQ(json_object_get_int(get(rule, "errnoRet")),
				  ENOSYS);
			seen++;
		}
		/* The base's rule keeps what was not ours. */
		if (rule_has_name(rule, "read"))
			ASSERT_STREQ(get_str(rule, "action"), "SCMP_ACT_ALLOW");
	}
	ASSERT_EQ(seen, traps_denied_len);
	json_object_put(p);
}

NBTEST(parse_errors)
{
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"42",
		"{} {}",
		"{\"syscalls\": {}}",
		"{\"syscalls\": [1]}",
		"{\"syscalls\": [{\"names\": \"read\"}]}",
		"{\"syscalls\": [{\"names\": [1]}]}",
		"{\"syscalls\": [{\"name\": 7}]}",
		"{\"a\": \"\xff\"}",
	};
	json_object *p = NULL;
	char err[128];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		if (profile_parse(bad[i], &p, err, sizeof(err)) != -EINVAL)
			nbtest_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
		ASSERT_TRUE(err[0] != '\0' && !strchr(err, '\n'));
	}
	ASSERT_OK(
		profile_parse("{\"syscalls\": null}\n", &p, err, sizeof(err)));
	json_object_put(p);
}

NBTEST(to_string)
{
	json_object *p = notify_profile(), *q = NULL;
	char *s = profile_to_string(p), err[128];

	ASSERT_TRUE(s != NULL);
	ASSERT_TRUE(s[strlen(s) - 1] == '\n');
	ASSERT_TRUE(strstr(s, "\"/run/user/1000/nsbypass/oci.sock\"") != NULL);
	ASSERT_OK(profile_parse(s, &q, err, sizeof(err)));
	ASSERT_TRUE(json_object_equal(p, q));
	free(s);
	json_object_put(p);
	json_object_put(q);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(default_shape),
		NBTEST_ENTRY(notified_only_in_our_rules),
		NBTEST_ENTRY(setsockopt_partition),
		NBTEST_ENTRY(libseccomp_in_order),
		NBTEST_ENTRY(libseccomp_reversed),
		NBTEST_ENTRY(merge_base),
		NBTEST_ENTRY(io_uring_denied),
		NBTEST_ENTRY(socketcall_notified),
		NBTEST_ENTRY(parse_errors),
		NBTEST_ENTRY(to_string),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
