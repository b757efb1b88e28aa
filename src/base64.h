/* SPDX-License-Identifier: Apache-2.0 */
/*
 * base64.h - RFC 4648 base64 (the standard alphabet, padded), as etcd's
 * JSON gateway writes keys and values: Go's encoding/json marshals a
 * []byte with base64.StdEncoding.
 */
#ifndef NB_BASE64_H
#define NB_BASE64_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Characters base64_encode() writes for @n bytes, without the NUL. */
#define BASE64_LEN(n) ((((n) + 2) / 3) * 4)

/**
 * base64_encode() - @len bytes of @in as padded base64
 * @in:		the bytes
 * @len:	how many
 * @out:	where the text goes, NUL-terminated
 * @size:	its size: BASE64_LEN(@len) + 1 is enough
 *
 * Return: the text's length, or -ENOSPC (@out then holds "")
 */
ssize_t base64_encode(const void *in, size_t len, char *out, size_t size);

/**
 * base64_decode() - padded base64 text back to bytes, strictly
 * @in:		the text, @len characters (no NUL needed)
 * @len:	its length, a multiple of 4
 * @out:	where the bytes go
 * @size:	its size
 *
 * Refused with -EINVAL: a length not a multiple of 4, a character outside
 * the alphabet (whitespace and the URL-safe one included), padding
 * anywhere but at the end or more than two of it, and bits left over
 * under the padding (a second spelling of the same bytes).
 *
 * Return: the number of bytes, -EINVAL, or -ENOSPC when @size is short
 */
ssize_t base64_decode(const char *in, size_t len, uint8_t *out, size_t size);

#endif /* NB_BASE64_H */
