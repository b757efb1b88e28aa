// SPDX-License-Identifier: Apache-2.0
/*
 * base64.c - RFC 4648 base64, standard alphabet, padded (see base64.h).
 *
 * The decoder reads what another node wrote into etcd, so it takes one
 * spelling only: no whitespace, no missing padding, no stray bits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "base64.h"

/* The 64 digits, then the padding character. */
static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

ssize_t base64_encode(const void *in, size_t len, char *out, size_t size)
{
	const uint8_t *p = in;
	size_t o = 0;

	if (size == 0)
		return -ENOSPC;
	if (len > (SIZE_MAX - 1) / 4 * 3 - 2 || BASE64_LEN(len) >= size) {
		out[0] = '\0';
		return -ENOSPC;
	}
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[left > 1 ? v >> 6 & 63 : 64];
		out[o++] = alphabet[left > 2 ? v & 63 : 64];
	}
	out[o] = '\0';
	return (ssize_t)o;
}

/* The value of one character of the alphabet, or -1. */
static int value_of(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

ssize_t base64_decode(const char *in, size_t len, uint8_t *out, size_t size)
{
	size_t pad = 0, n, o = 0;

	if (len % 4)
		return -EINVAL;
	if (len && in[len - 1] == '=')
		pad = len >= 2 && in[len - 2] == '=' ? 2 : 1;
	n = len / 4 * 3 - pad;
	if (n > size)
		return -ENOSPC;
	for (size_t i = 0; i < len; i += 4) {
		bool last = i + 4 == len;
		uint32_t v = 0;

		for (size_t k = 0; k < 4; k++) {
			int d;

			if (last && k >= 4 - pad) {
				v <<= 6;
				continue;
			}
			d = value_of(in[i + k]);
			if (d < 0)
				return -EINVAL; /* '=' inside included */
			v = v << 6 | (uint32_t)d;
		}
		/* The bits under the padding must be zero. */
		if (last &&
		    ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff))))
			return -EINVAL;
		out[o++] = (uint8_t)(v >> 16);
		if (!last || pad < 2)
			out[o++] = (uint8_t)(v >> 8);
		if (!last || pad < 1)
			out[o++] = (uint8_t)v;
	}
	return (ssize_t)o;
}
