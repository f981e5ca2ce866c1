/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "json-util.h"
#include "macro.h"

int json_add_member(json_object *o, const char *key, json_object *v, unsigned flags) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add_ex(o, key, v, flags) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int json_append(json_object *arr, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_array_add(arr, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

json_object *json_str_array(const char *const *list, size_t n) {
        _cleanup_(json_object_putp) json_object *arr = json_object_new_array();

        if (!arr)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (json_append(arr, json_object_new_string(list[i])) < 0)
                        return NULL;
        return TAKE_PTR(arr);
}

json_object *json_get(json_object *o, const char *key, json_type type) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
                return NULL;
        return v;
}

const char *json_str(json_object *o, const char *key) {
        json_object *v = json_get(o, key, json_type_string);

        return v ? json_object_get_string(v) : NULL;
}

uint64_t json_u64(json_object *o, const char *key) {
        json_object *v = json_get(o, key, json_type_int);
        int64_t n = v ? json_object_get_int64(v) : 0;

        return n > 0 ? (uint64_t) n : 0;
}
