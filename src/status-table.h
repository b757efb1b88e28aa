/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status-table.h - `nsbypass status` as a table: the JSON of `nsbypass
 * oci`'s `GET /status` (agent-report.h), one row per container.
 */
#ifndef NB_STATUS_TABLE_H
#define NB_STATUS_TABLE_H

#include <stddef.h>

/* The part of a container id a row shows, as `docker ps` does. */
#define STATUS_TABLE_ID 12

/**
 * status_table() - the table of a status JSON text
 * @json:	the text (@len bytes), as the daemon sent it
 * @len:	its length
 * @err:	what is wrong with it, when it is not a status
 * @errlen:	room in @err
 *
 * Columns aligned, a header line first; a value not known is "-".
 * Return: the text (malloc'd), or NULL (@err says why)
 */
char *status_table(const char *json, size_t len, char *err, size_t errlen);

#endif /* NB_STATUS_TABLE_H */
