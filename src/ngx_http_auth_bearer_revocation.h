
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _NGX_HTTP_AUTH_BEARER_REVOCATION_H_INCLUDED_
#define _NGX_HTTP_AUTH_BEARER_REVOCATION_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>

#include "ngx_http_auth_bearer.h"
#include "ngx_http_auth_bearer_shm.h"
#include "ngx_http_auth_bearer_fetch.h"


#define NGX_HTTP_AUTH_BEARER_RVK_REFRESH    10          /* s */
#define NGX_HTTP_AUTH_BEARER_RVK_MAX_STALE  3600        /* s */
#define NGX_HTTP_AUTH_BEARER_RVK_BODY_MAX   (16 * 1024 * 1024)

/* the kinds of a feed's entries */
#define NGX_HTTP_AUTH_BEARER_RVK_JTI        0
#define NGX_HTTP_AUTH_BEARER_RVK_TOKEN      1
#define NGX_HTTP_AUTH_BEARER_RVK_SUB        2
#define NGX_HTTP_AUTH_BEARER_RVK_KID        3
#define NGX_HTTP_AUTH_BEARER_RVK_KINDS      4

#define NGX_HTTP_AUTH_BEARER_RVK_KEY_LEN    16
#define NGX_HTTP_AUTH_BEARER_RVK_STEP       1024   /* entries read a step */
#define NGX_HTTP_AUTH_BEARER_RVK_OLD        4      /* sets retired */


/* one entry of a set: its key is a hash of its kind and its fields */

typedef struct {
    u_char                          key[NGX_HTTP_AUTH_BEARER_RVK_KEY_LEN];
    int64_t                         exp;
    int64_t                         before;         /* sub: iat < before */
    uint32_t                        next;           /* 1-based; 0: none */
    uint32_t                        kind;
} ngx_http_auth_bearer_rvk_entry_t;


/* a feed's set in the zone: one block, never changed once published */

typedef struct {
    ngx_uint_t                      nbuckets;       /* a power of two */
    ngx_uint_t                      nentries;
    ngx_uint_t                      kinds[NGX_HTTP_AUTH_BEARER_RVK_KINDS];
    uint32_t                       *buckets;
    ngx_http_auth_bearer_rvk_entry_t  *entries;
} ngx_http_auth_bearer_rvk_set_t;


/* what a source shares beside its slot (the slot's ext) */

typedef struct {
    ngx_http_auth_bearer_rvk_set_t *volatile  set;  /* the current one */
    ngx_http_auth_bearer_rvk_set_t *retired[NGX_HTTP_AUTH_BEARER_RVK_OLD];
    time_t                          retired_at[NGX_HTTP_AUTH_BEARER_RVK_OLD];
    ngx_atomic_t                    installed;      /* sets made current */
    ngx_atomic_t                    hits;
    ngx_atomic_t                    malformed;
    ngx_atomic_t                    nomem;
    ngx_atomic_t                    unavailable;
} ngx_http_auth_bearer_rvk_shared_t;


typedef struct ngx_http_auth_bearer_feed_s  ngx_http_auth_bearer_feed_t;


/* a feed being loaded, in steps (the lease is held meanwhile) */

typedef struct {
    u_char                         *body;
    size_t                          len;
    size_t                          hashed;
    ngx_http_auth_bearer_feed_t    *fd;             /* NULL: read */
    EVP_MD_CTX                     *md;
    ngx_http_auth_bearer_rvk_entry_t  *entries;
    ngx_uint_t                      nentries;
    ngx_uint_t                      inserted;
    ngx_http_auth_bearer_rvk_set_t *set;
    ngx_msec_t                      spent;
    ngx_uint_t                      steps;
    size_t                          tag_len;
    u_char                          tag[NGX_HTTP_AUTH_BEARER_ETAG_MAX];
    ngx_event_t                     ev;
} ngx_http_auth_bearer_rvk_load_t;


/* an auth_jwt_revocation source, in one worker */

typedef struct {
    ngx_str_t                       source;         /* as configured */
    ngx_str_t                       path;           /* URL or file; NUL */
    ngx_uint_t                      file;
    time_t                          refresh;
    time_t                          max_stale;
    ngx_flag_t                      fail_open;
    ngx_flag_t                      insecure_http;

    ngx_http_auth_bearer_main_conf_t   *amcf;
    ngx_http_auth_bearer_zone_t        *zone;
    ngx_http_auth_bearer_slot_t        *slot;
    ngx_http_auth_bearer_rvk_shared_t  *sh;

    ngx_http_auth_bearer_fetch_t       *fetch;
    ngx_http_auth_bearer_rvk_load_t    *load;
    ngx_http_auth_bearer_lease_t       *lease;
    ngx_log_t                          *log;
} ngx_http_auth_bearer_revocation_t;


/* a copy of a source's state for the status page */

typedef struct {
    ngx_http_auth_bearer_snapshot_t snap;
    ngx_uint_t                      kinds[NGX_HTTP_AUTH_BEARER_RVK_KINDS];
    ngx_uint_t                      entries;
    ngx_uint_t                      hits;
    ngx_uint_t                      malformed;
    ngx_uint_t                      no_room;
    ngx_uint_t                      unavailable;
    ngx_uint_t                      usable;
    const char                     *state;
} ngx_http_auth_bearer_rvk_status_t;


char *ngx_http_auth_bearer_revocation_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_auth_bearer_revocation_init_process(ngx_cycle_t *cycle);
void ngx_http_auth_bearer_revocation_exit_process(ngx_cycle_t *cycle);

ngx_int_t ngx_http_auth_bearer_revocation_check(ngx_http_request_t *r,
    jwt_token_t *tok, ngx_str_t *token, u_char *digest, ngx_uint_t wait,
    ngx_uint_t *generation, time_t *retry);
ngx_uint_t ngx_http_auth_bearer_revocation_mark(ngx_http_request_t *r);
ngx_int_t ngx_http_auth_bearer_revocation_status(
    ngx_http_auth_bearer_revocation_t *rv, ngx_pool_t *pool,
    ngx_http_auth_bearer_rvk_status_t *st);

extern const char  *ngx_http_auth_bearer_rvk_kind_names[];

/* ngx_http_auth_bearer_feed.c: the feed's format */

ngx_http_auth_bearer_feed_t *ngx_http_auth_bearer_feed_create(u_char *body,
    size_t len, time_t now, ngx_log_t *log);
ngx_int_t ngx_http_auth_bearer_feed_step(ngx_http_auth_bearer_feed_t *fd,
    ngx_uint_t budget);
ngx_http_auth_bearer_rvk_entry_t *ngx_http_auth_bearer_feed_entries(
    ngx_http_auth_bearer_feed_t *fd, ngx_uint_t *n);
size_t ngx_http_auth_bearer_feed_offset(ngx_http_auth_bearer_feed_t *fd);
u_char *ngx_http_auth_bearer_feed_error(ngx_http_auth_bearer_feed_t *fd,
    u_char *buf, size_t len);
void ngx_http_auth_bearer_feed_free(ngx_http_auth_bearer_feed_t *fd);
void ngx_http_auth_bearer_feed_key(ngx_uint_t kind, const u_char *a,
    size_t alen, const u_char *b, size_t blen, u_char *key);


#endif /* _NGX_HTTP_AUTH_BEARER_REVOCATION_H_INCLUDED_ */
