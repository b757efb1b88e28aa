// SPDX-License-Identifier: Apache-2.0
/*
 * test-oci-services.c - `nsbypass oci`'s daemon side of the service map:
 * the test plays the agents on real SOCK_SEQPACKET pairs.  Pod-mates'
 * records merge (union, c2c off if one opted out), every agent hears of
 * every change, the end of the last agent of a namespace withdraws it, a
 * garbled or oversized message changes nothing, and an agent that does
 * not read never blocks the daemon: it gets a full resend later, after
 * which it knows exactly what the others do.  The etcd client of
 * --cluster is one more peer: its remote records reach every agent and
 * never come back to it, an agent cannot pass for it, and its end
 * withdraws them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "cluster-view.h"
#include "nbtest.h"
#include "oci-services.h"
#include "service-record.h"
#include "servicetest.h"
#include "util.h"

#define NS_A 0xa1
#define NS_B 0xb2

static uv_loop_t loop;
static struct oci_services svc;
static char text[SERVICE_RECORD_TEXT_MAX + 64];

static void setup(void)
{
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(oci_services_init(&svc, &loop));
}

static void teardown(void)
{
	oci_services_close(&svc);
	uv_run(&loop, UV_RUN_DEFAULT);
	oci_services_fini(&svc);
	ASSERT_OK(uv_loop_close(&loop));
}

static void spin(void)
{
	for (int i = 0; i < 8; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
}

/* A new agent @pid: the test's end of its channel. */
static int agent(pid_t pid, int sndbuf)
{
	int sp[2];

	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp));
	if (sndbuf)
		ASSERT_OK(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
				     sizeof(sndbuf)));
	ASSERT_OK(oci_services_add(&svc, sp[0], pid));
	return sp[1];
}

/* What an agent knows from the daemon, replayed from its messages. */
struct view {
	uint64_t netns[64];
	char *text[64];
	size_t n;
	unsigned resets, withdraws, records;
};

static void view_forget(struct view *v, uint64_t netns)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->netns[i] == netns) {
			free(v->text[i]);
			v->netns[i] = v->netns[--v->n];
			v->text[i] = v->text[v->n];
			return;
		}
}

static void view_clear(struct view *v)
{
	while (v->n)
		view_forget(v, v->netns[0]);
}

/* Read every message waiting on @fd into @v; how many came. */
static int drain(int fd, struct view *v)
{
	static struct service_record r;
	int count = 0;
	ssize_t n;
	uint64_t ns;

	while ((n = recv(fd, text, sizeof(text), MSG_DONTWAIT)) > 0) {
		count++;
		if ((size_t)n == strlen(OCI_SERVICES_RESET) &&
		    memcmp(text, OCI_SERVICES_RESET, (size_t)n) == 0) {
			v->resets++;
			view_clear(v);
		} else if (oci_services_parse_withdraw(text, (size_t)n, &ns) ==
			   0) {
			v->withdraws++;
			view_forget(v, ns);
		} else {
			ASSERT_OK(service_record_parse(text, (size_t)n,
						       SERVICE_PARENT, &r));
			v->records++;
			view_forget(v, r.netns);
			ASSERT_TRUE(v->n < ARRAY_SIZE(v->netns));
			v->netns[v->n] = r.netns;
			v->text[v->n] = strndup(text, (size_t)n);
			v->n++;
		}
	}
	return count;
}

/* The record @v holds of @netns, parsed into @r; false if none. */
static bool view_get(const struct view *v, uint64_t netns,
		     struct service_record *r)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->netns[i] == netns) {
			ASSERT_OK(service_record_parse(v->text[i],
						       strlen(v->text[i]),
						       SERVICE_PARENT, r));
			return true;
		}
	return false;
}

static void send_text(int fd, const char *t, size_t len)
{
	ASSERT_EQ(send(fd, t, len, 0), (ssize_t)len);
}

/* @fd's agent reports @netns with @n entries from cookie @c0 on. */
static void report(int fd, uint64_t netns, bool c2c, const char *addr, size_t n,
		   uint64_t c0)
{
	static struct service_record r;
	int len;

	memset(&r, 0, sizeof(r));
	r.netns = netns;
	r.c2c = c2c;
	r.addrs[r.n_addrs++] = svctest_addr(addr);
	r.addrs[r.n_addrs++] = svctest_addr("fd00::100");
	for (size_t i = 0; i < n; i++)
		r.entries[r.n_entries++] =
			svctest_entry(netns, "::", (uint16_t)(8080 + i), false,
				      "::", (uint16_t)(18080 + c0 + i), c0 + i);
	len = service_record_format(&r, text, sizeof(text));
	ASSERT_TRUE(len > 0);
	send_text(fd, text, (size_t)len);
}

static void view_free(struct view *v)
{
	view_clear(v);
}

NBTEST(withdraw_message)
{
	char buf[128];
	uint64_t ns;
	int n;

	n = oci_services_format_withdraw(0xabc, buf, sizeof(buf));
	ASSERT_TRUE(n > 0);
	ASSERT_OK(oci_services_parse_withdraw(buf, (size_t)n, &ns));
	ASSERT_EQ(ns, 0xabc);
	ASSERT_EQ(oci_services_format_withdraw(1, buf, 10), -ENOSPC);
	static const char *const bad[] = {
		"nsbypass-withdraw 1\nnetns 0000000000000000\nend\n",
		"nsbypass-withdraw 1\nnetns 0000000000000ABC\nend\n",
		"nsbypass-withdraw 1\nnetns 0abc\nend\n",
		"nsbypass-withdraw 1\nnetns 0000000000000abc\nend\nx",
		"nsbypass-withdraw 2\nnetns 0000000000000abc\nend\n",
		"nsbypass-withdraw 1\nnetns 0000000000000abc\n",
		"",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ASSERT_EQ(oci_services_parse_withdraw(bad[i], strlen(bad[i]),
						      &ns),
			  -EINVAL);
}

NBTEST(pod_mates_merge_and_withdraw)
{
	static struct service_record r;
	struct view vb = { 0 };
	int a1, a2, b;

	setup();
	a1 = agent(101, 0);
	a2 = agent(102, 0);
	b = agent(103, 0);
	spin();
	/* Every new agent starts with a reset, and there is nothing else. */
	ASSERT_EQ(drain(b, &vb), 1);
	ASSERT_EQ(vb.resets, 1);
	report(a1, NS_A, true, "10.41.0.100", 2, 0x10);
	report(a2, NS_A, false, "10.41.0.100", 1, 0x20);
	report(b, NS_B, true, "10.42.0.100", 1, 0x30);
	spin();
	drain(b, &vb);
	ASSERT_TRUE(view_get(&vb, NS_A, &r));
	ASSERT_EQ(r.n_entries, 3);	      /* the union */
	ASSERT_EQ(r.n_addrs, 2);	      /* no address twice */
	ASSERT_TRUE(!r.c2c);		      /* a2 opted out */
	ASSERT_TRUE(view_get(&vb, NS_B, &r)); /* its own comes back too */
	ASSERT_EQ(r.n_entries, 1);
	ASSERT_EQ(svc.stats.received, 3);

	/* a2 ends (hung up): c2c on again, its entry gone. */
	close(a2);
	spin();
	drain(b, &vb);
	ASSERT_TRUE(view_get(&vb, NS_A, &r));
	ASSERT_EQ(r.n_entries, 2);
	ASSERT_TRUE(r.c2c);
	/* a1 is reaped before its hang-up is seen: withdrawn. */
	oci_services_remove(&svc, 101);
	oci_services_remove(&svc, 101); /* twice is fine */
	spin();
	drain(b, &vb);
	ASSERT_TRUE(!view_get(&vb, NS_A, &r));
	ASSERT_EQ(vb.withdraws, 1);
	ASSERT_EQ(svc.n_ns, 1);
	close(a1);
	close(b);
	spin();
	ASSERT_EQ(svc.n_peers, 0);
	ASSERT_EQ(svc.n_ns, 0);
	view_free(&vb);
	teardown();
}

/* An agent that says nothing new makes no traffic. */
NBTEST(same_record_not_sent_again)
{
	struct view va = { 0 }, vb = { 0 };
	int a, b;

	setup();
	a = agent(1, 0);
	b = agent(2, 0);
	report(a, NS_A, true, "10.41.0.100", 1, 1);
	spin();
	drain(a, &va);
	drain(b, &vb);
	report(a, NS_A, true, "10.41.0.100", 1, 1);
	spin();
	ASSERT_EQ(drain(b, &vb), 0);
	/* Another netns now: the old one is withdrawn first. */
	report(a, NS_B, true, "10.42.0.100", 1, 1);
	spin();
	ASSERT_EQ(drain(b, &vb), 2);
	ASSERT_EQ(vb.withdraws, 1);
	ASSERT_EQ(vb.n, 1);
	ASSERT_EQ(vb.netns[0], NS_B);
	close(a);
	close(b);
	view_free(&va);
	view_free(&vb);
	teardown();
}

NBTEST(hostile_messages_change_nothing)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"nsbypass-services 1\n",
		"nsbypass-services 1\nnetns 0000000000000000\nc2c 1\nend\n",
		"nsbypass-services 1\nnetns 00000000000000a1\nc2c 1\nend\nx",
		"nsbypass-services 1\nnetns 00000000000000a1\nc2c 2\nend\n",
		"nsbypass-withdraw 1\nnetns 00000000000000a1\nend\n",
		OCI_SERVICES_RESET,
	};
	static struct service_record r;
	static char big[SERVICE_RECORD_TEXT_MAX + 100];
	struct view vb = { 0 };
	int a, b;

	setup();
	a = agent(1, 0);
	b = agent(2, 0);
	report(a, NS_A, true, "10.41.0.100", 2, 1);
	spin();
	drain(b, &vb);
	ASSERT_TRUE(view_get(&vb, NS_A, &r));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (*bad[i])
			send_text(a, bad[i], strlen(bad[i]));
	/* A NUL inside, and a message longer than any record. */
	send_text(a, "nsbypass-services 1\n\0", 21);
	memset(big, 'x', sizeof(big));
	send_text(a, big, sizeof(big));
	spin();
	spin();
	ASSERT_EQ(svc.stats.bad, ARRAY_SIZE(bad) - 1 + 2);
	ASSERT_EQ(drain(b, &vb), 0); /* nothing changed for b */
	ASSERT_EQ(svc.n_peers, 2);   /* a is still served */
	ASSERT_EQ(svc.n_ns, 1);
	/* Its next valid record is taken. */
	report(a, NS_A, true, "10.41.0.100", 1, 1);
	spin();
	drain(b, &vb);
	ASSERT_TRUE(view_get(&vb, NS_A, &r));
	ASSERT_EQ(r.n_entries, 1);
	close(a);
	close(b);
	view_free(&vb);
	teardown();
}

/* The cluster peer (oci_services_add_cluster()). */
NBTEST(cluster_peer)
{
	static struct service_record r;
	struct view va = { 0 }, vc = { 0 };
	const uint64_t remote = SERVICE_NETNS_REMOTE | 7;
	int sp[2], a, c;
	int len;

	setup();
	a = agent(1, 0);
	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp));
	ASSERT_OK(oci_services_add_cluster(&svc, sp[0], 9));
	c = sp[1];
	report(a, NS_A, true, "10.41.0.100", 1, 1);
	spin();
	/* The cluster peer hears of local namespaces, as an agent. */
	drain(c, &vc);
	ASSERT_TRUE(view_get(&vc, NS_A, &r));
	drain(a, &va);
	/* A remote record: to the agent, not back to the cluster. */
	memset(&r, 0, sizeof(r));
	r.netns = remote;
	r.c2c = true;
	r.addrs[r.n_addrs++] = svctest_addr("10.88.0.2");
	r.entries[r.n_entries++] = svctest_entry(remote, "0.0.0.0", 80, false,
						 "10.77.0.2", 8080,
						 SERVICE_NETNS_REMOTE | 0x700);
	len = service_record_format(&r, text, sizeof(text));
	ASSERT_TRUE(len > 0);
	send_text(c, text, (size_t)len);
	spin();
	drain(a, &va);
	ASSERT_TRUE(view_get(&va, remote, &r));
	ASSERT_EQ(drain(c, &vc), 0);
	/* An agent that claims a remote id is refused, and a cluster peer
	 * that sends a local one too. */
	send_text(a, text, (size_t)len);
	report(c, NS_B, true, "10.42.0.100", 1, 5);
	spin();
	ASSERT_EQ(svc.stats.bad, 2);
	ASSERT_EQ(drain(a, &va), 0);
	/* A newcomer gets the remote records in its resend. */
	{
		struct view vn = { 0 };
		int n = agent(2, 0);

		spin();
		drain(n, &vn);
		ASSERT_TRUE(view_get(&vn, remote, &r));
		ASSERT_TRUE(view_get(&vn, NS_A, &r));
		close(n);
		view_free(&vn);
	}
	/* The cluster peer ends: its records are withdrawn from agents. */
	close(c);
	spin();
	drain(a, &va);
	ASSERT_TRUE(!view_get(&va, remote, &r));
	ASSERT_TRUE(view_get(&va, NS_A, &r));
	ASSERT_TRUE(svc.cluster == NULL);
	close(a);
	view_free(&va);
	view_free(&vc);
	teardown();
}

/* Many records for an agent that does not read: the daemon goes on (the
 * test would hang otherwise), and once the agent reads, a resend leaves
 * it with exactly what the daemon has. */
NBTEST(slow_agent_gets_a_resend)
{
	enum { N = 40 };
	static struct service_record r;
	struct view vs = { 0 }, vf = { 0 };
	int slow, fast, src[N];

	alarm(20);
	setup();
	slow = agent(1, 4096);
	fast = agent(2, 0);
	for (int i = 0; i < N; i++)
		src[i] = agent(100 + i, 0);
	spin();
	for (int i = 0; i < N; i++) {
		report(src[i], 0x1000 + (uint64_t)i, true, "10.41.0.100", 20,
		       (uint64_t)i * 100 + 1);
		spin();
		drain(fast, &vf);
		drain(src[i], &vf); /* keep them read */
	}
	for (int i = 0; i < N; i++)
		drain(src[i], &vf);
	ASSERT_TRUE(svc.stats.dropped > 0);
	/* Some agents end meanwhile. */
	for (int i = 0; i < N; i += 4)
		close(src[i]);
	spin();
	for (int k = 0; k < 200; k++) {
		drain(slow, &vs);
		spin();
	}
	drain(fast, &vf);
	ASSERT_TRUE(vs.resets >= 2);
	ASSERT_EQ(vs.n, N - N / 4);
	ASSERT_EQ(vf.n, N - N / 4);
	for (int i = 0; i < N; i++) {
		bool want = i % 4 != 0;

		ASSERT_EQ(view_get(&vs, 0x1000 + (uint64_t)i, &r), want);
		if (want)
			ASSERT_EQ(r.n_entries, 20);
	}
	for (int i = 0; i < N; i++)
		if (i % 4)
			close(src[i]);
	close(slow);
	close(fast);
	view_free(&vs);
	view_free(&vf);
	teardown();
	alarm(0);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(withdraw_message),
		NBTEST_ENTRY(pod_mates_merge_and_withdraw),
		NBTEST_ENTRY(same_record_not_sent_again),
		NBTEST_ENTRY(hostile_messages_change_nothing),
		NBTEST_ENTRY(slow_agent_gets_a_resend),
		NBTEST_ENTRY(cluster_peer),
	};

	return nbtest_run(tests, sizeof(tests) / sizeof(*tests));
}
