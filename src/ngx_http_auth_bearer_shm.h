
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _NGX_HTTP_AUTH_BEARER_SHM_H_INCLUDED_
#define _NGX_HTTP_AUTH_BEARER_SHM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_auth_bearer.h"


#define NGX_HTTP_AUTH_BEARER_ZONE_SIZE      (1024 * 1024)
#define NGX_HTTP_AUTH_BEARER_URI_MAX        2048
#define NGX_HTTP_AUTH_BEARER_ERROR_MAX      160

/* counters of an issuer slot */
#define NGX_HTTP_AUTH_BEARER_N_ACCEPTED     0
#define NGX_HTTP_AUTH_BEARER_N_EXPIRED      1
#define NGX_HTTP_AUTH_BEARER_N_SIGNATURE    2
#define NGX_HTTP_AUTH_BEARER_N_KEY          3
#define NGX_HTTP_AUTH_BEARER_N_CLAIMS       4
#define NGX_HTTP_AUTH_BEARER_N_TOKEN        5
#define NGX_HTTP_AUTH_BEARER_N_UNAVAILABLE  6
#define NGX_HTTP_AUTH_BEARER_N_FETCH_OK     7
#define NGX_HTTP_AUTH_BEARER_N_FETCH_FAILED 8
#define NGX_HTTP_AUTH_BEARER_N_WANTED       9
#define NGX_HTTP_AUTH_BEARER_N_MAX          10


/*
 * One trusted OIDC issuer in the zone, found by its iss string.  Strings
 * live in the zone's slab; everything but the atomics and the counters is
 * read and written under the zone mutex.
 */

typedef struct {
    ngx_queue_t                     queue;

    ngx_str_t                       iss;
    ngx_str_t                       source;         /* where keys come from */
    ngx_str_t                       jwks_uri;       /* resolved; may be empty */
    ngx_str_t                       jwks;           /* validated JWKS bytes */

    ngx_atomic_t                    generation;     /* of jwks */
    ngx_atomic_t                    fetched;        /* last success */
    ngx_atomic_t                    next;           /* next attempt */
    ngx_atomic_t                    wanted;         /* refresh wanted */
    ngx_atomic_t                    wanted_at;      /* last wanted mark */
    ngx_atomic_t                    lease;          /* deadline; 0: free */
    ngx_atomic_t                    failures;       /* consecutive */

    ngx_pid_t                       lease_pid;
    time_t                          expires;
    void                           *ext;            /* a revocation feed's */
    time_t                          last_failure;

    size_t                          etag_len;
    size_t                          error_len;
    u_char                          etag[NGX_HTTP_AUTH_BEARER_ETAG_MAX];
    u_char                          error[NGX_HTTP_AUTH_BEARER_ERROR_MAX];

    ngx_atomic_t                    counters[NGX_HTTP_AUTH_BEARER_N_MAX];
} ngx_http_auth_bearer_slot_t;


typedef struct {
    ngx_queue_t                     slots;
} ngx_http_auth_bearer_shctx_t;


typedef struct {
    ngx_http_auth_bearer_shctx_t   *sh;
    ngx_slab_pool_t                *shpool;
    ngx_array_t                    *issuers;        /* of this cycle */
} ngx_http_auth_bearer_zone_t;


/* what the lease holder needs to know to fetch */
typedef struct {
    ngx_uint_t                      discover;       /* jwks_uri not known */
    ngx_uint_t                      have_keys;
    size_t                          jwks_uri_len;
    size_t                          etag_len;
    u_char                          jwks_uri[NGX_HTTP_AUTH_BEARER_URI_MAX];
    u_char                          etag[NGX_HTTP_AUTH_BEARER_ETAG_MAX];
} ngx_http_auth_bearer_lease_t;


/* a fetch that succeeded */
typedef struct {
    ngx_str_t                       jwks_uri;
    ngx_str_t                       jwks;           /* data NULL: 304 */
    ngx_str_t                       etag;
    time_t                          ttl;
} ngx_http_auth_bearer_result_t;


/* a copy of a slot for the status page */
typedef struct {
    ngx_str_t                       jwks_uri;
    ngx_atomic_uint_t               generation;
    time_t                          fetched;
    time_t                          expires;
    time_t                          last_failure;
    time_t                          next;
    ngx_uint_t                      failures;
    ngx_uint_t                      have_keys;
    ngx_str_t                       error;
    ngx_atomic_uint_t               counters[NGX_HTTP_AUTH_BEARER_N_MAX];
} ngx_http_auth_bearer_snapshot_t;


char *ngx_http_auth_bearer_zone_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_auth_bearer_shm_implicit(ngx_conf_t *cf,
    ngx_http_auth_bearer_main_conf_t *amcf);

ngx_http_auth_bearer_slot_t *ngx_http_auth_bearer_shm_slot(
    ngx_http_auth_bearer_zone_t *zone, ngx_str_t *iss, u_char kind,
    ngx_str_t *url);
ngx_uint_t ngx_http_auth_bearer_shm_due(ngx_http_auth_bearer_slot_t *slot,
    time_t now);
ngx_int_t ngx_http_auth_bearer_shm_lease(ngx_http_auth_bearer_zone_t *zone,
    ngx_http_auth_bearer_slot_t *slot, time_t deadline,
    ngx_http_auth_bearer_lease_t *lease);
void ngx_http_auth_bearer_shm_release(ngx_http_auth_bearer_zone_t *zone,
    ngx_http_auth_bearer_slot_t *slot);
ngx_int_t ngx_http_auth_bearer_shm_publish(ngx_http_auth_bearer_zone_t *zone,
    ngx_http_auth_bearer_slot_t *slot, ngx_http_auth_bearer_result_t *res,
    ngx_atomic_uint_t *generation, ngx_log_t *log);
time_t ngx_http_auth_bearer_shm_fail(ngx_http_auth_bearer_zone_t *zone,
    ngx_http_auth_bearer_slot_t *slot, u_char *error, size_t len,
    time_t cap, ngx_uint_t *failures);
ngx_int_t ngx_http_auth_bearer_shm_jwks(ngx_http_auth_bearer_zone_t *zone,
    ngx_http_auth_bearer_slot_t *slot, ngx_str_t *jwks,
    ngx_atomic_uint_t *generation, ngx_log_t *log);
ngx_uint_t ngx_http_auth_bearer_shm_want(ngx_http_auth_bearer_slot_t *slot,
    time_t now, time_t cooldown);
ngx_int_t ngx_http_auth_bearer_shm_snapshot(ngx_http_auth_bearer_zone_t *zone,
    ngx_http_auth_bearer_slot_t *slot, ngx_pool_t *pool,
    ngx_http_auth_bearer_snapshot_t *snap);


#define ngx_http_auth_bearer_shm_count(slot, n)                              \
    (void) ngx_atomic_fetch_add(&(slot)->counters[n], 1)


#endif /* _NGX_HTTP_AUTH_BEARER_SHM_H_INCLUDED_ */
