
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


/*
 * The reference jwt_json_parse() is compared with: json_loadb() with
 * JSON_REJECT_DUPLICATES, then the walk the token parser made before it
 * had a parser of its own (a control character in any string or member
 * name, or a value nested deeper than JWT_JSON_MAX_DEPTH).  Used by
 * t/unit/test_json.c and t/fuzz/fuzz_json.c.
 *
 * One difference is deliberate: jansson reads a NUL byte between tokens
 * as the end of its buffer and goes on after it (so it accepts
 * "[null<NUL>]"); jwt_json_parse() refuses any NUL byte.  Inputs with a
 * NUL byte are compared only where the reference refuses them too.
 */


#ifndef _JSON_REF_H_INCLUDED_
#define _JSON_REF_H_INCLUDED_


#include <string.h>

#include <jansson.h>

#include "jwt_json.h"


static int json_ref_has_ctl(json_t *json, size_t depth);


static int
json_ref_str_has_ctl(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            return 1;
        }
    }

    return 0;
}


static int
json_ref_has_ctl(json_t *json, size_t depth)
{
    size_t       i;
    json_t      *v;
    const char  *key;

    if (depth > JWT_JSON_MAX_DEPTH) {
        return 1;
    }

    switch (json_typeof(json)) {

    case JSON_STRING:
        return json_ref_str_has_ctl(json_string_value(json),
                                    json_string_length(json));

    case JSON_ARRAY:
        json_array_foreach(json, i, v) {
            if (json_ref_has_ctl(v, depth + 1)) {
                return 1;
            }
        }

        return 0;

    case JSON_OBJECT:
        json_object_foreach(json, key, v) {
            if (json_ref_str_has_ctl(key, strlen(key))
                || json_ref_has_ctl(v, depth + 1))
            {
                return 1;
            }
        }

        return 0;

    default:
        return 0;
    }
}


static jwt_json_rc_t
json_ref_parse(json_t **json, const unsigned char *text, size_t len)
{
    json_error_t  err;

    *json = json_loadb((const char *) text, len, JSON_REJECT_DUPLICATES,
                       &err);

    if (*json == NULL) {
        return JWT_JSON_INVALID;
    }

    return json_ref_has_ctl(*json, 0) ? JWT_JSON_CTL : JWT_JSON_OK;
}


/*
 * Parses a copy of text both ways; returns 0 when they agree (the same
 * result and, where there is a value, equal values), else -1 and the two
 * results in ours and ref.
 */

static int
json_ref_compare(const unsigned char *text, size_t len, jwt_json_rc_t *ours,
    jwt_json_rc_t *ref)
{
    int             rc;
    json_t         *a, *b;
    unsigned char  *copy;

    copy = malloc(len ? len : 1);
    if (copy == NULL) {
        return -1;
    }

    memcpy(copy, text, len);

    *ours = jwt_json_parse(&a, copy, len);
    *ref = json_ref_parse(&b, text, len);

    free(copy);

    if (*ours == JWT_JSON_INVALID && memchr(text, '\0', len) != NULL) {
        rc = 0;

    } else if (*ours != *ref) {
        rc = -1;

    } else {
        rc = (a == NULL && b == NULL) || json_equal(a, b) ? 0 : -1;
    }

    json_decref(a);
    json_decref(b);

    return rc;
}


#endif /* _JSON_REF_H_INCLUDED_ */
