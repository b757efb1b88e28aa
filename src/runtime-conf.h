/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runtime-conf.h - the configuration file of `nsbypass runtime`, for an
 * engine that runs the wrapper by path with no options of ours:
 *
 *   # comment
 *   runtime = /usr/bin/crun
 *   listener = /run/user/1000/nsbypass/oci.sock
 *   metadata = ignore-bind=true
 *
 * One "key = value" a line, blanks around both trimmed; the keys are
 * runtime, listener and metadata, each at most once.
 */
#ifndef NB_RUNTIME_CONF_H
#define NB_RUNTIME_CONF_H

#include <stddef.h>

/* The file `nsbypass runtime` reads. */
#define RUNTIME_CONF_PATH "/etc/nsbypass/runtime.conf"

/* The largest configuration file read. */
#define RUNTIME_CONF_MAX 65536

/**
 * struct runtime_conf - the settings; NULL where not given (malloc()ed)
 * @runtime:	the real runtime (a path, or a name looked up in PATH)
 * @listener:	the listenerPath (absolute)
 * @metadata:	the listenerMetadata
 */
struct runtime_conf {
	char *runtime;
	char *listener;
	char *metadata;
};

/**
 * runtime_conf_parse() - read the text of a configuration file into @c
 * @text:	the text, NUL-terminated
 * @c:		zeroed, or with settings that the text's replace
 * @err:	on -EINVAL, "line N: what is wrong"
 * @errlen:	size of @err
 *
 * Return: 0, -EINVAL (a line without "=", an unknown or repeated key, an
 * empty value, a listener that is not absolute) or -ENOMEM
 */
int runtime_conf_parse(const char *text, struct runtime_conf *c, char *err,
		       size_t errlen);

/**
 * runtime_conf_load() - runtime_conf_parse() of the file @path
 * @path:	the file
 * @c:		as for runtime_conf_parse()
 * @err:	on failure other than -ENOENT, one line (with @path)
 * @errlen:	size of @err
 *
 * Return: 0, -ENOENT when there is no such file, or another -errno
 */
int runtime_conf_load(const char *path, struct runtime_conf *c, char *err,
		      size_t errlen);

/**
 * runtime_conf_free() - free @c's strings and zero it
 * @c:		the settings
 */
void runtime_conf_free(struct runtime_conf *c);

#endif /* NB_RUNTIME_CONF_H */
