/* SPDX-License-Identifier: BSD-3-Clause
 * Fuzzes the ticket JSON reader: never crashes, always explains a refusal,
 * and whatever it accepts writes back to JSON that reads back identically.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hayate_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json = malloc(size + 1);
	struct hy_ticket t, back;
	char err[256] = "", out[1024];

	if (json == NULL)
		return 0;
	memcpy(json, data, size);
	json[size] = '\0';
	if (hy_ticket_from_json(json, &t, err, sizeof(err)) < 0) {
		if (err[0] == '\0')
			abort(); /* a refusal must say why */
	} else {
		if (hy_ticket_to_json(&t, out, sizeof(out)) < 0)
			abort();
		if (hy_ticket_from_json(out, &back, err, sizeof(err)) < 0)
			abort();
		if (back.cred.sid != t.cred.sid || back.port != t.port ||
		    back.cred.expire_at != t.cred.expire_at ||
		    memcmp(back.cred.token, t.cred.token, HY_TOKEN_LEN) != 0 ||
		    memcmp(back.cred.c2s_key, t.cred.c2s_key, HY_KEY_LEN) != 0 ||
		    memcmp(back.cred.s2c_key, t.cred.s2c_key, HY_KEY_LEN) != 0 ||
		    strcmp(back.cred.uid, t.cred.uid) != 0 || strcmp(back.host, t.host) != 0)
			abort();
	}
	free(json);
	return 0;
}
