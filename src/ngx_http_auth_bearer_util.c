
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
 * schemes, response headers, the log line of a skipped key, reading a
 * file at configuration time.
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
 * Untrusted bytes (a token's iss or kid, text from an IdP) fit for a log
 * line, the one way they reach one: '"' and '\\' escaped with a
 * backslash, bytes outside printable ASCII as \xNN, so that nothing can
 * end a quoted field, forge a line or carry a terminal escape.  When the
 * escaped text is longer than size, it is cut after a whole UTF-8
 * character of the source and marked with "...".  size is at least 8.
 */

static size_t ngx_http_auth_bearer_escaped_len(const u_char *src,
    size_t len);
static size_t ngx_http_auth_bearer_char_len(const u_char *src, size_t len);


size_t
ngx_http_auth_bearer_escape(u_char *dst, size_t size, const u_char *src,
    size_t len)
{
    u_char         *p, *end;
    size_t          i, j, n;
    static u_char   hex[] = "0123456789abcdef";

    p = dst;
    end = dst + size;

    if (ngx_http_auth_bearer_escaped_len(src, len) > size) {
        end -= 3;
    }

    for (i = 0; i < len; i += n) {
        n = ngx_http_auth_bearer_char_len(src + i, len - i);

        if ((size_t) (end - p) < ngx_http_auth_bearer_escaped_len(src + i, n))
        {
            break;
        }

        for (j = i; j < i + n; j++) {
            if (src[j] == '"' || src[j] == '\\') {
                *p++ = '\\';
                *p++ = src[j];

            } else if (src[j] < 0x20 || src[j] >= 0x7f) {
                *p++ = '\\';
                *p++ = 'x';
                *p++ = hex[src[j] >> 4];
                *p++ = hex[src[j] & 0xf];

            } else {
                *p++ = src[j];
            }
        }
    }

    if (i < len) {
        p = ngx_cpymem(p, "...", 3);
    }

    return p - dst;
}


static size_t
ngx_http_auth_bearer_escaped_len(const u_char *src, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        n += (src[i] == '"' || src[i] == '\\') ? 2
             : (src[i] < 0x20 || src[i] >= 0x7f) ? 4 : 1;
    }

    return n;
}


/* the bytes of one UTF-8 character at src; 1 for anything not valid */

static size_t
ngx_http_auth_bearer_char_len(const u_char *src, size_t len)
{
    size_t  i, n;

    n = (src[0] >= 0xf0 && src[0] < 0xf8) ? 4
        : (src[0] >= 0xe0) ? 3
        : (src[0] >= 0xc0) ? 2 : 1;

    if (n > len || src[0] >= 0xf8) {
        return 1;
    }

    for (i = 1; i < n; i++) {
        if ((src[i] & 0xc0) != 0x80) {
            return 1;
        }
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

    u_char      buf[NGX_HTTP_AUTH_BEARER_LOG_FIELD];
    ngx_str_t   k;

    k.data = buf;
    k.len = ngx_http_auth_bearer_escape(buf, sizeof(buf), kid.data, kid.len);

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


/*
 * A file the configuration names, read whole by the master when the
 * configuration is loaded; memory from the temporary pool.
 */

char *
ngx_http_auth_bearer_read_file(ngx_conf_t *cf, const char *directive,
    const char *what, ngx_str_t *name, size_t max, ngx_str_t *out)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_file_info_t  fi;

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%s\": cannot open %s \"%V\"",
                           directive, what, name);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > (off_t) max)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\": %s \"%V\" is unreadable or larger "
                           "than %uzk", directive, what, name, max / 1024);
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    out->data = ngx_pnalloc(cf->temp_pool, ngx_file_size(&fi) + 1);
    if (out->data == NULL) {
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    n = ngx_read_fd(fd, out->data, ngx_file_size(&fi) + 1);

    ngx_close_file(fd);

    if (n == -1 || n != ngx_file_size(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%s\": cannot read %s \"%V\"",
                           directive, what, name);
        return NGX_CONF_ERROR;
    }

    out->len = n;

    return NGX_CONF_OK;
}


/*
 * A slab pool's context for its "no memory" lines, e.g. ' in auth_jwt
 * zone "name"', and those lines off: a full zone is logged by its user.
 */

ngx_int_t
ngx_http_auth_bearer_slab_log(ngx_slab_pool_t *shpool, char *what,
    ngx_str_t *name)
{
    size_t  len;

    len = sizeof(" in  \"\"") + ngx_strlen(what) + name->len;

    shpool->log_ctx = ngx_slab_alloc(shpool, len);
    if (shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shpool->log_ctx, " in %s \"%V\"%Z", what, name);

    shpool->log_nomem = 0;

    return NGX_OK;
}
