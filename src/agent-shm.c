// SPDX-License-Identifier: Apache-2.0
/*
 * agent-shm.c - make and map the memory an agent shares with its daemon
 * (agent-shm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-shm.h"
#include "util.h"

_Static_assert(sizeof(struct seccomp_notif) <= AGENT_SLOT_NOTIF_MAX,
	       "a journal slot holds a seccomp_notif");
_Static_assert(offsetof(struct agent_slot, u.notif.id) == 0,
	       "a slot's id is its first field");

/*
 * The daemon maps every container's memory and forks every agent: an
 * agent must not inherit the others' (it could write their counters and
 * journals), nor a helper an agent forks its own.
 */
static void not_inherited(struct agent_shm *shm)
{
	(void)madvise(shm, sizeof(*shm), MADV_DONTFORK);
}

int agent_shm_create(struct agent_shm **ret)
{
	_cleanup_close_ int fd = -1;
	struct agent_shm *shm;

	fd = memfd_create("nsbypass-agent", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, sizeof(*shm)) < 0)
		return -errno;
	/* Its size is fixed: neither side can make the other's mapping
	 * fault (SIGBUS past the end of a shrunk file). */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) <
	    0)
		return -errno;
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   0);
	if (shm == MAP_FAILED)
		return -errno;
	not_inherited(shm);
	shm->magic = AGENT_SHM_MAGIC;
	shm->version = AGENT_SHM_VERSION;
	shm->size = sizeof(*shm);
	shm->n_slots = AGENT_JOURNAL_SLOTS;
	*ret = shm;
	return take_fd(&fd);
}

int agent_shm_map(int fd, struct agent_shm **ret)
{
	struct agent_shm *shm;
	struct stat st;
	int seals;

	if (fstat(fd, &st) < 0)
		return -errno;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return -errno;
	if (st.st_size != (off_t)sizeof(*shm) ||
	    (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) !=
		    (F_SEAL_SHRINK | F_SEAL_GROW))
		return -EPROTO;
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   0);
	if (shm == MAP_FAILED)
		return -errno;
	not_inherited(shm);
	if (shm->magic != AGENT_SHM_MAGIC ||
	    shm->version != AGENT_SHM_VERSION || shm->size != sizeof(*shm) ||
	    shm->n_slots != AGENT_JOURNAL_SLOTS) {
		munmap(shm, sizeof(*shm));
		return -EPROTO;
	}
	*ret = shm;
	return 0;
}

void agent_shm_unmap(struct agent_shm *shm)
{
	if (shm)
		munmap(shm, sizeof(*shm));
}
