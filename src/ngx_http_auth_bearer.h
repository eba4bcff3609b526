
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _NGX_HTTP_AUTH_BEARER_H_INCLUDED_
#define _NGX_HTTP_AUTH_BEARER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "jwt/jwt.h"
#include "jwt/jwt_token.h"
#include "jwt/jwt_jwk.h"


#define NGX_HTTP_AUTH_BEARER_MAX_SIZE  8192

/* where an issuer's keys come from */
#define NGX_HTTP_AUTH_BEARER_SECRET    1
#define NGX_HTTP_AUTH_BEARER_KEY_FILE  2
#define NGX_HTTP_AUTH_BEARER_OIDC      3

/* asymmetric algorithms: what key material may verify for an issuer */
#define NGX_HTTP_AUTH_BEARER_ALGS_PK                                          \
    (~JWT_ALGS_HS & ((1u << JWT_ALG_MAX) - 2))


/* per-worker state of an OIDC issuer: see ngx_http_auth_bearer_keys.c */
typedef struct ngx_http_auth_bearer_oidc_s  ngx_http_auth_bearer_oidc_t;


typedef struct {
    ngx_str_t                       iss;
    ngx_uint_t                      kind;
    unsigned                        algs;
    jwt_keyset_t                    keys;           /* SECRET, KEY_FILE */
    ngx_str_t                       token_type;     /* empty: not checked */
    time_t                          leeway;         /* NGX_CONF_UNSET */
    jwt_str_t                      *audiences;
    ngx_uint_t                      naudiences;
    ngx_str_t                       user_claim;

    /* OIDC issuers */
    ngx_str_t                       discovery;      /* URL; empty: none */
    ngx_str_t                       jwks_uri;       /* URL; empty: discover */
    ngx_str_t                       user_prefix;    /* "oidc:fbs:" */
    ngx_str_t                       provider;       /* "fbs" */
    time_t                          refresh;
    time_t                          max_stale;
    ngx_flag_t                      insecure_http;
    ngx_http_auth_bearer_oidc_t    *oidc;
} ngx_http_auth_bearer_issuer_t;


typedef struct {
    ngx_array_t                     issuers;        /* of the above */
    ngx_uint_t                      cache_size;     /* auth_jwt_cache */

    /* OIDC issuers: see ngx_http_auth_bearer_keys.c */
    ngx_uint_t                      noidc;
    ngx_shm_zone_t                 *shm_zone;
    ngx_msec_t                      fetch_timeout;
    ngx_str_t                       ca_file;
} ngx_http_auth_bearer_main_conf_t;


/*
 * Memory a request's values live in.  A build with
 * -DNGX_HTTP_AUTH_BEARER_DEBUG_ALLOC=1 (make asan) gives every block its
 * own heap allocation, freed by a cleanup of the pool, so that
 * AddressSanitizer sees a use after the request as it sees one after
 * free(); pool blocks are invisible to it otherwise.
 */

#ifndef NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC
#define NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC  0
#endif

#if (NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC)
void *ngx_http_auth_bearer_pnalloc(ngx_pool_t *pool, size_t size);
#else
#define ngx_http_auth_bearer_pnalloc(pool, size)  ngx_pnalloc(pool, size)
#endif


size_t ngx_http_auth_bearer_printable(u_char *dst, size_t size,
    const u_char *src, size_t len);


extern ngx_module_t  ngx_http_auth_bearer_module;


#endif /* _NGX_HTTP_AUTH_BEARER_H_INCLUDED_ */
