
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/sha.h>

#include "ngx_http_auth_bearer_revocation.h"


/*
 * The revocation feed's format, {"revoked": [ entry, ... ]}, read by a
 * scanner of its own: one pass, no allocation per value, strings used in
 * place unless they have escapes.  A general parser (jansson) takes half
 * a second for a feed of 100,000 entries, time a worker would not serve
 * requests; this one takes a few milliseconds.  It accepts exactly JSON
 * (RFC 8259): members other than "revoked" (and unknown members of an
 * entry) are skipped but checked, nesting is bounded, strings must not
 * hold control characters, lone surrogates or \u0000.
 */


#define NGX_HTTP_AUTH_BEARER_FEED_DEPTH    32
#define NGX_HTTP_AUTH_BEARER_FEED_STRING   NGX_HTTP_AUTH_BEARER_MAX_SIZE

/* the string members of an entry */
#define NGX_HTTP_AUTH_BEARER_FEED_JTI      0
#define NGX_HTTP_AUTH_BEARER_FEED_TOKEN    1
#define NGX_HTTP_AUTH_BEARER_FEED_SUB      2
#define NGX_HTTP_AUTH_BEARER_FEED_KID      3
#define NGX_HTTP_AUTH_BEARER_FEED_ISS      4
#define NGX_HTTP_AUTH_BEARER_FEED_STRINGS  5

/* the numeric ones */
#define NGX_HTTP_AUTH_BEARER_FEED_EXP      5
#define NGX_HTTP_AUTH_BEARER_FEED_BEFORE   6

/* the scratch slot of member names */
#define NGX_HTTP_AUTH_BEARER_FEED_NAME     5


/* where the reader is */
#define NGX_HTTP_AUTH_BEARER_FEED_START    0
#define NGX_HTTP_AUTH_BEARER_FEED_MEMBER   1
#define NGX_HTTP_AUTH_BEARER_FEED_ENTRY    2
#define NGX_HTTP_AUTH_BEARER_FEED_NEXT     3
#define NGX_HTTP_AUTH_BEARER_FEED_END      4


struct ngx_http_auth_bearer_feed_s {
    u_char                         *start;
    u_char                         *p;
    u_char                         *last;
    const char                     *error;
    ngx_uint_t                      state;
    ngx_uint_t                      revoked;
    u_char                         *scratch;        /* STRINGS + 1 */
    time_t                          now;

    ngx_http_auth_bearer_rvk_entry_t  *entries;
    ngx_uint_t                      nentries;
    ngx_uint_t                      nalloc;
    ngx_uint_t                      index;          /* of the entry read */
    ngx_log_t                      *log;
};


/* what an entry's members were */
typedef struct {
    ngx_str_t                       s[NGX_HTTP_AUTH_BEARER_FEED_STRINGS];
    double                          exp;
    double                          before;
    unsigned                        seen;           /* a bit per member */
} ngx_http_auth_bearer_feed_entry_t;


static ngx_int_t ngx_http_auth_bearer_feed_array(
    ngx_http_auth_bearer_feed_t *fd);
static ngx_int_t ngx_http_auth_bearer_feed_member(
    ngx_http_auth_bearer_feed_t *fd, u_char *name);
static ngx_int_t ngx_http_auth_bearer_feed_object(
    ngx_http_auth_bearer_feed_t *fd, ngx_http_auth_bearer_feed_entry_t *fe);
static const char *ngx_http_auth_bearer_feed_entry(
    ngx_http_auth_bearer_feed_entry_t *fe,
    ngx_http_auth_bearer_rvk_entry_t *entry);
static ngx_int_t ngx_http_auth_bearer_feed_push(
    ngx_http_auth_bearer_feed_t *fd, ngx_http_auth_bearer_rvk_entry_t *e);
static ngx_int_t ngx_http_auth_bearer_feed_skip(
    ngx_http_auth_bearer_feed_t *fd, ngx_uint_t depth);
static ngx_int_t ngx_http_auth_bearer_feed_string(
    ngx_http_auth_bearer_feed_t *fd, ngx_str_t *out, u_char *buf);
static u_char *ngx_http_auth_bearer_feed_escape(
    ngx_http_auth_bearer_feed_t *fd, u_char *p, u_char **dp);
static ngx_int_t ngx_http_auth_bearer_feed_hex4(u_char *p, u_char *last);
static ngx_int_t ngx_http_auth_bearer_feed_number(
    ngx_http_auth_bearer_feed_t *fd, double *v);
static ngx_int_t ngx_http_auth_bearer_feed_expect(
    ngx_http_auth_bearer_feed_t *fd, u_char c, const char *error);
static void ngx_http_auth_bearer_feed_ws(ngx_http_auth_bearer_feed_t *fd);


static const char  *ngx_http_auth_bearer_feed_members[] = {
    "jti", "token", "sub", "kid", "iss", "exp", "before", NULL
};


/*
 * A feed is read in steps, so that a large one does not keep the worker
 * from its requests: each step reads at most "budget" entries.
 */

ngx_http_auth_bearer_feed_t *
ngx_http_auth_bearer_feed_create(u_char *body, size_t len, time_t now,
    ngx_log_t *log)
{
    ngx_http_auth_bearer_feed_t  *fd;

    fd = ngx_calloc(sizeof(ngx_http_auth_bearer_feed_t), log);
    if (fd == NULL) {
        return NULL;
    }

    fd->scratch = ngx_alloc((NGX_HTTP_AUTH_BEARER_FEED_STRINGS + 1)
                            * NGX_HTTP_AUTH_BEARER_FEED_STRING, log);
    if (fd->scratch == NULL) {
        ngx_free(fd);
        return NULL;
    }

    fd->start = body;
    fd->p = body;
    fd->last = body + len;
    fd->now = now;
    fd->log = log;

    return fd;
}


void
ngx_http_auth_bearer_feed_free(ngx_http_auth_bearer_feed_t *fd)
{
    if (fd->entries) {
        ngx_free(fd->entries);
    }

    ngx_free(fd->scratch);
    ngx_free(fd);
}


/*
 * NGX_AGAIN: more to read; NGX_OK: the entries not yet past their exp are
 * in fd->entries (the caller takes them); NGX_DECLINED: the feed is not
 * valid (one bad entry refuses it whole), see feed_error(); NGX_ERROR:
 * no memory.
 */

ngx_int_t
ngx_http_auth_bearer_feed_step(ngx_http_auth_bearer_feed_t *fd,
    ngx_uint_t budget)
{
    u_char     *name;
    ngx_int_t   rc;

    name = fd->scratch + NGX_HTTP_AUTH_BEARER_FEED_NAME
                         * NGX_HTTP_AUTH_BEARER_FEED_STRING;

    for ( ;; ) {
        ngx_http_auth_bearer_feed_ws(fd);

        switch (fd->state) {

        case NGX_HTTP_AUTH_BEARER_FEED_START:

            if (ngx_http_auth_bearer_feed_expect(fd, '{', "not a JSON "
                                                 "object")
                != NGX_OK)
            {
                return NGX_DECLINED;
            }

            ngx_http_auth_bearer_feed_ws(fd);

            if (fd->p < fd->last && *fd->p == '}') {
                fd->p++;
                fd->state = NGX_HTTP_AUTH_BEARER_FEED_END;

            } else {
                fd->state = NGX_HTTP_AUTH_BEARER_FEED_MEMBER;
            }

            break;

        case NGX_HTTP_AUTH_BEARER_FEED_MEMBER:

            if (ngx_http_auth_bearer_feed_member(fd, name) != NGX_OK) {
                return NGX_DECLINED;
            }

            break;

        case NGX_HTTP_AUTH_BEARER_FEED_ENTRY:

            if (budget-- == 0) {
                return NGX_AGAIN;
            }

            rc = ngx_http_auth_bearer_feed_array(fd);

            if (rc != NGX_OK) {
                return rc;
            }

            break;

        case NGX_HTTP_AUTH_BEARER_FEED_NEXT:

            if (fd->p < fd->last && *fd->p == ',') {
                fd->p++;
                ngx_http_auth_bearer_feed_ws(fd);

                if (fd->p < fd->last && *fd->p == '}') {
                    fd->error = "a ',' before '}'";
                    return NGX_DECLINED;
                }

                fd->state = NGX_HTTP_AUTH_BEARER_FEED_MEMBER;
                break;
            }

            if (ngx_http_auth_bearer_feed_expect(fd, '}', "not valid JSON")
                != NGX_OK)
            {
                return NGX_DECLINED;
            }

            fd->state = NGX_HTTP_AUTH_BEARER_FEED_END;
            break;

        default: /* NGX_HTTP_AUTH_BEARER_FEED_END */

            if (fd->p != fd->last) {
                fd->error = "bytes after the JSON object";
                return NGX_DECLINED;
            }

            if (!fd->revoked) {
                fd->error = "no \"revoked\" array";
                return NGX_DECLINED;
            }

            return NGX_OK;
        }
    }
}


/*
 * A member of the top-level object: "revoked" opens its array (entries
 * follow), any other member is skipped whole.
 */

static ngx_int_t
ngx_http_auth_bearer_feed_member(ngx_http_auth_bearer_feed_t *fd,
    u_char *name)
{
    ngx_str_t  key;

    if (ngx_http_auth_bearer_feed_string(fd, &key, name) != NGX_OK
        || ngx_http_auth_bearer_feed_expect(fd, ':', "no ':'") != NGX_OK)
    {
        return NGX_DECLINED;
    }

    fd->state = NGX_HTTP_AUTH_BEARER_FEED_NEXT;

    if (key.len != sizeof("revoked") - 1
        || ngx_strncmp(key.data, "revoked", key.len) != 0)
    {
        return ngx_http_auth_bearer_feed_skip(fd, 1) == NGX_OK
               ? NGX_OK : NGX_DECLINED;
    }

    if (fd->revoked++) {
        fd->error = "\"revoked\" given twice";
        return NGX_DECLINED;
    }

    if (ngx_http_auth_bearer_feed_expect(fd, '[', "\"revoked\" is not an "
                                         "array")
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    ngx_http_auth_bearer_feed_ws(fd);

    if (fd->p < fd->last && *fd->p == ']') {
        fd->p++;

    } else {
        fd->state = NGX_HTTP_AUTH_BEARER_FEED_ENTRY;
    }

    return NGX_OK;
}


/* the entries read, for the caller to free; NULL when there are none */

ngx_http_auth_bearer_rvk_entry_t *
ngx_http_auth_bearer_feed_entries(ngx_http_auth_bearer_feed_t *fd,
    ngx_uint_t *n)
{
    ngx_http_auth_bearer_rvk_entry_t  *e;

    e = fd->entries;
    *n = fd->nentries;

    fd->entries = NULL;
    fd->nentries = 0;

    return e;
}


/* the bytes read so far */

size_t
ngx_http_auth_bearer_feed_offset(ngx_http_auth_bearer_feed_t *fd)
{
    return fd->p - fd->start;
}


/* why the feed was refused, NUL-terminated in buf */

u_char *
ngx_http_auth_bearer_feed_error(ngx_http_auth_bearer_feed_t *fd, u_char *buf,
    size_t len)
{
    u_char  *p;

    if (fd->index) {
        p = ngx_snprintf(buf, len - 1, "entry %ui: %s", fd->index - 1,
                         fd->error ? fd->error : "not valid JSON");

    } else {
        p = ngx_snprintf(buf, len - 1, "%s",
                         fd->error ? fd->error : "not valid JSON");
    }

    *p = '\0';

    return buf;
}


/* one entry of the array, and the ',' or ']' after it */

static ngx_int_t
ngx_http_auth_bearer_feed_array(ngx_http_auth_bearer_feed_t *fd)
{
    const char                         *reason;
    ngx_http_auth_bearer_rvk_entry_t    entry;
    ngx_http_auth_bearer_feed_entry_t   fe;

    fd->index++;

    if (ngx_http_auth_bearer_feed_object(fd, &fe) != NGX_OK) {
        return NGX_DECLINED;
    }

    reason = ngx_http_auth_bearer_feed_entry(&fe, &entry);

    if (reason) {
        fd->error = reason;
        return NGX_DECLINED;
    }

    /* past its exp: the token it names has expired too */

    if (entry.exp >= fd->now
        && ngx_http_auth_bearer_feed_push(fd, &entry) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_auth_bearer_feed_ws(fd);

    if (fd->p < fd->last && *fd->p == ',') {
        fd->p++;
        return NGX_OK;
    }

    fd->index = 0;
    fd->state = NGX_HTTP_AUTH_BEARER_FEED_NEXT;

    return ngx_http_auth_bearer_feed_expect(fd, ']', "no ']' after the "
                                            "entries");
}


/* one entry: its known members kept, others checked and skipped */

static ngx_int_t
ngx_http_auth_bearer_feed_object(ngx_http_auth_bearer_feed_t *fd,
    ngx_http_auth_bearer_feed_entry_t *fe)
{
    u_char      *buf;
    ngx_str_t    key;
    ngx_uint_t   m;

    ngx_memzero(fe, sizeof(ngx_http_auth_bearer_feed_entry_t));

    ngx_http_auth_bearer_feed_ws(fd);

    if (ngx_http_auth_bearer_feed_expect(fd, '{', "not an object") != NGX_OK)
    {
        return NGX_DECLINED;
    }

    ngx_http_auth_bearer_feed_ws(fd);

    if (fd->p < fd->last && *fd->p == '}') {
        fd->p++;
        return NGX_OK;
    }

    for ( ;; ) {
        ngx_http_auth_bearer_feed_ws(fd);

        buf = fd->scratch + NGX_HTTP_AUTH_BEARER_FEED_NAME
                            * NGX_HTTP_AUTH_BEARER_FEED_STRING;

        if (ngx_http_auth_bearer_feed_string(fd, &key, buf) != NGX_OK
            || ngx_http_auth_bearer_feed_expect(fd, ':', "no ':'") != NGX_OK)
        {
            return NGX_DECLINED;
        }

        for (m = 0; ngx_http_auth_bearer_feed_members[m]; m++) {
            if (key.len == ngx_strlen(ngx_http_auth_bearer_feed_members[m])
                && ngx_strncmp(key.data, ngx_http_auth_bearer_feed_members[m],
                               key.len)
                   == 0)
            {
                break;
            }
        }

        if (ngx_http_auth_bearer_feed_members[m] == NULL) {
            if (ngx_http_auth_bearer_feed_skip(fd, 2) != NGX_OK) {
                return NGX_DECLINED;
            }

            goto next;
        }

        if (fe->seen & (1u << m)) {
            fd->error = "a member given twice";
            return NGX_DECLINED;
        }

        fe->seen |= 1u << m;

        ngx_http_auth_bearer_feed_ws(fd);

        if (m < NGX_HTTP_AUTH_BEARER_FEED_STRINGS) {
            if (fd->p >= fd->last || *fd->p != '"') {
                fd->error = (m == NGX_HTTP_AUTH_BEARER_FEED_ISS)
                            ? "\"iss\" is not a string"
                            : "its key is not a non-empty string";
                return NGX_DECLINED;
            }

            buf = fd->scratch + m * NGX_HTTP_AUTH_BEARER_FEED_STRING;

            if (ngx_http_auth_bearer_feed_string(fd, &fe->s[m], buf)
                != NGX_OK)
            {
                return NGX_DECLINED;
            }

        } else if (ngx_http_auth_bearer_feed_number(fd,
                       m == NGX_HTTP_AUTH_BEARER_FEED_EXP
                       ? &fe->exp : &fe->before)
                   != NGX_OK)
        {
            fd->error = (m == NGX_HTTP_AUTH_BEARER_FEED_EXP)
                        ? "no numeric \"exp\""
                        : "a \"sub\" entry needs a numeric \"before\"";
            return NGX_DECLINED;
        }

    next:

        ngx_http_auth_bearer_feed_ws(fd);

        if (fd->p < fd->last && *fd->p == ',') {
            fd->p++;
            continue;
        }

        return ngx_http_auth_bearer_feed_expect(fd, '}', "no '}' after an "
                                                "entry's members");
    }
}


#define ngx_http_auth_bearer_feed_has(fe, m)  ((fe)->seen & (1u << (m)))


/* an entry's members into its kind, key and times; NULL, or why not */

static const char *
ngx_http_auth_bearer_feed_entry(ngx_http_auth_bearer_feed_entry_t *fe,
    ngx_http_auth_bearer_rvk_entry_t *entry)
{
    u_char      *p;
    ngx_str_t   *v, *iss;
    ngx_int_t    hi, lo;
    ngx_uint_t   i, m;

    ngx_memzero(entry, sizeof(ngx_http_auth_bearer_rvk_entry_t));

    for (m = 0; m < NGX_HTTP_AUTH_BEARER_FEED_ISS; m++) {
        if (ngx_http_auth_bearer_feed_has(fe, m)) {
            break;
        }
    }

    if (m == NGX_HTTP_AUTH_BEARER_FEED_ISS) {
        return "none of \"jti\", \"token\", \"sub\", \"kid\"";
    }

    if (!ngx_http_auth_bearer_feed_has(fe, NGX_HTTP_AUTH_BEARER_FEED_EXP)) {
        return "no numeric \"exp\"";
    }

    /* the kinds are numbered as the members */

    entry->kind = (uint32_t) m;
    entry->exp = (int64_t) fe->exp;

    v = &fe->s[m];
    iss = &fe->s[NGX_HTTP_AUTH_BEARER_FEED_ISS];

    if (v->len == 0) {
        return "its key is not a non-empty string";
    }

    if (ngx_http_auth_bearer_feed_has(fe, NGX_HTTP_AUTH_BEARER_FEED_ISS)
        && iss->len == 0)
    {
        return "\"iss\" is not a string";
    }

    switch (m) {

    case NGX_HTTP_AUTH_BEARER_FEED_TOKEN:

        if (v->len != sizeof("sha256:") - 1 + 2 * SHA256_DIGEST_LENGTH
            || ngx_strncmp(v->data, "sha256:", sizeof("sha256:") - 1) != 0)
        {
            return "\"token\" is not \"sha256:\" and 64 hex digits";
        }

        p = v->data + sizeof("sha256:") - 1;

        for (i = 0; i < NGX_HTTP_AUTH_BEARER_RVK_KEY_LEN; i++) {
            hi = ngx_hextoi(p + 2 * i, 1);
            lo = ngx_hextoi(p + 2 * i + 1, 1);

            if (hi == NGX_ERROR || lo == NGX_ERROR) {
                return "\"token\" is not \"sha256:\" and 64 hex digits";
            }

            entry->key[i] = (u_char) (hi << 4 | lo);
        }

        for (i = 2 * NGX_HTTP_AUTH_BEARER_RVK_KEY_LEN;
             i < 2 * SHA256_DIGEST_LENGTH;
             i++)
        {
            if (ngx_hextoi(p + i, 1) == NGX_ERROR) {
                return "\"token\" is not \"sha256:\" and 64 hex digits";
            }
        }

        return NULL;

    case NGX_HTTP_AUTH_BEARER_FEED_JTI:
        ngx_http_auth_bearer_feed_key(m, v->data, v->len, NULL, 0,
                                      entry->key);
        return NULL;

    case NGX_HTTP_AUTH_BEARER_FEED_SUB:

        if (!ngx_http_auth_bearer_feed_has(fe,
                                           NGX_HTTP_AUTH_BEARER_FEED_BEFORE))
        {
            return "a \"sub\" entry needs a numeric \"before\"";
        }

        entry->before = (int64_t) fe->before;

        /* fall through */

    default:

        if (iss->len == 0) {
            return (m == NGX_HTTP_AUTH_BEARER_FEED_SUB)
                   ? "a \"sub\" entry needs \"iss\""
                   : "a \"kid\" entry needs \"iss\"";
        }

        ngx_http_auth_bearer_feed_key(m, iss->data, iss->len, v->data,
                                      v->len, entry->key);
        return NULL;
    }
}


static ngx_int_t
ngx_http_auth_bearer_feed_push(ngx_http_auth_bearer_feed_t *fd,
    ngx_http_auth_bearer_rvk_entry_t *e)
{
    ngx_uint_t                         n;
    ngx_http_auth_bearer_rvk_entry_t  *a;

    if (fd->nentries == fd->nalloc) {
        n = fd->nalloc ? 2 * fd->nalloc : 1024;

        if (n > 0x7fffffff) {
            fd->error = "too many entries";
            return NGX_ERROR;
        }

        a = ngx_alloc(n * sizeof(ngx_http_auth_bearer_rvk_entry_t), fd->log);
        if (a == NULL) {
            return NGX_ERROR;
        }

        if (fd->entries) {
            ngx_memcpy(a, fd->entries,
                       fd->nentries
                       * sizeof(ngx_http_auth_bearer_rvk_entry_t));
            ngx_free(fd->entries);
        }

        fd->entries = a;
        fd->nalloc = n;
    }

    fd->entries[fd->nentries++] = *e;

    return NGX_OK;
}


/* any JSON value, checked and passed over */

static ngx_int_t
ngx_http_auth_bearer_feed_skip(ngx_http_auth_bearer_feed_t *fd,
    ngx_uint_t depth)
{
    u_char      c, close;
    double      v;
    ngx_str_t   s;

    if (depth > NGX_HTTP_AUTH_BEARER_FEED_DEPTH) {
        fd->error = "nested too deep";
        return NGX_DECLINED;
    }

    ngx_http_auth_bearer_feed_ws(fd);

    if (fd->p >= fd->last) {
        fd->error = "not valid JSON";
        return NGX_DECLINED;
    }

    c = *fd->p;

    switch (c) {

    case '"':
        return ngx_http_auth_bearer_feed_string(fd, &s, NULL);

    case '{':
    case '[':
        close = (c == '{') ? '}' : ']';
        fd->p++;

        ngx_http_auth_bearer_feed_ws(fd);

        if (fd->p < fd->last && *fd->p == close) {
            fd->p++;
            return NGX_OK;
        }

        for ( ;; ) {
            if (c == '{') {
                ngx_http_auth_bearer_feed_ws(fd);

                if (ngx_http_auth_bearer_feed_string(fd, &s, NULL) != NGX_OK
                    || ngx_http_auth_bearer_feed_expect(fd, ':', "no ':'")
                       != NGX_OK)
                {
                    return NGX_DECLINED;
                }
            }

            if (ngx_http_auth_bearer_feed_skip(fd, depth + 1) != NGX_OK) {
                return NGX_DECLINED;
            }

            ngx_http_auth_bearer_feed_ws(fd);

            if (fd->p < fd->last && *fd->p == ',') {
                fd->p++;
                continue;
            }

            return ngx_http_auth_bearer_feed_expect(fd, close,
                                                    "not valid JSON");
        }

    case 't':
    case 'f':
    case 'n':
        s.data = (u_char *) (c == 't' ? "true" : c == 'f' ? "false"
                                                         : "null");
        s.len = ngx_strlen(s.data);

        if ((size_t) (fd->last - fd->p) < s.len
            || ngx_strncmp(fd->p, s.data, s.len) != 0)
        {
            fd->error = "not valid JSON";
            return NGX_DECLINED;
        }

        fd->p += s.len;
        return NGX_OK;

    default:
        return ngx_http_auth_bearer_feed_number(fd, &v);
    }
}


/*
 * A string at fd->p: out points into the body when it has no escape,
 * into buf (FEED_STRING bytes) decoded otherwise; buf NULL: only checked.
 */

static ngx_int_t
ngx_http_auth_bearer_feed_string(ngx_http_auth_bearer_feed_t *fd,
    ngx_str_t *out, u_char *buf)
{
    u_char  *p, *start, *d, *end;

    if (fd->p >= fd->last || *fd->p != '"') {
        fd->error = "not valid JSON";
        return NGX_DECLINED;
    }

    start = fd->p + 1;

    for (p = start; p < fd->last && *p != '"' && *p != '\\'; p++) {
        if (*p < 0x20) {
            fd->error = "a control character in a string";
            return NGX_DECLINED;
        }
    }

    if (p < fd->last && *p == '"') {
        out->data = start;
        out->len = p - start;
        fd->p = p + 1;
        return NGX_OK;
    }

    /* escapes: decoded into buf */

    d = buf;
    end = buf ? buf + NGX_HTTP_AUTH_BEARER_FEED_STRING - 4 : NULL;

    if (buf) {
        if ((size_t) (p - start) > (size_t) (end - buf)) {
            fd->error = "a string too long";
            return NGX_DECLINED;
        }

        d = ngx_cpymem(buf, start, p - start);
    }

    while (p < fd->last && *p != '"') {

        if (buf && d >= end) {
            fd->error = "a string too long";
            return NGX_DECLINED;
        }

        if (*p < 0x20) {
            fd->error = "a control character in a string";
            return NGX_DECLINED;
        }

        if (*p != '\\') {
            if (buf) {
                *d++ = *p;
            }

            p++;
            continue;
        }

        p = ngx_http_auth_bearer_feed_escape(fd, p, buf ? &d : NULL);

        if (p == NULL) {
            return NGX_DECLINED;
        }
    }

    if (p >= fd->last) {
        fd->error = "an unterminated string";
        return NGX_DECLINED;
    }

    out->data = buf;
    out->len = buf ? (size_t) (d - buf) : 0;
    fd->p = p + 1;

    return NGX_OK;
}


/*
 * The escape at p (a backslash): its bytes (UTF-8) appended at *dp when
 * dp is given; the position after it, or NULL.
 */

static u_char *
ngx_http_auth_bearer_feed_escape(ngx_http_auth_bearer_feed_t *fd, u_char *p,
    u_char **dp)
{
    u_char     c, *d;
    ngx_int_t  u, lo;

    if (fd->last - p < 2) {
        goto invalid;
    }

    c = p[1];
    p += 2;

    switch (c) {
    case '"':  case '\\':  case '/':
        break;
    case 'b':
        c = '\b';
        break;
    case 'f':
        c = '\f';
        break;
    case 'n':
        c = '\n';
        break;
    case 'r':
        c = '\r';
        break;
    case 't':
        c = '\t';
        break;

    case 'u':
        u = ngx_http_auth_bearer_feed_hex4(p, fd->last);
        if (u <= 0) {
            goto invalid;           /* and \u0000, as jansson */
        }

        p += 4;

        if (u >= 0xdc00 && u <= 0xdfff) {
            goto invalid;
        }

        if (u >= 0xd800 && u <= 0xdbff) {
            if (fd->last - p < 6 || p[0] != '\\' || p[1] != 'u') {
                goto invalid;
            }

            lo = ngx_http_auth_bearer_feed_hex4(p + 2, fd->last);
            if (lo < 0xdc00 || lo > 0xdfff) {
                goto invalid;
            }

            p += 6;
            u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        }

        if (dp == NULL) {
            return p;
        }

        d = *dp;

        if (u < 0x80) {
            *d++ = (u_char) u;

        } else if (u < 0x800) {
            *d++ = (u_char) (0xc0 | (u >> 6));
            *d++ = (u_char) (0x80 | (u & 0x3f));

        } else if (u < 0x10000) {
            *d++ = (u_char) (0xe0 | (u >> 12));
            *d++ = (u_char) (0x80 | ((u >> 6) & 0x3f));
            *d++ = (u_char) (0x80 | (u & 0x3f));

        } else {
            *d++ = (u_char) (0xf0 | (u >> 18));
            *d++ = (u_char) (0x80 | ((u >> 12) & 0x3f));
            *d++ = (u_char) (0x80 | ((u >> 6) & 0x3f));
            *d++ = (u_char) (0x80 | (u & 0x3f));
        }

        *dp = d;
        return p;

    default:
        goto invalid;
    }

    if (dp) {
        *(*dp)++ = c;
    }

    return p;

invalid:

    fd->error = "an invalid escape in a string";
    return NULL;
}


static ngx_int_t
ngx_http_auth_bearer_feed_hex4(u_char *p, u_char *last)
{
    if (last - p < 4) {
        return NGX_ERROR;
    }

    return ngx_hextoi(p, 4);
}


/* a JSON number, strictly as RFC 8259 writes it */

static ngx_int_t
ngx_http_auth_bearer_feed_number(ngx_http_auth_bearer_feed_t *fd, double *v)
{
    u_char  *p, *start, *last;
    u_char   buf[64];

    p = fd->p;
    start = p;
    last = fd->last;

    if (p < last && *p == '-') {
        p++;
    }

    if (p < last && *p == '0') {
        p++;

    } else if (p < last && *p >= '1' && *p <= '9') {
        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }

    } else {
        goto invalid;
    }

    if (p < last && *p == '.') {
        p++;

        if (p == last || *p < '0' || *p > '9') {
            goto invalid;
        }

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < last && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < last && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == last || *p < '0' || *p > '9') {
            goto invalid;
        }

        while (p < last && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if ((size_t) (p - start) >= sizeof(buf)) {
        goto invalid;
    }

    ngx_memcpy(buf, start, p - start);
    buf[p - start] = '\0';

    *v = strtod((char *) buf, NULL);

    fd->p = p;

    return NGX_OK;

invalid:

    fd->error = "not valid JSON";
    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_auth_bearer_feed_expect(ngx_http_auth_bearer_feed_t *fd, u_char c,
    const char *error)
{
    ngx_http_auth_bearer_feed_ws(fd);

    if (fd->p < fd->last && *fd->p == c) {
        fd->p++;
        return NGX_OK;
    }

    if (fd->error == NULL) {
        fd->error = error;
    }

    return NGX_DECLINED;
}


static void
ngx_http_auth_bearer_feed_ws(ngx_http_auth_bearer_feed_t *fd)
{
    u_char  *p;

    for (p = fd->p; p < fd->last; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            break;
        }
    }

    fd->p = p;
}


/*
 * The key of an entry, and of a token's claims when it is looked up:
 * 16 bytes of SHA-256 over the kind, a, NUL, b.
 */

void
ngx_http_auth_bearer_feed_key(ngx_uint_t kind, const u_char *a, size_t alen,
    const u_char *b, size_t blen, u_char *key)
{
    u_char  k, md[EVP_MAX_MD_SIZE];

    static EVP_MD_CTX  *c;

    k = (u_char) kind;

    if (c == NULL) {
        c = EVP_MD_CTX_new();
    }

    /* a failure leaves a key that matches nothing */

    ngx_memzero(md, sizeof(md));

    if (c == NULL
        || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1
        || EVP_DigestUpdate(c, &k, 1) != 1
        || EVP_DigestUpdate(c, a, alen) != 1
        || EVP_DigestUpdate(c, "", 1) != 1
        || (blen && EVP_DigestUpdate(c, b, blen) != 1)
        || EVP_DigestFinal_ex(c, md, NULL) != 1)
    {
        ERR_clear_error();
        md[0] = 0xff;
        md[1] = (u_char) ~kind;
    }

    ngx_memcpy(key, md, NGX_HTTP_AUTH_BEARER_RVK_KEY_LEN);
}
