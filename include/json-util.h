/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/*
 * json-c reports allocation failure only through NULL and -1. These take
 * ownership of v and return 0 or -ENOMEM, so every call can be checked.
 */
int json_add(json_object *o, const char *key, json_object *v);
int json_append(json_object *arr, json_object *v);
/* A string member ("" for NULL), and an array of n strings. */
int json_add_str(json_object *o, const char *key, const char *s);
int json_add_str_list(json_object *o, const char *key, const char *const *list, size_t n);

static inline void json_object_putp(json_object **j) {
        if (*j)
                json_object_put(*j);
}

/* Readers for reports that came from elsewhere: NULL or 0 when absent or of another type. */
json_object *json_get(json_object *o, const char *key, json_type type);
const char *json_str(json_object *o, const char *key);
uint64_t json_u64(json_object *o, const char *key);
