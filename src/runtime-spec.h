/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runtime-spec.h - give the seccomp section of an OCI bundle's spec
 * (config.json's linux.seccomp, as an engine wrote it) to a listenerPath
 * agent, for `nsbypass runtime`: the notified calls merged in as
 * `nsbypass profile` merges them into a base profile (profile.h), and
 * listenerPath / listenerMetadata set.  The engine's rules and default
 * action stay; only the notified names leave its rules.
 */
#ifndef NB_RUNTIME_SPEC_H
#define NB_RUNTIME_SPEC_H

#include <json-c/json.h>
#include <stddef.h>

/* The largest config.json read (real ones are tens of KiB). */
#define RUNTIME_SPEC_MAX (16 << 20)

/* What runtime_spec_merge() and runtime_spec_edit() did. */
enum runtime_spec_result {
	RUNTIME_SPEC_EDITED,	   /* the section now notifies the listener */
	RUNTIME_SPEC_NO_SECCOMP,   /* no linux.seccomp (unconfined): as is */
	RUNTIME_SPEC_HAS_LISTENER, /* a listenerPath already: as is */
	RUNTIME_SPEC_RESTRICTED,   /* it limits a trapped call: as is */
};

/**
 * runtime_spec_merge() - merge the notified calls into @spec's seccomp
 * @spec:	the parsed config.json
 * @listener:	listenerPath, absolute
 * @metadata:	listenerMetadata, or NULL for none
 * @err:	on -EINVAL, one line saying what is wrong; on
 *		RUNTIME_SPEC_RESTRICTED, which rule restricts what
 * @errlen:	size of @err
 *
 * @spec must be an object; "linux" and "linux.seccomp", when present and
 * not null, objects; the section's "syscalls" as profile_check() wants
 * them; "listenerPath", when present and not null, a string.  Without a
 * section nothing is added (the user asked for no filter); with a
 * non-empty listenerPath the section is left to that listener; a section
 * that denies or limits a trapped call (profile_restricts_traps(): a
 * hardened --security-opt seccomp=..., a Kubernetes profile) is left as
 * it is, @err saying why: notifying those calls would let through what
 * it denies.  Our rules
 * carry no "comment" (it is not a runtime-spec field).
 *
 * Return: an enum runtime_spec_result, or -EINVAL / -ENOMEM
 */
int runtime_spec_merge(json_object *spec, const char *listener,
		       const char *metadata, char *err, size_t errlen);

/**
 * runtime_spec_edit() - runtime_spec_merge() on the file @path, in place
 * @path:	the bundle's config.json
 * @listener:	as for runtime_spec_merge()
 * @metadata:	as for runtime_spec_merge()
 * @err:	on failure, one line saying what is wrong
 * @errlen:	size of @err
 *
 * @path must be a regular file (not a symlink), at most RUNTIME_SPEC_MAX
 * bytes of strict JSON.  When edited, the new text goes to a temporary
 * file beside it, with its mode and owner, which is renamed over it: the
 * runtime sees the old spec or the new one, never a part.
 *
 * Return: an enum runtime_spec_result, or -errno
 */
int runtime_spec_edit(const char *path, const char *listener,
		      const char *metadata, char *err, size_t errlen);

#endif /* NB_RUNTIME_SPEC_H */
