
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>
#include <openssl/err.h>

#include "ngx_http_auth_bearer.h"
#include "ngx_http_auth_bearer_cache.h"


/*
 * The verified-token cache of one worker: a hash table on SHA-256 of the
 * whole token and an LRU queue, bounded in entries.  Workers are single
 * threaded, so nothing here is locked.  An evicted entry's memory is
 * reused for the next insertion.
 *
 * A token is admitted on its second use: the first only leaves its
 * fingerprint in a direct-mapped "door" array.  Streams of distinct
 * tokens then cost a lookup, not a copy of their claims and an eviction
 * each (the TinyLFU doorkeeper idea).
 */


typedef struct {
    ngx_http_auth_bearer_cache_entry_t  **buckets;
    ngx_uint_t                            mask;
    uint64_t                             *door;
    ngx_uint_t                            door_mask;
    ngx_queue_t                           lru;
    ngx_uint_t                            count;
    ngx_uint_t                            size;
    EVP_MD                               *sha256;
    EVP_MD_CTX                           *mdctx;
    ngx_log_t                            *log;
} ngx_http_auth_bearer_cache_t;


static ngx_http_auth_bearer_cache_entry_t **ngx_http_auth_bearer_cache_slot(
    u_char *digest);
static void ngx_http_auth_bearer_cache_unlink(
    ngx_http_auth_bearer_cache_entry_t *e);
static void ngx_http_auth_bearer_cache_release(
    ngx_http_auth_bearer_cache_entry_t *e);


static ngx_http_auth_bearer_cache_t  ngx_http_auth_bearer_cache;


ngx_int_t
ngx_http_auth_bearer_cache_init(ngx_uint_t size, ngx_log_t *log)
{
    ngx_uint_t                     n;
    ngx_http_auth_bearer_cache_t  *c = &ngx_http_auth_bearer_cache;

    /* buckets: a power of two, at least the number of entries */

    for (n = 16; n < size; n <<= 1) { /* void */ }

    c->buckets = ngx_calloc(n * sizeof(ngx_http_auth_bearer_cache_entry_t *),
                            log);
    c->door = ngx_calloc(2 * n * sizeof(uint64_t), log);

    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    c->mdctx = EVP_MD_CTX_new();

    if (c->buckets == NULL || c->door == NULL || c->sha256 == NULL
        || c->mdctx == NULL)
    {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "auth_jwt: cannot initialise the token cache");
        return NGX_ERROR;
    }

    c->mask = n - 1;
    c->door_mask = 2 * n - 1;
    c->count = 0;
    c->size = size;
    c->log = log;

    ngx_queue_init(&c->lru);

    return NGX_OK;
}


void
ngx_http_auth_bearer_cache_done(void)
{
    ngx_queue_t                         *q;
    ngx_http_auth_bearer_cache_t        *c = &ngx_http_auth_bearer_cache;
    ngx_http_auth_bearer_cache_entry_t  *e;

    if (c->size == 0) {
        return;
    }

    while (!ngx_queue_empty(&c->lru)) {
        q = ngx_queue_head(&c->lru);
        e = ngx_queue_data(q, ngx_http_auth_bearer_cache_entry_t, queue);

        ngx_queue_remove(q);
        ngx_http_auth_bearer_cache_release(e);
        ngx_free(e);
    }

    ngx_free(c->buckets);
    ngx_free(c->door);
    EVP_MD_CTX_free(c->mdctx);
    EVP_MD_free(c->sha256);

    ngx_memzero(c, sizeof(ngx_http_auth_bearer_cache_t));
}


ngx_int_t
ngx_http_auth_bearer_cache_digest(u_char *digest, u_char *token, size_t len)
{
    ngx_http_auth_bearer_cache_t  *c = &ngx_http_auth_bearer_cache;

    if (c->size == 0) {
        return NGX_DECLINED;
    }

    if (EVP_DigestInit_ex(c->mdctx, c->sha256, NULL) != 1
        || EVP_DigestUpdate(c->mdctx, token, len) != 1
        || EVP_DigestFinal_ex(c->mdctx, digest, NULL) != 1)
    {
        ERR_clear_error();
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_http_auth_bearer_cache_entry_t *
ngx_http_auth_bearer_cache_get(u_char *digest, void *policy)
{
    ngx_http_auth_bearer_cache_t        *c = &ngx_http_auth_bearer_cache;
    ngx_http_auth_bearer_cache_entry_t  *e;

    for (e = *ngx_http_auth_bearer_cache_slot(digest); e; e = e->next) {

        if (e->policy == policy
            && ngx_memcmp(digest, e->digest, NGX_HTTP_AUTH_BEARER_DIGEST_LEN)
               == 0)
        {
            ngx_queue_remove(&e->queue);
            ngx_queue_insert_head(&c->lru, &e->queue);
            return e;
        }
    }

    return NULL;
}


/*
 * Whether a verified token goes into the cache: NGX_DECLINED on its first
 * use, when only its fingerprint is kept, NGX_OK from the second on.
 */

ngx_int_t
ngx_http_auth_bearer_cache_admit(u_char *digest, void *policy)
{
    uint64_t                       fp, *door;
    ngx_http_auth_bearer_cache_t  *c = &ngx_http_auth_bearer_cache;

    if (c->size == 0) {
        return NGX_DECLINED;
    }

    /* bytes 8..15 of the digest: independent of the bucket index */

    ngx_memcpy(&fp, digest + 8, sizeof(uint64_t));
    fp ^= (uintptr_t) policy;

    door = &c->door[fp & c->door_mask];

    if (*door != fp) {
        *door = fp;
        return NGX_DECLINED;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_auth_bearer_cache_put(ngx_http_auth_bearer_cache_entry_t *tmpl)
{
    ngx_queue_t                         *q;
    ngx_http_auth_bearer_cache_t        *c = &ngx_http_auth_bearer_cache;
    ngx_http_auth_bearer_cache_entry_t  *e, **slot;

    if (c->count < c->size) {
        e = ngx_alloc(sizeof(ngx_http_auth_bearer_cache_entry_t), c->log);
        if (e == NULL) {
            return NGX_ERROR;
        }

        c->count++;

    } else {
        q = ngx_queue_last(&c->lru);
        e = ngx_queue_data(q, ngx_http_auth_bearer_cache_entry_t, queue);

        ngx_queue_remove(q);
        ngx_http_auth_bearer_cache_unlink(e);
        ngx_http_auth_bearer_cache_release(e);
    }

    *e = *tmpl;

    /* the user name is often built in the request pool: keep a copy */

    e->user.data = ngx_alloc(tmpl->user.len + 1, c->log);
    if (e->user.data == NULL) {
        ngx_free(e);
        c->count--;
        return NGX_ERROR;
    }

    ngx_memcpy(e->user.data, tmpl->user.data, tmpl->user.len);

    json_incref(e->header);
    json_incref(e->payload);

    slot = ngx_http_auth_bearer_cache_slot(e->digest);
    e->next = *slot;
    *slot = e;

    ngx_queue_insert_head(&c->lru, &e->queue);

    return NGX_OK;
}


void
ngx_http_auth_bearer_cache_remove(ngx_http_auth_bearer_cache_entry_t *e)
{
    ngx_http_auth_bearer_cache_t  *c = &ngx_http_auth_bearer_cache;

    ngx_queue_remove(&e->queue);
    ngx_http_auth_bearer_cache_unlink(e);
    ngx_http_auth_bearer_cache_release(e);
    ngx_free(e);

    c->count--;
}


static ngx_http_auth_bearer_cache_entry_t **
ngx_http_auth_bearer_cache_slot(u_char *digest)
{
    uint32_t                       h;
    ngx_http_auth_bearer_cache_t  *c = &ngx_http_auth_bearer_cache;

    /* SHA-256 output is uniform: its first bytes are the hash */

    ngx_memcpy(&h, digest, sizeof(uint32_t));

    return &c->buckets[h & c->mask];
}


static void
ngx_http_auth_bearer_cache_unlink(ngx_http_auth_bearer_cache_entry_t *e)
{
    ngx_http_auth_bearer_cache_entry_t  **p;

    for (p = ngx_http_auth_bearer_cache_slot(e->digest); *p; p = &(*p)->next)
    {
        if (*p == e) {
            *p = e->next;
            return;
        }
    }
}


static void
ngx_http_auth_bearer_cache_release(ngx_http_auth_bearer_cache_entry_t *e)
{
    json_decref(e->header);
    json_decref(e->payload);
    ngx_free(e->user.data);

    e->header = NULL;
    e->payload = NULL;
    e->user.data = NULL;
}


/* auth_jwt_cache entries | off; */

char *
ngx_http_auth_bearer_cache_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_auth_bearer_main_conf_t *amcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (amcf->cache_size != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        amcf->cache_size = 0;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n <= 0 || n > 16 * 1024 * 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_cache\": invalid value \"%V\"; use a "
                           "number of entries (e.g. 4096) or off",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    amcf->cache_size = n;

    return NGX_CONF_OK;
}
