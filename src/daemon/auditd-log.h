/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <syslog.h>

/* One place that logs: stderr (the journal when run by systemd), with a syslog
 * priority (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG from <syslog.h>). */
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
