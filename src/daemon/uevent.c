/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The uevent parser, apart from the socket, so a unit test can feed it kernel messages. */
#include <string.h>

#include "auditd.h"

/* "add@/module/esp4\0ACTION=add\0DEVPATH=/module/esp4\0SUBSYSTEM=module\0SEQNUM=1234\0" */
const char *uevent_module(const char *buf, size_t len, const char **ret_action) {
        const char *action = NULL, *devpath = NULL, *subsystem = NULL;
        const char *p = buf, *end = buf + len;

        /* The header must be terminated inside the buffer and look like ACTION@DEVPATH. */
        if (len == 0 || !memchr(buf, '\0', len) || !strchr(buf, '@'))
                return NULL;
        for (p += strlen(p) + 1; p < end; p += strlen(p) + 1) {
                if (!memchr(p, '\0', (size_t) (end - p)))
                        return NULL;
                if (strncmp(p, "ACTION=", 7) == 0)
                        action = p + 7;
                else if (strncmp(p, "DEVPATH=", 8) == 0)
                        devpath = p + 8;
                else if (strncmp(p, "SUBSYSTEM=", 10) == 0)
                        subsystem = p + 10;
        }
        if (!action || !devpath || !subsystem || strcmp(subsystem, "module") != 0)
                return NULL;
        if (strcmp(action, "add") != 0 && strcmp(action, "remove") != 0)
                return NULL;
        if (strncmp(devpath, "/module/", 8) != 0 || !devpath[8] || strchr(devpath + 8, '/'))
                return NULL;
        if (ret_action)
                *ret_action = action;
        return devpath + 8;
}
