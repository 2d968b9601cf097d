/* SPDX-License-Identifier: BSD-3-Clause
 * The command line both processes share: --config, --modules,
 * --check-config, --help, --version (l3fwd style: long options only,
 * values from 256, one parse function per option with an argument).
 */
#ifndef HY_CONFIG_CLI_H
#define HY_CONFIG_CLI_H

/* Exit codes of both processes. */
#define HY_EXIT_CONFIG 1 /* configuration invalid, or a start-up stage failed */
#define HY_EXIT_USAGE 2  /* bad command line */

struct hy_conf_cli {
	const char *config;  /* --config FILE (required unless help/version) */
	const char *modules; /* --modules FILE, or NULL: the node file's paths.modules_file */
	int check_config;
	int help;
	int version;
};

/*
 * Parses argv (argv[0] is the program name, as getopt expects) into *o.
 * On a usage error prints one line "PROG: ..." to stderr and returns -1.
 * missing_config_hint is appended to the "--config FILE is required"
 * message (e.g. " after \"--\""), "" for none.  o keeps pointers into argv.
 */
int hy_conf_cli_parse(const char *prog, int argc, char **argv, struct hy_conf_cli *o,
		      const char *missing_config_hint);

#endif /* HY_CONFIG_CLI_H */
