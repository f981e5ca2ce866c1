/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "audit.h"
#include "probe-table.h"
#include "shared/bus-util.h"
#include "shared/cli.h"
#include "ipsec-audit.h"
#include "config.h"
#include "macro.h"
#include "report.h"


typedef enum Format { FORMAT_TEXT, FORMAT_JSON, FORMAT_PROMETHEUS } Format;
typedef enum ColourMode { COLOUR_AUTO, COLOUR_ALWAYS, COLOUR_NEVER } ColourMode;

typedef struct Args {
        Format format;
        ColourMode colour;
        const char *output;
        bool quiet;
        bool verbose;
        AuditOptions audit;
        ModuleList absent; /* --absent-module, sorted: what audit.removed points to */
        const char *bus;   /* --bus: the daemon's report instead of an audit */
        const char *input; /* --input: a saved JSON report instead of an audit */
} Args;

static void help(void) {
        printf("Usage: %1$s [OPTION]...\n"
               "       %1$s explain [ID]\n"
               "       %1$s check --profile=NAME|FILE [--report=FILE | --bus[=BUS]] [--json]\n"
               "       %1$s check --list-profiles\n"
               "       %1$s survey [OPTION]... FILE|DIR|-...   (see %1$s survey --help)\n"
               "Measure which IPsec capabilities this host's kernel really has, by the\n"
               "sections of RFC 5406, and print the availability report: one screen with\n"
               "the Section 4 verdict and a line per capability (--verbose for the whole).\n"
               "'%1$s explain ID' says what a capability means and how it is measured.\n"
               "\n"
               "Active probes run in a private network namespace; the host's own SPD and\n"
               "SAD are never touched.\n"
               "\n"
               "  -j, --json              print the report as JSON (same as --format=json)\n"
               "  -f, --format=FORMAT     text (default), json, or prometheus (the text\n"
               "                          exposition format, for node_exporter's textfile\n"
               "                          collector)\n"
               "  -o, --output=FILE       write the report to FILE: a regular file is replaced\n"
               "                          atomically, a device or FIFO is written to\n"
               "  -v, --verbose           the whole text report: evidence, details, remedies,\n"
               "                          modules loaded on demand, the live inventory\n"
               "      --color=WHEN        colour the text report: auto (default), always, never\n"
               "      --passive           run no active probe: read-only checks in the host's\n"
               "                          namespace, no namespace created, no module autoloaded\n"
               "                          by trial SAs\n"
               "      --quick             skip the datapath stage (no traffic through a veth\n"
               "                          pair): levels stop at api\n"
               "      --timeout=SECONDS   give up on a probe after SECONDS (default 20)\n"
               "      --keep-modules      leave loaded the kernel modules the audit loaded on\n"
               "                          demand (default: unload those nothing uses)\n"
               "      --absent-module=NAME  count module NAME as not loaded when the audit\n"
               "                          starts, so that it is unloaded at the end like the\n"
               "                          modules the audit loads (repeatable; ipsec-auditd\n"
               "                          passes the modules an administrator removed)\n"
               "      --bus[=BUS]         run no audit: print the cached report of ipsec-auditd\n"
               "                          on BUS: system (default), session or a D-Bus address\n"
               "  -i, --input=FILE        run no audit: print the JSON report in FILE (- for\n"
               "                          standard input), as saved by --json\n"
               "  -q, --quiet             print no report; the exit code tells the outcome\n"
               "  -h, --help              show this help and exit\n"
               "  -V, --version           show the version and exit\n"
               "\n"
               "Exit status:\n"
               "  0  the audit completed and every capability was measured\n"
               "     (whatever the verdicts: read section4.verdict for those)\n"
               "  1  the audit could not run (out of memory, cannot fork, ...), or with\n"
               "     --bus or --input, the report could not be read\n"
               "  2  invalid command line\n"
               "  3  the audit completed but some capabilities are unknown (no privilege\n"
               "     to create a network namespace, --passive, or unexpected kernel answers)\n"
               "  4  the report could not be written\n"
               "\n"
               "'%1$s check --help' and '%1$s explain --help' describe those\n"
               "subcommands and their exit status.\n",
               program_invocation_short_name);
}

/* The index of s among an option's three values, else a usage error naming them. */
static int parse_choice(const char *option, const char *s, const char *const names[static 3]) {
        for (int i = 0; i < 3; i++)
                if (strcmp(s, names[i]) == 0)
                        return i;
        return usage_error("invalid %s value '%s' (expected %s, %s or %s)", option, s, names[0], names[1], names[2]);
}

enum { ARG_COLOR = 0x100, ARG_PASSIVE, ARG_TIMEOUT, ARG_QUICK, ARG_BUS, ARG_KEEP_MODULES, ARG_ABSENT_MODULE };

/* A kernel module's name as /proc/modules has it (MODULE_NAME_LEN is 56 with its NUL). */
static bool module_name_valid(const char *s) {
        size_t n = strlen(s);

        return n > 0 && n < 56 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* One option of parse_args(): 1 to go on, 0 to exit successfully (--help, --version), -EINVAL on a usage
 * error, -ENOMEM. */
static int parse_option(int c, Args *args) {
        unsigned long v;
        int r;

        switch (c) {
        case 'j':
                args->format = FORMAT_JSON;
                return 1;
        case 'f':
                if ((r = parse_choice("--format", optarg, (const char *const[]) { [FORMAT_TEXT] = "text",
                        [FORMAT_JSON] = "json", [FORMAT_PROMETHEUS] = "prometheus" })) < 0)
                        return r;
                args->format = (Format) r;
                return 1;
        case 'o':
        case 'i':
                if (!*optarg)
                        return usage_error("empty %s path", c == 'o' ? "output" : "input");
                *(c == 'o' ? &args->output : &args->input) = optarg;
                return 1;
        case 'v':
                args->verbose = true;
                return 1;
        case ARG_COLOR:
                if ((r = parse_choice("--color", optarg, (const char *const[]) { [COLOUR_AUTO] = "auto",
                        [COLOUR_ALWAYS] = "always", [COLOUR_NEVER] = "never" })) < 0)
                        return r;
                args->colour = (ColourMode) r;
                return 1;
        case ARG_PASSIVE:
                args->audit.passive = true;
                return 1;
        case ARG_QUICK:
                args->audit.quick = true;
                return 1;
        case ARG_KEEP_MODULES:
                args->audit.keep_modules = true;
                return 1;
        case ARG_ABSENT_MODULE:
                if (!module_name_valid(optarg))
                        return usage_error("invalid --absent-module '%s' (expected a kernel module name)", optarg);
                return module_list_push(&args->absent, optarg) < 0 ? -ENOMEM : 1;
        case ARG_TIMEOUT:
                if ((r = parse_seconds("timeout", optarg, 1, 3600, &v)) < 0)
                        return r;
                args->audit.timeout_s = (unsigned) v;
                return 1;
        case ARG_BUS:
                return parse_bus(optarg, &args->bus) < 0 ? -EINVAL : 1;
        case 'q':
                args->quiet = true;
                return 1;
        default:
                return parse_common_option(c, PACKAGE_NAME, help);
        }
}

/* Returns 1 to go on, 0 to exit successfully (--help), -EINVAL on a usage error, -ENOMEM. */
static int parse_args(int argc, char **argv, Args *args) {
        static const struct option options[] = {
                { "json", no_argument, NULL, 'j' },
                { "format", required_argument, NULL, 'f' },
                { "output", required_argument, NULL, 'o' },
                { "input", required_argument, NULL, 'i' },
                { "verbose", no_argument, NULL, 'v' },
                { "color", required_argument, NULL, ARG_COLOR },
                { "colour", required_argument, NULL, ARG_COLOR },
                { "passive", no_argument, NULL, ARG_PASSIVE },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "quick", no_argument, NULL, ARG_QUICK },
                { "keep-modules", no_argument, NULL, ARG_KEEP_MODULES },
                { "absent-module", required_argument, NULL, ARG_ABSENT_MODULE },
                { "bus", optional_argument, NULL, ARG_BUS },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c, r;

        /* getopt's own messages name the bad option; we add the hint and the exit code. */
        while ((c = getopt_long(argc, argv, "jf:o:i:vqhV", options, NULL)) >= 0)
                if ((r = parse_option(c, args)) <= 0)
                        return r;
        if (optind < argc)
                return usage_error("unexpected argument '%s'", argv[optind]);
        if (args->bus && args->input)
                return usage_error("--bus and --input are alternatives: give one");
        if ((args->bus || args->input) &&
            (args->audit.passive || args->audit.timeout_s || args->audit.keep_modules || args->absent.n > 0))
                return usage_error("%s runs no audit: --passive, --timeout, --keep-modules and --absent-module do "
                                   "not apply",
                                   args->bus ? "--bus" : "--input");
        if (args->absent.n > 0) {
                module_list_sort(&args->absent);
                args->audit.removed = &args->absent;
        }
        return 1;
}

static void args_done(Args *args) {
        module_list_free(&args->absent);
}

static bool want_colour(const Args *args, int fd) {
        const char *term = getenv("TERM");

        if (args->format != FORMAT_TEXT || args->colour == COLOUR_NEVER)
                return false;
        if (args->colour == COLOUR_ALWAYS)
                return true;
        return isatty(fd) && !getenv("NO_COLOR") && !(term && strcmp(term, "dumb") == 0);
}

static int write_report(const Audit *a, const Args *args, FILE *f) {
        if (args->format == FORMAT_JSON) {
                _cleanup_(json_object_putp) json_object *root = NULL;
                const char *s;
                int r = report_json(a, &root);

                if (r < 0)
                        return r;
                s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
                if (!s)
                        return -ENOMEM;
                if (fputs(s, f) < 0 || fputc('\n', f) < 0)
                        return -EIO;
                return 0;
        }
        if (args->format == FORMAT_PROMETHEUS)
                return report_prometheus(a, f);
        if (args->verbose)
                return report_text(a, f, want_colour(args, fileno(f)));
        return report_text_brief(a, f, want_colour(args, fileno(f)));
}

static int write_report_fd(const Audit *a, const Args *args, int fd) {
        _cleanup_fclose_ FILE *f = fdopen(fd, "w");

        if (!f) {
                int r = -errno;
                close(fd);
                return r;
        }
        int r = write_report(a, args, f);
        if (r < 0)
                return r;
        if (fflush(f) != 0)
                return -errno;
        /* Devices, FIFOs and sockets cannot be synced (EINVAL); their data is already delivered. */
        if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
                return -errno;
        return 0;
}

/*
 * A regular file is replaced through a temp file in its directory, so
 * readers never see half a report. The temp name is short (a long basename
 * plus a suffix would exceed NAME_MAX) and its mode is what open(2) would
 * have given a new file under the umask.
 */
static int replace_file(const Audit *a, const Args *args, const char *path) {
        _cleanup_free_ char *tmp = NULL;
        const char *slash = strrchr(path, '/');
        mode_t mask = umask(0);
        int fd, r;

        umask(mask);
        if (asprintf(&tmp, "%.*s.ipsec-audit.XXXXXX", slash ? (int) (slash - path + 1) : 0, path) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, 0666 & ~mask) < 0) {
                r = -errno;
                close(fd);
        } else
                r = write_report_fd(a, args, fd);
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

/*
 * What fs.protected_symlinks enforces, checked here too because the sysctl
 * may be off: a symlink in a sticky, world-writable directory is followed
 * only when it is ours or the directory owner's.
 */
static int check_symlink(const char *path, const struct stat *link) {
        _cleanup_free_ char *dir = strdup(path);
        struct stat st;
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash)
                strcpy(dir, ".");
        else if (slash == dir)
                slash[1] = '\0';
        else
                *slash = '\0';
        if (stat(dir, &st) < 0)
                return -errno;
        if ((st.st_mode & (S_ISVTX | S_IWOTH)) == (S_ISVTX | S_IWOTH) && link->st_uid != geteuid() &&
            link->st_uid != st.st_uid)
                return -EPERM;
        return 0;
}

/*
 * --output: a regular file (or none yet) is replaced; anything else (a
 * character device such as /dev/null, a FIFO, standard output by any name)
 * is opened and written to, never replaced.
 */
static int write_report_file(const Audit *a, const Args *args) {
        _cleanup_free_ char *target = NULL;
        struct stat st, out;
        int fd, r;

        if (lstat(args->output, &st) < 0)
                return errno == ENOENT ? replace_file(a, args, args->output) : -errno;
        if (S_ISLNK(st.st_mode)) {
                if ((r = check_symlink(args->output, &st)) < 0)
                        return r;
                if (stat(args->output, &st) < 0)
                        return -errno;
        }
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        /* Our own standard output under another name (/dev/stdout, /proc/self/fd/1): written, not replaced. */
        if (fstat(STDOUT_FILENO, &out) == 0 && out.st_dev == st.st_dev && out.st_ino == st.st_ino) {
                r = write_report(a, args, stdout);
                return r < 0 ? r : (fflush(stdout) != 0 ? -errno : 0);
        }
        if (S_ISREG(st.st_mode)) {
                /* Through a symlink, the file it names is replaced, not the link. */
                target = realpath(args->output, NULL);
                if (!target)
                        return -errno;
                return replace_file(a, args, target);
        }
        fd = open(args->output, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return write_report_fd(a, args, fd);
}

static void report_loaded_freep(Audit **a) {
        report_loaded_free(*a);
}

/* ipsec-auditd's cached report (GetReport), as the JSON tree it sent. */
int bus_report_json(const char *address, json_object **ret) {
        _cleanup_(sym_sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sym_sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        json_object *root;
        const char *text;
        int r;

        if ((r = bus_open(address, "ipsec-audit", &bus)) < 0) {
                if (r == -ELIBACC)
                        fprintf(stderr, "%s: --bus needs libsystemd.so.0, which cannot be loaded\n",
                                program_invocation_short_name);
                else
                        fprintf(stderr, "%s: cannot connect to the %s bus: %s\n", program_invocation_short_name,
                                address, strerror(-r));
                return r;
        }
        r = sym_sd_bus_call_method(bus, "net.ipsecaudit.Auditor1", "/net/ipsecaudit/Auditor1", "net.ipsecaudit.Auditor1",
                               "GetReport", &error, &reply, "");
        if (r >= 0)
                r = sym_sd_bus_message_read(reply, "s", &text);
        if (r < 0) {
                _cleanup_free_ char *msg = NULL;

                /* The daemon's words: bounded and escaped like any outside string. */
                if (error.message && strescape(error.message, 512, &msg) < 0)
                        r = -ENOMEM;
                else
                        fprintf(stderr, "%s: cannot get the report from ipsec-auditd: %s\n",
                                program_invocation_short_name, msg ?: strerror(-r));
                sym_sd_bus_error_free(&error);
                return r;
        }
        if (!(root = json_tokener_parse(text))) {
                fprintf(stderr, "%s: ipsec-auditd sent something that is not JSON\n", program_invocation_short_name);
                return -EBADMSG;
        }
        *ret = root;
        return 0;
}

/* A report from elsewhere (what), rebuilt as an Audit for the one renderer. */
static int loaded_report(json_object *root, const char *what, Audit **ret) {
        int r = report_from_json(root, probe_table, ret);

        if (r < 0)
                fprintf(stderr, "%s: %s is not a report: %s\n", program_invocation_short_name, what, strerror(-r));
        return r;
}

/* --input: a saved JSON report (ipsec-audit --json, GetReport), "-" for standard input. */
static int input_report(const char *path, Audit **ret) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        _cleanup_free_ char *shown = NULL;

        if (strescape(path, 256, &shown) < 0)
                return -ENOMEM;
        root = strcmp(path, "-") == 0 ? json_object_from_fd(STDIN_FILENO) : json_object_from_file(path);
        if (!root) {
                fprintf(stderr, "%s: cannot read a JSON report from %s: %s\n", program_invocation_short_name, shown,
                        json_util_get_last_err() ?: "not JSON");
                return -EBADMSG;
        }
        return loaded_report(root, shown, ret);
}

static int bus_report(const char *address, Audit **ret) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        int r;

        if ((r = bus_report_json(address, &root)) < 0)
                return r;
        return loaded_report(root, "what ipsec-auditd sent", ret);
}

int main(int argc, char **argv) {
        _cleanup_(audit_freep) Audit *audit = NULL;
        _cleanup_(report_loaded_freep) Audit *remote = NULL;
        _cleanup_(args_done) Args args = {};
        size_t unknown;
        int r;

        if (argc > 1 && strcmp(argv[1], "check") == 0)
                return check_main(argc - 1, argv + 1);
        if (argc > 1 && strcmp(argv[1], "survey") == 0)
                return survey_main(argc - 1, argv + 1);
        if (argc > 1 && strcmp(argv[1], "explain") == 0)
                return explain_main(argc - 1, argv + 1);
        r = parse_args(argc, argv, &args);
        if (r == -ENOMEM) {
                fprintf(stderr, "%s: %s\n", program_invocation_short_name, strerror(ENOMEM));
                return AUDIT_EXIT_FAILURE_RUN;
        }
        if (r <= 0)
                return r < 0 ? AUDIT_EXIT_USAGE : AUDIT_EXIT_COMPLETE;

        if (args.bus || args.input) {
                if ((args.bus ? bus_report(args.bus, &remote) : input_report(args.input, &remote)) < 0)
                        return AUDIT_EXIT_FAILURE_RUN;
        } else {
                r = audit_run(&args.audit, probe_table, &audit);
                if (r < 0) {
                        fprintf(stderr, "%s: audit failed: %s\n", program_invocation_short_name, strerror(-r));
                        return AUDIT_EXIT_FAILURE_RUN;
                }
        }

        const Audit *a = remote ?: audit;

        if (!args.quiet) {
                if (args.output)
                        r = write_report_file(a, &args);
                else {
                        r = write_report(a, &args, stdout);
                        if (r >= 0 && fflush(stdout) != 0)
                                r = -errno;
                }
                if (r < 0) {
                        fprintf(stderr, "%s: cannot write report to %s: %s\n", program_invocation_short_name,
                                args.output ?: "standard output", strerror(-r));
                        return AUDIT_EXIT_OUTPUT;
                }
        }

        unknown = audit_unknown_count(a);
        if (unknown > 0) {
                if (!args.quiet)
                        fprintf(stderr, "%s: %zu of %zu capabilities could not be measured\n",
                                program_invocation_short_name, unknown, a->n_results);
                return AUDIT_EXIT_INCOMPLETE;
        }
        return AUDIT_EXIT_COMPLETE;
}
