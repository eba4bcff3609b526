
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "ngx_http_auth_bearer.h"
#include "ngx_http_auth_bearer_cache.h"


/*
 * The verified-token cache of one worker: a hash table on SHA-256 of the
 * whole token and an LRU queue, bounded in entries.  Workers are single
 * threaded, so nothing here is locked.  An evicted entry's memory is
 * reused for the next insertion.
 *
 * A token is admitted on its second use: the first only leaves a 64-bit
 * keyed hash of it in a direct-mapped "door" array.  The door is asked
 * first, before any SHA-256: a token it has not seen cannot be in the
 * cache, so a stream of distinct tokens costs one cheap hash each, not a
 * digest, a copy of their claims and an eviction (the TinyLFU doorkeeper
 * idea).  A cached token whose door slot another token took is verified
 * once more and finds its slot again.
 */


typedef struct {
    ngx_http_auth_bearer_cache_entry_t  **buckets;
    ngx_uint_t                            mask;
    uint64_t                             *door;
    ngx_uint_t                            door_mask;
    uint64_t                              seed;
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

    /* a worker's own seed: which tokens share a door slot is unknowable */

    if (RAND_bytes((u_char *) &c->seed, sizeof(uint64_t)) != 1) {
        ERR_clear_error();
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "auth_jwt: cannot seed the token cache");
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
 * The door's key of a token under a policy: a 64-bit keyed hash of its
 * bytes (MurmurHash64A's mixing, the worker's seed and the policy as its
 * initial state); 0 when the cache is off.  Not a cryptographic hash and
 * not used as one: a collision only admits a token one use early.
 */

uint64_t
ngx_http_auth_bearer_cache_key(u_char *token, size_t len, void *policy)
{
    size_t                         i;
    uint64_t                       h, k;
    ngx_http_auth_bearer_cache_t  *c = &ngx_http_auth_bearer_cache;

    static const uint64_t  m = 0xc6a4a7935bd1e995ULL;

    if (c->size == 0) {
        return 0;
    }

    h = (c->seed ^ (uintptr_t) policy) ^ (len * m);

    for (i = 0; i + 8 <= len; i += 8) {
        ngx_memcpy(&k, token + i, sizeof(uint64_t));

        k *= m;
        k ^= k >> 47;
        k *= m;

        h ^= k;
        h *= m;
    }

    if (i < len) {
        k = 0;
        ngx_memcpy(&k, token + i, len - i);

        h ^= k;
        h *= m;
    }

    h ^= h >> 47;
    h *= m;
    h ^= h >> 47;

    /* 0 marks an empty slot */

    return h ? h : 1;
}


/* whether the door has seen the token: only then may it be in the cache */

ngx_uint_t
ngx_http_auth_bearer_cache_seen(uint64_t key)
{
    ngx_http_auth_bearer_cache_t  *c = &ngx_http_auth_bearer_cache;

    return key != 0 && c->door[key & c->door_mask] == key;
}


/*
 * Whether a verified token goes into the cache: NGX_DECLINED on its first
 * use, when only its key is kept, NGX_OK from the second on.
 */

ngx_int_t
ngx_http_auth_bearer_cache_admit(uint64_t key)
{
    uint64_t                      *door;
    ngx_http_auth_bearer_cache_t  *c = &ngx_http_auth_bearer_cache;

    if (key == 0) {
        return NGX_DECLINED;
    }

    door = &c->door[key & c->door_mask];

    if (*door != key) {
        *door = key;
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
