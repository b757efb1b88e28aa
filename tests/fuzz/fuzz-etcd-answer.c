// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-etcd-answer.c - what etcd's gateway answers (etcd-msg.c): the
 * first byte picks the parser (a range answer, a watch line, a keepalive
 * line, a grant, a put's answer, base64), the rest is the text.  Every
 * key-value handed to the callback is within the bounds of etcd-msg.h;
 * a base64 text that decodes encodes back to itself (one spelling).
 */
#include "base64.h"
#include "etcd-msg.h"
#include "fuzz.h"

static int check_kv(const struct etcd_kv *kv, bool deleted, void *opaque)
{
	(void)opaque;
	FUZZ_ASSERT(kv->key && kv->key_len > 0 && kv->key_len <= ETCD_KEY_MAX);
	FUZZ_ASSERT(deleted ? kv->value == NULL :
			      kv->value && kv->value_len <= ETCD_VALUE_MAX);
	/* Touch every byte: ASan sees a bound that is wrong. */
	for (size_t i = 0; i < kv->key_len; i++)
		FUZZ_ASSERT(kv->key[i] == kv->key[i]);
	for (size_t i = 0; !deleted && i < kv->value_len; i++)
		FUZZ_ASSERT(kv->value[i] == kv->value[i]);
	return 0;
}

static void base64_round_trip(const char *in, size_t len)
{
	uint8_t *dec = malloc(len + 1);
	char *enc = malloc(len + 1);
	ssize_t n;

	if (!dec || !enc)
		goto out;
	n = base64_decode(in, len, dec, len + 1);
	if (n < 0)
		goto out;
	FUZZ_ASSERT(base64_encode(dec, (size_t)n, enc, len + 1) ==
		    (ssize_t)len);
	FUZZ_ASSERT(memcmp(enc, in, len) == 0);
out:
	free(dec);
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	struct etcd_watch_msg m;
	int64_t a = 0, b = 0;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	switch (data[0] % 6) {
	case 0:
		etcd_parse_range(text, len, check_kv, NULL, &a);
		break;
	case 1:
		if (etcd_parse_watch(text, len, check_kv, NULL, &m) == 0)
			FUZZ_ASSERT(m.kind <= ETCD_WATCH_CANCELED);
		break;
	case 2:
		if (etcd_parse_keepalive(text, len, &a) == 0)
			FUZZ_ASSERT(a >= 0);
		break;
	case 3:
		if (etcd_parse_grant(text, len, &a, &b) == 0)
			FUZZ_ASSERT(a != 0 && b >= 1);
		break;
	case 4:
		etcd_parse_answer(text, len, &a);
		break;
	default:
		base64_round_trip(text, len);
		break;
	}
	return 0;
}
