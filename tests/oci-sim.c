// SPDX-License-Identifier: Apache-2.0
/*
 * oci-sim.c - a minimal OCI runtime for the tests of `nsbypass oci`.
 *
 *   oci-sim --listener PATH [--id ID] [--annotation K=V]...
 *           [--metadata STR] [--pad BYTES] [--pretty] [--chunk BYTES]
 *           [--extra-fds N] [--send-pipe] [--adopt-pid N] -- CMD [ARGS...]
 *
 * As runc does for a profile with listenerPath: connect to the listener
 * (before the filter, whose connect() would wait for the agent), install
 * nsbypass's own filter (the syscalls the profile notifies), send the
 * container process state JSON with the notify fd (SCM_RIGHTS, with the
 * first chunk; the text in --chunk-byte sendmsg() calls, 4096 by
 * default), shut down the sending side, close the fd and exec CMD.
 *
 * --pad adds an annotation of that many bytes; --pretty indents the JSON
 * as crun does.  For the listener's hostile-input tests: --extra-fds
 * sends N more fds (pipes) around seccompFd, named extra0, extra1, ...;
 * --send-pipe sends a pipe in seccompFd's place (the real notify fd is
 * closed, so CMD's trapped calls fail with ENOSYS); --adopt-pid N forges
 * an agent's adoption request (nsbypassAdopt.agentPid N, two pipes named
 * nsbypassShm and nsbypassServices), which a daemon must refuse: the
 * sender is not agent N.
 *
 * Run it as root of a user namespace (`unshare -r -n`): the filter needs
 * CAP_SYS_ADMIN there, or no_new_privs, which it sets otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "filter.h"

#define SIM_FDS_MAX 64

struct sim {
	const char *listener;
	const char *id;
	const char *metadata;
	json_object *annotations;
	size_t pad;
	size_t chunk;
	int pretty;
	int extra_fds;
	int send_pipe;
	int adopt_pid; /* --adopt-pid: a forged adoption request */
};

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "oci-sim: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void __attribute__((noreturn)) usage(const char *msg)
{
	fprintf(stderr,
		"oci-sim: %s\nusage: oci-sim --listener PATH [--id ID] "
		"[--annotation K=V]... [--metadata STR] [--pad BYTES] [--pretty] "
		"[--chunk BYTES] [--extra-fds N] [--send-pipe] [--adopt-pid N] -- CMD [ARGS...]\n",
		msg);
	exit(2);
}

static size_t parse_size(const char *s, size_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > max)
		usage("bad number");
	return (size_t)v;
}

static int parse_args(int argc, char **argv, struct sim *s)
{
	static const struct option opts[] = {
		{ "listener", required_argument, NULL, 'l' },
		{ "id", required_argument, NULL, 'i' },
		{ "annotation", required_argument, NULL, 'a' },
		{ "metadata", required_argument, NULL, 'm' },
		{ "pad", required_argument, NULL, 'p' },
		{ "pretty", no_argument, NULL, 'P' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "extra-fds", required_argument, NULL, 'e' },
		{ "send-pipe", no_argument, NULL, 's' },
		{ "adopt-pid", required_argument, NULL, 'A' },
		{ 0 },
	};
	char *eq;
	int o;

	while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (o) {
		case 'l':
			s->listener = optarg;
			break;
		case 'i':
			s->id = optarg;
			break;
		case 'm':
			s->metadata = optarg;
			break;
		case 'p':
			s->pad = parse_size(optarg, 64 << 20);
			break;
		case 'P':
			s->pretty = 1;
			break;
		case 'c':
			s->chunk = parse_size(optarg, 1 << 30);
			break;
		case 'e':
			s->extra_fds = (int)parse_size(optarg, SIM_FDS_MAX - 1);
			break;
		case 's':
			s->send_pipe = 1;
			break;
		case 'A':
			s->adopt_pid = (int)parse_size(optarg, 1 << 22);
			s->extra_fds = 2;
			break;
		case 'a':
			eq = strchr(optarg, '=');
			if (!eq)
				usage("--annotation wants K=V");
			*eq = '\0';
			json_object_object_add(s->annotations, optarg,
					       json_object_new_string(eq + 1));
			break;
		default:
			usage("bad option");
		}
	}
	if (!s->listener || optind >= argc || s->chunk == 0)
		usage("--listener and CMD are required");
	return optind;
}

/* The state, as runc's ContainerProcessState. */
static char *state_json(const struct sim *s, int n_fds, int seccomp_idx)
{
	json_object *o = json_object_new_object(), *st, *fds;
	char *pad, name[32];
	const char *text;

	fds = json_object_new_array();
	for (int i = 0, e = 0; i < n_fds; i++) {
		if (i == seccomp_idx)
			snprintf(name, sizeof(name), "seccompFd");
		else if (s->adopt_pid)
			snprintf(name, sizeof(name), "%s",
				 e++ ? "nsbypassServices" : "nsbypassShm");
		else
			snprintf(name, sizeof(name), "extra%d", e++);
		json_object_array_add(fds, json_object_new_string(name));
	}
	if (s->pad) {
		pad = malloc(s->pad + 1);
		if (!pad)
			die("malloc");
		memset(pad, 'x', s->pad);
		pad[s->pad] = '\0';
		json_object_object_add(s->annotations, "nsbypass.test.pad",
				       json_object_new_string(pad));
		free(pad);
	}
	st = json_object_new_object();
	json_object_object_add(st, "ociVersion",
			       json_object_new_string("1.0.2"));
	json_object_object_add(st, "id", json_object_new_string(s->id));
	json_object_object_add(st, "status",
			       json_object_new_string("creating"));
	json_object_object_add(st, "pid", json_object_new_int(getpid()));
	json_object_object_add(st, "bundle",
			       json_object_new_string("/nonexistent"));
	json_object_object_add(st, "annotations", s->annotations);
	json_object_object_add(o, "ociVersion",
			       json_object_new_string("1.0.2"));
	json_object_object_add(o, "fds", fds);
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	if (s->metadata)
		json_object_object_add(o, "metadata",
				       json_object_new_string(s->metadata));
	json_object_object_add(o, "state", st);
	if (s->adopt_pid) {
		json_object *a = json_object_new_object();

		json_object_object_add(a, "agentPid",
				       json_object_new_int(s->adopt_pid));
		json_object_object_add(o, "nsbypassAdopt", a);
	}
	text = json_object_to_json_string_ext(o,
					      s->pretty ?
						      JSON_C_TO_STRING_PRETTY :
						      JSON_C_TO_STRING_PLAIN);
	return strdup(text);
}

/* Send @text in chunks of @chunk bytes, the fds with the first. */
static void send_state(int sock, const char *text, size_t chunk, const int *fds,
		       int n_fds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * SIM_FDS_MAX)];
	size_t len = strlen(text), off = 0;

	while (off < len) {
		struct iovec iov = {
			.iov_base = (char *)text + off,
			.iov_len = len - off < chunk ? len - off : chunk,
		};
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct cmsghdr *cm;
		ssize_t n;

		if (off == 0 && n_fds) {
			memset(cbuf, 0, sizeof(cbuf));
			msg.msg_control = cbuf;
			msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
		}
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("sendmsg");
		}
		off += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	struct sim s = { .id = "oci-sim", .chunk = 4096 };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fds[SIM_FDS_MAX], n_fds, idx, nfd, sock, p[2], first;
	char *text;

	s.annotations = json_object_new_object();
	first = parse_args(argc, argv, &s);
	if (strlen(s.listener) >= sizeof(sun.sun_path))
		usage("listener path too long");
	strcpy(sun.sun_path, s.listener);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die("connect to the listener");
	if (geteuid() != 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("PR_SET_NO_NEW_PRIVS");
	nfd = filter_install();
	if (nfd < 0) {
		errno = -nfd;
		die("filter_install");
	}
	n_fds = 1 + s.extra_fds;
	idx = s.extra_fds / 2; /* seccompFd in the middle */
	for (int i = 0; i < n_fds; i++) {
		if (i == idx && !s.send_pipe) {
			fds[i] = nfd;
			continue;
		}
		if (pipe2(p, O_CLOEXEC) < 0)
			die("pipe2");
		close(p[1]);
		fds[i] = p[0];
	}
	text = state_json(&s, n_fds, idx);
	if (!text)
		die("json");
	send_state(sock, text, s.chunk, fds, n_fds);
	free(text);
	if (shutdown(sock, SHUT_WR) < 0)
		die("shutdown");
	close(sock);
	for (int i = 0; i < n_fds; i++)
		close(fds[i]);
	if (s.send_pipe)
		close(nfd);
	execvp(argv[first], argv + first);
	fprintf(stderr, "oci-sim: cannot run %s: %s\n", argv[first],
		strerror(errno));
	return 127;
}
