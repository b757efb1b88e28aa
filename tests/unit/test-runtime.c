// SPDX-License-Identifier: Apache-2.0
/*
 * test-runtime.c - `nsbypass runtime`: the runtime command lines it reads
 * (runtime-args.h), its configuration file (runtime-conf.h) and its edit
 * of a bundle's config.json (runtime-spec.h), hostile ones included.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nbtest.h"
#include "runtime-args.h"
#include "runtime-conf.h"
#include "runtime-spec.h"
#include "util.h"

#define SOCK "/run/user/1000/nsbypass/oci.sock"

static struct runtime_args parse(int expect, char *const *argv)
{
	struct runtime_args a;
	int argc = 0;

	while (argv[argc])
		argc++;
	ASSERT_EQ(runtime_args_parse(argc, argv, &a), expect);
	return a;
}

#define ARGS(...) ((char *const[]){ __VA_ARGS__, NULL })

NBTEST(args_runc_create)
{
	/* containerd's go-runc, as the shim runs it */
	struct runtime_args a =
		parse(0,
		      ARGS("--root", "/run/user/1000/docker/runtime-runc/moby",
			   "--log", "/x/log.json", "--log-format", "json",
			   "--systemd-cgroup", "create", "--bundle", "/b/1",
			   "--pid-file", "/b/1/init.pid", "--console-socket",
			   "/tmp/c.sock", "abc"));

	ASSERT_TRUE(a.creates);
	ASSERT_STREQ(a.command, "create");
	ASSERT_STREQ(a.bundle, "/b/1");
	ASSERT_TRUE(a.config == NULL);
}

NBTEST(args_forms)
{
	struct runtime_args a;

	a = parse(0, ARGS("--root=/r", "create", "-b", "/b", "id"));
	ASSERT_STREQ(a.bundle, "/b");
	a = parse(0, ARGS("-root", "/r", "run", "-bundle", "/b2", "-d", "id"));
	ASSERT_STREQ(a.command, "run");
	ASSERT_STREQ(a.bundle, "/b2");
	a = parse(0, ARGS("create", "-b/b3", "id"));
	ASSERT_STREQ(a.bundle, "/b3");
	a = parse(0,
		  ARGS("create", "--bundle=/b4", "--config", "c.json", "id"));
	ASSERT_STREQ(a.bundle, "/b4");
	ASSERT_STREQ(a.config, "c.json");
	/* no --bundle: the current directory */
	a = parse(0, ARGS("--log-level", "debug", "create", "id"));
	ASSERT_TRUE(a.creates && a.bundle == NULL);
	/* a value that looks like a command is a value */
	a = parse(0, ARGS("--log", "create", "start", "id"));
	ASSERT_TRUE(!a.creates);
	ASSERT_STREQ(a.command, "start");
	/* the pid file named "--bundle" is not the bundle */
	a = parse(0, ARGS("create", "--pid-file", "--bundle", "id"));
	ASSERT_TRUE(a.bundle == NULL);
	/* after "--", nothing is an option */
	a = parse(0, ARGS("create", "--", "--bundle", "/x"));
	ASSERT_TRUE(a.bundle == NULL);
}

NBTEST(args_other_commands)
{
	struct runtime_args a;

	a = parse(0, ARGS("--root", "/r", "start", "id"));
	ASSERT_TRUE(!a.creates);
	ASSERT_STREQ(a.command, "start");
	a = parse(0, ARGS("exec", "--process", "/p.json", "id"));
	ASSERT_TRUE(!a.creates);
	a = parse(0, ARGS("--version"));
	ASSERT_TRUE(a.command == NULL);
	a = parse(0, ARGS("--root"));
	ASSERT_TRUE(a.command == NULL);
	a = parse(0, ARGS("--", "create"));
	ASSERT_TRUE(a.command == NULL);
	/* a missing value: the runtime itself will say so */
	parse(-EINVAL, ARGS("create", "--bundle"));
	parse(-EINVAL, ARGS("create", "id", "--console-socket"));
}

NBTEST(conf_parse)
{
	struct runtime_conf c = { NULL, NULL, NULL };
	char err[128];

	ASSERT_OK(
		runtime_conf_parse("# comment\n\n  runtime =  /usr/bin/crun \n"
				   "listener=" SOCK "\r\n"
				   "metadata = ignore=10.0.0.0/8;c2c=false",
				   &c, err, sizeof(err)));
	ASSERT_STREQ(c.runtime, "/usr/bin/crun");
	ASSERT_STREQ(c.listener, SOCK);
	ASSERT_STREQ(c.metadata, "ignore=10.0.0.0/8;c2c=false");
	runtime_conf_free(&c);
	ASSERT_TRUE(c.runtime == NULL);
}

NBTEST(conf_errors)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "runtime /usr/bin/runc\n", "line 1: no '='" },
		{ "\nruntim = x\n", "line 2: unknown key" },
		{ "runtime = a\nruntime = b\n",
		  "line 2: the key is given twice" },
		{ "metadata =   \n", "line 1: the value is empty" },
		{ "listener = oci.sock\n", "line 1: the listener is not" },
	};
	struct runtime_conf c = { NULL, NULL, NULL };
	char err[128];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(runtime_conf_parse(bad[i].text, &c, err, sizeof(err)),
			  -EINVAL);
		ASSERT_TRUE(strncmp(err, bad[i].err, strlen(bad[i].err)) == 0);
		ASSERT_TRUE(c.runtime == NULL && c.listener == NULL);
	}
}

static json_object *spec_of(const char *text)
{
	json_object *o = json_tokener_parse(text);

	ASSERT_TRUE(o != NULL);
	return o;
}

static json_object *at(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* The action of the rule of @sec that names @name, or NULL. */
static const char *action_of(json_object *sec, const char *name)
{
	json_object *rules = at(sec, "syscalls");

	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		json_object *r = json_object_array_get_idx(rules, i);
		json_object *names = at(r, "names");

		for (size_t j = 0; j < json_object_array_length(names); j++)
			if (strcmp(json_object_get_string(
					   json_object_array_get_idx(names, j)),
				   name) == 0)
				return json_object_get_string(at(r, "action"));
	}
	return NULL;
}

/* A spec as Docker writes it: its default profile, resolved. */
#define ENGINE_SPEC                                                        \
	"{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"]},"       \
	"\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","    \
	"\"defaultErrnoRet\":1,\"architectures\":[\"SCMP_ARCH_X86_64\","   \
	"\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],\"syscalls\":[{\"names\":["  \
	"\"accept\",\"bind\",\"connect\",\"read\",\"listen\","             \
	"\"setsockopt\",\"socketcall\"],\"action\":\"SCMP_ACT_ALLOW\"},"   \
	"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","      \
	"\"args\":[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}}," \
	"\"annotations\":{\"a\":\"b\"}}"

NBTEST(merge_engine_profile)
{
	json_object *spec = spec_of(ENGINE_SPEC), *sec, *rules;
	char err[128];

	ASSERT_EQ(runtime_spec_merge(spec, SOCK, "c2c=false", err, sizeof(err)),
		  RUNTIME_SPEC_EDITED);
	sec = at(at(spec, "linux"), "seccomp");
	ASSERT_STREQ(json_object_get_string(at(sec, "listenerPath")), SOCK);
	ASSERT_STREQ(json_object_get_string(at(sec, "listenerMetadata")),
		     "c2c=false");
	/* the engine's default action, architectures and rules stay */
	ASSERT_STREQ(json_object_get_string(at(sec, "defaultAction")),
		     "SCMP_ACT_ERRNO");
	ASSERT_EQ(json_object_array_length(at(sec, "architectures")), 3);
	ASSERT_STREQ(action_of(sec, "read"), "SCMP_ACT_ALLOW");
	ASSERT_STREQ(action_of(sec, "personality"), "SCMP_ACT_ALLOW");
	/* the notified names left the engine's rules: ours come first */
	ASSERT_STREQ(action_of(sec, "connect"), "SCMP_ACT_NOTIFY");
	ASSERT_STREQ(action_of(sec, "bind"), "SCMP_ACT_NOTIFY");
	ASSERT_STREQ(action_of(sec, "socketcall"), "SCMP_ACT_NOTIFY");
	ASSERT_STREQ(action_of(sec, "io_uring_setup"), "SCMP_ACT_ERRNO");
	/* no "comment": not a runtime-spec field */
	rules = at(sec, "syscalls");
	for (size_t i = 0; i < json_object_array_length(rules); i++)
		ASSERT_TRUE(at(json_object_array_get_idx(rules, i),
			       "comment") == NULL);
	/* the rest of the spec is untouched */
	ASSERT_STREQ(json_object_get_string(at(at(spec, "annotations"), "a")),
		     "b");
	json_object_put(spec);
}

NBTEST(merge_left_alone)
{
	static const char *const none[] = {
		"{}",
		"{\"linux\":null}",
		"{\"linux\":{}}",
		"{\"linux\":{\"seccomp\":null}}",
	};
	json_object *spec;
	char err[128];

	for (size_t i = 0; i < ARRAY_SIZE(none); i++) {
		spec = spec_of(none[i]);
		ASSERT_EQ(runtime_spec_merge(spec, SOCK, NULL, err,
					     sizeof(err)),
			  RUNTIME_SPEC_NO_SECCOMP);
		json_object_put(spec);
	}
	spec = spec_of("{\"linux\":{\"seccomp\":{\"listenerPath\":\"/x.sock\","
		       "\"syscalls\":[]}}}");
	ASSERT_EQ(runtime_spec_merge(spec, SOCK, NULL, err, sizeof(err)),
		  RUNTIME_SPEC_HAS_LISTENER);
	ASSERT_EQ(json_object_array_length(
			  at(at(at(spec, "linux"), "seccomp"), "syscalls")),
		  0);
	json_object_put(spec);
}

/* A profile that denies or limits a trapped call is left as it is:
 * notifying the call would let through what it denies. */
NBTEST(merge_restricting_profile_left_alone)
{
#define SEC(rules, def)                                           \
	"{\"linux\":{\"seccomp\":{\"defaultAction\":\"" def "\"," \
	"\"syscalls\":[" rules "]}}}"
#define ALLOW_ALL                                                      \
	"{\"names\":[\"connect\",\"bind\",\"listen\",\"setsockopt\"]," \
	"\"action\":\"SCMP_ACT_ALLOW\"}"
	static const char *const restricting[] = {
		SEC(ALLOW_ALL ",{\"names\":[\"listen\",\"bind\"],"
			      "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}",
		    "SCMP_ACT_ALLOW"),
		SEC("{\"names\":[\"connect\"],"
		    "\"action\":\"SCMP_ACT_KILL_PROCESS\"}",
		    "SCMP_ACT_ALLOW"),
		SEC("{\"name\":\"setsockopt\",\"action\":\"SCMP_ACT_ERRNO\","
		    "\"args\":[{\"index\":1,\"value\":1,"
		    "\"op\":\"SCMP_CMP_EQ\"}]}",
		    "SCMP_ACT_ALLOW"),
		SEC("{\"names\":[\"connect\",\"bind\",\"listen\"],"
		    "\"action\":\"SCMP_ACT_ALLOW\"},"
		    "{\"names\":[\"setsockopt\"],\"action\":\"SCMP_ACT_ALLOW\","
		    "\"args\":[{\"index\":1,\"value\":1,"
		    "\"op\":\"SCMP_CMP_EQ\"}]}",
		    "SCMP_ACT_ERRNO"),
		/* bind left to a denying default */
		SEC("{\"names\":[\"connect\",\"listen\",\"setsockopt\"],"
		    "\"action\":\"SCMP_ACT_ALLOW\"}",
		    "SCMP_ACT_ERRNO"),
	};
	char err[160];

	for (size_t i = 0; i < ARRAY_SIZE(restricting); i++) {
		json_object *spec = spec_of(restricting[i]);
		const char *before = strdup(json_object_to_json_string(spec));

		ASSERT_TRUE(before != NULL);
		err[0] = 0;
		ASSERT_EQ(runtime_spec_merge(spec, SOCK, NULL, err,
					     sizeof(err)),
			  RUNTIME_SPEC_RESTRICTED);
		printf("# %zu: %s\n", i, err);
		ASSERT_TRUE(err[0] != 0);
		ASSERT_STREQ(json_object_to_json_string(spec), before);
		free((void *)before);
		json_object_put(spec);
	}
	/* Allowed always, under either default: edited. */
	for (int d = 0; d < 2; d++) {
		json_object *spec = spec_of(
			d ? SEC(ALLOW_ALL, "SCMP_ACT_ERRNO") :
			    SEC(ALLOW_ALL, "SCMP_ACT_ALLOW"));

		ASSERT_EQ(runtime_spec_merge(spec, SOCK, NULL, err,
					     sizeof(err)),
			  RUNTIME_SPEC_EDITED);
		json_object_put(spec);
	}
#undef ALLOW_ALL
#undef SEC
}

NBTEST(merge_wrong_types)
{
	static const struct {
		const char *spec, *err;
	} bad[] = {
		{ "[]", "the spec is not a JSON object" },
		{ "{\"linux\":[]}", "\"linux\" is not an object" },
		{ "{\"linux\":{\"seccomp\":\"x\"}}",
		  "linux.seccomp is not an object" },
		{ "{\"linux\":{\"seccomp\":{\"listenerPath\":1}}}",
		  "linux.seccomp.listenerPath is not a string" },
		{ "{\"linux\":{\"seccomp\":{\"syscalls\":{}}}}",
		  "linux.seccomp: \"syscalls\" is not an array" },
		{ "{\"linux\":{\"seccomp\":{\"syscalls\":[{\"names\":[1]}]}}}",
		  "linux.seccomp: syscalls[0].names[0] is not a string" },
	};
	char err[128];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		json_object *spec = spec_of(bad[i].spec);

		ASSERT_EQ(runtime_spec_merge(spec, SOCK, NULL, err,
					     sizeof(err)),
			  -EINVAL);
		ASSERT_STREQ(err, bad[i].err);
		json_object_put(spec);
	}
}

static char dir[] = "/tmp/nbtest-runtime-XXXXXX";

static void write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ASSERT_OK(fchmod(fd, mode));
	close(fd);
}

/* The listenerPath of the spec in @path, or "" (malloc()ed). */
static char *listener_of(const char *path)
{
	json_object *o = json_object_from_file(path);
	const char *lp;
	char *s;

	ASSERT_TRUE(o != NULL);
	lp = json_object_get_string(
		at(at(at(o, "linux"), "seccomp"), "listenerPath"));
	s = strdup(lp ? lp : "");
	json_object_put(o);
	return s;
}

/* How many files @dir holds (no temporary file may be left). */
static int files_in_dir(void)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	p = popen(cmd, "r");
	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

NBTEST(edit_file)
{
	char path[64], err[256], *s;
	struct stat st;

	snprintf(path, sizeof(path), "%s/config.json", dir);
	write_text(path, ENGINE_SPEC, 0640);
	ASSERT_EQ(runtime_spec_edit(path, SOCK, NULL, err, sizeof(err)),
		  RUNTIME_SPEC_EDITED);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode & 07777, 0640);
	s = listener_of(path);
	ASSERT_STREQ(s, SOCK);
	free(s);
	ASSERT_EQ(files_in_dir(), 1);
	/* a second wrapper in a chain: left to the first's listener */
	ASSERT_EQ(runtime_spec_edit(path, "/other.sock", NULL, err,
				    sizeof(err)),
		  RUNTIME_SPEC_HAS_LISTENER);
	unlink(path);
}

/* runtime_spec_edit() on @text fails with @want and an error naming
 * @what; the file is as it was. */
static void edit_fails(const char *path, const char *text, int want,
		       const char *what)
{
	char err[256];
	struct stat a, b;
	int r, files;

	if (text)
		write_text(path, text, 0600);
	files = files_in_dir();
	ASSERT_OK(lstat(path, &a));
	r = runtime_spec_edit(path, SOCK, NULL, err, sizeof(err));
	ASSERT_EQ(r, want);
	ASSERT_TRUE(strstr(err, what) != NULL);
	ASSERT_OK(lstat(path, &b));
	ASSERT_TRUE(a.st_ino == b.st_ino && a.st_size == b.st_size &&
		    a.st_mtim.tv_nsec == b.st_mtim.tv_nsec);
	ASSERT_EQ(files_in_dir(), files);
	unlink(path);
}

NBTEST(edit_hostile)
{
	char path[64], target[64], *huge;
	size_t n = RUNTIME_SPEC_MAX + 2;

	snprintf(path, sizeof(path), "%s/config.json", dir);
	snprintf(target, sizeof(target), "%s/real.json", dir);
	edit_fails(path, "{\"linux\":{\"seccomp\":{\"syscalls\":7}}}", -EINVAL,
		   "config.json: linux.seccomp: \"syscalls\" is not an array");
	edit_fails(path, "{\"linux\":", -EINVAL, "not one strict JSON value");
	edit_fails(path, "{\"a\":1} {}", -EINVAL, "not one strict JSON value");
	edit_fails(path, "", -EINVAL, "not one strict JSON value");
	/* deeper than any spec */
	huge = malloc(n + 1);
	ASSERT_TRUE(huge != NULL);
	memset(huge, '[', 1000);
	huge[1000] = '\0';
	edit_fails(path, huge, -EINVAL, "not one strict JSON value");
	/* larger than 16 MiB: whitespace after a valid value */
	memcpy(huge, ENGINE_SPEC, strlen(ENGINE_SPEC));
	memset(huge + strlen(ENGINE_SPEC), ' ', n - strlen(ENGINE_SPEC));
	huge[n] = '\0';
	edit_fails(path, huge, -EFBIG, "larger than 16 MiB");
	free(huge);
	/* a symlink to a spec: refused, neither it nor its target edited */
	write_text(target, ENGINE_SPEC, 0600);
	ASSERT_OK(symlink("real.json", path));
	edit_fails(path, NULL, -ELOOP, "a symbolic link");
	{
		char *s = listener_of(target);

		ASSERT_STREQ(s, "");
		free(s);
	}
	unlink(target);
	/* a fifo would block a plain open(): not a regular file */
	ASSERT_OK(mkfifo(path, 0600));
	edit_fails(path, NULL, -EINVAL, "not a regular file");
	ASSERT_EQ(files_in_dir(), 0);
	/* no such file */
	{
		char err[256];

		ASSERT_EQ(runtime_spec_edit(path, SOCK, NULL, err, sizeof(err)),
			  -ENOENT);
	}
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(args_runc_create),
		NBTEST_ENTRY(args_forms),
		NBTEST_ENTRY(args_other_commands),
		NBTEST_ENTRY(conf_parse),
		NBTEST_ENTRY(conf_errors),
		NBTEST_ENTRY(merge_engine_profile),
		NBTEST_ENTRY(merge_left_alone),
		NBTEST_ENTRY(merge_restricting_profile_left_alone),
		NBTEST_ENTRY(merge_wrong_types),
		NBTEST_ENTRY(edit_file),
		NBTEST_ENTRY(edit_hostile),
	};
	int r;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	r = nbtest_run(tests, ARRAY_SIZE(tests));
	rmdir(dir);
	return r;
}
