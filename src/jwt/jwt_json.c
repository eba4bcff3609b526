
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jwt_json.h"


/* as jansson's JSON_PARSER_MAX_DEPTH: values nested deeper are invalid */
#define JWT_JSON_PARSER_DEPTH  2048


typedef struct {
    unsigned char  *p;
    unsigned char  *end;
    unsigned        ctl:1;
    unsigned        nomem:1;
} jwt_json_ctx_t;


static json_t *jwt_json_value(jwt_json_ctx_t *cx, size_t depth);
static json_t *jwt_json_object(jwt_json_ctx_t *cx, size_t depth);
static json_t *jwt_json_array(jwt_json_ctx_t *cx, size_t depth);
static unsigned char *jwt_json_string(jwt_json_ctx_t *cx, size_t *len);
static int jwt_json_escape(jwt_json_ctx_t *cx, unsigned char **dst);
static long jwt_json_hex4(const unsigned char *p, const unsigned char *end);
static size_t jwt_json_utf8(const unsigned char *p, const unsigned char *end);
static json_t *jwt_json_number(jwt_json_ctx_t *cx);
static unsigned char *jwt_json_number_end(unsigned char *p,
    unsigned char *end, int *real);
static unsigned char *jwt_json_digits(unsigned char *p, unsigned char *end);
static json_t *jwt_json_literal(jwt_json_ctx_t *cx);
static int jwt_json_next(jwt_json_ctx_t *cx, unsigned char close);
static void jwt_json_space(jwt_json_ctx_t *cx);


/*
 * Bytes of a string: 0 is plain, 1 ends the plain run ('"', '\\', a
 * control character, 0x7f, and every byte from 0x80: UTF-8 is checked
 * sequence by sequence).
 */

static const unsigned char  jwt_json_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,     /* " */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,     /* \ */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,     /* DEL */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};


jwt_json_rc_t
jwt_json_parse(json_t **json, unsigned char *text, size_t len)
{
    json_t          *v;
    jwt_json_ctx_t   cx;

    *json = NULL;

    cx.p = text;
    cx.end = text + len;
    cx.ctl = 0;
    cx.nomem = 0;

    jwt_json_space(&cx);

    /* as json_loadb() without JSON_DECODE_ANY: an object or an array */

    if (cx.p == cx.end || (*cx.p != '{' && *cx.p != '[')) {
        return JWT_JSON_INVALID;
    }

    v = jwt_json_value(&cx, 0);
    if (v == NULL) {
        return cx.nomem ? JWT_JSON_NOMEM : JWT_JSON_INVALID;
    }

    jwt_json_space(&cx);

    if (cx.p != cx.end) {
        json_decref(v);
        return JWT_JSON_INVALID;
    }

    *json = v;

    return cx.ctl ? JWT_JSON_CTL : JWT_JSON_OK;
}


/* depth: the containers around this value (the top level has none) */

static json_t *
jwt_json_value(jwt_json_ctx_t *cx, size_t depth)
{
    size_t          len;
    json_t         *v;
    unsigned char  *s;

    if (depth >= JWT_JSON_PARSER_DEPTH) {
        return NULL;
    }

    if (depth > JWT_JSON_MAX_DEPTH) {
        cx->ctl = 1;
    }

    if (cx->p == cx->end) {
        return NULL;
    }

    switch (*cx->p) {

    case '{':
        cx->p++;
        return jwt_json_object(cx, depth);

    case '[':
        cx->p++;
        return jwt_json_array(cx, depth);

    case '"':
        cx->p++;

        s = jwt_json_string(cx, &len);
        if (s == NULL) {
            return NULL;
        }

        v = json_stringn_nocheck((const char *) s, len);
        if (v == NULL) {
            cx->nomem = 1;
        }

        return v;

    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return jwt_json_number(cx);

    default:
        return jwt_json_literal(cx);
    }
}


static json_t *
jwt_json_object(jwt_json_ctx_t *cx, size_t depth)
{
    int             rc;
    size_t          klen, size;
    json_t         *obj, *v;
    unsigned char  *key;

    obj = json_object();
    if (obj == NULL) {
        cx->nomem = 1;
        return NULL;
    }

    jwt_json_space(cx);

    if (cx->p < cx->end && *cx->p == '}') {
        cx->p++;
        return obj;
    }

    for ( ;; ) {
        if (cx->p == cx->end || *cx->p != '"') {
            goto failed;
        }

        cx->p++;

        key = jwt_json_string(cx, &klen);
        if (key == NULL) {
            goto failed;
        }

        /* the unescaped key ends before its closing quote: room for NUL */

        key[klen] = '\0';

        jwt_json_space(cx);

        if (cx->p == cx->end || *cx->p != ':') {
            goto failed;
        }

        cx->p++;
        jwt_json_space(cx);

        v = jwt_json_value(cx, depth + 1);
        if (v == NULL) {
            goto failed;
        }

        /* a member name seen before leaves the size as it was */

        size = json_object_size(obj);

        if (json_object_set_new_nocheck(obj, (const char *) key, v) != 0) {
            cx->nomem = 1;
            goto failed;
        }

        if (json_object_size(obj) == size) {
            goto failed;
        }

        rc = jwt_json_next(cx, '}');

        if (rc == 1) {
            return obj;
        }

        if (rc != 0) {
            goto failed;
        }
    }

failed:

    json_decref(obj);

    return NULL;
}


static json_t *
jwt_json_array(jwt_json_ctx_t *cx, size_t depth)
{
    int      rc;
    json_t  *arr, *v;

    arr = json_array();
    if (arr == NULL) {
        cx->nomem = 1;
        return NULL;
    }

    jwt_json_space(cx);

    if (cx->p < cx->end && *cx->p == ']') {
        cx->p++;
        return arr;
    }

    for ( ;; ) {
        v = jwt_json_value(cx, depth + 1);
        if (v == NULL) {
            goto failed;
        }

        if (json_array_append_new(arr, v) != 0) {
            cx->nomem = 1;
            goto failed;
        }

        rc = jwt_json_next(cx, ']');

        if (rc == 1) {
            return arr;
        }

        if (rc != 0) {
            goto failed;
        }
    }

failed:

    json_decref(arr);

    return NULL;
}


/*
 * A string from after its opening quote: unescaped in place, so the
 * result starts where the string did and is never longer than it.
 * Returns its start (len bytes) and leaves cx->p after the closing quote.
 */

static unsigned char *
jwt_json_string(jwt_json_ctx_t *cx, size_t *len)
{
    size_t          n;
    unsigned char  *start, *dst, c;

    start = cx->p;
    dst = NULL;

    for ( ;; ) {

        /* a run of plain bytes: moved only once an escape shifted them */

        n = 0;

        while (cx->p + n < cx->end && !jwt_json_special[cx->p[n]]) {
            n++;
        }

        if (dst != NULL && n != 0) {
            memmove(dst, cx->p, n);
            dst += n;
        }

        cx->p += n;

        if (cx->p == cx->end) {
            return NULL;
        }

        c = *cx->p;

        if (c == '"') {
            cx->p++;
            *len = (dst ? dst : cx->p - 1) - start;
            return start;
        }

        if (c < 0x20) {
            return NULL;
        }

        if (c == 0x7f) {
            cx->ctl = 1;
            n = 1;

        } else if (c >= 0x80) {
            n = jwt_json_utf8(cx->p, cx->end);
            if (n == 0) {
                return NULL;
            }

        } else {

            /* a backslash */

            if (dst == NULL) {
                dst = cx->p;
            }

            if (jwt_json_escape(cx, &dst) != 0) {
                return NULL;
            }

            continue;
        }

        if (dst != NULL) {
            memmove(dst, cx->p, n);
            dst += n;
        }

        cx->p += n;
    }
}


/* one escape at cx->p, written at *dst as UTF-8 */

static int
jwt_json_escape(jwt_json_ctx_t *cx, unsigned char **dst)
{
    long            u, lo;
    unsigned char  *d, c;

    if (cx->end - cx->p < 2) {
        return -1;
    }

    c = cx->p[1];
    d = *dst;

    switch (c) {

    case '"': case '\\': case '/':
        *d++ = c;
        cx->p += 2;
        *dst = d;
        return 0;

    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;

    case 'u':
        u = jwt_json_hex4(cx->p + 2, cx->end);
        if (u < 0) {
            return -1;
        }

        cx->p += 6;

        if (u >= 0xdc00 && u <= 0xdfff) {
            return -1;
        }

        if (u >= 0xd800 && u <= 0xdbff) {

            /* a high surrogate: its low half must follow */

            if (cx->end - cx->p < 2 || cx->p[0] != '\\' || cx->p[1] != 'u') {
                return -1;
            }

            lo = jwt_json_hex4(cx->p + 2, cx->end);
            if (lo < 0xdc00 || lo > 0xdfff) {
                return -1;
            }

            cx->p += 6;
            u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        }

        /* \u0000 is refused, as json_loadb() does without JSON_ALLOW_NUL */

        if (u == 0) {
            return -1;
        }

        if (u < 0x20 || u == 0x7f) {
            cx->ctl = 1;
        }

        if (u < 0x80) {
            *d++ = (unsigned char) u;

        } else if (u < 0x800) {
            *d++ = (unsigned char) (0xc0 | (u >> 6));
            *d++ = (unsigned char) (0x80 | (u & 0x3f));

        } else if (u < 0x10000) {
            *d++ = (unsigned char) (0xe0 | (u >> 12));
            *d++ = (unsigned char) (0x80 | ((u >> 6) & 0x3f));
            *d++ = (unsigned char) (0x80 | (u & 0x3f));

        } else {
            *d++ = (unsigned char) (0xf0 | (u >> 18));
            *d++ = (unsigned char) (0x80 | ((u >> 12) & 0x3f));
            *d++ = (unsigned char) (0x80 | ((u >> 6) & 0x3f));
            *d++ = (unsigned char) (0x80 | (u & 0x3f));
        }

        *dst = d;
        return 0;

    default:
        return -1;
    }

    /* \b \f \n \r \t: control characters, valid JSON */

    cx->ctl = 1;
    *d++ = c;
    cx->p += 2;
    *dst = d;

    return 0;
}


static long
jwt_json_hex4(const unsigned char *p, const unsigned char *end)
{
    long           v;
    size_t         i;
    unsigned char  c;

    if (end - p < 4) {
        return -1;
    }

    v = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            v = v * 16 + (c - '0');

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            v = v * 16 + ((c | 0x20) - 'a' + 10);

        } else {
            return -1;
        }
    }

    return v;
}


/*
 * The length of the UTF-8 sequence at p, or 0: no overlong forms, no
 * surrogates, nothing above U+10FFFF (jansson's rules).
 */

static size_t
jwt_json_utf8(const unsigned char *p, const unsigned char *end)
{
    size_t         n, i;
    unsigned long  v;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        v = p[0] & 0x1f;

    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        v = p[0] & 0x0f;

    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        v = p[0] & 0x07;

    } else {
        return 0;
    }

    if ((size_t) (end - p) < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        v = (v << 6) | (p[i] & 0x3f);
    }

    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000)
        || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
    {
        return 0;
    }

    return n;
}


/*
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, converted as jansson
 * does: an integer must fit a json_int_t (long long; converted here, as
 * strtoll() would), a real is strtod()'s, and out of range is invalid
 * (a real's underflow is not).
 */

static json_t *
jwt_json_number(jwt_json_ctx_t *cx)
{
    int                  neg, real;
    char                *last;
    double               d;
    json_t              *v;
    unsigned char       *p, *start, save;
    unsigned long long   u, limit;

    start = cx->p;
    neg = (*start == '-');

    p = jwt_json_number_end(start + neg, cx->end, &real);

    /* a number never ends a valid text (its top level is a container) */

    if (p == NULL || p == cx->end) {
        return NULL;
    }

    if (!real) {
        limit = neg ? (unsigned long long) LLONG_MAX + 1 : LLONG_MAX;
        u = 0;

        for (start += neg; start < p; start++) {
            if (u > (limit - (*start - '0')) / 10) {
                return NULL;
            }

            u = u * 10 + (*start - '0');
        }

        v = json_integer(neg ? (json_int_t) (0 - u) : (json_int_t) u);

    } else {
        save = *p;
        *p = '\0';
        errno = 0;

        d = strtod((const char *) start, &last);

        *p = save;

        if (((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
            || last != (char *) p)
        {
            return NULL;
        }

        v = json_real(d);
    }

    if (v == NULL) {
        cx->nomem = 1;
        return NULL;
    }

    cx->p = p;

    return v;
}


/* the end of (0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at p, or NULL */

static unsigned char *
jwt_json_number_end(unsigned char *p, unsigned char *end, int *real)
{
    *real = 0;

    if (p == end) {
        return NULL;
    }

    if (*p == '0') {
        p++;

    } else if (*p >= '1' && *p <= '9') {
        p = jwt_json_digits(p, end);

    } else {
        return NULL;
    }

    if (p < end && *p == '.') {
        *real = 1;
        p++;

        if (p == end || *p < '0' || *p > '9') {
            return NULL;
        }

        p = jwt_json_digits(p, end);
    }

    if (p < end && (*p == 'e' || *p == 'E')) {
        *real = 1;
        p++;

        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == end || *p < '0' || *p > '9') {
            return NULL;
        }

        p = jwt_json_digits(p, end);
    }

    return p;
}


static unsigned char *
jwt_json_digits(unsigned char *p, unsigned char *end)
{
    while (p < end && *p >= '0' && *p <= '9') {
        p++;
    }

    return p;
}


static json_t *
jwt_json_literal(jwt_json_ctx_t *cx)
{
    size_t  left;
    json_t  *v;

    left = cx->end - cx->p;

    if (left >= 4 && memcmp(cx->p, "true", 4) == 0) {
        cx->p += 4;
        v = json_true();

    } else if (left >= 5 && memcmp(cx->p, "false", 5) == 0) {
        cx->p += 5;
        v = json_false();

    } else if (left >= 4 && memcmp(cx->p, "null", 4) == 0) {
        cx->p += 4;
        v = json_null();

    } else {
        return NULL;
    }

    return v;
}


/* after a member or an element: 1 at the close, 0 after a comma, else -1 */

static int
jwt_json_next(jwt_json_ctx_t *cx, unsigned char close)
{
    jwt_json_space(cx);

    if (cx->p == cx->end) {
        return -1;
    }

    if (*cx->p == close) {
        cx->p++;
        return 1;
    }

    if (*cx->p != ',') {
        return -1;
    }

    cx->p++;
    jwt_json_space(cx);

    return 0;
}


static void
jwt_json_space(jwt_json_ctx_t *cx)
{
    while (cx->p < cx->end
           && (*cx->p == ' ' || *cx->p == '\t' || *cx->p == '\n'
               || *cx->p == '\r'))
    {
        cx->p++;
    }
}
