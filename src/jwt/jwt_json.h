
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _JWT_JSON_H_INCLUDED_
#define _JWT_JSON_H_INCLUDED_


#include <stddef.h>

#include <jansson.h>


/*
 * The JSON of a token's header and claims, parsed in one pass into
 * jansson values.  It accepts exactly what json_loadb() accepts with
 * JSON_REJECT_DUPLICATES (a top-level object or array, strict UTF-8, no
 * \u0000, no duplicate member names, integers that fit a json_int_t, reals
 * that do not overflow, at most 2048 levels), and in the same pass finds
 * what a token must not carry: a control character (below 0x20, or 0x7f)
 * in any string or member name, raw or escaped, and nesting deeper than
 * JWT_JSON_MAX_DEPTH.  t/unit/test_json.c and t/fuzz/fuzz_json.c compare
 * it with json_loadb() and the walk it replaces.
 */


#define JWT_JSON_MAX_DEPTH  16


typedef enum {
    JWT_JSON_OK = 0,
    JWT_JSON_INVALID,       /* not JSON, as json_loadb() would say */
    JWT_JSON_CTL,           /* valid JSON, a control character or deep */
    JWT_JSON_NOMEM
} jwt_json_rc_t;


/*
 * Parses len bytes of text, which it may overwrite (strings are unescaped
 * in place).  On JWT_JSON_OK and on JWT_JSON_CTL *json is the value (a
 * reference the caller owns); otherwise it is NULL.
 */
jwt_json_rc_t jwt_json_parse(json_t **json, unsigned char *text, size_t len);


#endif /* _JWT_JSON_H_INCLUDED_ */
