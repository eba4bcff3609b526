
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>
#include <openssl/err.h>

#include "ngx_http_auth_bearer_cache.h"


/*
 * The verified-token cache of one worker: an rbtree on SHA-256 of the
 * whole token and an LRU queue, bounded in entries.  Workers are single
 * threaded, so nothing here is locked.  An evicted entry's memory is
 * reused for the next insertion.
 */


typedef struct {
    ngx_rbtree_t                    rbtree;
    ngx_rbtree_node_t               sentinel;
    ngx_queue_t                     lru;
    ngx_uint_t                      count;
    ngx_uint_t                      size;
    EVP_MD                         *sha256;
    EVP_MD_CTX                     *mdctx;
    ngx_log_t                      *log;
} ngx_http_auth_bearer_cache_t;


static void ngx_http_auth_bearer_cache_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static void ngx_http_auth_bearer_cache_release(
    ngx_http_auth_bearer_cache_entry_t *e);


static ngx_http_auth_bearer_cache_t  ngx_http_auth_bearer_cache;


ngx_int_t
ngx_http_auth_bearer_cache_init(ngx_uint_t size, ngx_log_t *log)
{
    ngx_http_auth_bearer_cache_t  *c = &ngx_http_auth_bearer_cache;

    ngx_rbtree_init(&c->rbtree, &c->sentinel,
                    ngx_http_auth_bearer_cache_insert);
    ngx_queue_init(&c->lru);

    c->count = 0;
    c->size = size;
    c->log = log;

    /* fetched once: no provider lookup per request */

    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    c->mdctx = EVP_MD_CTX_new();

    if (c->sha256 == NULL || c->mdctx == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "auth_jwt: cannot initialise SHA-256");
        return NGX_ERROR;
    }

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

    EVP_MD_CTX_free(c->mdctx);
    EVP_MD_free(c->sha256);

    c->mdctx = NULL;
    c->sha256 = NULL;
    c->count = 0;
    c->size = 0;
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
    ngx_int_t                            rc;
    ngx_rbtree_key_t                     key;
    ngx_rbtree_node_t                   *node, *sentinel;
    ngx_http_auth_bearer_cache_t        *c = &ngx_http_auth_bearer_cache;
    ngx_http_auth_bearer_cache_entry_t  *e;

    if (c->count == 0) {
        return NULL;
    }

    ngx_memcpy(&key, digest, sizeof(ngx_rbtree_key_t));

    node = c->rbtree.root;
    sentinel = c->rbtree.sentinel;

    while (node != sentinel) {

        if (key != node->key) {
            node = (key < node->key) ? node->left : node->right;
            continue;
        }

        e = (ngx_http_auth_bearer_cache_entry_t *) node;

        rc = ngx_memcmp(digest, e->digest, NGX_HTTP_AUTH_BEARER_DIGEST_LEN);

        if (rc == 0 && e->policy == policy) {
            ngx_queue_remove(&e->queue);
            ngx_queue_insert_head(&c->lru, &e->queue);
            return e;
        }

        /* equal keys: the entries with equal digests differ by policy */

        node = (rc < 0 || (rc == 0 && (uintptr_t) policy
                                      < (uintptr_t) e->policy))
               ? node->left : node->right;
    }

    return NULL;
}


ngx_int_t
ngx_http_auth_bearer_cache_put(ngx_http_auth_bearer_cache_entry_t *tmpl)
{
    ngx_queue_t                         *q;
    ngx_http_auth_bearer_cache_t        *c = &ngx_http_auth_bearer_cache;
    ngx_http_auth_bearer_cache_entry_t  *e;

    if (c->size == 0) {
        return NGX_DECLINED;
    }

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
        ngx_rbtree_delete(&c->rbtree, &e->node);
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

    ngx_memcpy(&e->node.key, e->digest, sizeof(ngx_rbtree_key_t));

    ngx_rbtree_insert(&c->rbtree, &e->node);
    ngx_queue_insert_head(&c->lru, &e->queue);

    return NGX_OK;
}


void
ngx_http_auth_bearer_cache_remove(ngx_http_auth_bearer_cache_entry_t *e)
{
    ngx_http_auth_bearer_cache_t  *c = &ngx_http_auth_bearer_cache;

    ngx_queue_remove(&e->queue);
    ngx_rbtree_delete(&c->rbtree, &e->node);
    ngx_http_auth_bearer_cache_release(e);
    ngx_free(e);

    c->count--;
}


static void
ngx_http_auth_bearer_cache_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_int_t                            rc;
    ngx_rbtree_node_t                  **p;
    ngx_http_auth_bearer_cache_entry_t  *e, *t;

    e = (ngx_http_auth_bearer_cache_entry_t *) node;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            t = (ngx_http_auth_bearer_cache_entry_t *) temp;

            rc = ngx_memcmp(e->digest, t->digest,
                            NGX_HTTP_AUTH_BEARER_DIGEST_LEN);

            p = (rc < 0 || (rc == 0 && (uintptr_t) e->policy
                                       < (uintptr_t) t->policy))
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
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
