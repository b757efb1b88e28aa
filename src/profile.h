/* SPDX-License-Identifier: Apache-2.0 */
/*
 * profile.h - seccomp profiles in the podman/Docker JSON format
 * (containers-common seccomp.json) that hand nsbypass's calls to a
 * listenerPath agent.
 *
 * The profile notifies what filter_build() traps in `nsbypass run`:
 * connect(), bind() and listen() whole, setsockopt() only for the (level,
 * name) pairs of sockopt.c's sockopt_recorded table.  Nothing a runtime
 * needs for itself is notified (sendmsg, write, fcntl: runc#4328,
 * crun#1002).
 *
 * setsockopt() is split by arguments into rules that never overlap:
 * libseccomp has no precedence between rules of one syscall with
 * different actions (an argument-free ALLOW rule silently swallows the
 * NOTIFY rules, or the runtime fails with EEXIST once the x86 and x32
 * sub-architectures are in the filter), so the other pairs are allowed
 * by rules that cover exactly the complement: aligned blocks of values
 * (SCMP_CMP_MASKED_EQ with a 64-bit mask, SCMP_CMP_EQ for one value) and
 * SCMP_CMP_GT above the largest.  All comparisons are on the whole 64-bit
 * register: every libc passes the int level and name sign-extended, so
 * the pairs match exactly as filter.c's 32-bit masked ones do; a
 * hand-made call with junk in the upper halves is allowed without a
 * notification, which costs only its own option replay.
 */
#ifndef NB_PROFILE_H
#define NB_PROFILE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/**
 * profile_default() - the built-in base profile (default-profile.h):
 * defaultAction, defaultErrnoRet, archMap for x86_64 and aarch64, syscalls
 * @ret:	the new object, for json_object_put()
 *
 * Return: 0 or -ENOMEM
 */
int profile_default(json_object **ret);

/**
 * profile_parse() - parse a profile's text (strict JSON, one object)
 * @text:	the text, NUL-terminated
 * @ret:	the object, for json_object_put()
 * @err:	on failure, one line saying what is wrong
 * @errlen:	size of @err
 *
 * The top level must be an object; "syscalls", when present and not
 * null, an array of objects whose "names" is an array of strings and
 * whose "name" is a string.
 *
 * Return: 0 or -EINVAL / -ENOMEM
 */
int profile_parse(const char *text, json_object **ret, char *err,
		  size_t errlen);

/**
 * profile_check() - check what profile_parse() checks of a parsed object
 * @p:		the object (a profile, or an OCI spec's linux.seccomp)
 * @err:	on failure, one line saying what is wrong
 * @errlen:	size of @err
 *
 * Return: 0 or -EINVAL
 */
int profile_check(json_object *p, char *err, size_t errlen);

/**
 * profile_restricts_traps() - does @p deny or limit a trapped call?
 * @p:		a checked profile (or an OCI spec's linux.seccomp)
 * @why:	when it does, one phrase naming the call and the rule
 * @whylen:	size of @why
 *
 * profile_add_notify() replaces every rule of the trapped calls (connect,
 * bind, listen, setsockopt) by NOTIFY rules, and the agent lets through
 * what it does not switch: right for a profile that allows them always
 * (the engines' defaults), a weakening for one that denies them, allows
 * them only with some arguments, or leaves them to a denying default
 * action.  Callers that edit a profile the user did not hand them (the
 * runtime wrapper) leave such a profile as it is.
 *
 * Return: true if a rule naming a trapped call is not an unconditional
 * SCMP_ACT_ALLOW, or the default action is not SCMP_ACT_ALLOW and a
 * trapped call has no unconditional SCMP_ACT_ALLOW rule
 */
bool profile_restricts_traps(json_object *p, char *why, size_t whylen);

/**
 * profile_add_notify() - turn @p into a profile for the agent at @listener
 * @p:		a profile, as profile_default() or profile_parse() give it
 * @listener:	"listenerPath"
 * @metadata:	"listenerMetadata", or NULL for none (any in @p is dropped:
 *		it was meant for another listener)
 *
 * Strips the notified names (filter_notified and setsockopt) and the
 * denied ones (filter_denied: io_uring) from every rule of @p, drops the
 * rules left without a name, and puts first the SCMP_ACT_NOTIFY rules,
 * an SCMP_ACT_ERRNO rule giving io_uring ENOSYS (whatever @p allowed),
 * and the setsockopt() rules described above.
 * "listenerPath" and "listenerMetadata" go before "syscalls".
 *
 * Return: 0 or -ENOMEM
 */
int profile_add_notify(json_object *p, const char *listener,
		       const char *metadata);

/**
 * profile_to_string() - @p as pretty-printed JSON, ending in a newline
 * Return: a malloc()ed string, or NULL when out of memory
 */
char *profile_to_string(json_object *p);

#endif /* NB_PROFILE_H */
