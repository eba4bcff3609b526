
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _NGX_HTTP_AUTH_BEARER_FETCH_H_INCLUDED_
#define _NGX_HTTP_AUTH_BEARER_FETCH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <curl/curl.h>

#include "ngx_http_auth_bearer.h"


#define NGX_HTTP_AUTH_BEARER_BODY_MAX   (1024 * 1024)


typedef struct ngx_http_auth_bearer_fetch_s  ngx_http_auth_bearer_fetch_t;

typedef void (*ngx_http_auth_bearer_fetch_pt)(ngx_http_auth_bearer_fetch_t *f);


/*
 * One GET of a discovery document or a JWKS.  The handler runs once, from
 * the event loop, never from inside libcurl; f->error is NULL on a 200
 * (or a 304 to a conditional request) and says what failed otherwise.
 */

struct ngx_http_auth_bearer_fetch_s {
    /* set by the caller, NUL-terminated */
    u_char                         *url;
    u_char                         *etag;           /* If-None-Match */
    ngx_str_t                      *ca;             /* PEM; NULL: system */
    ngx_flag_t                      insecure_http;
    ngx_msec_t                      timeout;
    size_t                          max;            /* 0: BODY_MAX */

    ngx_http_auth_bearer_fetch_pt   handler;
    void                           *data;
    ngx_log_t                      *log;

    /* the answer */
    long                            status;
    u_char                         *body;
    size_t                          len;
    time_t                          max_age;        /* -1: not given */
    size_t                          etag_len;
    u_char                          etag_out[NGX_HTTP_AUTH_BEARER_ETAG_MAX];
    const char                     *error;

    /* private */
    CURL                           *easy;
    struct curl_slist              *headers;
    size_t                          size;
    ngx_queue_t                     queue;
    unsigned                        too_large:1;
    unsigned                        encoded:1;
    char                            errbuf[CURL_ERROR_SIZE];
};


ngx_int_t ngx_http_auth_bearer_fetch_init(ngx_cycle_t *cycle);
void ngx_http_auth_bearer_fetch_cleanup(ngx_cycle_t *cycle);

ngx_http_auth_bearer_fetch_t *ngx_http_auth_bearer_fetch_create(
    ngx_log_t *log);
ngx_int_t ngx_http_auth_bearer_fetch_start(ngx_http_auth_bearer_fetch_t *f);
void ngx_http_auth_bearer_fetch_free(ngx_http_auth_bearer_fetch_t *f);


#endif /* _NGX_HTTP_AUTH_BEARER_FETCH_H_INCLUDED_ */
