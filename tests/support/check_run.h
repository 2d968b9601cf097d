/* SPDX-License-Identifier: BSD-3-Clause
 * Runs a Check suite and turns the result into an exit status, so every
 * test's main() is only the list of its cases.
 */
#ifndef HY_TESTS_CHECK_RUN_H
#define HY_TESTS_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int hy_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* HY_TESTS_CHECK_RUN_H */
