
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>

#include "ngx_http_auth_bearer.h"
#include "ngx_http_auth_bearer_cache.h"
#include "ngx_http_auth_bearer_shm.h"
#include "ngx_http_auth_bearer_oidc.h"
#include "ngx_http_auth_bearer_revocation.h"
#include "ngx_http_auth_bearer_bind.h"


/*
 * ngx_http_auth_bearer: bearer tokens (JWT) at the access phase, with
 * NGINX Plus compatible auth_jwt_* directives.  This file has the module
 * tables, the access handler (holding a request while OIDC keys are
 * fetched, auth_jwt_require rules, satisfy any), the responses (the
 * challenge, the JSON body, the "refused" log line), the configuration of
 * locations and the process hooks.  The verdict itself is made in
 * ngx_http_auth_bearer_verify.c; src/README maps the other files.
 */


typedef struct {
    ngx_array_t                    *values;         /* complex values */
    ngx_int_t                       error;          /* 401 or 403 */
} ngx_http_auth_bearer_require_t;


static ngx_int_t ngx_http_auth_bearer_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_auth_bearer_wait(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t **ctxp);
static void ngx_http_auth_bearer_hold(ngx_http_request_t *r);
static void ngx_http_auth_bearer_wait_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_auth_bearer_passed_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_auth_bearer_check_require(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx);
static void ngx_http_auth_bearer_log_refusal(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx);
static ngx_int_t ngx_http_auth_bearer_set_challenge(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx);
static size_t ngx_http_auth_bearer_json_body(ngx_http_auth_bearer_ctx_t *ctx,
    u_char *p);
static ngx_int_t ngx_http_auth_bearer_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_auth_bearer_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void *ngx_http_auth_bearer_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_auth_bearer_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_auth_bearer_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_auth_bearer_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_auth_bearer_init_process(ngx_cycle_t *cycle);
static void ngx_http_auth_bearer_exit_process(ngx_cycle_t *cycle);
static char *ngx_http_auth_bearer_auth_jwt_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_auth_bearer_require_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_auth_bearer_type_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


static ngx_command_t  ngx_http_auth_bearer_commands[] = {

    { ngx_string("auth_jwt"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE12,
      ngx_http_auth_bearer_auth_jwt_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_auth_bearer_issuer_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_auth_bearer_cache_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_auth_bearer_zone_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_revocation"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_auth_bearer_revocation_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_fetch_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_auth_bearer_main_conf_t, fetch_timeout),
      NULL },

    { ngx_string("auth_jwt_ca_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_auth_bearer_main_conf_t, ca_file),
      NULL },

    { ngx_string("auth_jwt_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_auth_bearer_status_directive,
      0,
      0,
      NULL },

    { ngx_string("auth_jwt_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_auth_bearer_loc_conf_t, leeway),
      NULL },

    { ngx_string("auth_jwt_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_auth_bearer_loc_conf_t, max_size),
      NULL },

    { ngx_string("auth_jwt_allow_missing"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_auth_bearer_loc_conf_t, allow_missing),
      NULL },

    { ngx_string("auth_jwt_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE12,
      ngx_http_auth_bearer_key_file_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_key_request"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE12,
      ngx_http_auth_bearer_key_request_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_key_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_auth_bearer_loc_conf_t, key_cache),
      NULL },

    { ngx_string("auth_jwt_require"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_1MORE,
      ngx_http_auth_bearer_require_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_claim_set"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_auth_bearer_claim_set_directive,
      0,
      0,
      NULL },

    { ngx_string("auth_jwt_header_set"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_auth_bearer_claim_set_directive,
      0,
      1,
      NULL },

    { ngx_string("auth_jwt_bind"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_auth_bearer_loc_conf_t, bind),
      &ngx_http_auth_bearer_bind_modes },

    { ngx_string("auth_jwt_dpop_algorithms"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_auth_bearer_dpop_algorithms_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_dpop_window"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_auth_bearer_loc_conf_t, dpop_window),
      NULL },

    { ngx_string("auth_jwt_dpop_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_auth_bearer_loc_conf_t, dpop_url),
      NULL },

    { ngx_string("auth_jwt_dpop_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_auth_bearer_main_conf_t, dpop_zone_size),
      NULL },

    { ngx_string("auth_jwt_type"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_HTTP_LMT_CONF
                        |NGX_CONF_TAKE1,
      ngx_http_auth_bearer_type_directive,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_auth_bearer_module_ctx = {
    ngx_http_auth_bearer_add_variables,    /* preconfiguration */
    ngx_http_auth_bearer_init,             /* postconfiguration */

    ngx_http_auth_bearer_create_main_conf, /* create main configuration */
    ngx_http_auth_bearer_oidc_init_main_conf,
                                           /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_auth_bearer_create_loc_conf,  /* create location configuration */
    ngx_http_auth_bearer_merge_loc_conf    /* merge location configuration */
};


ngx_module_t  ngx_http_auth_bearer_module = {
    NGX_MODULE_V1,
    &ngx_http_auth_bearer_module_ctx,      /* module context */
    ngx_http_auth_bearer_commands,         /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_auth_bearer_init_process,     /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_auth_bearer_exit_process,     /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_int_t
ngx_http_auth_bearer_handler(ngx_http_request_t *r)
{
    ngx_http_auth_bearer_ctx_t       *ctx;
    ngx_http_core_loc_conf_t         *clcf;
    ngx_http_auth_bearer_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_auth_bearer_module);

    if (lcf->realm == NULL) {
        return NGX_DECLINED;
    }

    /* auth_jwt_key_request: the keys first, by subrequest or from cache */

    if (lcf->keyreqs) {
        switch (ngx_http_auth_bearer_keyreq_resolve(r, lcf)) {

        case NGX_AGAIN:
            return NGX_AGAIN;

        case NGX_BUSY:
            ngx_http_auth_bearer_hold(r);
            return NGX_AGAIN;

        case NGX_ERROR:
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_auth_bearer_module);

    if (ctx == NULL || ctx->lcf != lcf || ctx->wait_keyreq) {
        ctx = ngx_http_auth_bearer_run(r, lcf);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ctx->status == NGX_AGAIN) {
        switch (ngx_http_auth_bearer_wait(r, lcf, &ctx)) {

        case NGX_AGAIN:
            return NGX_AGAIN;

        case NGX_ERROR:
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ctx->status == NGX_OK) {
        if (lcf->requires == NULL) {
            return NGX_OK;
        }

        if (ngx_http_auth_bearer_check_require(r, lcf, ctx) == NGX_OK) {
            return NGX_OK;
        }
    }

    if (ctx->status == NGX_DECLINED
        || ctx->status == NGX_HTTP_INTERNAL_SERVER_ERROR)
    {
        return ctx->status;
    }

    if (ngx_http_auth_bearer_set_challenge(r, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->refused = 1;
    ctx->answer = ctx->status;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->satisfy == NGX_HTTP_SATISFY_ALL) {

        /* the refusal is final: nginx answers it at once */

        ngx_http_auth_bearer_log_refusal(r, ctx);
        return ctx->status;
    }

    /*
     * satisfy any: the access phase asks the next module only after a 401
     * or 403, so a 400 or 503 goes there as 401; when no module allows,
     * nginx answers that 401 and the header filter turns it back into the
     * precise answer; when one allows, the precontent handler withdraws
     * the refusal
     */

    if (ctx->status != NGX_HTTP_FORBIDDEN) {
        ctx->answer = NGX_HTTP_UNAUTHORIZED;
    }

    return (ngx_int_t) ctx->answer;
}


/*
 * A token of an OIDC issuer whose keys are being fetched (none yet, or an
 * unknown kid that asked for a refresh), or any token while a revocation
 * feed's first fetch runs, is held up to a second, polling the zone, and
 * verified once more when a fetch lands; as in limit_req, the request
 * waits on its connection's write event timer.
 */

static ngx_int_t
ngx_http_auth_bearer_wait(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t **ctxp)
{
    ngx_uint_t                    mark;
    ngx_http_auth_bearer_ctx_t   *ctx;
    ngx_http_auth_bearer_oidc_t  *oidc;

    ctx = *ctxp;

    /* the issuer's keys, or a revocation feed's first set */

    oidc = ctx->issuer ? ctx->issuer->oidc : NULL;

    mark = ctx->wait_revocation ? ngx_http_auth_bearer_revocation_mark(r)
                                : oidc ? ngx_http_auth_bearer_oidc_mark(oidc)
                                       : 0;

    if (ctx->wait_until == 0) {
        ctx->wait_until = ngx_current_msec + NGX_HTTP_AUTH_BEARER_HOLD;
        ctx->wait_mark = mark;

    } else if (mark != ctx->wait_mark
               || (ngx_msec_int_t) (ngx_current_msec - ctx->wait_until) >= 0)
    {
        /* a fetch landed, or the wait is over: this verdict is final */

        ctx->lcf = NULL;

        ctx = ngx_http_auth_bearer_run(r, lcf);
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        *ctxp = ctx;

        return NGX_OK;
    }

    ngx_http_auth_bearer_hold(r);

    return NGX_AGAIN;
}


/*
 * The request waits for keys on its connection's write event timer, as
 * in limit_req, and runs the phases again when it fires.
 */

static void
ngx_http_auth_bearer_hold(ngx_http_request_t *r)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "auth_jwt: waiting for keys");

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_auth_bearer_wait_handler;

    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, NGX_HTTP_AUTH_BEARER_HOLD_POLL);
}


static void
ngx_http_auth_bearer_wait_handler(ngx_http_request_t *r)
{
    ngx_event_t  *wev;

    wev = r->connection->write;

    if (wev->delayed) {

        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}


/*
 * The request got past the access phase: another access module allowed
 * it under "satisfy any", so a refusal of this module is not the answer
 * and its challenge headers go.
 */

static ngx_int_t
ngx_http_auth_bearer_passed_handler(ngx_http_request_t *r)
{
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_auth_bearer_module);

    if (ctx == NULL || !ctx->refused) {
        return NGX_DECLINED;
    }

    ctx->refused = 0;

    if (ctx->challenge) {
        ctx->challenge->hash = 0;

        if (r->headers_out.www_authenticate == ctx->challenge) {
            r->headers_out.www_authenticate = NULL;
        }

        ctx->challenge = NULL;
    }

    if (ctx->retry) {
        ctx->retry->hash = 0;
        ctx->retry = NULL;
    }

    return NGX_DECLINED;
}


/* every value of every rule must be non-empty and not "0" */

static ngx_int_t
ngx_http_auth_bearer_check_require(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx)
{
    ngx_str_t                        val;
    ngx_uint_t                       i, j;
    ngx_http_complex_value_t        *cv;
    ngx_http_auth_bearer_require_t  *rq;

    rq = lcf->requires->elts;

    for (i = 0; i < lcf->requires->nelts; i++) {
        cv = rq[i].values->elts;

        for (j = 0; j < rq[i].values->nelts; j++) {
            if (ngx_http_complex_value(r, &cv[j], &val) != NGX_OK) {
                ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
                return NGX_ERROR;
            }

            if (val.len == 0 || (val.len == 1 && val.data[0] == '0')) {
                goto failed;
            }
        }
    }

    return NGX_OK;

failed:

    if (rq[i].error == NGX_HTTP_FORBIDDEN) {
        ngx_http_auth_bearer_fail(ctx, NGX_HTTP_FORBIDDEN,
                                  "INSUFFICIENT_PERMISSIONS",
                                  "Insufficient permissions",
                                  "auth_jwt_require rule not satisfied");
        ctx->oauth_error = "insufficient_scope";

    } else {
        ngx_http_auth_bearer_fail(ctx, NGX_HTTP_UNAUTHORIZED,
                                  "INVALID_CREDENTIALS",
                                  "Token does not satisfy the required claims",
                                  "auth_jwt_require rule not satisfied");
    }

    return NGX_DECLINED;
}


/*
 * The "refused" line, once, for a request this module refused: never for
 * a verdict only read through a variable, nor for a refusal that another
 * access module overruled under "satisfy any".
 */

static void
ngx_http_auth_bearer_log_refusal(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx)
{
    u_char          hex[13], md[EVP_MAX_MD_SIZE];
    u_char          buf[NGX_HTTP_AUTH_BEARER_LOG_FIELD];
    ngx_str_t       iss;
    unsigned int    n;
    ngx_log_t      *log;

    if (ctx->logged) {
        return;
    }

    ctx->logged = 1;

    log = r->connection->log;

    if (log->log_level < NGX_LOG_INFO) {
        return;
    }

    if (!ctx->presented) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "auth_jwt: refused: %s (%s)", ctx->reason, ctx->code);
        return;
    }

    /* a short fingerprint identifies the token without logging it */

    n = 0;
    hex[0] = '\0';

    if (ctx->token.len
        && EVP_Digest(ctx->token.data, ctx->token.len, md, &n, EVP_sha256(),
                      NULL) == 1)
    {
        ngx_hex_dump(hex, md, 6);
        hex[12] = '\0';
    }

    /* the token's bytes, before any signature check: escaped */

    iss.data = buf;
    iss.len = ngx_http_auth_bearer_escape(buf, sizeof(buf),
                                          (u_char *) ctx->tok.iss.data,
                                          ctx->tok.iss.len);

    ngx_log_error(NGX_LOG_INFO, log, 0,
                  "auth_jwt: refused: %s (%s), iss: \"%V\", token: "
                  "sha256:%s", ctx->reason, ctx->code, &iss, hex);
}


static ngx_int_t
ngx_http_auth_bearer_set_challenge(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx)
{
    u_char      *p, *start;
    size_t       len;
    ngx_str_t    realm;
    ngx_uint_t   i, dpop;

    if (ngx_http_complex_value(r, ctx->lcf->realm, &realm) != NGX_OK) {
        return NGX_ERROR;
    }

    /* RFC 9449 7.1: a DPoP refusal names the algs a proof may use */

    dpop = ngx_http_auth_bearer_bind_dpop_challenge(ctx);

    len = sizeof("Bearer realm=\"\"") - 1 + realm.len * 2;

    if (dpop) {
        len += ngx_http_auth_bearer_bind_algs_len(ctx->lcf);
    }

    if (ctx->oauth_error) {
        len += sizeof(", error=\"\", error_description=\"\"") - 1
               + ngx_strlen(ctx->oauth_error) + ngx_strlen(ctx->message);
    }

    start = ngx_http_auth_bearer_pnalloc(r->pool, len);
    if (start == NULL) {
        return NGX_ERROR;
    }

    p = dpop ? ngx_cpymem(start, "DPoP realm=\"", sizeof("DPoP realm=\"") - 1)
             : ngx_cpymem(start, "Bearer realm=\"",
                          sizeof("Bearer realm=\"") - 1);

    for (i = 0; i < realm.len; i++) {
        if (realm.data[i] == '"' || realm.data[i] == '\\') {
            *p++ = '\\';
        }

        *p++ = realm.data[i];
    }

    *p++ = '"';

    if (ctx->oauth_error) {
        p = ngx_sprintf(p, ", error=\"%s\", error_description=\"%s\"",
                        ctx->oauth_error, ctx->message);
    }

    if (dpop) {
        p = ngx_http_auth_bearer_bind_algs(ctx->lcf, p);
    }

    ctx->challenge = ngx_http_auth_bearer_push_header(r, "WWW-Authenticate",
                                                      start, p - start);
    if (ctx->challenge == NULL) {
        return NGX_ERROR;
    }

    r->headers_out.www_authenticate = ctx->challenge;

    if (ctx->status != NGX_HTTP_SERVICE_UNAVAILABLE) {
        return NGX_OK;
    }

    p = ngx_http_auth_bearer_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = ngx_sprintf(p, "%T", ngx_max(ctx->retry_after, 1)) - p;

    ctx->retry = ngx_http_auth_bearer_push_header(r, "Retry-After", p, len);

    return (ctx->retry == NULL) ? NGX_ERROR : NGX_OK;
}


/* the JSON body of a refusal: its length, and its bytes when p is given */

static size_t
ngx_http_auth_bearer_json_body(ngx_http_auth_bearer_ctx_t *ctx, u_char *p)
{
    if (p == NULL) {
        return sizeof("{\"status\":\"error\",\"error\":{\"code\":\"\","
                      "\"message\":\"\"}}\n") - 1
               + ngx_strlen(ctx->code) + ngx_strlen(ctx->message);
    }

    return ngx_sprintf(p, "{\"status\":\"error\",\"error\":{\"code\":\"%s\","
                       "\"message\":\"%s\"}}\n", ctx->code, ctx->message)
           - p;
}


/*
 * A refusal answered by nginx's special response gets our JSON body in
 * place of the HTML page.  Only the module's own refusal does: not an
 * upstream's 401 after another module allowed the request ("satisfy
 * any"), nor an operator's error_page (the redirect clears the module
 * ctx), which still gets the refusal's log line.
 */

static ngx_int_t
ngx_http_auth_bearer_header_filter(ngx_http_request_t *r)
{
    ngx_http_auth_bearer_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_auth_bearer_get_ctx(r);

    if (ctx == NULL || !ctx->refused) {
        return ngx_http_next_header_filter(r);
    }

    ngx_http_auth_bearer_log_refusal(r, ctx);

    if (ngx_http_get_module_ctx(r, ngx_http_auth_bearer_module) != ctx
        || r->headers_out.status != ctx->answer)
    {
        return ngx_http_next_header_filter(r);
    }

    /* "satisfy any" answered the 401 that stood for a 400 or 503 */

    r->headers_out.status = ctx->status;
    r->headers_out.status_line.len = 0;

    ctx->respond = 1;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;

    r->headers_out.content_length_n = ngx_http_auth_bearer_json_body(ctx,
                                                                     NULL);

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_auth_bearer_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                       len;
    ngx_int_t                    rc;
    ngx_buf_t                   *b;
    ngx_chain_t                  out, *cl;
    ngx_http_auth_bearer_ctx_t  *ctx;

    if (r != r->main) {
        rc = ngx_http_auth_bearer_keyreq_body_filter(r, in);

        return (rc == NGX_DECLINED) ? ngx_http_next_body_filter(r, in) : rc;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_auth_bearer_module);

    if (ctx == NULL || !ctx->respond) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->body_sent) {
        return NGX_OK;
    }

    ctx->body_sent = 1;

    len = ngx_http_auth_bearer_json_body(ctx, NULL);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last += ngx_http_auth_bearer_json_body(ctx, b->pos);
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


static void *
ngx_http_auth_bearer_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_auth_bearer_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_auth_bearer_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&amcf->issuers, cf->pool, 4,
                       sizeof(ngx_http_auth_bearer_issuer_t))
        != NGX_OK)
    {
        return NULL;
    }

    amcf->cache_size = NGX_CONF_UNSET_UINT;
    amcf->fetch_timeout = NGX_CONF_UNSET_MSEC;
    amcf->dpop_zone_size = NGX_CONF_UNSET_SIZE;

    return amcf;
}


static void *
ngx_http_auth_bearer_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_auth_bearer_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_auth_bearer_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->token = NULL;
     *     conf->keys = NULL;
     *     conf->keyreqs = NULL;
     *     conf->requires = NULL;
     */

    conf->realm = NGX_CONF_UNSET_PTR;
    conf->key_cache = NGX_CONF_UNSET;
    conf->leeway = NGX_CONF_UNSET;
    conf->max_size = NGX_CONF_UNSET_SIZE;
    conf->allow_missing = NGX_CONF_UNSET;
    conf->bind = NGX_CONF_UNSET_UINT;
    conf->dpop_algs = NGX_CONF_UNSET_UINT;
    conf->dpop_window = NGX_CONF_UNSET;
    conf->dpop_url = NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_http_auth_bearer_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_auth_bearer_loc_conf_t *prev = parent;
    ngx_http_auth_bearer_loc_conf_t *conf = child;

    ngx_http_auth_bearer_main_conf_t  *amcf;

    if (conf->realm == NGX_CONF_UNSET_PTR) {
        conf->realm = (prev->realm == NGX_CONF_UNSET_PTR) ? NULL : prev->realm;
        conf->token = prev->token;
    }

    if (conf->keys == NULL) {
        conf->keys = prev->keys;
    }

    if (conf->requires == NULL) {
        conf->requires = prev->requires;
    }

    if (conf->keyreqs == NULL) {
        conf->keyreqs = prev->keyreqs;
    }

    ngx_conf_merge_sec_value(conf->key_cache, prev->key_cache, 0);
    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 0);
    ngx_conf_merge_value(conf->allow_missing, prev->allow_missing, 0);
    ngx_conf_merge_size_value(conf->max_size, prev->max_size,
                              NGX_HTTP_AUTH_BEARER_MAX_SIZE);

    if (conf->key_cache > NGX_HTTP_AUTH_BEARER_TIME_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_key_cache\" must not exceed 366d");
        return NGX_CONF_ERROR;
    }

    if (conf->leeway > JWT_LEEWAY_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_leeway\" must not exceed 366d");
        return NGX_CONF_ERROR;
    }

    if (conf->realm) {
        amcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_auth_bearer_module);

        if (amcf->issuers.nelts == 0 && conf->keys == NULL
            && conf->keyreqs == NULL)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt\" is on but no key source is "
                               "configured: add \"auth_jwt_issuer\" at the "
                               "http level, \"auth_jwt_key_file\" or "
                               "\"auth_jwt_key_request\"");
            return NGX_CONF_ERROR;
        }
    }

    return ngx_http_auth_bearer_bind_merge(cf, prev, conf);
}


static ngx_int_t
ngx_http_auth_bearer_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_auth_bearer_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_auth_bearer_passed_handler;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_auth_bearer_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_auth_bearer_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_auth_bearer_init_process(ngx_cycle_t *cycle)
{
    ngx_http_auth_bearer_main_conf_t  *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_auth_bearer_module);
    if (amcf == NULL) {
        return NGX_OK;
    }

    if (amcf->cache_size == NGX_CONF_UNSET_UINT) {
        amcf->cache_size = NGX_HTTP_AUTH_BEARER_CACHE_SIZE;
    }

    if (amcf->cache_size
        && ngx_http_auth_bearer_cache_init(amcf->cache_size, cycle->log)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_auth_bearer_revocation_init_process(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_auth_bearer_oidc_init_process(cycle);
}


static void
ngx_http_auth_bearer_exit_process(ngx_cycle_t *cycle)
{
    /* first: the OIDC runtime's exit ends libcurl and all its fetches */

    ngx_http_auth_bearer_revocation_exit_process(cycle);
    ngx_http_auth_bearer_oidc_exit_process(cycle);
    ngx_http_auth_bearer_cache_done();
    ngx_http_auth_bearer_keyreq_exit();
    ngx_http_auth_bearer_verify_exit();
    ngx_http_auth_bearer_bind_exit();
}


/* auth_jwt realm [token=$variable] | off; */

static char *
ngx_http_auth_bearer_auth_jwt_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_auth_bearer_loc_conf_t *lcf = conf;

    ngx_str_t                         *value, v;
    ngx_http_compile_complex_value_t   ccv;

    if (lcf->realm != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts != 2) {
            return "takes no parameters with \"off\"";
        }

        lcf->realm = NULL;
        lcf->token = NULL;
        return NGX_CONF_OK;
    }

    lcf->realm = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (lcf->realm == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = lcf->realm;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 2) {
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(value[2].data, "token=", 6) != 0 || value[2].len == 6) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt\": unknown parameter \"%V\"; the only "
                           "parameter is token=$variable", &value[2]);
        return NGX_CONF_ERROR;
    }

    v.data = value[2].data + 6;
    v.len = value[2].len - 6;

    if (v.data[0] != '$') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt\": token= needs a variable, "
                           "e.g. token=$cookie_access_token");
        return NGX_CONF_ERROR;
    }

    lcf->token = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (lcf->token == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &v;
    ccv.complex_value = lcf->token;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* auth_jwt_require $value ... [error=401 | 403]; */

static char *
ngx_http_auth_bearer_require_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_auth_bearer_loc_conf_t *lcf = conf;

    ngx_str_t                         *value;
    ngx_uint_t                         i, n;
    ngx_http_complex_value_t          *cv;
    ngx_http_auth_bearer_require_t    *rq;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;
    n = cf->args->nelts;

    if (lcf->requires == NULL) {
        lcf->requires = ngx_array_create(cf->pool, 2,
                                    sizeof(ngx_http_auth_bearer_require_t));
        if (lcf->requires == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    rq = ngx_array_push(lcf->requires);
    if (rq == NULL) {
        return NGX_CONF_ERROR;
    }

    rq->error = NGX_HTTP_UNAUTHORIZED;

    if (ngx_strncmp(value[n - 1].data, "error=", 6) == 0) {
        if (ngx_strcmp(value[n - 1].data, "error=401") == 0) {
            rq->error = NGX_HTTP_UNAUTHORIZED;

        } else if (ngx_strcmp(value[n - 1].data, "error=403") == 0) {
            rq->error = NGX_HTTP_FORBIDDEN;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_require\": invalid \"%V\"; use "
                               "error=401 or error=403", &value[n - 1]);
            return NGX_CONF_ERROR;
        }

        n--;
    }

    if (n < 2) {
        return "needs at least one value";
    }

    rq->values = ngx_array_create(cf->pool, n - 1,
                                  sizeof(ngx_http_complex_value_t));
    if (rq->values == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < n; i++) {
        cv = ngx_array_push(rq->values);
        if (cv == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = cv;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* auth_jwt_type signed; JWE (encrypted, nested) is not supported */

static char *
ngx_http_auth_bearer_type_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t  *value;

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "signed") == 0) {
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[1].data, "encrypted") == 0
        || ngx_strcmp(value[1].data, "nested") == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_type %V\" is not supported: this "
                           "module verifies signed tokens (JWS) only",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"auth_jwt_type\": unknown type \"%V\"; use signed",
                       &value[1]);

    return NGX_CONF_ERROR;
}
