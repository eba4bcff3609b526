
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _NGX_HTTP_AUTH_BEARER_BIND_H_INCLUDED_
#define _NGX_HTTP_AUTH_BEARER_BIND_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_auth_bearer.h"


/* auth_jwt_bind */
#define NGX_HTTP_AUTH_BEARER_BIND_OFF        0
#define NGX_HTTP_AUTH_BEARER_BIND_OPTIONAL   1
#define NGX_HTTP_AUTH_BEARER_BIND_DPOP       2
#define NGX_HTTP_AUTH_BEARER_BIND_MTLS       3
#define NGX_HTTP_AUTH_BEARER_BIND_ANY        4

/* the DPoP replay zone when auth_jwt_dpop_zone is not given */
#define NGX_HTTP_AUTH_BEARER_DPOP_ZONE_SIZE  (10 * 1024 * 1024)

/* the longest auth_jwt_dpop_window */
#define NGX_HTTP_AUTH_BEARER_DPOP_WINDOW_MAX 3600


extern ngx_conf_enum_t  ngx_http_auth_bearer_bind_modes[];


char *ngx_http_auth_bearer_dpop_algorithms_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* merges the location's binding settings; adds the replay zone if needed */
char *ngx_http_auth_bearer_bind_merge(ngx_conf_t *cf,
    ngx_http_auth_bearer_loc_conf_t *prev,
    ngx_http_auth_bearer_loc_conf_t *conf);

/*
 * The binding of a verified token (cnf) to this request: its DPoP proof
 * or its TLS client certificate, as auth_jwt_bind asks.  Checked on every
 * request, cached verdicts included.  NGX_OK, or NGX_DECLINED with the
 * refusal in ctx (ctx->verified cleared), or NGX_ERROR.
 */
ngx_int_t ngx_http_auth_bearer_bind_check(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx);

/* frees the worker's cache of DPoP proof keys */
void ngx_http_auth_bearer_bind_exit(void);

/* the challenge is "DPoP" (with algs=) rather than "Bearer" */
ngx_uint_t ngx_http_auth_bearer_bind_dpop_challenge(
    ngx_http_auth_bearer_ctx_t *ctx);

/* ", algs=\"ES256 ...\"": its length when p is NULL, else the end */
size_t ngx_http_auth_bearer_bind_algs_len(
    ngx_http_auth_bearer_loc_conf_t *lcf);
u_char *ngx_http_auth_bearer_bind_algs(ngx_http_auth_bearer_loc_conf_t *lcf,
    u_char *p);


#endif /* _NGX_HTTP_AUTH_BEARER_BIND_H_INCLUDED_ */
