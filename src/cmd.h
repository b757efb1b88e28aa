/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd.h - the subcommands of the nsbypass CLI, one per cmd-*.c file, as
 * main.c dispatches to them.  What their command lines share is cli.h's.
 */
#ifndef NB_CMD_H
#define NB_CMD_H

/**
 * nb_cmd_run() - `nsbypass run [OPTIONS] -- CMD [ARGS]`
 * Return: the process exit status
 */
int nb_cmd_run(int argc, char **argv);

/**
 * nb_cmd_slirp4netns() - `nsbypass slirp4netns [OPTIONS] PID|PATH [TAP]`,
 * also what a symlink named "slirp4netns" runs: a drop-in for slirp4netns
 * Return: the process exit status
 */
int nb_cmd_slirp4netns(int argc, char **argv);

/**
 * nb_cmd_profile() - `nsbypass profile --listener PATH [--metadata STR]
 * [--base FILE]`: print a seccomp profile for a listenerPath agent
 * Return: the process exit status
 */
int nb_cmd_profile(int argc, char **argv);

/**
 * nb_cmd_oci() - `nsbypass oci --listen PATH [OPTIONS]`: the OCI seccomp
 * listenerPath daemon
 * Return: the process exit status
 */
int nb_cmd_oci(int argc, char **argv);

/**
 * nb_cmd_daemon() - `nsbypass daemon [--socket PATH]`: bypass4netnsd's
 * REST API, starting `nsbypass oci` per container
 * Return: the process exit status
 */
int nb_cmd_daemon(int argc, char **argv);

/**
 * nb_cmd_runtime() - `nsbypass runtime [OPTIONS] [--] RUNTIME-ARGS`: an
 * OCI runtime wrapper that gives each created container's seccomp filter
 * to the listenerPath agent, then runs runc or crun; also what a symlink
 * named "nsbypass-runtime" or "nsbypass-runtime-NAME" runs (argv[0] not
 * "runtime": every argument is the runtime's; NAME: the runtime)
 * Return: the process exit status (the runtime's, once it is exec'd)
 */
int nb_cmd_runtime(int argc, char **argv);

/**
 * nb_cmd_status() - `nsbypass status [--socket PATH] [--json]`: the
 * containers the running `nsbypass oci` serves, from its control socket
 * Return: the process exit status
 */
int nb_cmd_status(int argc, char **argv);

#endif /* NB_CMD_H */
