
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_auth_bearer.h"


/*
 * Small helpers every other file may use, and which use none of them:
 * jansson's allocator, the debug allocator, text fit for a log line, URL
 * schemes, response headers, the log line of a skipped key.
 */


typedef union {
    ngx_pool_t   *pool;
    long double   align;
} ngx_http_auth_bearer_json_hdr_t;


static void *ngx_http_auth_bearer_json_malloc(size_t size);
static void ngx_http_auth_bearer_json_free(void *p);


/*
 * jansson allocates from this pool while it is set (a request's claims,
 * variable text), from the heap otherwise (keys, the token cache).  A
 * header before each block says which, so json_decref works on both.
 */

static ngx_pool_t  *ngx_http_auth_bearer_json_pool;


/*
 * Before any JSON is parsed in this process: the same functions on every
 * reload, so objects of an older cycle stay compatible.
 */

void
ngx_http_auth_bearer_json_init(void)
{
    json_set_alloc_funcs(ngx_http_auth_bearer_json_malloc,
                         ngx_http_auth_bearer_json_free);
}


/* NULL: back to the heap */

void
ngx_http_auth_bearer_json_use(ngx_pool_t *pool)
{
    ngx_http_auth_bearer_json_pool = pool;
}


/*
 * In the debug build, a request's JSON values are heap blocks freed by
 * their reference counts (the request's references go in its cleanup),
 * so that a use after the request is seen too.
 */

static void *
ngx_http_auth_bearer_json_malloc(size_t size)
{
    ngx_pool_t                       *pool;
    ngx_http_auth_bearer_json_hdr_t  *h;

    size += sizeof(ngx_http_auth_bearer_json_hdr_t);

    pool = NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC
           ? NULL : ngx_http_auth_bearer_json_pool;

    h = pool ? ngx_palloc(pool, size) : malloc(size);

    if (h == NULL) {
        return NULL;
    }

    h->pool = pool;

    return h + 1;
}


static void
ngx_http_auth_bearer_json_free(void *p)
{
    ngx_http_auth_bearer_json_hdr_t  *h;

    if (p == NULL) {
        return;
    }

    h = (ngx_http_auth_bearer_json_hdr_t *) p - 1;

    /* pool blocks go with their pool */

    if (h->pool == NULL) {
        free(h);
    }
}


/* compact JSON text of a value, in the pool */

u_char *
ngx_http_auth_bearer_json_text(ngx_pool_t *pool, json_t *json, size_t *len)
{
    char    *s;
    u_char  *p;

    ngx_http_auth_bearer_json_pool = pool;
    s = json_dumps(json, JSON_ENCODE_ANY|JSON_COMPACT);
    ngx_http_auth_bearer_json_pool = NULL;

    if (s == NULL) {
        return NULL;
    }

    *len = ngx_strlen(s);

    if (!NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC) {
        return (u_char *) s;
    }

    p = ngx_http_auth_bearer_pnalloc(pool, *len);

    if (p) {
        ngx_memcpy(p, s, *len);
    }

    ngx_http_auth_bearer_json_free(s);

    return p;
}


#if (NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC)

static void
ngx_http_auth_bearer_debug_free(void *data)
{
    free(data);
}


void *
ngx_http_auth_bearer_pnalloc(ngx_pool_t *pool, size_t size)
{
    void                *p;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    p = malloc(size ? size : 1);
    if (p == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_auth_bearer_debug_free;
    cln->data = p;

    return p;
}

#endif


/*
 * A copy of untrusted bytes (a kid, text from an IdP) fit for a log line:
 * control bytes, quotes, backslashes and non-ASCII become '?', and the
 * copy is cut at size, marked with "...".
 */

size_t
ngx_http_auth_bearer_printable(u_char *dst, size_t size, const u_char *src,
    size_t len)
{
    size_t  i, n;

    n = (len > size) ? size - 3 : len;

    for (i = 0; i < n; i++) {
        dst[i] = (src[i] < 0x20 || src[i] >= 0x7f || src[i] == '"'
                  || src[i] == '\\') ? '?' : src[i];
    }

    if (n < len) {
        dst[n++] = '.';
        dst[n++] = '.';
        dst[n++] = '.';
    }

    return n;
}


/*
 * The length of an "https://" prefix, or of "http://" when http is
 * allowed, with something after it; 0 otherwise.
 */

size_t
ngx_http_auth_bearer_url_scheme(const u_char *url, size_t len,
    ngx_uint_t http)
{
    if (len > 8 && ngx_strncasecmp((u_char *) url, (u_char *) "https://", 8)
                   == 0)
    {
        return 8;
    }

    if (http && len > 7
        && ngx_strncasecmp((u_char *) url, (u_char *) "http://", 7) == 0)
    {
        return 7;
    }

    return 0;
}


ngx_table_elt_t *
ngx_http_auth_bearer_push_header(ngx_http_request_t *r, const char *key,
    u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value.data = value;
    h->value.len = len;

    return h;
}


/*
 * The callback of jwt_keyset_add_jwks() for a key it skips: a warning
 * at the line of a key file, an info line for a fetched JWKS.  The kid is
 * someone else's bytes: nothing that could forge a log line.
 */

void
ngx_http_auth_bearer_key_skipped(void *data, size_t index, jwt_str_t kid,
    const char *reason)
{
    ngx_http_auth_bearer_skipped_t *sk = data;

    u_char      buf[64];
    ngx_str_t   k;

    k.data = buf;
    k.len = ngx_http_auth_bearer_printable(buf, sizeof(buf), kid.data,
                                           kid.len);

    if (sk->cf) {
        ngx_conf_log_error(NGX_LOG_WARN, sk->cf, 0,
                           "key #%uz (kid \"%V\") skipped: %s", index, &k,
                           reason);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, sk->log, 0,
                  "auth_jwt: JWKS of \"%V\": key #%uz (kid \"%V\") "
                  "skipped: %s", sk->iss, index, &k, reason);
}
