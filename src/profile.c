// SPDX-License-Identifier: Apache-2.0
/*
 * profile.c - build, parse and rewrite seccomp profiles in the
 * podman/Docker JSON format for `nsbypass profile` (see profile.h).
 *
 * The JSON is built with json-c.  A rule is an object with "names",
 * "action", optional "args" ({"index", "value", "valueTwo", "op"}, as the
 * runtime-spec has them: for SCMP_CMP_MASKED_EQ "value" is the mask and
 * "valueTwo" the value compared with), "errnoRet", "includes",
 * "excludes" and "comment".
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "default-profile.h"
#include "profile.h"
#include "sockopt.h"
#include "traps.h"
#include "util.h"

/* Deep enough for any real profile, shallow enough to stop silly input. */
#define PROFILE_JSON_DEPTH 32
#define ACT_ALLOW "SCMP_ACT_ALLOW"
#define ACT_NOTIFY "SCMP_ACT_NOTIFY"
#define ACT_ERRNO "SCMP_ACT_ERRNO"
#define COMMENT "nsbypass: "

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

/* A name whose rules are ours alone: the trapped calls (traps.h: whole,
 * or split by arguments) and the denied ones (io_uring), whatever the
 * base profile says of them. */
static bool is_ours(const char *name)
{
	return traps_find(name) ||
	       in_list(name, traps_denied, traps_denied_len);
}

/* Add @v under @key, taking the reference even on failure. */
static int obj_add(json_object *o, const char *key, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int arr_add(json_object *a, json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_array_add(a, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* A JSON array of the first @n strings of @s, or up to a NULL. */
static json_object *str_array(const char *const *s, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < n && s[i]; i++)
		if (arr_add(a, json_object_new_string(s[i])) < 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

/* {"caps": [@cap]} */
static json_object *caps_filter(const char *cap)
{
	json_object *o = json_object_new_object();

	if (o && obj_add(o, "caps", str_array(&cap, 1)) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *rule_new(const char *const *names, size_t n,
			     const char *action, const char *comment)
{
	json_object *r = json_object_new_object();

	if (!r)
		return NULL;
	if (obj_add(r, "names", str_array(names, n)) < 0 ||
	    obj_add(r, "action", json_object_new_string(action)) < 0 ||
	    (comment &&
	     obj_add(r, "comment", json_object_new_string(comment)) < 0)) {
		json_object_put(r);
		return NULL;
	}
	return r;
}

static int rule_add_arg(json_object *rule, unsigned int index, uint64_t value,
			uint64_t value_two, const char *op)
{
	json_object *args, *a = json_object_new_object();
	int r;

	if (!a)
		return -ENOMEM;
	if (!json_object_object_get_ex(rule, "args", &args)) {
		args = json_object_new_array();
		r = obj_add(rule, "args", args);
		if (r < 0) {
			json_object_put(a);
			return r;
		}
	}
	r = arr_add(args, a);
	if (r < 0)
		return r;
	r = obj_add(a, "index", json_object_new_int((int)index));
	if (r == 0)
		r = obj_add(a, "value", json_object_new_uint64(value));
	if (r == 0)
		r = obj_add(a, "valueTwo", json_object_new_uint64(value_two));
	if (r == 0)
		r = obj_add(a, "op", json_object_new_string(op));
	return r;
}

static json_object *default_rule_json(const struct default_rule *d)
{
	json_object *r = rule_new(d->names, ARRAY_SIZE(d->names), d->action,
				  NULL);
	json_object *inc;
	int e = r ? 0 : -ENOMEM;

	for (unsigned int i = 0; e == 0 && i < d->nargs; i++)
		e = rule_add_arg(r, d->args[i].index, d->args[i].value, 0,
				 d->args[i].op);
	if (e == 0 && strcmp(d->action, "SCMP_ACT_ERRNO") == 0)
		e = obj_add(r, "errnoRet", json_object_new_int(d->errno_ret));
	if (e == 0 && (d->arches[0] || d->caps)) {
		inc = d->caps ? caps_filter(d->caps) : json_object_new_object();
		e = obj_add(r, "includes", inc);
		if (e == 0 && d->arches[0])
			e = obj_add(inc, "arches",
				    str_array(d->arches,
					      ARRAY_SIZE(d->arches)));
	}
	if (e == 0 && d->not_caps)
		e = obj_add(r, "excludes", caps_filter(d->not_caps));
	if (e < 0) {
		json_object_put(r);
		return NULL;
	}
	return r;
}

static json_object *arch_map(void)
{
	static const char *const x86[] = { "SCMP_ARCH_X86", "SCMP_ARCH_X32" };
	static const char *const arm[] = { "SCMP_ARCH_ARM" };
	static const struct {
		const char *arch;
		const char *const *sub;
		size_t n;
	} map[] = {
		{ "SCMP_ARCH_X86_64", x86, ARRAY_SIZE(x86) },
		{ "SCMP_ARCH_AARCH64", arm, ARRAY_SIZE(arm) },
	};
	json_object *a = json_object_new_array(), *e;

	for (size_t i = 0; a && i < ARRAY_SIZE(map); i++) {
		e = json_object_new_object();
		if (arr_add(a, e) < 0 ||
		    obj_add(e, "architecture",
			    json_object_new_string(map[i].arch)) < 0 ||
		    obj_add(e, "subArchitectures",
			    str_array(map[i].sub, map[i].n)) < 0) {
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

int profile_default(json_object **ret)
{
	json_object *p = json_object_new_object(), *rules;
	int r;

	if (!p)
		return -ENOMEM;
	r = obj_add(p, "defaultAction", json_object_new_string(DEFAULT_ACTION));
	if (r == 0)
		r = obj_add(p, "defaultErrnoRet",
			    json_object_new_int(DEFAULT_ERRNO_RET));
	if (r == 0)
		r = obj_add(p, "archMap", arch_map());
	rules = json_object_new_array();
	if (r == 0)
		r = obj_add(p, "syscalls", rules);
	if (r == 0)
		r = arr_add(rules, rule_new(default_allow, default_allow_len,
					    ACT_ALLOW, NULL));
	for (size_t i = 0; r == 0 && i < default_rules_len; i++)
		r = arr_add(rules, default_rule_json(&default_rules[i]));
	if (r < 0) {
		json_object_put(p);
		return r;
	}
	*ret = p;
	return 0;
}

/* --- setsockopt(): the notified pairs and their exact complement --- */

/* A sorted set of distinct values: levels, or one level's names. */
struct valset {
	uint64_t v[64];
	size_t n;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool valset_has_range(const struct valset *s, uint64_t lo, uint64_t end)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] >= lo && s->v[i] < end)
			return true;
	return false;
}

static void valset_add(struct valset *s, uint64_t v)
{
	if (valset_has_range(s, v, v + 1))
		return;
	ASSERT(s->n < ARRAY_SIZE(s->v));
	s->v[s->n++] = v;
	qsort(s->v, s->n, sizeof(s->v[0]), cmp_u64);
}

/* The level's name in sockopt.c's strings: "SOL_SOCKET" of "SOL_SOCKET/..". */
static void level_str(uint64_t level, char *buf, size_t len)
{
	for (size_t i = 0; i < sockopt_recorded_len; i++)
		if ((uint64_t)sockopt_recorded[i].level == level) {
			const char *s = sockopt_recorded[i].str;

			snprintf(buf, len, "%.*s", (int)strcspn(s, "/"), s);
			return;
		}
	snprintf(buf, len, "level %llu", (unsigned long long)level);
}

/*
 * One ALLOW rule: setsockopt() with argument @index in [@lo, @lo + @size)
 * (@size a power of two, @lo aligned to it; @size 0: above @lo), and
 * level @level when @index is the name.
 */
static int add_allow_block(json_object *rules, const char *name,
			   unsigned int index, uint64_t level, uint64_t lo,
			   uint64_t size, const char *comment)
{
	json_object *rule = rule_new(&name, 1, ACT_ALLOW, comment);
	int r = arr_add(rules, rule);

	if (r == 0 && index == 2)
		r = rule_add_arg(rule, 1, level, 0, "SCMP_CMP_EQ");
	if (r < 0)
		return r;
	if (size == 0)
		return rule_add_arg(rule, index, lo, 0, "SCMP_CMP_GT");
	if (size == 1)
		return rule_add_arg(rule, index, lo, 0, "SCMP_CMP_EQ");
	return rule_add_arg(rule, index, ~(size - 1), lo, "SCMP_CMP_MASKED_EQ");
}

/*
 * ALLOW rules for every 64-bit value of argument @index that is not in
 * @s: the largest aligned blocks that fill the gaps below the maximum,
 * then everything above it.
 */
static int add_complement(json_object *rules, const char *name,
			  unsigned int index, uint64_t level,
			  const struct valset *s, const char *comment)
{
	uint64_t max = s->v[s->n - 1], x = 0, size;
	int r;

	while (x <= max) {
		if (valset_has_range(s, x, x + 1)) {
			x++;
			continue;
		}
		size = 1;
		while (x % (size * 2) == 0 && x + size * 2 - 1 <= max &&
		       !valset_has_range(s, x, x + size * 2))
			size *= 2;
		r = add_allow_block(rules, name, index, level, x, size,
				    comment);
		if (r < 0)
			return r;
		x += size;
	}
	return add_allow_block(rules, name, index, level, max, 0, comment);
}

static int add_sockopt_rules(json_object *rules, const char *name)
{
	struct valset levels = { .n = 0 }, names;
	char comment[96], lstr[32];
	json_object *rule;
	int r;

	for (size_t i = 0; i < sockopt_recorded_len; i++) {
		const struct sockopt_desc *d = &sockopt_recorded[i];

		snprintf(comment, sizeof(comment), COMMENT "record %s", d->str);
		rule = rule_new(&name, 1, ACT_NOTIFY, comment);
		r = arr_add(rules, rule);
		if (r == 0)
			r = rule_add_arg(rule, 1, (uint64_t)d->level, 0,
					 "SCMP_CMP_EQ");
		if (r == 0)
			r = rule_add_arg(rule, 2, (uint64_t)d->name, 0,
					 "SCMP_CMP_EQ");
		if (r < 0)
			return r;
		valset_add(&levels, (uint64_t)d->level);
	}
	snprintf(comment, sizeof(comment), COMMENT "%s at the other levels",
		 name);
	r = add_complement(rules, name, 1, 0, &levels, comment);
	for (size_t l = 0; r == 0 && l < levels.n; l++) {
		names.n = 0;
		for (size_t i = 0; i < sockopt_recorded_len; i++)
			if ((uint64_t)sockopt_recorded[i].level == levels.v[l])
				valset_add(&names,
					   (uint64_t)sockopt_recorded[i].name);
		level_str(levels.v[l], lstr, sizeof(lstr));
		snprintf(comment, sizeof(comment),
			 COMMENT "the other %s options", lstr);
		r = add_complement(rules, name, 2, levels.v[l], &names,
				   comment);
	}
	return r;
}

/* --- rewriting a profile --- */

/* An unconditional ALLOW rule: no "args", or an empty array. */
static bool allows_always(json_object *rule)
{
	json_object *action, *args;

	if (!json_object_object_get_ex(rule, "action", &action) ||
	    strcmp(json_object_get_string(action), ACT_ALLOW) != 0)
		return false;
	return !json_object_object_get_ex(rule, "args", &args) ||
	       !json_object_is_type(args, json_type_array) ||
	       json_object_array_length(args) == 0;
}

/* The action of @rule, or "" */
static const char *rule_action(json_object *rule)
{
	json_object *action;

	if (!json_object_object_get_ex(rule, "action", &action))
		return "";
	return json_object_get_string(action) ?: "";
}

/* Does @rule name @name (in "name" or "names")? */
static bool rule_names(json_object *rule, const char *name)
{
	json_object *names, *n;

	if (json_object_object_get_ex(rule, "name", &n) &&
	    strcmp(json_object_get_string(n) ?: "", name) == 0)
		return true;
	if (!json_object_object_get_ex(rule, "names", &names) ||
	    !json_object_is_type(names, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(names); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(names, i)) ?:
				   "",
			   name) == 0)
			return true;
	return false;
}

bool profile_restricts_traps(json_object *p, char *why, size_t whylen)
{
	json_object *rules = NULL, *def;
	bool deny_default;

	deny_default = json_object_object_get_ex(p, "defaultAction", &def) &&
		       strcmp(json_object_get_string(def) ?: "", ACT_ALLOW) !=
			       0;
	json_object_object_get_ex(p, "syscalls", &rules);
	for (size_t t = 0; t < traps_len; t++) {
		const char *name = traps[t].name;
		bool allowed = false;

		for (size_t i = 0; rules && i < json_object_array_length(rules);
		     i++) {
			json_object *rule = json_object_array_get_idx(rules, i);

			if (!rule_names(rule, name))
				continue;
			if (!allows_always(rule)) {
				snprintf(why, whylen, "its rule for %s is %s%s",
					 name, rule_action(rule),
					 strcmp(rule_action(rule), ACT_ALLOW) ==
							 0 ?
						 " with arguments" :
						 "");
				return true;
			}
			allowed = true;
		}
		if (deny_default && !allowed) {
			snprintf(why, whylen,
				 "%s is left to its default action %s", name,
				 json_object_get_string(def));
			return true;
		}
	}
	return false;
}

/*
 * i386's socketcall().  libseccomp turns the connect/bind/listen NOTIFY
 * rules into rules for socketcall()'s CONNECT, BIND and LISTEN codes, but
 * an unconditional "socketcall" ALLOW (podman's and Docker's defaults have
 * one) swallows them, and int $0x80 would rebind a host socket unseen.
 * The unconditional rule cannot simply go: libseccomp also makes
 * socketcall() rules from the base's socket() rules, whose arguments it
 * cannot see there, and without an unconditional rule to absorb them they
 * collide (runc 1.3 with libseccomp 2.6: "error adding seccomp rule for
 * syscall socket: file exists"); ALLOW rules for the other codes collide
 * the same way.  So its action becomes NOTIFY, first among the rules:
 * every socketcall() of a 32-bit program reaches the agent, which
 * continues all but the calls trapped in foreign ABIs (handle-foreign.c).
 */
#define SOCKETCALL "socketcall"

static bool takes_name(json_object *rule, const char *name,
		       bool *socketcall_allowed)
{
	if (is_ours(name))
		return true;
	if (strcmp(name, SOCKETCALL) != 0 || !allows_always(rule))
		return false;
	*socketcall_allowed = true;
	return true;
}

/* Remove our names (is_ours()) and an always-allowed socketcall (noted in
 * @socketcall_allowed) from @rules; drop the rules left empty. */
static void strip_notified(json_object *rules, bool *socketcall_allowed)
{
	for (size_t i = json_object_array_length(rules); i-- > 0;) {
		json_object *rule = json_object_array_get_idx(rules, i);
		json_object *names, *name;
		size_t n;

		if (json_object_object_get_ex(rule, "name", &name) &&
		    takes_name(rule, json_object_get_string(name),
			       socketcall_allowed)) {
			json_object_array_del_idx(rules, i, 1);
			continue;
		}
		if (!json_object_object_get_ex(rule, "names", &names))
			continue;
		n = json_object_array_length(names);
		if (n == 0)
			continue;
		for (size_t j = n; j-- > 0;)
			if (takes_name(rule,
				       json_object_get_string(
					       json_object_array_get_idx(names,
									 j)),
				       socketcall_allowed))
				json_object_array_del_idx(names, j, 1);
		if (json_object_array_length(names) == 0 &&
		    !json_object_object_get_ex(rule, "name", NULL))
			json_object_array_del_idx(rules, i, 1);
	}
}

/* io_uring: ENOSYS, as podman's default profile and filter_build(). */
static json_object *denied_rule(void)
{
	json_object *r = rule_new(traps_denied, traps_denied_len, ACT_ERRNO,
				  COMMENT "io_uring would operate sockets "
					  "behind the agent's back");

	if (r && obj_add(r, "errnoRet",
			 json_object_new_int(TRAPS_DENIED_ERRNO)) < 0) {
		json_object_put(r);
		return NULL;
	}
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* NOTIFY for socketcall(): the agent continues all but the calls trapped
 * in foreign ABIs, named in the comment in alphabetical order. */
static json_object *socketcall_rule(void)
{
	static const char *const socketcall[] = { SOCKETCALL };
	const char *names[TRAPS_MAX];
	char comment[128];
	size_t n = 0, len;

	for (size_t i = 0; i < traps_len; i++)
		if (traps[i].foreign)
			names[n++] = traps[i].name;
	qsort(names, n, sizeof(names[0]), cmp_str);
	len = (size_t)snprintf(comment, sizeof(comment),
			       COMMENT "i386: the agent continues all but");
	for (size_t i = 0; i < n && len < sizeof(comment); i++)
		len += (size_t)snprintf(comment + len, sizeof(comment) - len,
					"%s %s", i ? "," : "", names[i]);
	return rule_new(socketcall, 1, ACT_NOTIFY, comment);
}

/* Our rules, then @old's (stripped). */
static json_object *notify_rules(json_object *old, bool socketcall_allowed)
{
	const char *whole[TRAPS_MAX];
	json_object *rules = json_object_new_array();
	int r = rules ? 0 : -ENOMEM;
	size_t n = 0;

	for (size_t i = 0; i < traps_len; i++)
		if (traps[i].match == TRAP_WHOLE)
			whole[n++] = traps[i].name;
	if (r == 0 && socketcall_allowed)
		r = arr_add(rules, socketcall_rule());
	if (r == 0)
		r = arr_add(rules, rule_new(whole, n, ACT_NOTIFY,
					    COMMENT "the agent decides"));
	if (r == 0)
		r = arr_add(rules, denied_rule());
	for (size_t i = 0; r == 0 && i < traps_len; i++)
		if (traps[i].match == TRAP_SOCKOPT_PAIRS)
			r = add_sockopt_rules(rules, traps[i].name);
	for (size_t i = 0; r == 0 && old && i < json_object_array_length(old);
	     i++)
		r = arr_add(rules,
			    json_object_get(json_object_array_get_idx(old, i)));
	if (r < 0) {
		json_object_put(rules);
		return NULL;
	}
	return rules;
}

int profile_add_notify(json_object *p, const char *listener,
		       const char *metadata)
{
	json_object *tmp = json_object_new_object(), *old = NULL, *rules;
	bool added = false, socketcall_allowed = false;
	int r = tmp ? 0 : -ENOMEM;

	if (json_object_object_get_ex(p, "syscalls", &old) &&
	    json_object_is_type(old, json_type_array))
		strip_notified(old, &socketcall_allowed);
	rules = r == 0 ? notify_rules(old, socketcall_allowed) : NULL;
	if (!rules)
		r = -ENOMEM;

	/* Rebuild the keys in order, the listener's just before "syscalls". */
	json_object_object_foreach(p, key, val)
	{
		if (r < 0)
			break;
		if (strcmp(key, "listenerPath") == 0 ||
		    strcmp(key, "listenerMetadata") == 0)
			continue;
		if (strcmp(key, "syscalls") == 0)
			break;
		r = obj_add(tmp, key, json_object_get(val));
	}
	if (r == 0)
		r = obj_add(tmp, "listenerPath",
			    json_object_new_string(listener));
	if (r == 0 && metadata)
		r = obj_add(tmp, "listenerMetadata",
			    json_object_new_string(metadata));
	if (r == 0) {
		r = obj_add(tmp, "syscalls", rules);
		rules = NULL;
	}
	json_object_object_foreach(p, key2, val2)
	{
		if (r < 0)
			break;
		if (strcmp(key2, "syscalls") == 0) {
			added = true;
			continue;
		}
		if (!added || strcmp(key2, "listenerPath") == 0 ||
		    strcmp(key2, "listenerMetadata") == 0)
			continue;
		r = obj_add(tmp, key2, json_object_get(val2));
	}
	json_object_put(rules);
	if (r < 0) {
		json_object_put(tmp);
		return r;
	}
	/* Move tmp's members into p, in tmp's order. */
	while (json_object_object_length(p) > 0) {
		json_object_object_foreach(p, k, v)
		{
			(void)v;
			json_object_object_del(p, k);
			break;
		}
	}
	json_object_object_foreach(tmp, k3, v3)
	{
		if (r == 0)
			r = obj_add(p, k3, json_object_get(v3));
	}
	json_object_put(tmp);
	return r;
}

/* --- parsing and printing --- */

static int check_rule(json_object *rule, size_t i, char *err, size_t errlen)
{
	json_object *names, *name;

	if (!json_object_is_type(rule, json_type_object)) {
		snprintf(err, errlen, "syscalls[%zu] is not an object", i);
		return -EINVAL;
	}
	if (json_object_object_get_ex(rule, "name", &name) &&
	    !json_object_is_type(name, json_type_string)) {
		snprintf(err, errlen, "syscalls[%zu].name is not a string", i);
		return -EINVAL;
	}
	if (!json_object_object_get_ex(rule, "names", &names) ||
	    json_object_is_type(names, json_type_null))
		return 0;
	if (!json_object_is_type(names, json_type_array)) {
		snprintf(err, errlen, "syscalls[%zu].names is not an array", i);
		return -EINVAL;
	}
	for (size_t j = 0; j < json_object_array_length(names); j++)
		if (!json_object_is_type(json_object_array_get_idx(names, j),
					 json_type_string)) {
			snprintf(err, errlen,
				 "syscalls[%zu].names[%zu] is not a string", i,
				 j);
			return -EINVAL;
		}
	return 0;
}

int profile_check(json_object *p, char *err, size_t errlen)
{
	json_object *rules;
	int r;

	if (!json_object_is_type(p, json_type_object)) {
		snprintf(err, errlen, "the profile is not a JSON object");
		return -EINVAL;
	}
	if (!json_object_object_get_ex(p, "syscalls", &rules) ||
	    json_object_is_type(rules, json_type_null))
		return 0;
	if (!json_object_is_type(rules, json_type_array)) {
		snprintf(err, errlen, "\"syscalls\" is not an array");
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		r = check_rule(json_object_array_get_idx(rules, i), i, err,
			       errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

int profile_parse(const char *text, json_object **ret, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new_ex(PROFILE_JSON_DEPTH);
	size_t len = strlen(text), end;
	enum json_tokener_error e;
	json_object *p;
	int r;

	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	/* The final NUL tells json-c the input ends there. */
	p = json_tokener_parse_ex(tok, text,
				  (int)MIN(len + 1, (size_t)INT_MAX));
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!p || e != json_tokener_success) {
		snprintf(err, errlen, "invalid JSON at byte %zu: %s", end,
			 json_tokener_error_desc(e));
		json_object_put(p);
		return -EINVAL;
	}
	for (; end < len; end++)
		if (!strchr(" \t\r\n", text[end])) {
			snprintf(err, errlen,
				 "invalid JSON: data after the value at byte %zu",
				 end);
			json_object_put(p);
			return -EINVAL;
		}
	r = profile_check(p, err, errlen);
	if (r < 0) {
		json_object_put(p);
		return r;
	}
	*ret = p;
	return 0;
}

char *profile_to_string(json_object *p)
{
	const char *s = json_object_to_json_string_ext(
		p, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out;

	if (!s || asprintf(&out, "%s\n", s) < 0)
		return NULL;
	return out;
}
