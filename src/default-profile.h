/* SPDX-License-Identifier: Apache-2.0 */
/*
 * default-profile.h - the built-in base seccomp profile of `nsbypass
 * profile`: what a normal container may call, with the semantics of the
 * container engines' default profile (podman's containers-common
 * seccomp.json, Docker's default.json).
 *
 * Every call outside these rules fails with EPERM (defaultErrnoRet 1, as
 * Docker's profile does).  The tables keep the engines' conditional
 * rules that apply to x86_64 and aarch64 hosts: the ones that depend on
 * the host's architecture ("includes": {"arches"}) and on the container's
 * capabilities ("includes"/"excludes": {"caps"}), which podman and Docker
 * evaluate when they turn the profile into the runtime's config.  Their
 * EPERM-without-the-capability twins are left out: EPERM is the default.
 */
#ifndef NB_DEFAULT_PROFILE_H
#define NB_DEFAULT_PROFILE_H

#include <stddef.h>
#include <stdint.h>

/** default_allow - names allowed unconditionally, @default_allow_len */
extern const char *const default_allow[];
extern const size_t default_allow_len;

/* One argument comparison, as in the profile's "args". */
struct default_arg {
	unsigned int index;
	uint64_t value;
	const char *op; /* "SCMP_CMP_EQ", ... */
};

/*
 * A conditional rule.  Arrays end at the first NULL (or at nargs);
 * errno_ret is used when @action is SCMP_ACT_ERRNO.
 */
struct default_rule {
	const char *names[9];
	const char *action;
	int errno_ret;
	struct default_arg args[2];
	unsigned int nargs;
	const char *arches[4]; /* "includes": {"arches"} */
	const char *caps;      /* "includes": {"caps"} */
	const char *not_caps;  /* "excludes": {"caps"} */
};

/** default_rules - the conditional rules, @default_rules_len */
extern const struct default_rule default_rules[];
extern const size_t default_rules_len;

/* The profile's default action and its errno (EPERM). */
#define DEFAULT_ACTION "SCMP_ACT_ERRNO"
#define DEFAULT_ERRNO_RET 1

#endif /* NB_DEFAULT_PROFILE_H */
