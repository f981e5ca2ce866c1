/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's cache is the JSON report exactly as the CLI prints it: the
 * text answers GetReport, the parsed tree answers everything else, and the
 * state file is the same text, so a cache loaded at start and a cache made
 * by an audit cannot disagree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auditd.h"
#include "json-util.h"
#include "macro.h"
#include "report.h"

/* "s4=partial;api.xfrm_netlink=available;...": what ReportChanged compares. */
static int signature_make(json_object *report, char **ret) {
        json_object *caps = json_get(report, "capabilities", json_type_array);
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return -ENOMEM;
        fprintf(f, "s4=%s", json_str(json_get(report, "section4", json_type_object), "verdict") ?: "");
        for (size_t i = 0; caps && i < json_object_array_length(caps); i++) {
                json_object *cap = json_object_array_get_idx(caps, i);
                fprintf(f, ";%s=%s", json_str(cap, "id") ?: "", json_str(cap, "verdict") ?: "");
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

int cache_set(Context *c, const char *text, bool *ret_changed) {
        _cleanup_(json_object_putp) json_object *report = NULL;
        _cleanup_free_ char *copy = NULL, *sig = NULL;
        enum json_tokener_error jerr;
        json_object *duration;
        bool changed;
        int r;

        report = json_tokener_parse_verbose(text, &jerr);
        if (!report || !json_object_is_type(report, json_type_object))
                return -EBADMSG;
        if (!json_str(report, "schema") || strcmp(json_str(report, "schema"), REPORT_SCHEMA) != 0 ||
            !json_get(report, "capabilities", json_type_array) || !json_get(report, "section4", json_type_object))
                return -EBADMSG;

        if ((r = signature_make(report, &sig)) < 0)
                return r;
        if (!(copy = strdup(text)))
                return -ENOMEM;

        changed = c->signature && strcmp(c->signature, sig) != 0;

        free(c->report_text);
        c->report_text = TAKE_PTR(copy);
        json_object_put(c->report);
        c->report = TAKE_PTR(report);
        free(c->signature);
        c->signature = TAKE_PTR(sig);

        duration = json_get(c->report, "duration_ms", json_type_int);
        c->audit_duration_usec = duration && json_object_get_int64(duration) > 0
                                         ? (uint64_t) json_object_get_int64(duration) * USEC_PER_MSEC
                                         : 0;
        if (ret_changed)
                *ret_changed = changed;
        return 0;
}

const char *cache_section4_verdict(const Context *c) {
        return json_str(json_get(c->report, "section4", json_type_object), "verdict") ?: "unknown";
}

const char *cache_kernel_release(const Context *c) {
        return json_str(json_get(c->report, "host", json_type_object), "kernel_release") ?: "";
}

json_object *cache_capabilities(const Context *c) {
        return json_get(c->report, "capabilities", json_type_array);
}

json_object *cache_capability(const Context *c, const char *id) {
        return report_json_find(c->report, id);
}

bool cache_report_lists_module(const Context *c, const char *list, const char *module) {
        json_object *mods = json_get(c->report, list, json_type_array);

        for (size_t i = 0; mods && i < json_object_array_length(mods); i++) {
                const char *m = json_object_get_string(json_object_array_get_idx(mods, i));
                if (m && strcmp(m, module) == 0)
                        return true;
        }
        return false;
}

static int state_path(const Context *c, char **ret) {
        return asprintf(ret, "%s/%s", c->state_dir, AUDITD_STATE_FILE) < 0 ? -ENOMEM : 0;
}

/*
 * Missing file: 0 and no cache. A file that is not a report: -EBADMSG, the
 * caller warns. Whoever can write the state directory chooses what is there:
 * a symlink (ELOOP), a FIFO or device (EINVAL: opened without blocking, never
 * read) or a file too large for a report (EFBIG) is not loaded.
 * LastRefreshUSec comes back from the file's mtime, which state_save() set to it to the
 * microsecond: the report's generated_at has whole seconds and marks the audit's start.
 */
int state_load(Context *c) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t len = 0;
        int r;

        if (!c->state_dir)
                return 0;
        if ((r = state_path(c, &path)) < 0)
                return r;
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_size > AUDITD_STATE_MAX)
                return -EFBIG;
        /* One byte more than the limit: a file that grew meanwhile is still refused. */
        text = malloc(AUDITD_STATE_MAX + 2);
        if (!text)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, text + len, AUDITD_STATE_MAX + 1 - len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > AUDITD_STATE_MAX)
                        return -EFBIG;
        }
        text[len] = '\0';
        if ((r = cache_set(c, text, NULL)) < 0)
                return r;
        c->last_refresh_usec = (uint64_t) st.st_mtim.tv_sec * USEC_PER_SEC + (uint64_t) st.st_mtim.tv_nsec / 1000;
        return 1;
}

/* Temp file in the same directory, fsync, rename: a reader sees the old report or the new one. */
int state_save(const Context *c) {
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -1;
        const struct timespec times[2] = {
                { .tv_nsec = UTIME_OMIT },
                { .tv_sec = (time_t) (c->last_refresh_usec / USEC_PER_SEC),
                  .tv_nsec = (long) (c->last_refresh_usec % USEC_PER_SEC) * 1000 },
        };
        size_t len, done = 0;
        int r;

        if (!c->state_dir || !c->report_text)
                return 0;
        if ((r = state_path(c, &path)) < 0)
                return r;
        if (asprintf(&tmp, "%s/.%s.XXXXXX", c->state_dir, AUDITD_STATE_FILE) < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        len = strlen(c->report_text);
        r = 0;
        while (r == 0 && done < len) {
                ssize_t n = write(fd, c->report_text + done, len - done);
                if (n >= 0)
                        done += (size_t) n;
                else if (errno != EINTR)
                        r = -errno;
        }
        if (r == 0 && (fchmod(fd, 0644) < 0 || futimens(fd, times) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0))
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}
