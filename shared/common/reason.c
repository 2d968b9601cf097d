/* SPDX-License-Identifier: BSD-3-Clause */
#include "common/reason.h"

static const char *const reason_names[HY_R_COUNT] = {
#define HY_REASON_NAME(name, text) [HY_R_##name] = #name,
	HY_REASONS(HY_REASON_NAME)
#undef HY_REASON_NAME
};

static const char *const reason_texts[HY_R_COUNT] = {
#define HY_REASON_TEXT(name, text) [HY_R_##name] = text,
	HY_REASONS(HY_REASON_TEXT)
#undef HY_REASON_TEXT
};

const char *hy_reason_name(enum hy_reason r)
{
	return (unsigned)r < HY_R_COUNT ? reason_names[r] : "UNKNOWN";
}

const char *hy_reason_text(enum hy_reason r)
{
	return (unsigned)r < HY_R_COUNT ? reason_texts[r] : "unknown reason";
}
