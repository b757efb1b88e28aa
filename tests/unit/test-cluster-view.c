// SPDX-License-Identifier: Apache-2.0
/*
 * test-cluster-view.c - the service map across nodes: the key schema, what
 * a node writes of its containers (cluster_export()), what another node
 * makes of it (cluster_view_put(), _emit()), down to the lookup an agent
 * does with it: node 2 exports, node 1 reads, node 1's agent switches a
 * connect to node 2's listener.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster-view.h"
#include "nbtest.h"
#include "servicetest.h"
#include "util.h"

#define NS_A 0x1234    /* node 2's container */
#define NS_CLIENT 0x99 /* node 1's client container */

static struct cluster_config node(const char *name, const char *v4,
				  const char *v6)
{
	struct cluster_config c;

	memset(&c, 0, sizeof(c));
	snprintf(c.prefix, sizeof(c.prefix), "nsbypass/v1/");
	snprintf(c.node, sizeof(c.node), "%s", name);
	snprintf(c.writer, sizeof(c.writer), "u1000-0badcafe");
	if (v4)
		c.node_addrs[c.n_node_addrs++] = svctest_addr(v4);
	if (v6)
		c.node_addrs[c.n_node_addrs++] = svctest_addr(v6);
	return c;
}

NBTEST(keys)
{
	struct cluster_config c = node("n2", "10.77.0.2", NULL);
	struct cluster_key k;
	char key[CLUSTER_KEY_MAX + 1];
	static const char *const bad[] = {
		"nsbypass/v1/ns/n2/w/0000000000001234/",
		"nsbypass/v1/ns/n2/w/000000000000123",
		"nsbypass/v1/ns/n2/w/00000000000012345",
		"nsbypass/v1/ns/n2/w/000000000000123A",
		"nsbypass/v1/ns/n2/w/0000000000000000",
		"nsbypass/v1/ns/n2//0000000000001234",
		"nsbypass/v1/ns//w/0000000000001234",
		"nsbypass/v1/ns/../w/0000000000001234",
		"nsbypass/v1/ns/n 2/w/0000000000001234",
		"nsbypass/v1/ns/n2/w/x/0000000000001234",
		"nsbypass/v2/ns/n2/w/0000000000001234",
		"nsbypass/v1/node/n2/w",
		"nsbypass/v1/",
		"",
	};
	int n = cluster_key_format(&c, NS_A, key, sizeof(key));

	ASSERT_EQ(n, (int)strlen(key));
	ASSERT_STREQ(key, "nsbypass/v1/ns/n2/u1000-0badcafe/0000000000001234");
	ASSERT_OK(cluster_key_parse("nsbypass/v1/", (uint8_t *)key, (size_t)n,
				    &k));
	ASSERT_STREQ(k.node, "n2");
	ASSERT_STREQ(k.writer, "u1000-0badcafe");
	ASSERT_EQ(k.netns, (uint64_t)NS_A);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (cluster_key_parse("nsbypass/v1/", (const uint8_t *)bad[i],
				      strlen(bad[i]), &k) != -EINVAL) {
			printf("# accepted: %s\n", bad[i]);
			nbtest_fail(__FILE__, __LINE__, "not refused");
		}
	/* A NUL inside a name (found by fuzz-cluster-record: the name
	 * passed as "u1", and the key was then never found again). */
	{
		static const char nul[] =
			"nsbypass/v1/ns/n2/u1\0-0badcafe/0000000000001234";

		ASSERT_EQ(cluster_key_parse("nsbypass/v1/",
					    (const uint8_t *)nul,
					    sizeof(nul) - 1, &k),
			  -EINVAL);
	}
	ASSERT_TRUE(cluster_name_ok("node-1.example_x"));
	ASSERT_TRUE(!cluster_name_ok(".."));
	ASSERT_TRUE(!cluster_name_ok("a/b"));
	ASSERT_TRUE(!cluster_name_ok(""));
}

/* Node 2's container A: 10.88.0.2 and fd88::2, five servers. */
static struct service_record container_a(void)
{
	struct service_record r;

	memset(&r, 0, sizeof(r));
	r.netns = NS_A;
	r.c2c = true;
	r.addrs[r.n_addrs++] = svctest_addr("10.88.0.2");
	r.addrs[r.n_addrs++] = svctest_addr("fd88::2");
	r.addrs[r.n_addrs++] = svctest_addr("fe80::1"); /* link-local */
	/* IPv4 wildcard, published on the host's wildcard. */
	r.entries[r.n_entries++] = svctest_entry(NS_A, "0.0.0.0", 80, false,
						 "0.0.0.0", 8080, 11);
	/* Dual stack. */
	r.entries[r.n_entries++] = svctest_entry(NS_A, "::", 81, false,
						 "::", 8081, 12);
	/* IPv6 only. */
	r.entries[r.n_entries++] = svctest_entry(NS_A, "::", 82, true,
						 "::", 8082, 13);
	/* Published on host loopback only: no other node's. */
	r.entries[r.n_entries++] = svctest_entry(NS_A, "0.0.0.0", 83, false,
						 "127.0.0.1", 8083, 14);
	/* Published on one host address. */
	r.entries[r.n_entries++] = svctest_entry(NS_A, "0.0.0.0", 84, false,
						 "10.77.0.2", 8084, 15);
	return r;
}

/* The text node 2 writes for @r. */
static int export_text(const struct cluster_config *c,
		       const struct service_record *r, char *buf, size_t size)
{
	struct service_record *x = malloc(sizeof(*x));
	int n;

	ASSERT_TRUE(x != NULL);
	n = cluster_export(c, r, x);
	if (n == 0)
		n = service_record_format(x, buf, size);
	free(x);
	return n;
}

/* Node 1's client container, as its agent knows it: c2c on. */
static struct service_map *client_map(void)
{
	struct service_map *m = service_map_new();

	ASSERT_TRUE(m != NULL);
	ASSERT_OK(service_map_set_netns(m, NS_CLIENT, NULL, 0, true));
	return m;
}

/* Node 1 reads node 2's key; its agent's map gets what node 1 sends. */
static uint64_t read_into(struct cluster_view *v, struct service_map *m,
			  const char *key, const char *text)
{
	struct service_record *r = malloc(sizeof(*r));
	char *out = malloc(SERVICE_RECORD_TEXT_MAX + 1);
	uint64_t id = 0;
	int n;

	ASSERT_TRUE(r && out);
	ASSERT_EQ(cluster_view_put(v, (const uint8_t *)key, strlen(key),
				   (const uint8_t *)text, strlen(text), &id),
		  1);
	ASSERT_TRUE(id & SERVICE_NETNS_REMOTE);
	n = cluster_view_emit(v, id, out, SERVICE_RECORD_TEXT_MAX + 1);
	ASSERT_TRUE(n > 0);
	ASSERT_OK(service_record_parse(out, (size_t)n, SERVICE_PARENT, r));
	ASSERT_EQ(r->netns, id);
	if (m)
		ASSERT_OK(
			service_record_apply(m, r, SERVICE_CLUSTER, NS_CLIENT));
	free(r);
	free(out);
	return id;
}

/* Where node 1's client of @family reaches @dst:@port: "ADDR PORT",
 * or "none". */
static const char *reach(const struct service_map *m, int family,
			 const char *dst, uint16_t port)
{
	static char out[80];
	struct sockaddr_storage d = nbtest_sockaddr(dst, port), t;
	const struct service_entry *e;
	char a[INET6_ADDRSTRLEN];
	socklen_t tl;

	if (service_map_lookup(m, NS_CLIENT, (struct sockaddr *)&d,
			       nbtest_sockaddr_len(&d), false, &e) < 0)
		return "none";
	ASSERT_EQ(e->origin, SERVICE_CLUSTER);
	if (service_map_target(e, family, false, NULL, &t, &tl) != 0)
		return "no target";
	if (t.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&t)->sin_addr, a,
			  sizeof(a));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&t)->sin6_addr, a,
			  sizeof(a));
	snprintf(out, sizeof(out), "%s %u", a,
		 ntohs(t.ss_family == AF_INET ?
			       ((struct sockaddr_in *)&t)->sin_port :
			       ((struct sockaddr_in6 *)&t)->sin6_port));
	return out;
}

NBTEST(node_to_node_end_to_end)
{
	struct cluster_config n2 = node("n2", "10.77.0.2", "fd77::2");
	struct cluster_config n1 = node("n1", "10.77.0.1", "fd77::1");
	struct service_record a = container_a();
	struct cluster_view v;
	struct service_map *m = client_map();
	char *text = malloc(SERVICE_RECORD_TEXT_MAX + 1);
	char key[CLUSTER_KEY_MAX + 1];

	ASSERT_TRUE(m && text);
	ASSERT_TRUE(export_text(&n2, &a, text, SERVICE_RECORD_TEXT_MAX + 1) >
		    0);
	/* What goes into etcd: routable addresses, node listeners. */
	ASSERT_TRUE(strstr(text, "addr 10.88.0.2\n"));
	ASSERT_TRUE(strstr(text, "addr fd88::2\n"));
	ASSERT_TRUE(!strstr(text, "fe80"));
	ASSERT_TRUE(!strstr(text, "127.0.0.1"));
	ASSERT_TRUE(!strstr(text, " 83 "));
	cluster_key_format(&n2, NS_A, key, sizeof(key));
	ASSERT_OK(cluster_view_init(&v, &n1));
	read_into(&v, m, key, text);
	ASSERT_STREQ(reach(m, AF_INET, "10.88.0.2", 80), "10.77.0.2 8080");
	ASSERT_STREQ(reach(m, AF_INET6, "fd88::2", 80), "none");
	ASSERT_STREQ(reach(m, AF_INET6, "::ffff:10.88.0.2", 80),
		     "::ffff:10.77.0.2 8080");
	ASSERT_STREQ(reach(m, AF_INET, "10.88.0.2", 81), "10.77.0.2 8081");
	ASSERT_STREQ(reach(m, AF_INET6, "fd88::2", 81), "fd77::2 8081");
	ASSERT_STREQ(reach(m, AF_INET, "10.88.0.2", 82), "none");
	ASSERT_STREQ(reach(m, AF_INET6, "fd88::2", 82), "fd77::2 8082");
	ASSERT_STREQ(reach(m, AF_INET, "10.88.0.2", 83), "none");
	ASSERT_STREQ(reach(m, AF_INET, "10.88.0.2", 84), "10.77.0.2 8084");
	/* Loopback and the client's own namespace never reach node 2. */
	ASSERT_STREQ(reach(m, AF_INET, "127.0.0.1", 80), "none");
	ASSERT_STREQ(reach(m, AF_INET, "10.88.0.3", 80), "none");
	/* Every cookie is ours and remote, none repeats. */
	for (size_t i = 0; i < m->n; i++) {
		ASSERT_TRUE(m->entries[i].listener.cookie &
			    SERVICE_NETNS_REMOTE);
		for (size_t j = 0; j < i; j++)
			ASSERT_TRUE(m->entries[i].listener.cookie !=
				    m->entries[j].listener.cookie);
	}
	/* The sweep of this host's listeners keeps them. */
	service_map_mark_begin(m);
	ASSERT_EQ(service_map_mark_end(m), 0);
	cluster_view_fini(&v);
	service_map_free(m);
	free(text);
}

NBTEST(what_is_not_exported)
{
	struct cluster_config n2 = node("n2", "10.77.0.2", NULL);
	struct service_record a = container_a(), *x = malloc(sizeof(*x));
	char text[SERVICE_RECORD_TEXT_MAX + 1];

	ASSERT_TRUE(x != NULL);
	/* Only the declared subnets: no IPv6 address left, the v4 one
	 * stays; an IPv4-only node has no IPv6 listener. */
	cidr_parse("10.88.0.0/16", &n2.subnets[n2.n_subnets++]);
	ASSERT_TRUE(export_text(&n2, &a, text, sizeof(text)) > 0);
	ASSERT_TRUE(!strstr(text, "fd88"));
	ASSERT_TRUE(!strstr(text, "fd77"));
	ASSERT_TRUE(strstr(text, "10.77.0.2 8081"));
	/* No address inside them: nothing. */
	n2.n_subnets = 0;
	cidr_parse("10.99.0.0/16", &n2.subnets[n2.n_subnets++]);
	ASSERT_EQ(cluster_export(&n2, &a, x), -ENOENT);
	/* c2c off (nsbypass.c2c=false): nothing. */
	n2.n_subnets = 0;
	a.c2c = false;
	ASSERT_EQ(cluster_export(&n2, &a, x), -ENOENT);
	/* Only a loopback-published server: nothing. */
	a = container_a();
	a.entries[0] = a.entries[3];
	a.n_entries = 1;
	ASSERT_EQ(cluster_export(&n2, &a, x), -ENOENT);
	free(x);
}

NBTEST(remote_words_checked)
{
	struct cluster_config n1 = node("n1", "10.77.0.1", NULL);
	struct cluster_view v;
	static const char key[] = "nsbypass/v1/ns/n2/w/0000000000001234";
	static const char good[] =
		"nsbypass-services 1\nnetns 0000000000001234\nc2c 1\n"
		"addr 10.88.0.2\n"
		"entry 0.0.0.0 80 0 10.77.0.2 8080 0 000000000000000b\nend\n";
	/* A listener on loopback: would aim node 1's host socket at its
	 * own loopback. */
	static const char loop[] =
		"nsbypass-services 1\nnetns 0000000000001234\nc2c 1\n"
		"addr 10.88.0.2\n"
		"entry 0.0.0.0 80 0 127.0.0.1 8080 0 000000000000000b\nend\n";
	static const char wild[] =
		"nsbypass-services 1\nnetns 0000000000001234\nc2c 1\n"
		"addr 10.88.0.2\n"
		"entry 0.0.0.0 80 0 0.0.0.0 8080 0 000000000000000b\nend\n";
	uint64_t id = 0, id2 = 0;

	ASSERT_OK(cluster_view_init(&v, &n1));
	ASSERT_EQ(cluster_view_put(&v, (const uint8_t *)key, strlen(key),
				   (const uint8_t *)good, strlen(good), &id),
		  1);
	/* The same again: no change, the same id. */
	ASSERT_EQ(cluster_view_put(&v, (const uint8_t *)key, strlen(key),
				   (const uint8_t *)good, strlen(good), &id2),
		  0);
	/* Replaced by a bad value: refused, and the old one withdrawn. */
	ASSERT_EQ(cluster_view_put(&v, (const uint8_t *)key, strlen(key),
				   (const uint8_t *)loop, strlen(loop), &id2),
		  -EINVAL);
	ASSERT_EQ(id2, id);
	ASSERT_EQ(v.n_remote, 0);
	ASSERT_EQ(cluster_view_put(&v, (const uint8_t *)key, strlen(key),
				   (const uint8_t *)wild, strlen(wild), &id2),
		  -EINVAL);
	ASSERT_EQ(cluster_view_put(&v, (const uint8_t *)key, strlen(key),
				   (const uint8_t *)"x", 1, &id2),
		  -EINVAL);
	/* Our own key is not remote. */
	{
		static const char own[] =
			"nsbypass/v1/ns/n1/u1000-0badcafe/0000000000001234";

		ASSERT_EQ(cluster_view_put(&v, (const uint8_t *)own,
					   strlen(own), (const uint8_t *)good,
					   strlen(good), &id2),
			  0);
		ASSERT_EQ(v.n_remote, 0);
	}
	/* Delete, and a fresh read that no longer has a key. */
	ASSERT_EQ(cluster_view_put(&v, (const uint8_t *)key, strlen(key),
				   (const uint8_t *)good, strlen(good), &id),
		  1);
	ASSERT_EQ(cluster_view_delete(&v, (const uint8_t *)key, strlen(key)),
		  id);
	ASSERT_EQ(cluster_view_delete(&v, (const uint8_t *)key, strlen(key)),
		  0);
	cluster_view_fini(&v);
}

static int gone_count;
static void count_gone(uint64_t id, void *opaque)
{
	(void)id;
	(void)opaque;
	gone_count++;
}

NBTEST(collisions)
{
	struct cluster_config n1 = node("n1", "10.77.0.1", NULL);
	struct cluster_view v;
	struct service_map *m = client_map();
	static const char rec[] =
		"nsbypass-services 1\nnetns 0000000000001234\nc2c 1\n"
		"addr 10.88.0.2\naddr 10.88.0.9\n"
		"entry 0.0.0.0 80 0 10.77.0.%d 8080 0 000000000000000b\nend\n";
	char text[512], out[1024];
	struct service_addr mine = svctest_addr("10.88.0.2");
	uint64_t id2, id3;

	ASSERT_TRUE(m != NULL);
	ASSERT_OK(cluster_view_init(&v, &n1));
	snprintf(text, sizeof(text), rec, 2);
	id2 = read_into(&v, m, "nsbypass/v1/ns/n2/w/0000000000001234", text);
	snprintf(text, sizeof(text), rec, 3);
	id3 = read_into(&v, m, "nsbypass/v1/ns/n3/w/0000000000001234", text);
	ASSERT_TRUE(id2 != id3);
	/* Two remote namespaces claim them: no guess. */
	ASSERT_STREQ(reach(m, AF_INET, "10.88.0.9", 80), "none");
	/* A local container has 10.88.0.2: the remote ones lose it. */
	ASSERT_TRUE(cluster_view_set_local(&v, 0x77, &mine, 1));
	ASSERT_TRUE(cluster_view_emit(&v, id2, out, sizeof(out)) > 0);
	ASSERT_TRUE(!strstr(out, "addr 10.88.0.2\n"));
	ASSERT_TRUE(strstr(out, "addr 10.88.0.9\n"));
	/* It ends: theirs again. */
	ASSERT_TRUE(cluster_view_set_local(&v, 0x77, NULL, 0));
	ASSERT_TRUE(cluster_view_emit(&v, id2, out, sizeof(out)) > 0);
	ASSERT_TRUE(strstr(out, "addr 10.88.0.2\n"));
	/* A fresh read that sees only n3's key drops n2's. */
	cluster_view_mark_begin(&v);
	{
		static const char k3[] = "nsbypass/v1/ns/n3/w/0000000000001234";
		uint64_t id;

		snprintf(text, sizeof(text), rec, 3);
		ASSERT_EQ(cluster_view_put(&v, (const uint8_t *)k3, strlen(k3),
					   (const uint8_t *)text, strlen(text),
					   &id),
			  0);
	}
	cluster_view_mark_end(&v, count_gone, NULL);
	ASSERT_EQ(gone_count, 1);
	ASSERT_EQ(v.n_remote, 1);
	ASSERT_EQ(cluster_view_id(&v, 0), id3);
	cluster_view_fini(&v);
	service_map_free(m);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(keys),
		NBTEST_ENTRY(node_to_node_end_to_end),
		NBTEST_ENTRY(what_is_not_exported),
		NBTEST_ENTRY(remote_words_checked),
		NBTEST_ENTRY(collisions),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
