/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Profiles: finding, reading and validating them. Validation is complete here,
 * so the evaluator can trust every key, type and value it reads; what a
 * profile may say is ipsec-audit-profile(5).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalogue.h"
#include "macro.h"
#include "profile-internal.h"
#include "profile.h"
#include "report.h"

#define LIST(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* Capabilities whose checks are grouped by address family ("ESP IPv4", "TCP IPv6", "IPv4"). */
#define FAMILY_CAPABILITIES                                                                                  \
        LIST("api.socket_policy", "proto.esp", "proto.ah", "proto.ipcomp", "natt.udp_encap", "natt.tcp_encap", \
             "mode.transport", "mode.tunnel", "mode.beet", "km.replay_esn", "sa.nested", "selector.ports",     \
             "selector.protocol", "selector.mixed_policy", "sa.multicast", "iface.vti")

const VariantKey profile_variants[] = {
        {
                .key = "family",
                .match = MATCH_WORD,
                .values = (const VariantValue[]) { { "ipv4", "IPv4" }, { "ipv6", "IPv6" }, {} },
                .capabilities = FAMILY_CAPABILITIES,
        },
        {
                .key = "transform",
                .match = MATCH_PREFIX,
                .values = (const VariantValue[]) { { "esp", "ESP" }, { "ah", "AH" }, { "ipcomp", "IPComp" }, {} },
                .capabilities = LIST("mode.transport", "mode.tunnel", "mode.beet"),
        },
        {
                .key = "protocol",
                .match = MATCH_PREFIX,
                .values = (const VariantValue[]) { { "tcp", "TCP" }, { "udp", "UDP" }, { "sctp", "SCTP" }, {} },
                .capabilities = LIST("selector.ports"),
        },
        {
                .key = "port",
                .match = MATCH_NONE,
                .capabilities = LIST("selector.ports"),
        },
        {
                .key = "group",
                .match = MATCH_GROUP_ADDR,
                .capabilities = LIST("sa.multicast"),
        },
        {
                .key = "nesting",
                .match = MATCH_PREFIX,
                .values = (const VariantValue[]) {
                        { "esp-in-esp", "ESP in ESP" }, { "ah-in-esp", "AH in ESP" }, { "ah-in-ah", "AH in AH" }, {} },
                .capabilities = LIST("sa.nested"),
        },
        {
                .key = "algorithms",
                .match = MATCH_ALGORITHMS,
                .capabilities = LIST("crypto.algorithms"),
        },
        {},
};

const VariantKey *profile_variant_find(const char *key) {
        for (const VariantKey *k = profile_variants; k->key; k++)
                if (strcmp(k->key, key) == 0)
                        return k;
        return NULL;
}

const VariantValue *profile_variant_value(const VariantKey *k, const char *value) {
        for (const VariantValue *v = k->values; v && v->value; v++)
                if (strcmp(v->value, value) == 0)
                        return v;
        return NULL;
}

bool profile_variant_applies(const VariantKey *k, const char *capability) {
        for (const char *const *c = k->capabilities; *c; c++)
                if (strcmp(*c, capability) == 0)
                        return true;
        return false;
}

const char *profile_multicast_family(const char *address) {
        struct in_addr a4;
        struct in6_addr a6;

        if (inet_pton(AF_INET, address, &a4) == 1)
                return IN_MULTICAST(ntohl(a4.s_addr)) ? "IPv4" : NULL;
        if (inet_pton(AF_INET6, address, &a6) == 1)
                return IN6_IS_ADDR_MULTICAST(&a6) ? "IPv6" : NULL;
        return NULL;
}

void profile_free(Profile *p) {
        if (!p)
                return;
        json_object_put(p->root);
        free(p->name);
        free(p->path);
        free(p);
}

void profile_error_format(const ProfileError *e, char *buf, size_t size) {
        if (e->line > 0)
                snprintf(buf, size, "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
        else if (e->pointer[0])
                snprintf(buf, size, "%s: %s: %s", e->file, e->pointer, e->message);
        else
                snprintf(buf, size, "%s: %s", e->file, e->message);
}

static int fail(ProfileError *err, const char *pointer, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ProfileError *err, const char *pointer, const char *fmt, ...) {
        va_list ap;

        STRSCPY(err->pointer, pointer);
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* A JSON pointer one step deeper (RFC 6901 escapes); truncated, never overflowing, for hostile keys. */
typedef struct Pointer {
        char s[128];
} Pointer;

static Pointer pointer_key(const Pointer *base, const char *key) {
        Pointer p = *base;
        size_t len = strlen(p.s);

        strbuf_appendf(p.s, sizeof(p.s), &len, "/");
        for (const char *c = key; *c && c - key < 64; c++)
                strbuf_appendf(p.s, sizeof(p.s), &len, "%s", *c == '~' ? "~0" : *c == '/' ? "~1" : (char[]) { *c, 0 });
        return p;
}

static Pointer pointer_index(const Pointer *base, size_t i) {
        Pointer p = *base;
        size_t len = strlen(p.s);

        strbuf_appendf(p.s, sizeof(p.s), &len, "/%zu", i);
        return p;
}

static const char *type_name(json_object *v) {
        return json_type_to_name(json_object_get_type(v));
}

/* Unknown keys are errors: a misspelt "optional" must not make a requirement count. */
static int check_keys(json_object *o, const char *const *allowed, const Pointer *at, ProfileError *err) {
        json_object_object_foreach(o, key, v) {
                char expected[160] = "";
                size_t len = 0;
                bool known = false;

                (void) v;
                for (const char *const *a = allowed; *a && !known; a++)
                        known = strcmp(*a, key) == 0;
                if (known)
                        continue;
                for (const char *const *a = allowed; *a; a++)
                        strbuf_appendf(expected, sizeof(expected), &len, "%s%s", a == allowed ? "" : ", ", *a);
                return fail(err, pointer_key(at, key).s, "unknown key (expected %s)", expected);
        }
        return 0;
}

/* A string member: required or optional, non-empty, bounded. */
static int get_string(json_object *o, const char *key, bool required, const Pointer *at, ProfileError *err,
                      const char **ret) {
        json_object *v;
        Pointer p = pointer_key(at, key);

        if (!json_object_object_get_ex(o, key, &v)) {
                *ret = NULL;
                return required ? fail(err, at->s[0] ? at->s : "/", "missing \"%s\"", key) : 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return fail(err, p.s, "expected a string, got %s", type_name(v));
        if (json_object_get_string_len(v) == 0 || json_object_get_string_len(v) > PROFILE_MAX_STRING)
                return fail(err, p.s, "expected a string of 1 to %d bytes", PROFILE_MAX_STRING);
        if (strlen(json_object_get_string(v)) != (size_t) json_object_get_string_len(v))
                return fail(err, p.s, "string holds a NUL byte");
        *ret = json_object_get_string(v);
        return 0;
}

static int get_array(json_object *o, const char *key, size_t min, size_t max, const Pointer *at, ProfileError *err,
                     json_object **ret) {
        json_object *v;
        Pointer p = pointer_key(at, key);

        if (!json_object_object_get_ex(o, key, &v))
                return fail(err, at->s[0] ? at->s : "/", "missing \"%s\"", key);
        if (!json_object_is_type(v, json_type_array))
                return fail(err, p.s, "expected an array, got %s", type_name(v));
        if (json_object_array_length(v) < min || json_object_array_length(v) > max)
                return fail(err, p.s, "expected %zu to %zu entries, got %zu", min, max, json_object_array_length(v));
        *ret = v;
        return 0;
}

static int check_string_array(json_object *arr, const Pointer *at, ProfileError *err) {
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *v = json_object_array_get_idx(arr, i);
                size_t len = json_object_is_type(v, json_type_string) ? (size_t) json_object_get_string_len(v) : 0;

                if (!json_object_is_type(v, json_type_string))
                        return fail(err, pointer_index(at, i).s, "expected a string, got %s", type_name(v));
                if (len == 0 || len > PROFILE_MAX_STRING || strlen(json_object_get_string(v)) != len)
                        return fail(err, pointer_index(at, i).s, "expected a string of 1 to %d bytes",
                                    PROFILE_MAX_STRING);
        }
        return 0;
}

static int check_port(json_object *v, const Pointer *at, ProfileError *err) {
        int64_t n;

        if (!json_object_is_type(v, json_type_int))
                return fail(err, at->s, "expected an integer port, got %s", type_name(v));
        /* json-c saturates integers beyond int64 and sets errno: "huge" is out of range either way. */
        errno = 0;
        n = json_object_get_int64(v);
        if (errno != 0 || n < 1 || n > 65535)
                return fail(err, at->s, "port out of range (1 to 65535)");
        return 0;
}

static int check_variant(json_object *variant, const char *capability, const Pointer *at, ProfileError *err) {
        json_object *v;
        int r;

        if (!json_object_is_type(variant, json_type_object))
                return fail(err, at->s, "expected an object, got %s", type_name(variant));
        if (json_object_object_length(variant) == 0)
                return fail(err, at->s, "empty variant (leave it out instead)");
        json_object_object_foreach(variant, key, value) {
                const VariantKey *k = profile_variant_find(key);
                Pointer p = pointer_key(at, key);

                if (!k)
                        return fail(err, p.s,
                                    "unknown variant (expected family, transform, protocol, port, group, nesting or "
                                    "algorithms)");
                if (!profile_variant_applies(k, capability))
                        return fail(err, p.s, "variant \"%s\" does not apply to %s", key, capability);
                if (k->match == MATCH_NONE) {
                        if ((r = check_port(value, &p, err)) < 0)
                                return r;
                        continue;
                }
                if (k->match == MATCH_ALGORITHMS) {
                        if (!json_object_is_type(value, json_type_array) || json_object_array_length(value) == 0 ||
                            json_object_array_length(value) > 32)
                                return fail(err, p.s, "expected an array of 1 to 32 algorithm names");
                        if ((r = check_string_array(value, &p, err)) < 0)
                                return r;
                        continue;
                }
                if (!json_object_is_type(value, json_type_string))
                        return fail(err, p.s, "expected a string, got %s", type_name(value));
                if (k->match == MATCH_GROUP_ADDR) {
                        if (!profile_multicast_family(json_object_get_string(value)))
                                return fail(err, p.s, "not a multicast address: \"%.64s\"",
                                            json_object_get_string(value));
                } else if (!profile_variant_value(k, json_object_get_string(value)))
                        return fail(err, p.s, "unknown %s \"%.64s\"", key, json_object_get_string(value));
        }
        if (json_object_object_get_ex(variant, "port", &v) && !json_object_object_get_ex(variant, "protocol", &v))
                return fail(err, pointer_key(at, "port").s, "a port needs a \"protocol\"");
        if (json_object_object_get_ex(variant, "group", &v)) {
                json_object *family;
                const char *want = profile_multicast_family(json_object_get_string(v));

                if (json_object_object_get_ex(variant, "family", &family) &&
                    strcmp(profile_variant_value(profile_variant_find("family"), json_object_get_string(family))->words,
                           want) != 0)
                        return fail(err, pointer_key(at, "family").s, "the family disagrees with the group's address");
        }
        return 0;
}

/* One capability requirement: alone, or as an alternative inside "any_of". */
static int check_single(json_object *o, bool alternative, const Pointer *at, ProfileError *err) {
        const char *capability, *verdict, *note;
        json_object *v;
        int r;

        if ((r = check_keys(o, alternative ? LIST("capability", "verdict", "variant", "note")
                                           : LIST("capability", "verdict", "variant", "note", "optional"),
                            at, err)) < 0 ||
            (r = get_string(o, "capability", true, at, err, &capability)) < 0 ||
            (r = get_string(o, "verdict", false, at, err, &verdict)) < 0 ||
            (r = get_string(o, "note", false, at, err, &note)) < 0)
                return r;
        if (!catalogue_find(capability))
                return fail(err, pointer_key(at, "capability").s, "unknown capability \"%.64s\"", capability);
        if (verdict && strcmp(verdict, "available") != 0 && strcmp(verdict, "partial") != 0)
                return fail(err, pointer_key(at, "verdict").s, "expected \"available\" or \"partial\", got \"%.64s\"",
                            verdict);
        if (json_object_object_get_ex(o, "variant", &v)) {
                Pointer p = pointer_key(at, "variant");
                if ((r = check_variant(v, capability, &p, err)) < 0)
                        return r;
        }
        return 0;
}

static int check_optional(json_object *o, const Pointer *at, ProfileError *err) {
        json_object *v;

        if (json_object_object_get_ex(o, "optional", &v) && !json_object_is_type(v, json_type_boolean))
                return fail(err, pointer_key(at, "optional").s, "expected true or false, got %s", type_name(v));
        return 0;
}

static int check_requirement(json_object *o, const Pointer *at, ProfileError *err) {
        json_object *alternatives;
        const char *note;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return fail(err, at->s, "expected an object, got %s", type_name(o));
        if ((r = check_optional(o, at, err)) < 0)
                return r;
        if (!json_object_object_get_ex(o, "any_of", &alternatives)) {
                if (!json_object_object_get_ex(o, "capability", &alternatives))
                        return fail(err, at->s, "a requirement needs \"capability\" or \"any_of\"");
                return check_single(o, false, at, err);
        }
        if ((r = check_keys(o, LIST("any_of", "optional", "note"), at, err)) < 0 ||
            (r = get_string(o, "note", false, at, err, &note)) < 0 ||
            (r = get_array(o, "any_of", 2, PROFILE_MAX_ALTERNATIVES, at, err, &alternatives)) < 0)
                return r;
        Pointer list = pointer_key(at, "any_of");
        for (size_t i = 0; i < json_object_array_length(alternatives); i++) {
                json_object *a = json_object_array_get_idx(alternatives, i);
                Pointer p = pointer_index(&list, i);

                if (!json_object_is_type(a, json_type_object))
                        return fail(err, p.s, "expected an object, got %s", type_name(a));
                if ((r = check_single(a, true, &p, err)) < 0)
                        return r;
        }
        return 0;
}

static int check_profile(json_object *root, ProfileError *err) {
        const Pointer top = {}, refs_at = pointer_key(&top, "references"), reqs_at = pointer_key(&top, "requirements");
        const char *schema, *name, *description;
        json_object *refs, *reqs;
        int r;

        if (!json_object_is_type(root, json_type_object))
                return fail(err, "/", "a profile is a JSON object, got %s", type_name(root));
        if ((r = check_keys(root, LIST("schema", "name", "description", "references", "requirements"), &top, err)) < 0 ||
            (r = get_string(root, "schema", true, &top, err, &schema)) < 0)
                return r;
        if (strcmp(schema, PROFILE_SCHEMA) != 0)
                return fail(err, "/schema", "unsupported schema \"%.64s\" (expected \"%s\")", schema, PROFILE_SCHEMA);
        if ((r = get_string(root, "name", true, &top, err, &name)) < 0 ||
            (r = get_string(root, "description", true, &top, err, &description)) < 0 ||
            (r = get_array(root, "references", 1, 32, &top, err, &refs)) < 0 ||
            (r = check_string_array(refs, &refs_at, err)) < 0 ||
            (r = get_array(root, "requirements", 1, PROFILE_MAX_REQUIREMENTS, &top, err, &reqs)) < 0)
                return r;
        for (size_t i = 0; i < json_object_array_length(reqs); i++) {
                Pointer p = pointer_index(&reqs_at, i);
                if ((r = check_requirement(json_object_array_get_idx(reqs, i), &p, err)) < 0)
                        return r;
        }
        return 0;
}

/* 1-based line and column of a byte offset, for "FILE:LINE:COLUMN" like a compiler's. */
static void locate(const char *text, size_t offset, ProfileError *err) {
        err->line = 1;
        err->column = 1;
        for (size_t i = 0; i < offset; i++) {
                if (text[i] == '\n') {
                        err->line++;
                        err->column = 1;
                } else
                        err->column++;
        }
}

static int syntax_error(const char *text, size_t offset, ProfileError *err, const char *message) {
        locate(text, offset, err);
        err->pointer[0] = '\0';
        STRSCPY(err->message, message);
        return -EINVAL;
}

/* The file name without directories and ".json": the name it is found by. */
static char *name_of(const char *path) {
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        size_t n = strlen(base);

        if (n > 5 && strcmp(base + n - 5, ".json") == 0)
                n -= 5;
        return strndup(base, n);
}

int profile_parse(const char *text, size_t len, const char *path, Profile **ret, ProfileError *err) {
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_(json_object_putp) json_object *root = NULL;
        json_tokener *tok;
        const char *nul;
        size_t end;
        int r;

        *err = (ProfileError) {};
        STRSCPY(err->file, path);
        if (len > PROFILE_MAX_BYTES)
                return fail(err, "", "larger than %d bytes", PROFILE_MAX_BYTES);
        /* json-c would stop at a NUL and call the rest trailing garbage: say what it is. */
        if ((nul = memchr(text, '\0', len)))
                return syntax_error(text, (size_t) (nul - text), err, "NUL byte in the file");
        if (!(tok = json_tokener_new_ex(PROFILE_MAX_DEPTH)))
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        root = json_tokener_parse_ex(tok, text, (int) len);
        end = json_tokener_get_parse_end(tok);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        json_tokener_free(tok);
        if (jerr == json_tokener_continue || (!root && jerr == json_tokener_success))
                return syntax_error(text, len, err, "unexpected end of file");
        if (jerr != json_tokener_success)
                return syntax_error(text, end, err,
                                    jerr == json_tokener_error_depth
                                            ? "nested deeper than a profile can be"
                                            : json_tokener_error_desc(jerr));
        if ((r = check_profile(root, err)) < 0)
                return r;

        if (!(p = calloc(1, sizeof(*p))) || !(p->path = strdup(path)) || !(p->name = name_of(path)))
                return -ENOMEM;
        p->root = TAKE_PTR(root);
        *ret = TAKE_PTR(p);
        return 0;
}

static int read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0;

        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EISDIR;
        /* One byte more than allowed, so an oversized file is seen as such whatever st_size said. */
        if (!(buf = malloc(PROFILE_MAX_BYTES + 2)))
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, PROFILE_MAX_BYTES + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0 || (len += (size_t) n) > PROFILE_MAX_BYTES)
                        break;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int load_file(const char *path, Profile **ret, ProfileError *err) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        *err = (ProfileError) {};
        STRSCPY(err->file, path);
        if ((r = read_file(path, &text, &len)) < 0) {
                snprintf(err->message, sizeof(err->message), "%s", strerror(-r));
                return r;
        }
        return profile_parse(text, len, path, ret, err);
}

/* The search path: IPSEC_AUDIT_PROFILE_PATH, else the local directory before the shipped one. */
static const char *search_path(void) {
        const char *env = secure_getenv(PROFILE_PATH_ENV);

        return env && *env ? env : PROFILE_LOCAL_DIR ":" PROFILE_DATA_DIR;
}

bool profile_name_valid(const char *name) {
        if (!name[0] || name[0] == '.' || strlen(name) > 64)
                return false;
        for (const char *c = name; *c; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *c))
                        return false;
        return strlen(name) < 5 || strcmp(name + strlen(name) - 5, ".json") != 0;
}

/* The first "DIR/NAME.json" of the search path that exists. */
static int find_profile(const char *name, char **ret) {
        _cleanup_free_ char *dirs = strdup(search_path());
        char *save = NULL;

        if (!dirs)
                return -ENOMEM;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *path = NULL;

                if (asprintf(&path, "%s/%s.json", d, name) < 0)
                        return -ENOMEM;
                if (access(path, F_OK) == 0) {
                        *ret = TAKE_PTR(path);
                        return 0;
                }
        }
        return -ENOENT;
}

int profile_load(const char *name_or_file, Profile **ret, ProfileError *err) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (!profile_name_valid(name_or_file))
                return load_file(name_or_file, ret, err);
        *err = (ProfileError) {};
        STRSCPY(err->file, name_or_file);
        if ((r = find_profile(name_or_file, &path)) < 0) {
                snprintf(err->message, sizeof(err->message), "no such profile (searched %s)", search_path());
                return r;
        }
        return load_file(path, ret, err);
}

void profile_list_free(char **l) {
        for (char **s = l; s && *s; s++)
                free(*s);
        free(l);
}

static int compare_entries(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Adds "NAME\tPATH" unless an earlier directory gave NAME already. */
static int list_add(char ***l, size_t *n, const char *dir, const char *file) {
        size_t len = strlen(file);
        char **grown;

        if (len <= 5 || strcmp(file + len - 5, ".json") != 0 || file[0] == '.')
                return 0;
        for (size_t i = 0; i < *n; i++)
                if (strncmp((*l)[i], file, len - 5) == 0 && (*l)[i][len - 5] == '\t')
                        return 0;
        if (!(grown = realloc(*l, (*n + 2) * sizeof(char *))))
                return -ENOMEM;
        *l = grown;
        if (asprintf(&grown[*n], "%.*s\t%s/%s", (int) (len - 5), file, dir, file) < 0) {
                grown[*n] = NULL;
                return -ENOMEM;
        }
        grown[++*n] = NULL;
        return 0;
}

int profile_list(char ***ret) {
        _cleanup_free_ char *dirs = strdup(search_path());
        _cleanup_(profile_list_freep) char **l = calloc(1, sizeof(char *));
        char *save = NULL;
        size_t n = 0;
        int r;

        if (!dirs || !l)
                return -ENOMEM;
        for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                _cleanup_(closedirp) DIR *dir = opendir(d);
                struct dirent *de;

                /* A missing local directory is the usual case, not an error. */
                while (dir && (de = readdir(dir)))
                        if ((r = list_add(&l, &n, d, de->d_name)) < 0)
                                return r;
        }
        qsort(l, n, sizeof(char *), compare_entries);
        *ret = TAKE_PTR(l);
        return 0;
}
