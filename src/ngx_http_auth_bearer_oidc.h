
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _NGX_HTTP_AUTH_BEARER_OIDC_H_INCLUDED_
#define _NGX_HTTP_AUTH_BEARER_OIDC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_auth_bearer.h"
#include "ngx_http_auth_bearer_shm.h"
#include "ngx_http_auth_bearer_fetch.h"


#define NGX_HTTP_AUTH_BEARER_REFRESH       600
#define NGX_HTTP_AUTH_BEARER_MAX_STALE     86400
#define NGX_HTTP_AUTH_BEARER_COOLDOWN      30
#define NGX_HTTP_AUTH_BEARER_FETCH_TIMEOUT 10000


/* an OIDC issuer in one worker */

struct ngx_http_auth_bearer_oidc_s {
    ngx_http_auth_bearer_issuer_t      *issuer;
    ngx_http_auth_bearer_main_conf_t   *amcf;
    ngx_http_auth_bearer_zone_t        *zone;
    ngx_http_auth_bearer_slot_t        *slot;

    /* parsed from the slot's JWKS of this generation */
    jwt_keyset_t                        keys;
    ngx_atomic_uint_t                   generation;

    /* the refresh this worker holds the lease for */
    ngx_http_auth_bearer_fetch_t       *fetch;
    ngx_http_auth_bearer_lease_t       *lease;
    ngx_uint_t                          stage;
    ngx_log_t                          *log;
};


char *ngx_http_auth_bearer_oidc_create(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer);
char *ngx_http_auth_bearer_oidc_init_main_conf(ngx_conf_t *cf, void *conf);
ngx_int_t ngx_http_auth_bearer_oidc_init_process(ngx_cycle_t *cycle);
void ngx_http_auth_bearer_oidc_exit_process(ngx_cycle_t *cycle);

jwt_keyset_t *ngx_http_auth_bearer_oidc_get(ngx_http_auth_bearer_oidc_t *oidc,
    time_t *retry);
void ngx_http_auth_bearer_oidc_sync(ngx_http_auth_bearer_oidc_t *oidc);
ngx_uint_t ngx_http_auth_bearer_oidc_generation(
    ngx_http_auth_bearer_oidc_t *oidc);
ngx_uint_t ngx_http_auth_bearer_oidc_usable(ngx_http_auth_bearer_oidc_t *oidc,
    time_t fetched, time_t now);
ngx_int_t ngx_http_auth_bearer_oidc_missing(ngx_http_auth_bearer_oidc_t *oidc,
    ngx_uint_t first);
ngx_int_t ngx_http_auth_bearer_oidc_unknown_kid(
    ngx_http_auth_bearer_oidc_t *oidc, jwt_str_t *kid, ngx_uint_t first,
    ngx_log_t *log);
ngx_uint_t ngx_http_auth_bearer_oidc_mark(ngx_http_auth_bearer_oidc_t *oidc);
void ngx_http_auth_bearer_oidc_count(ngx_http_auth_bearer_oidc_t *oidc,
    jwt_rc_t rc);



#endif /* _NGX_HTTP_AUTH_BEARER_OIDC_H_INCLUDED_ */
