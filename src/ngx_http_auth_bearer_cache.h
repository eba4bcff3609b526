
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _NGX_HTTP_AUTH_BEARER_CACHE_H_INCLUDED_
#define _NGX_HTTP_AUTH_BEARER_CACHE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <jansson.h>
#include <openssl/sha.h>


#define NGX_HTTP_AUTH_BEARER_CACHE_SIZE  4096

#define NGX_HTTP_AUTH_BEARER_DIGEST_LEN  SHA256_DIGEST_LENGTH


/*
 * A verified token, per worker: the claims parsed once and the window in
 * which the verdict holds.  Valid only for the same policy (location
 * configuration) and the same key generation of its issuer.
 */

typedef struct ngx_http_auth_bearer_cache_entry_s
    ngx_http_auth_bearer_cache_entry_t;

struct ngx_http_auth_bearer_cache_entry_s {
    ngx_http_auth_bearer_cache_entry_t  *next;         /* in its bucket */
    ngx_queue_t                          queue;        /* LRU */

    u_char                               digest[SHA256_DIGEST_LENGTH];

    void                                *policy;
    void                                *issuer;
    ngx_uint_t                           generation;
    ngx_uint_t                           revocation;   /* checked at */

    json_t                              *header;
    json_t                              *payload;
    ngx_str_t                            user;

    time_t                               not_before;   /* verified at */
    time_t                               expires;      /* exp + leeway */
};


char *ngx_http_auth_bearer_cache_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

ngx_int_t ngx_http_auth_bearer_cache_init(ngx_uint_t size, ngx_log_t *log);
void ngx_http_auth_bearer_cache_done(void);

ngx_int_t ngx_http_auth_bearer_cache_digest(u_char *digest, u_char *token,
    size_t len);

/* an entry for the digest, policy, issuer generation, or NULL */
ngx_http_auth_bearer_cache_entry_t *ngx_http_auth_bearer_cache_get(
    u_char *digest, void *policy);

/* the door: a token's key (0: the cache is off), seen before, admitted */
uint64_t ngx_http_auth_bearer_cache_key(u_char *token, size_t len,
    void *policy);
ngx_uint_t ngx_http_auth_bearer_cache_seen(uint64_t key);

/* NGX_OK if a verified token should be cached: from its second use */
ngx_int_t ngx_http_auth_bearer_cache_admit(uint64_t key);

/* takes references to header and payload; evicts the least recent */
ngx_int_t ngx_http_auth_bearer_cache_put(
    ngx_http_auth_bearer_cache_entry_t *tmpl);

void ngx_http_auth_bearer_cache_remove(
    ngx_http_auth_bearer_cache_entry_t *e);


#endif /* _NGX_HTTP_AUTH_BEARER_CACHE_H_INCLUDED_ */
