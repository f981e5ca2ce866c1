/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/*
 * json-c reports allocation failure only through NULL and -1. These take
 * ownership of v and return 0 or -ENOMEM, so every call can be checked.
 *
 * json_add()'s key must be a string literal (it does not compile otherwise):
 * json-c keeps it rather than a copy, which saves an allocation per member, most
 * of a report's. json_add_copy() takes any other key, and copies it.
 */
int json_add_member(json_object *o, const char *key, json_object *v, unsigned flags);
#define json_add(o, key, v) json_add_member((o), "" key "", (v), JSON_C_OBJECT_KEY_IS_CONSTANT)
#define json_add_copy(o, key, v) json_add_member((o), (key), (v), 0)
int json_append(json_object *arr, json_object *v);
/* A string member ("" for NULL), and an array of n strings (NULL when out of memory). */
#define json_add_str(o, key, s) json_add((o), key, json_object_new_string((s) ?: ""))
json_object *json_str_array(const char *const *list, size_t n);
#define json_add_str_list(o, key, list, n) json_add((o), key, json_str_array((list), (n)))

static inline void json_object_putp(json_object **j) {
        if (*j)
                json_object_put(*j);
}

/* Readers for reports that came from elsewhere: NULL or 0 when absent or of another type. */
json_object *json_get(json_object *o, const char *key, json_type type);
const char *json_str(json_object *o, const char *key);
uint64_t json_u64(json_object *o, const char *key);
