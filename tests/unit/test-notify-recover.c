// SPDX-License-Identifier: Apache-2.0
/*
 * test-notify-recover.c - the journal of notifications in flight
 * (notify-journal.h) and its recovery after an agent dies, on a real
 * filter (docs/design.md §6.6).
 *
 * A "container" child loads `nsbypass run`'s filter and passes its notify
 * fd back; four of its threads then make trapped listen() calls whose
 * backlog says what each is for.  A first "agent" process, with a copy of
 * the fd and the shared memory of agent-shm.h, answers one (H_ANSWERED),
 * holds two (H_PLAIN, H_EPERM), installs a socket at FD_INSTALLED for the
 * third with notify_addfd_journaled() (H_INSTALLED) and holds it too,
 * then kills itself.  This process then starts notify.c on the same fd
 * and memory, as the daemon's next agent: the recovery callback must get
 * exactly the three held notifications, with their data and, for the
 * installed one, the cookie, fd number and answer written down; the
 * container's threads must get the answers given after the crash.  For
 * a container in the agent's own network namespace (continue_all) the
 * call left over continues: it runs, never redone by the recovery.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "agent-shm.h"
#include "filtered-child.h"
#include "nbtest.h"
#include "notify-journal.h"
#include "notify.h"
#include "sockinfo.h"
#include "util.h"

enum { H_ANSWERED = 2001, H_PLAIN, H_EPERM, H_INSTALLED };
#define FD_INSTALLED 120

/* ---- the container */

static void *call_listen(void *arg)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	long backlog = (long)arg, r;

	r = syscall(SYS_listen, s, (int)backlog);
	return (void *)(r < 0 ? (long)-errno : r);
}

/* Each thread's result against what the agents answered: the exit
 * status says. */
static void container_script(void)
{
	static const long want[] = { 0, 0, -EPERM, -EINPROGRESS };
	pthread_t th[4];
	int bad = 0;

	for (long i = 0; i < 4; i++)
		if (pthread_create(&th[i], NULL, call_listen,
				   (void *)(H_ANSWERED + i)) != 0)
			_exit(3);
	for (int i = 0; i < 4; i++) {
		void *r;

		pthread_join(th[i], &r);
		if ((long)r != want[i]) {
			printf("# thread %d: %ld, want %ld\n", i, (long)r,
			       want[i]);
			bad = 1;
		}
	}
	/* The installed socket is at its number. */
	if (sockinfo_cookie(FD_INSTALLED) == 0) {
		printf("# nothing installed at %d\n", FD_INSTALLED);
		bad = 1;
	}
	fflush(stdout);
	_exit(bad ? 4 : 0);
}

/* ---- the first agent: answers one, holds three, dies */

static struct {
	uv_loop_t loop;
	struct notify n;
	int held;
	bool answered;
	int sock; /* what it installs */
} first;

static int first_handler(void *ctx, const struct seccomp_notif *req)
{
	if (req->data.nr != SYS_listen)
		return HANDLER_CONTINUE;
	switch (req->data.args[1]) {
	case H_ANSWERED:
		/* Answered here, so that the death below comes after. */
		if (notify_answer(&first.n, req->id, 0, 0) < 0)
			_exit(8);
		first.answered = true;
		break;
	case H_INSTALLED:
		if (notify_addfd_journaled(&first.n, req->id, first.sock,
					   FD_INSTALLED, true,
					   sockinfo_cookie(first.sock),
					   -EINPROGRESS) < 0)
			_exit(5);
		break;
	default:
		break;
	}
	first.held += req->data.args[1] != H_ANSWERED;
	if (first.held == 3 && first.answered)
		raise(SIGKILL); /* with three unanswered */
	return HANDLER_DONE;
}

static __attribute__((noreturn)) void first_agent(int nfd, int shm_fd,
						  notify_handler_cb handler)
{
	static const struct notify_store store_init;
	struct notify_store store = store_init;
	struct agent_shm *shm;

	/* Mapped here, as an agent does: the daemon's mapping is not
	 * inherited (MADV_DONTFORK). */
	if (agent_shm_map(shm_fd, &shm) < 0)
		_exit(9);

	first.sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	store.slots = shm->slots;
	store.counters = &shm->c;
	if (uv_loop_init(&first.loop) < 0 ||
	    notify_start_stored(&first.n, &first.loop, nfd, handler, NULL, NULL,
				&store) < 0)
		_exit(6);
	uv_run(&first.loop, UV_RUN_DEFAULT);
	_exit(7); /* not reached: the handler kills us */
}

/* ---- the next agent: this process */

static struct {
	uv_loop_t loop;
	struct notify n;
	int recovered, new_calls;
	uint64_t args1[3];
	bool installed_seen;
} next;

static int next_recover(void *ctx, const struct agent_slot *slot)
{
	const struct seccomp_notif *req = &slot->u.notif;

	next.recovered++;
	if (req->data.nr != SYS_listen)
		return -ENOSYS;
	switch (req->data.args[1]) {
	case H_PLAIN:
		return slot->installed_cookie ? -EBADMSG : 0;
	case H_EPERM:
		return -EPERM;
	case H_INSTALLED:
		next.installed_seen = slot->installed_cookie != 0 &&
				      slot->installed_fd == FD_INSTALLED;
		return slot->answer;
	default:
		return -EBADMSG; /* H_ANSWERED was answered: never here */
	}
}

static int next_handler(void *ctx, const struct seccomp_notif *req)
{
	next.new_calls++;
	return HANDLER_CONTINUE;
}

static void on_next_hup(struct notify *n)
{
	notify_stop(n);
}

NBTEST(a_new_agent_answers_what_the_dead_one_left)
{
	struct notify_store store = { 0 };
	struct agent_shm *shm;
	int nfd = -1, shm_fd, status;
	pid_t container, agent;

	shm_fd = agent_shm_create(&shm);
	ASSERT_OK(shm_fd);
	container = nbtest_filtered_child(container_script, &nfd);

	agent = fork();
	ASSERT_OK(agent);
	if (agent == 0)
		first_agent(nfd, shm_fd, first_handler);
	ASSERT_EQ(waitpid(agent, &status, 0), agent);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* Three slots in use, one freed by its answer; the counters were
	 * the shared ones. */
	ASSERT_EQ(shm->c.notify.received, 4);
	ASSERT_EQ(shm->c.notify.answered, 1);

	/* We held our copy of the fd all along: the three are pending. */
	store.slots = shm->slots;
	store.counters = &shm->c;
	store.recover = next_recover;
	store.predecessor = true;
	ASSERT_OK(uv_loop_init(&next.loop));
	ASSERT_OK(notify_start_stored(&next.n, &next.loop, nfd, next_handler,
				      NULL, on_next_hup, &store));
	ASSERT_EQ(next.n.journal.n_left, 3);
	uv_run(&next.loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&next.loop));

	ASSERT_EQ(waitpid(container, &status, 0), container);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_EQ(next.recovered, 3);
	ASSERT_TRUE(next.installed_seen);
	ASSERT_EQ(shm->c.notify.received, 7);
	ASSERT_EQ(shm->c.notify.answered, 4);
	ASSERT_EQ(shm->c.errors[EPERM], 1);
	ASSERT_EQ(shm->c.errors[EINPROGRESS], 1);
	/* Every slot free again. */
	for (unsigned int i = 0; i < AGENT_JOURNAL_SLOTS; i++)
		ASSERT_EQ(shm->slots[i].u.notif.id, 0);
	agent_shm_unmap(shm);
	close(shm_fd);
}

NBTEST(slots_are_taken_found_and_freed)
{
	struct notify_journal j;
	struct agent_slot *a, *b, *c;

	ASSERT_OK(notify_journal_init(&j, NULL, false));
	ASSERT_EQ(j.n_left, 0);
	ASSERT_EQ(j.n_free, AGENT_JOURNAL_SLOTS);
	a = notify_journal_take(&j);
	b = notify_journal_take(&j);
	c = notify_journal_take(&j);
	ASSERT_TRUE(a == &j.slots[0] && b == &j.slots[1] && c == &j.slots[2]);
	a->u.notif.id = 11;
	b->u.notif.id = 12;
	c->u.notif.id = 13;
	ASSERT_TRUE(notify_journal_find(&j, 12) == b);
	ASSERT_TRUE(notify_journal_find(&j, 14) == NULL);
	notify_journal_release(&j, b);
	ASSERT_EQ(b->u.notif.id, 0);
	ASSERT_TRUE(notify_journal_find(&j, 12) == NULL);
	ASSERT_TRUE(notify_journal_find(&j, 13) == c);
	ASSERT_TRUE(notify_journal_find(&j, 11) == a);
	/* The freed slot is the next one taken, zeroed. */
	c->installed_cookie = 99;
	notify_journal_release(&j, c);
	ASSERT_EQ(c->installed_cookie, 0);
	ASSERT_TRUE(notify_journal_take(&j) == c);
	/* Every slot in use: none more. */
	while (notify_journal_take(&j))
		;
	ASSERT_EQ(j.n_used, AGENT_JOURNAL_SLOTS);
	notify_journal_fini(&j);
}

NBTEST(slots_in_use_are_left_for_recovery)
{
	static struct agent_slot slots[AGENT_JOURNAL_SLOTS];
	struct notify_journal j;
	struct agent_slot *s;

	slots[5].u.notif.id = 55;
	slots[700].u.notif.id = 77;
	/* Not read without a predecessor: all free (a first agent). */
	ASSERT_OK(notify_journal_init(&j, slots, false));
	ASSERT_EQ(j.n_left, 0);
	ASSERT_EQ(j.n_free, AGENT_JOURNAL_SLOTS);
	notify_journal_fini(&j);
	ASSERT_OK(notify_journal_init(&j, slots, true));
	ASSERT_EQ(j.n_left, 2);
	ASSERT_EQ(j.n_free, AGENT_JOURNAL_SLOTS - 2);
	ASSERT_TRUE(notify_journal_find(&j, 77) == &slots[700]);
	/* Never handed out while in use. */
	for (unsigned int i = 0; i < AGENT_JOURNAL_SLOTS - 2; i++) {
		s = notify_journal_take(&j);
		ASSERT_TRUE(s && s != &slots[5] && s != &slots[700]);
	}
	ASSERT_TRUE(notify_journal_take(&j) == NULL);
	notify_journal_release(&j, &slots[5]);
	ASSERT_TRUE(notify_journal_take(&j) == &slots[5]);
	notify_journal_fini(&j);
	/* Shared slots stay: a successor may need them. */
	ASSERT_EQ(slots[700].u.notif.id, 77);
}

NBTEST(the_shared_memory_is_checked)
{
	struct agent_shm *shm, *again;
	int fd = agent_shm_create(&shm), bad;

	ASSERT_OK(fd);
	ASSERT_OK(agent_shm_map(fd, &again));
	ASSERT_TRUE(again->magic == AGENT_SHM_MAGIC);
	/* One mapping's write is the other's. */
	shm->c.agent.switched = 3;
	ASSERT_EQ(agent_shm_read(&again->c.agent.switched), 3);
	agent_shm_unmap(again);
	/* Not inherited by a fork (the daemon's mappings of every
	 * container, in every agent): a child's access faults. */
	{
		int status;
		pid_t child = fork();

		ASSERT_OK(child);
		if (child == 0)
			_exit((int)agent_shm_read(&shm->c.agent.switched));
		ASSERT_EQ(waitpid(child, &status, 0), child);
		/* SIGSEGV; a sanitizer build reports it and exits 1: never
		 * the 3 it would read. */
		ASSERT_TRUE(WIFSIGNALED(status) ||
			    (WIFEXITED(status) && WEXITSTATUS(status) != 3));
	}
	/* Its size is sealed. */
	ASSERT_TRUE(ftruncate(fd, 4096) < 0 && errno == EPERM);
	/* Another version: refused. */
	shm->version++;
	ASSERT_EQ(agent_shm_map(fd, &again), -EPROTO);
	agent_shm_unmap(shm);
	close(fd);
	/* Not a sealed memfd of the size: refused. */
	bad = memfd_create("x", MFD_CLOEXEC);
	ASSERT_OK(bad);
	ASSERT_OK(ftruncate(bad, sizeof(struct agent_shm)));
	ASSERT_EQ(agent_shm_map(bad, &again), -EPROTO);
	close(bad);
}

/* ---- a container in the agent's own network (continue_all) */

/* One listen() whose recovery the agent must let run: 0, never the
 * EPERM the recovery callback would give. */
static void shared_net_script(void)
{
	long r = (long)call_listen((void *)H_EPERM);

	if (r != 0)
		printf("# listen: %ld, want 0 (it ran)\n", r);
	fflush(stdout);
	_exit(r != 0 ? 4 : 0);
}

/* Holds the first call unanswered and dies. */
static int holding_handler(void *ctx, const struct seccomp_notif *req)
{
	if (req->data.nr == SYS_listen)
		raise(SIGKILL);
	return HANDLER_CONTINUE;
}

NBTEST(recovery_in_our_own_network_continues)
{
	struct notify_store store = { 0 };
	struct agent_shm *shm;
	int nfd = -1, shm_fd, status;
	pid_t container, agent;

	shm_fd = agent_shm_create(&shm);
	ASSERT_OK(shm_fd);
	container = nbtest_filtered_child(shared_net_script, &nfd);
	agent = fork();
	ASSERT_OK(agent);
	if (agent == 0)
		first_agent(nfd, shm_fd, holding_handler);
	ASSERT_EQ(waitpid(agent, &status, 0), agent);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	memset(&next, 0, sizeof(next));
	store.slots = shm->slots;
	store.counters = &shm->c;
	store.recover = next_recover;
	store.predecessor = true;
	ASSERT_OK(uv_loop_init(&next.loop));
	ASSERT_OK(notify_start_stored(&next.n, &next.loop, nfd, next_handler,
				      NULL, on_next_hup, &store));
	ASSERT_EQ(next.n.journal.n_left, 1);
	/* As agent_start() does for a container in the host's network. */
	next.n.continue_all = true;
	uv_run(&next.loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&next.loop));

	ASSERT_EQ(waitpid(container, &status, 0), container);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	/* Neither redone nor handled: continued. */
	ASSERT_EQ(next.recovered, 0);
	ASSERT_EQ(next.new_calls, 0);
	ASSERT_EQ(shm->c.errors[EPERM], 0);
	for (unsigned int i = 0; i < AGENT_JOURNAL_SLOTS; i++)
		ASSERT_EQ(shm->slots[i].u.notif.id, 0);
	agent_shm_unmap(shm);
	close(shm_fd);
}

int main(void)
{
	static const struct nbtest tests[] = {
		NBTEST_ENTRY(slots_are_taken_found_and_freed),
		NBTEST_ENTRY(slots_in_use_are_left_for_recovery),
		NBTEST_ENTRY(the_shared_memory_is_checked),
		NBTEST_ENTRY(a_new_agent_answers_what_the_dead_one_left),
		NBTEST_ENTRY(recovery_in_our_own_network_continues),
	};

	return nbtest_run(tests, ARRAY_SIZE(tests));
}
