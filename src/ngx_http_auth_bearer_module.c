
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ngx_http_auth_bearer.h"
#include "ngx_http_auth_bearer_cache.h"
#include "ngx_http_auth_bearer_keys.h"


typedef struct {
    ngx_array_t                    *values;         /* complex values */
    ngx_int_t                       error;          /* 401 or 403 */
} ngx_http_auth_bearer_require_t;


typedef struct {
    ngx_array_t                     path;           /* ngx_str_t */
    ngx_uint_t                      header;         /* unsigned: JOSE header */
} ngx_http_auth_bearer_claim_set_t;


typedef struct {
    ngx_http_complex_value_t       *realm;          /* NULL: auth_jwt off */
    ngx_http_complex_value_t       *token;          /* NULL: Authorization */
    time_t                          leeway;
    size_t                          max_size;
    jwt_keyset_t                   *keys;           /* auth_jwt_key_file */
    ngx_array_t                    *requires;       /* auth_jwt_require */
    ngx_flag_t                      allow_missing;
} ngx_http_auth_bearer_loc_conf_t;


typedef struct {
    ngx_http_auth_bearer_loc_conf_t  *lcf;         /* the verdict's policy */
    ngx_http_auth_bearer_issuer_t    *issuer;

    ngx_int_t                       status;
    jwt_token_t                     tok;

    const char                     *code;
    const char                     *message;
    const char                     *reason;
    const char                     *oauth_error;   /* RFC 6750 error */

    ngx_str_t                       user;           /* request's own copy */
    ngx_str_t                       token;          /* as presented */
    time_t                          leeway;
    time_t                          retry_after;   /* KEYS_UNAVAILABLE */
    ngx_msec_t                      wait_until;    /* held for keys */
    ngx_uint_t                      wait_mark;

    ngx_uint_t                      answer;         /* to the access phase */
    ngx_table_elt_t                *challenge;      /* WWW-Authenticate */
    ngx_table_elt_t                *retry;          /* Retry-After */

    unsigned                        verified:1;
    unsigned                        presented:1;
    unsigned                        nowait:1;       /* never held for keys */
    unsigned                        refused:1;      /* by the access handler */
    unsigned                        logged:1;
    unsigned                        respond:1;      /* this response is ours */
    unsigned                        body_sent:1;
} ngx_http_auth_bearer_ctx_t;


static ngx_http_auth_bearer_ctx_t *ngx_http_auth_bearer_get_ctx(
    ngx_http_request_t *r);
static ngx_http_auth_bearer_ctx_t *ngx_http_auth_bearer_variable_ctx(
    ngx_http_request_t *r);
static ngx_http_auth_bearer_ctx_t *ngx_http_auth_bearer_run(
    ngx_http_request_t *r, ngx_http_auth_bearer_loc_conf_t *lcf);
static void ngx_http_auth_bearer_cleanup(void *data);
static ngx_int_t ngx_http_auth_bearer_extract(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    ngx_str_t *token);
static void ngx_http_auth_bearer_verify(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    ngx_str_t *token);
static ngx_int_t ngx_http_auth_bearer_verify_token(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    ngx_str_t *token);
static ngx_uint_t ngx_http_auth_bearer_generation(
    ngx_http_auth_bearer_issuer_t *issuer);
static void *ngx_http_auth_bearer_json_malloc(size_t size);
static void ngx_http_auth_bearer_json_free(void *p);
static ngx_int_t ngx_http_auth_bearer_init_process(ngx_cycle_t *cycle);
static void ngx_http_auth_bearer_exit_process(ngx_cycle_t *cycle);
static char *ngx_http_auth_bearer_cache_size(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void ngx_http_auth_bearer_refuse(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, jwt_rc_t rc, const char *reason);
static void ngx_http_auth_bearer_fail(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, ngx_int_t status, const char *code,
    const char *message, const char *reason);
static ngx_http_auth_bearer_issuer_t *ngx_http_auth_bearer_find_issuer(
    ngx_http_request_t *r, jwt_str_t *iss);

static ngx_int_t ngx_http_auth_bearer_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_auth_bearer_passed_handler(ngx_http_request_t *r);
static void ngx_http_auth_bearer_log_refusal(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx);
static ngx_int_t ngx_http_auth_bearer_wait(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t **ctxp);
static void ngx_http_auth_bearer_wait_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_auth_bearer_set_challenge(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx);
static ngx_int_t ngx_http_auth_bearer_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_auth_bearer_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);

static ngx_int_t ngx_http_auth_bearer_json_value(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, json_t *json);
static ngx_int_t ngx_http_auth_bearer_user_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_auth_bearer_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_auth_bearer_header_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_auth_bearer_member_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_str_t *name, size_t prefix,
    ngx_uint_t header);
static ngx_int_t ngx_http_auth_bearer_payload_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_auth_bearer_error_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_auth_bearer_provider_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static ngx_int_t ngx_http_auth_bearer_add_variables(ngx_conf_t *cf);
static void *ngx_http_auth_bearer_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_auth_bearer_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_auth_bearer_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_auth_bearer_init(ngx_conf_t *cf);
static char *ngx_http_auth_bearer(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_auth_bearer_issuer(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_auth_bearer_secret(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *source,
    ngx_str_t *secret);
static void ngx_http_auth_bearer_cleanup_issuer(void *data);
static char *ngx_http_auth_bearer_load_keys(ngx_conf_t *cf,
    const char *directive, jwt_keyset_t *ks, ngx_str_t *path,
    ngx_int_t format, unsigned flags);
static void ngx_http_auth_bearer_key_skipped(void *data, size_t index,
    jwt_str_t kid, const char *reason);
static char *ngx_http_auth_bearer_key_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_auth_bearer_require(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_auth_bearer_claim_set(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_auth_bearer_type(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_auth_bearer_check_require(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx);
static ngx_int_t ngx_http_auth_bearer_claim_set_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);


static ngx_command_t  ngx_http_auth_bearer_commands[] = {

    { ngx_string("auth_jwt"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_auth_bearer,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_auth_bearer_issuer,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_auth_bearer_cache_size,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_auth_bearer_zone,
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
      ngx_http_auth_bearer_status,
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
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_auth_bearer_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_require"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_auth_bearer_require,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("auth_jwt_claim_set"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_auth_bearer_claim_set,
      0,
      0,
      NULL },

    { ngx_string("auth_jwt_header_set"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_auth_bearer_claim_set,
      0,
      1,
      NULL },

    { ngx_string("auth_jwt_type"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_auth_bearer_type,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_auth_bearer_module_ctx = {
    ngx_http_auth_bearer_add_variables,    /* preconfiguration */
    ngx_http_auth_bearer_init,             /* postconfiguration */

    ngx_http_auth_bearer_create_main_conf, /* create main configuration */
    ngx_http_auth_bearer_keys_init_main_conf, /* init main configuration */

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


static ngx_http_variable_t  ngx_http_auth_bearer_vars[] = {

    { ngx_string("jwt_user"), NULL,
      ngx_http_auth_bearer_user_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("jwt_claim_"), NULL,
      ngx_http_auth_bearer_claim_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

    { ngx_string("jwt_header_"), NULL,
      ngx_http_auth_bearer_header_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

    { ngx_string("jwt_payload"), NULL,
      ngx_http_auth_bearer_payload_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("jwt_error"), NULL,
      ngx_http_auth_bearer_error_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("jwt_error_reason"), NULL,
      ngx_http_auth_bearer_error_variable, 1,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("jwt_provider"), NULL,
      ngx_http_auth_bearer_provider_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/*
 * jansson allocates from this pool while it is set (a request's claims,
 * variable text), from the heap otherwise (keys, the token cache).  A
 * header before each block says which, so json_decref works on both.
 */
static ngx_pool_t                        *ngx_http_auth_bearer_json_pool;

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

    ctx = ngx_http_get_module_ctx(r, ngx_http_auth_bearer_module);

    if (ctx == NULL || ctx->lcf != lcf) {
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

    return ctx->answer;
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


/*
 * A token of an OIDC issuer whose keys are being fetched (none yet, or an
 * unknown kid that asked for a refresh) is held up to a second, polling
 * the zone, and verified once more when a fetch lands; as in limit_req,
 * the request waits on its connection's write event timer.
 */

static ngx_int_t
ngx_http_auth_bearer_wait(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t **ctxp)
{
    ngx_http_auth_bearer_ctx_t   *ctx;
    ngx_http_auth_bearer_oidc_t  *oidc;

    ctx = *ctxp;
    oidc = ctx->issuer->oidc;

    if (ctx->wait_until == 0) {
        ctx->wait_until = ngx_current_msec + 1000;
        ctx->wait_mark = ngx_http_auth_bearer_keys_mark(oidc);

    } else if (ngx_http_auth_bearer_keys_mark(oidc) != ctx->wait_mark
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

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "auth_jwt: waiting for keys");

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_auth_bearer_wait_handler;

    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, 50);

    return NGX_AGAIN;
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
 * The ctx of this request, also after an internal redirect (error_page):
 * like realip, it is found through its pool cleanup.
 */

static ngx_http_auth_bearer_ctx_t *
ngx_http_auth_bearer_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_auth_bearer_module);

    if (ctx == NULL && (r->internal || r->filter_finalize)) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_auth_bearer_cleanup) {
                ctx = cln->data;
                break;
            }
        }
    }

    return ctx;
}


/*
 * Verifies the request's token once under lcf and memoises the verdict,
 * so that the access handler and variables (in any phase) share it.
 */

static ngx_http_auth_bearer_ctx_t *
ngx_http_auth_bearer_run(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf)
{
    ngx_str_t                    token;
    ngx_int_t                    rc;
    ngx_msec_t                   wait;
    ngx_pool_cleanup_t          *cln;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_auth_bearer_get_ctx(r);

    if (ctx == NULL) {
        cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_auth_bearer_ctx_t));
        if (cln == NULL) {
            return NULL;
        }

        ctx = cln->data;
        ngx_memzero(ctx, sizeof(ngx_http_auth_bearer_ctx_t));

        cln->handler = ngx_http_auth_bearer_cleanup;

    } else {

        /* a request that waited for keys does not wait twice */

        wait = ctx->wait_until;

        jwt_token_release(&ctx->tok);
        ngx_memzero(ctx, sizeof(ngx_http_auth_bearer_ctx_t));

        ctx->wait_until = wait;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_auth_bearer_module);

    ctx->lcf = lcf;

    /*
     * under "satisfy any" another access module may let the request in:
     * it is not held for keys, which it may not need
     */

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    ctx->nowait = (clcf->satisfy != NGX_HTTP_SATISFY_ALL);

    rc = ngx_http_auth_bearer_extract(r, lcf, ctx, &token);

    if (rc == NGX_OK) {
        ctx->token = token;
        ngx_http_auth_bearer_verify(r, lcf, ctx, &token);

    } else if (rc == NGX_DECLINED && lcf->allow_missing) {

        /* no identity: the backend authenticates later (WebSocket) */
        ctx->status = NGX_DECLINED;

    } else if (rc == NGX_DECLINED) {
        ngx_http_auth_bearer_fail(r, ctx, NGX_HTTP_UNAUTHORIZED,
                                  "MISSING_AUTHORIZATION",
                                  "Missing bearer token",
                                  "no bearer token in the request");
    }

    return ctx;
}


static void
ngx_http_auth_bearer_cleanup(void *data)
{
    ngx_http_auth_bearer_ctx_t  *ctx = data;

    jwt_token_release(&ctx->tok);
}


/*
 * NGX_OK with the token, NGX_DECLINED when the request carries none,
 * NGX_ERROR when ctx already holds a refusal.
 */

static ngx_int_t
ngx_http_auth_bearer_extract(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    ngx_str_t *token)
{
    u_char           *p, *last;
    ngx_str_t         scheme;
    ngx_table_elt_t  *h;

    if (lcf->token) {
        if (ngx_http_complex_value(r, lcf->token, token) != NGX_OK) {
            ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return NGX_ERROR;
        }

        if (token->len == 0) {
            return NGX_DECLINED;
        }

        ctx->presented = 1;
        return NGX_OK;
    }

    /* nginx itself answers 400 to a second Authorization header */

    h = r->headers_in.authorization;

    if (h == NULL) {
        return NGX_DECLINED;
    }

    p = h->value.data;
    last = p + h->value.len;

    scheme.data = p;

    while (p < last && *p != ' ' && *p != '\t') {
        p++;
    }

    scheme.len = p - scheme.data;

    if (scheme.len == sizeof("Basic") - 1
        && ngx_strncasecmp(scheme.data, (u_char *) "Basic", scheme.len) == 0)
    {
        ngx_http_auth_bearer_fail(r, ctx, NGX_HTTP_UNAUTHORIZED,
                                  "INVALID_CREDENTIALS",
                                  "User/password credentials are only "
                                  "accepted by the login endpoint; "
                                  "send a Bearer token",
                                  "Basic credentials on a bearer-protected "
                                  "location");
        return NGX_ERROR;
    }

    if (scheme.len != sizeof("Bearer") - 1
        || ngx_strncasecmp(scheme.data, (u_char *) "Bearer", scheme.len) != 0)
    {
        ngx_http_auth_bearer_fail(r, ctx, NGX_HTTP_UNAUTHORIZED,
                                  "INVALID_CREDENTIALS",
                                  "Unsupported authorization scheme",
                                  "Authorization scheme is not Bearer");
        return NGX_ERROR;
    }

    /* exactly "Bearer" SP token, the token without white space */

    if (p == last || *p != ' ' || p + 1 == last) {
        goto malformed;
    }

    p++;

    token->data = p;
    token->len = last - p;

    while (p < last) {
        if (*p == ' ' || *p == '\t') {
            goto malformed;
        }

        p++;
    }

    ctx->presented = 1;

    return NGX_OK;

malformed:

    ngx_http_auth_bearer_fail(r, ctx, NGX_HTTP_BAD_REQUEST,
                              "INVALID_CREDENTIALS",
                              "Malformed Authorization header",
                              "malformed Authorization header");
    ctx->oauth_error = "invalid_request";

    return NGX_ERROR;
}


/*
 * A verified token is looked up in the worker's cache first: a hit skips
 * decoding and signature verification, but the verdict still holds only
 * for this policy, the issuer's current keys and until exp (+ leeway).
 */

static void
ngx_http_auth_bearer_verify(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    ngx_str_t *token)
{
    time_t                               now;
    u_char                               digest[SHA256_DIGEST_LENGTH];
    ngx_int_t                            cache;
    ngx_http_auth_bearer_cache_entry_t  *e, tmpl;

    /* the size cap comes before anything else */

    if (token->len > lcf->max_size) {
        ngx_http_auth_bearer_refuse(r, ctx, JWT_ERR_FORMAT, "token too large");
        return;
    }

    cache = ngx_http_auth_bearer_cache_digest(digest, token->data, token->len);

    if (cache == NGX_OK) {
        e = ngx_http_auth_bearer_cache_get(digest, lcf);
        now = ngx_time();

        if (e && e->generation == ngx_http_auth_bearer_generation(e->issuer)
            && now >= e->not_before && now < e->expires)
        {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "auth_jwt: cache hit");

            /*
             * the entry may be evicted while this request still runs:
             * the claims are shared by reference, the user name copied
             */

            ctx->user.data = ngx_http_auth_bearer_pnalloc(r->pool,
                                                          e->user.len + 1);
            if (ctx->user.data == NULL) {
                ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
                return;
            }

            ngx_memcpy(ctx->user.data, e->user.data, e->user.len);
            ctx->user.len = e->user.len;

            ctx->tok.header = json_incref(e->header);
            ctx->tok.payload = json_incref(e->payload);
            ctx->issuer = e->issuer;
            ctx->presented = 1;
            ctx->verified = 1;
            ctx->status = NGX_OK;

            if (ctx->issuer) {
                ngx_http_auth_bearer_keys_count(ctx->issuer->oidc, JWT_OK);
            }

            return;
        }

        /* stale: keys changed, or expired; verify again to say why */

        if (e) {
            ngx_http_auth_bearer_cache_remove(e);
        }
    }

    ngx_http_auth_bearer_json_pool = r->pool;

    if (ngx_http_auth_bearer_verify_token(r, lcf, ctx, token) != NGX_OK
        || cache != NGX_OK
        || ngx_http_auth_bearer_cache_admit(digest, lcf) != NGX_OK)
    {
        ngx_http_auth_bearer_json_pool = NULL;
        return;
    }

    /* the request's claims live in its pool; the cache keeps a heap copy */

    ngx_http_auth_bearer_json_pool = NULL;

    ngx_memzero(&tmpl, sizeof(ngx_http_auth_bearer_cache_entry_t));

    ngx_memcpy(tmpl.digest, digest, NGX_HTTP_AUTH_BEARER_DIGEST_LEN);
    tmpl.policy = lcf;
    tmpl.issuer = ctx->issuer;
    tmpl.generation = ngx_http_auth_bearer_generation(ctx->issuer);
    tmpl.not_before = ngx_time();
    tmpl.expires = ctx->tok.exp + ctx->leeway;

    tmpl.header = json_deep_copy(ctx->tok.header);
    tmpl.payload = json_deep_copy(ctx->tok.payload);

    tmpl.user = ctx->user;

    if (tmpl.header && tmpl.payload) {
        (void) ngx_http_auth_bearer_cache_put(&tmpl);
    }

    json_decref(tmpl.header);
    json_decref(tmpl.payload);
}


static ngx_int_t
ngx_http_auth_bearer_verify_token(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    ngx_str_t *token)
{
    u_char                         *scratch;
    json_t                         *user;
    jwt_rc_t                        rc;
    ngx_uint_t                      wait;
    const char                     *reason;
    jwt_keyset_t                   *ks;
    jwt_claims_policy_t             pol;
    const jwt_key_t                *key;
    ngx_http_auth_bearer_issuer_t  *issuer;

    reason = NULL;

    /* a request is held for keys once, and never under "satisfy any" */

    wait = (ctx->wait_until == 0 && !ctx->nowait);

    scratch = ngx_http_auth_bearer_pnalloc(r->pool, token->len);
    if (scratch == NULL) {
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    rc = jwt_token_parse(&ctx->tok, token->data, token->len, lcf->max_size,
                         scratch, &reason);
    if (rc != JWT_OK) {
        ngx_http_auth_bearer_refuse(r, ctx, rc, reason);
        return NGX_ERROR;
    }

    issuer = ctx->tok.iss.data
             ? ngx_http_auth_bearer_find_issuer(r, &ctx->tok.iss) : NULL;

    if (issuer) {
        ctx->issuer = issuer;

        if (!(issuer->algs & JWT_ALG_BIT(ctx->tok.alg))) {
            ngx_http_auth_bearer_refuse(r, ctx, JWT_ERR_ALG,
                                        "alg not allowed for this issuer");
            return NGX_ERROR;
        }

        ks = &issuer->keys;

        if (issuer->kind == NGX_HTTP_AUTH_BEARER_OIDC) {

            /* never fetched here: no keys yet is not the client's fault */

            ks = ngx_http_auth_bearer_keys_get(issuer->oidc,
                                               &ctx->retry_after);
            if (ks == NULL) {
                if (ngx_http_auth_bearer_keys_missing(issuer->oidc, wait)
                    == NGX_AGAIN)
                {
                    ctx->status = NGX_AGAIN;
                    return NGX_ERROR;
                }

                ngx_http_auth_bearer_fail(r, ctx,
                                          NGX_HTTP_SERVICE_UNAVAILABLE,
                                          "KEYS_UNAVAILABLE",
                                          "Signing keys are not available "
                                          "yet; retry later",
                                          "no usable keys for this issuer");
                ctx->oauth_error = NULL;
                return NGX_ERROR;
            }
        }

        /* an issuer with a shared secret has one key: kid is moot */

        key = jwt_keyset_find(ks, ctx->tok.alg,
                              issuer->kind == NGX_HTTP_AUTH_BEARER_SECRET
                              ? NULL : ctx->tok.kid.data,
                              ctx->tok.kid.len, &reason);

        if (key == NULL
            && issuer->kind == NGX_HTTP_AUTH_BEARER_OIDC
            && ngx_http_auth_bearer_keys_unknown_kid(issuer->oidc,
                                                     &ctx->tok.kid, wait,
                                                     r->connection->log)
               == NGX_AGAIN)
        {
            ctx->status = NGX_AGAIN;
            return NGX_ERROR;
        }

    } else if (lcf->keys) {

        /*
         * NGINX Plus style: the location's own keys verify tokens of
         * no configured issuer; the keys' own algs bound the choice
         */

        key = jwt_keyset_find(lcf->keys, ctx->tok.alg, ctx->tok.kid.data,
                              ctx->tok.kid.len, &reason);

    } else {
        ngx_http_auth_bearer_refuse(r, ctx, JWT_ERR_ISSUER,
                                    ctx->tok.iss.data
                                    ? "issuer not trusted"
                                    : "token has no iss claim");
        return NGX_ERROR;
    }

    if (key == NULL) {
        ngx_http_auth_bearer_refuse(r, ctx, JWT_ERR_NO_KEY, reason);
        return NGX_ERROR;
    }

    rc = jwt_verify_signature(key, ctx->tok.alg, token->data,
                              ctx->tok.signing_len, ctx->tok.sig.data,
                              ctx->tok.sig.len, &reason);
    if (rc != JWT_OK) {
        ngx_http_auth_bearer_refuse(r, ctx, rc, reason);
        return NGX_ERROR;
    }

    ngx_memzero(&pol, sizeof(jwt_claims_policy_t));

    pol.now = ngx_time();
    pol.leeway = lcf->leeway;

    if (issuer) {
        if (issuer->leeway != NGX_CONF_UNSET) {
            pol.leeway = issuer->leeway;
        }

        pol.audiences = issuer->audiences;
        pol.naudiences = issuer->naudiences;
        pol.token_type.data = issuer->token_type.len
                              ? issuer->token_type.data : NULL;
        pol.token_type.len = issuer->token_type.len;
    }

    ctx->leeway = pol.leeway;

    rc = jwt_claims_check(&ctx->tok, &pol, &reason);
    if (rc != JWT_OK) {
        ngx_http_auth_bearer_refuse(r, ctx, rc, reason);
        return NGX_ERROR;
    }

    user = json_object_get(ctx->tok.payload,
                           issuer ? (const char *) issuer->user_claim.data
                                  : "sub");

    if (json_is_string(user) && json_string_length(user) > 0) {
        ctx->user.data = (u_char *) json_string_value(user);
        ctx->user.len = json_string_length(user);

        if (issuer
            && ngx_http_auth_bearer_keys_user(r->pool, issuer, &ctx->user)
               != NGX_OK)
        {
            ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return NGX_ERROR;
        }

    } else if (issuer) {
        ngx_http_auth_bearer_refuse(r, ctx, JWT_ERR_CLAIMS,
                                    "user claim missing or not a string");
        return NGX_ERROR;
    }

    ctx->verified = 1;
    ctx->status = NGX_OK;

    if (issuer) {
        ngx_http_auth_bearer_keys_count(issuer->oidc, JWT_OK);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "auth_jwt: accepted user \"%V\"", &ctx->user);

    return NGX_OK;
}


static ngx_http_auth_bearer_issuer_t *
ngx_http_auth_bearer_find_issuer(ngx_http_request_t *r, jwt_str_t *iss)
{
    ngx_uint_t                         i;
    ngx_http_auth_bearer_issuer_t     *issuer;
    ngx_http_auth_bearer_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_auth_bearer_module);

    issuer = amcf->issuers.elts;

    for (i = 0; i < amcf->issuers.nelts; i++) {
        if (issuer[i].iss.len == iss->len
            && ngx_memcmp(issuer[i].iss.data, iss->data, iss->len) == 0)
        {
            return &issuer[i];
        }
    }

    return NULL;
}


/* maps a core result to the one HTTP answer it gets */

static void
ngx_http_auth_bearer_refuse(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, jwt_rc_t rc, const char *reason)
{
    json_t      *tt;
    const char  *code, *message;

    if (rc == JWT_ERR_NOMEM || rc == JWT_ERR_INTERNAL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "auth_jwt: %s", reason ? reason : "internal error");
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ctx->reason = reason;
        return;
    }

    if (ctx->issuer) {
        ngx_http_auth_bearer_keys_count(ctx->issuer->oidc, rc);
    }

    code = (rc == JWT_ERR_EXPIRED) ? "TOKEN_EXPIRED" : "INVALID_CREDENTIALS";
    message = jwt_rc_text(rc);

    if (rc == JWT_ERR_TOKEN_TYPE && ctx->tok.payload) {
        tt = json_object_get(ctx->tok.payload, "token_type");

        if (json_is_string(tt) && ngx_strcmp(json_string_value(tt), "refresh")
                                  == 0)
        {
            message = "Refresh token used as access token";
        }
    }

    ngx_http_auth_bearer_fail(r, ctx, NGX_HTTP_UNAUTHORIZED, code, message,
                              reason ? reason : message);
}


static void
ngx_http_auth_bearer_fail(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, ngx_int_t status, const char *code,
    const char *message, const char *reason)
{
    ctx->status = status;
    ctx->code = code;
    ctx->message = message;
    ctx->reason = reason;
    ctx->oauth_error = ctx->presented ? "invalid_token" : NULL;
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

    iss.len = ngx_min(ctx->tok.iss.len, 128);
    iss.data = (u_char *) ctx->tok.iss.data;

    ngx_log_error(NGX_LOG_INFO, log, 0,
                  "auth_jwt: refused: %s (%s), iss: \"%V\", token: "
                  "sha256:%s", ctx->reason, ctx->code, &iss, hex);
}


static ngx_int_t
ngx_http_auth_bearer_set_challenge(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx)
{
    u_char                           *p;
    size_t                            len;
    ngx_str_t                         realm;
    ngx_uint_t                        i;
    ngx_table_elt_t                  *h;
    ngx_http_auth_bearer_loc_conf_t  *lcf;

    lcf = ctx->lcf;

    if (ngx_http_complex_value(r, lcf->realm, &realm) != NGX_OK) {
        return NGX_ERROR;
    }

    len = sizeof("Bearer realm=\"\"") - 1 + realm.len * 2;

    if (ctx->oauth_error) {
        len += sizeof(", error=\"\", error_description=\"\"") - 1
               + ngx_strlen(ctx->oauth_error) + ngx_strlen(ctx->message);
    }

    p = ngx_http_auth_bearer_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value.data = p;

    p = ngx_cpymem(p, "Bearer realm=\"", sizeof("Bearer realm=\"") - 1);

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

    h->value.len = p - h->value.data;

    r->headers_out.www_authenticate = h;
    ctx->challenge = h;

    if (ctx->status != NGX_HTTP_SERVICE_UNAVAILABLE) {
        return NGX_OK;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    p = ngx_http_auth_bearer_pnalloc(r->pool, NGX_TIME_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    ngx_str_set(&h->key, "Retry-After");
    h->value.data = p;
    h->value.len = ngx_sprintf(p, "%T", ngx_max(ctx->retry_after, 1)) - p;

    ctx->retry = h;

    return NGX_OK;
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

    r->headers_out.content_length_n = sizeof("{\"status\":\"error\",\"error\":"
                                             "{\"code\":\"\",\"message\":\"\"}}"
                                             "\n") - 1
                                      + ngx_strlen(ctx->code)
                                      + ngx_strlen(ctx->message);

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
    ngx_buf_t                   *b;
    ngx_chain_t                  out, *cl;
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_auth_bearer_module);

    if (ctx == NULL || !ctx->respond || r != r->main) {
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

    len = sizeof("{\"status\":\"error\",\"error\":{\"code\":\"\","
                 "\"message\":\"\"}}\n") - 1
          + ngx_strlen(ctx->code) + ngx_strlen(ctx->message);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last = ngx_sprintf(b->pos,
                          "{\"status\":\"error\",\"error\":{\"code\":\"%s\","
                          "\"message\":\"%s\"}}\n",
                          ctx->code, ctx->message);
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


static ngx_http_auth_bearer_ctx_t *
ngx_http_auth_bearer_variable_ctx(ngx_http_request_t *r)
{
    ngx_http_auth_bearer_ctx_t       *ctx;
    ngx_http_auth_bearer_loc_conf_t  *lcf;

    ctx = ngx_http_auth_bearer_get_ctx(r);

    /*
     * a subrequest (SSI, auth_request, mirror) has no access phase of its
     * own: it reads the main request's verdict, if any, and never makes
     * one that nothing would enforce
     */

    if (ctx == NULL && r == r->main) {
        lcf = ngx_http_get_module_loc_conf(r, ngx_http_auth_bearer_module);

        if (lcf->realm) {
            ctx = ngx_http_auth_bearer_run(r, lcf);
        }
    }

    return ctx;
}


static ngx_int_t
ngx_http_auth_bearer_user_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_auth_bearer_variable_ctx(r);

    if (ctx == NULL || !ctx->verified) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = ctx->user.data;
    v->len = ctx->user.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* $jwt_provider: the short code of an OIDC issuer, empty for others */

static ngx_int_t
ngx_http_auth_bearer_provider_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_auth_bearer_variable_ctx(r);

    if (ctx == NULL || !ctx->verified || ctx->issuer == NULL
        || ctx->issuer->provider.len == 0)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = ctx->issuer->provider.data;
    v->len = ctx->issuer->provider.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_auth_bearer_claim_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    return ngx_http_auth_bearer_member_variable(r, v, (ngx_str_t *) data,
                                                sizeof("jwt_claim_") - 1, 0);
}


static ngx_int_t
ngx_http_auth_bearer_header_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    return ngx_http_auth_bearer_member_variable(r, v, (ngx_str_t *) data,
                                                sizeof("jwt_header_") - 1, 1);
}


/* $jwt_claim_<name>, $jwt_header_<name>: a top-level member */

static ngx_int_t
ngx_http_auth_bearer_member_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, ngx_str_t *name, size_t prefix,
    ngx_uint_t header)
{
    json_t                      *json;
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_auth_bearer_variable_ctx(r);

    if (ctx == NULL || !ctx->verified || name->len <= prefix) {
        v->not_found = 1;
        return NGX_OK;
    }

    json = json_object_getn(header ? ctx->tok.header : ctx->tok.payload,
                            (const char *) name->data + prefix,
                            name->len - prefix);

    return ngx_http_auth_bearer_json_value(r, v, json);
}


static ngx_int_t
ngx_http_auth_bearer_payload_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_auth_bearer_variable_ctx(r);

    if (ctx == NULL || !ctx->verified) {
        v->not_found = 1;
        return NGX_OK;
    }

    return ngx_http_auth_bearer_json_value(r, v, ctx->tok.payload);
}


static ngx_int_t
ngx_http_auth_bearer_error_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    const char                  *s;
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_auth_bearer_variable_ctx(r);

    s = NULL;

    if (ctx && ctx->status != NGX_OK && ctx->status != NGX_DECLINED) {
        s = data ? ctx->reason : ctx->code;
    }

    if (s == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = (u_char *) s;
    v->len = ngx_strlen(s);
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * Strings as their decoded bytes (never a control character: such tokens
 * are refused), numbers and booleans as JSON text, arrays and objects as
 * compact JSON.
 */

static ngx_int_t
ngx_http_auth_bearer_json_value(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, json_t *json)
{
    char  *s;

    if (json == NULL || json_is_null(json)) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (json_is_string(json)) {
        v->data = (u_char *) json_string_value(json);
        v->len = json_string_length(json);

    } else {

        /* the text is allocated from the request pool */

        ngx_http_auth_bearer_json_pool = r->pool;
        s = json_dumps(json, JSON_ENCODE_ANY|JSON_COMPACT);
        ngx_http_auth_bearer_json_pool = NULL;

        if (s == NULL) {
            return NGX_ERROR;
        }

        v->len = ngx_strlen(s);

#if (NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC)
        v->data = ngx_http_auth_bearer_pnalloc(r->pool, v->len);
        if (v->data == NULL) {
            ngx_http_auth_bearer_json_free(s);
            return NGX_ERROR;
        }

        ngx_memcpy(v->data, s, v->len);
        ngx_http_auth_bearer_json_free(s);
#else
        v->data = (u_char *) s;
#endif
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_auth_bearer_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    /* before any JSON is parsed in this process: the same functions on
     * every reload, so objects of an older cycle stay compatible */

    json_set_alloc_funcs(ngx_http_auth_bearer_json_malloc,
                         ngx_http_auth_bearer_json_free);

    for (v = ngx_http_auth_bearer_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
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
     *     conf->requires = NULL;
     */

    conf->realm = NGX_CONF_UNSET_PTR;
    conf->leeway = NGX_CONF_UNSET;
    conf->max_size = NGX_CONF_UNSET_SIZE;
    conf->allow_missing = NGX_CONF_UNSET;

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

    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 0);
    ngx_conf_merge_value(conf->allow_missing, prev->allow_missing, 0);
    ngx_conf_merge_size_value(conf->max_size, prev->max_size,
                              NGX_HTTP_AUTH_BEARER_MAX_SIZE);

    if (conf->leeway > JWT_LEEWAY_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_leeway\" must not exceed 366d");
        return NGX_CONF_ERROR;
    }

    if (conf->realm) {
        amcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_http_auth_bearer_module);

        if (amcf->issuers.nelts == 0 && conf->keys == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt\" is on but no key source is "
                               "configured: add \"auth_jwt_issuer\" at the "
                               "http level or \"auth_jwt_key_file\"");
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
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


/* auth_jwt <realm> [token=$variable] | off */

static char *
ngx_http_auth_bearer(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
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


/*
 * auth_jwt_issuer <iss> secret=<source> [algorithms=HS256[,...]]
 *     [token_type=<type>] [leeway=<time>] [audience=<a>[,<b>]]
 *     [user_claim=<claim>]
 */

static char *
ngx_http_auth_bearer_issuer(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_auth_bearer_main_conf_t *amcf = conf;

    u_char                         *p, *last, *comma;
    size_t                          need;
    jwt_rc_t                        rc;
    ngx_str_t                      *value, secret, source, list, file, v;
    ngx_uint_t                      i, n;
    jwt_alg_t                       alg;
    ngx_pool_cleanup_t             *cln;
    ngx_http_auth_bearer_issuer_t  *issuer;

    value = cf->args->elts;

    if (value[1].len == 0) {
        return "has an empty issuer";
    }

    if (ngx_strncmp(value[1].data, "env:", 4) == 0) {
        return ngx_http_auth_bearer_keys_env(cf, cmd, conf);
    }

    issuer = amcf->issuers.elts;

    for (i = 0; i < amcf->issuers.nelts; i++) {
        if (issuer[i].iss.len == value[1].len
            && ngx_memcmp(issuer[i].iss.data, value[1].data, value[1].len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\" is duplicate",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    issuer = ngx_array_push(&amcf->issuers);
    if (issuer == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(issuer, sizeof(ngx_http_auth_bearer_issuer_t));

    issuer->iss = value[1];
    issuer->leeway = NGX_CONF_UNSET;
    ngx_str_set(&issuer->user_claim, "sub");

    jwt_keyset_init(&issuer->keys);

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_auth_bearer_cleanup_issuer;
    cln->data = &issuer->keys;

    ngx_str_null(&source);
    ngx_str_null(&list);
    ngx_str_null(&file);

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "secret=", 7) == 0) {
            source.data = value[i].data + 7;
            source.len = value[i].len - 7;
            continue;
        }

        if (ngx_strncmp(value[i].data, "key_file=", 9) == 0) {
            file.data = value[i].data + 9;
            file.len = value[i].len - 9;

            if (file.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "algorithms=", 11) == 0) {
            issuer->algs = jwt_algs_parse(value[i].data + 11,
                                          value[i].len - 11);
            if (issuer->algs == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"auth_jwt_issuer\" \"%V\": unknown "
                                   "algorithm in \"%V\"; names are "
                                   "case-sensitive, e.g. HS256,HS384,HS512",
                                   &issuer->iss, &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "token_type=", 11) == 0) {
            issuer->token_type.data = value[i].data + 11;
            issuer->token_type.len = value[i].len - 11;

            if (issuer->token_type.len == 0) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "leeway=", 7) == 0) {
            v.data = value[i].data + 7;
            v.len = value[i].len - 7;

            issuer->leeway = ngx_parse_time(&v, 1);
            if (issuer->leeway == (time_t) NGX_ERROR
                || issuer->leeway > JWT_LEEWAY_MAX)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"auth_jwt_issuer\" \"%V\": invalid "
                                   "\"%V\"; use a time up to 366d, "
                                   "e.g. leeway=60s", &issuer->iss,
                                   &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "audience=", 9) == 0) {
            list.data = value[i].data + 9;
            list.len = value[i].len - 9;
            continue;
        }

        if (ngx_strncmp(value[i].data, "user_claim=", 11) == 0) {
            if (value[i].len == 11) {
                goto invalid;
            }

            /* cf strings are NUL-terminated: the claim is used as a key */
            issuer->user_claim.data = value[i].data + 11;
            issuer->user_claim.len = value[i].len - 11;
            continue;
        }

        switch (ngx_http_auth_bearer_keys_param(cf, issuer, &value[i])) {

        case NGX_OK:
            continue;

        case NGX_ERROR:
            return NGX_CONF_ERROR;
        }

        goto invalid;
    }

    /* audiences */

    if (list.data) {
        if (list.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\": empty "
                               "\"audience=\"", &issuer->iss);
            return NGX_CONF_ERROR;
        }

        n = 1;
        for (p = list.data; p < list.data + list.len; p++) {
            n += (*p == ',');
        }

        issuer->audiences = ngx_palloc(cf->pool, n * sizeof(jwt_str_t));
        if (issuer->audiences == NULL) {
            return NGX_CONF_ERROR;
        }

        p = list.data;
        last = list.data + list.len;

        for (i = 0; i < n; i++) {
            comma = ngx_strlchr(p, last, ',');
            if (comma == NULL) {
                comma = last;
            }

            if (comma == p) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"auth_jwt_issuer\" \"%V\": empty value "
                                   "in \"audience=%V\"", &issuer->iss, &list);
                return NGX_CONF_ERROR;
            }

            issuer->audiences[i].data = p;
            issuer->audiences[i].len = comma - p;
            p = comma + 1;
        }

        issuer->naudiences = n;
    }

    /* keys */

    if (source.data && file.data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": secret= and "
                           "key_file= are exclusive", &issuer->iss);
        return NGX_CONF_ERROR;
    }

    if (source.data == NULL && file.data == NULL) {
        return ngx_http_auth_bearer_keys_issuer(cf, issuer);
    }

    if (ngx_http_auth_bearer_keys_static(cf, issuer) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (file.data) {
        issuer->kind = NGX_HTTP_AUTH_BEARER_KEY_FILE;

        /* HS* is only ever verified with secret=, never with key material */

        if (issuer->algs & JWT_ALGS_HS) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\": HS256, HS384 "
                               "and HS512 need secret=, not key_file=",
                               &issuer->iss);
            return NGX_CONF_ERROR;
        }

        if (ngx_http_auth_bearer_load_keys(cf, "auth_jwt_issuer",
                                           &issuer->keys, &file, 0, 0)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        if (issuer->algs == 0) {
            for (i = 0; i < issuer->keys.nkeys; i++) {
                issuer->algs |= issuer->keys.keys[i].algs;
            }

            issuer->algs &= NGX_HTTP_AUTH_BEARER_ALGS_PK;
        }

        return NGX_CONF_OK;
    }

    issuer->kind = NGX_HTTP_AUTH_BEARER_SECRET;

    if (issuer->algs == 0) {
        issuer->algs = JWT_ALG_BIT(JWT_ALG_HS256);
    }

    if (issuer->algs & ~JWT_ALGS_HS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": a secret= issuer "
                           "verifies HS256, HS384 and HS512 only",
                           &issuer->iss);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_auth_bearer_secret(cf, issuer, &source, &secret)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    need = 0;

    for (alg = JWT_ALG_HS256; alg <= JWT_ALG_HS512; alg++) {
        if ((issuer->algs & JWT_ALG_BIT(alg))
            && jwt_alg_hmac_size(alg) > need)
        {
            need = jwt_alg_hmac_size(alg);
        }
    }

    if (secret.len < need) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": the secret is %uz "
                           "bytes, shorter than the %uz-byte hash output of "
                           "the algorithms allowed; use a secret of at "
                           "least %uz random bytes",
                           &issuer->iss, secret.len, need, need);
        OPENSSL_cleanse(secret.data, secret.len);
        return NGX_CONF_ERROR;
    }

    rc = jwt_keyset_add_secret(&issuer->keys, secret.data, secret.len,
                               issuer->algs);

    OPENSSL_cleanse(secret.data, secret.len);

    if (rc != JWT_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"auth_jwt_issuer\" \"%V\": invalid parameter "
                       "\"%V\"; known: secret=, key_file=, algorithms=, "
                       "token_type=, leeway=, audience=, user_claim=, "
                       "user_prefix=, discovery=, jwks_uri=, refresh=, "
                       "max_stale=, insecure_http",
                       &issuer->iss, &value[i]);

    return NGX_CONF_ERROR;
}


/*
 * secret=env:NAME, secret=file:PATH or a literal.  The value is copied to
 * memory the caller wipes; a file's one trailing newline is stripped.
 */

static char *
ngx_http_auth_bearer_secret(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *source,
    ngx_str_t *secret)
{
    char             *env;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t         name;
    ngx_file_info_t   fi;

    if (ngx_strncmp(source->data, "env:", 4) == 0) {
        name.data = source->data + 4;
        name.len = source->len - 4;

        /* cf strings are NUL-terminated */
        env = (name.len > 0) ? getenv((char *) name.data) : NULL;

        if (env == NULL || env[0] == '\0') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\": environment "
                               "variable \"%V\" is not set or empty; export "
                               "it before starting nginx",
                               &issuer->iss, &name);
            return NGX_CONF_ERROR;
        }

        secret->len = ngx_strlen(env);
        secret->data = ngx_pnalloc(cf->temp_pool, secret->len);
        if (secret->data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(secret->data, env, secret->len);

        return NGX_CONF_OK;
    }

    if (ngx_strncmp(source->data, "file:", 5) == 0) {
        name.data = source->data + 5;
        name.len = source->len - 5;

        if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
        if (fd == NGX_INVALID_FILE) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "\"auth_jwt_issuer\" \"%V\": cannot open "
                               "secret file \"%V\"", &issuer->iss, &name);
            return NGX_CONF_ERROR;
        }

        if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
            || ngx_file_size(&fi) > 65536)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\": secret file "
                               "\"%V\" is unreadable or larger than 64k",
                               &issuer->iss, &name);
            ngx_close_file(fd);
            return NGX_CONF_ERROR;
        }

        secret->data = ngx_pnalloc(cf->temp_pool, ngx_file_size(&fi) + 1);
        if (secret->data == NULL) {
            ngx_close_file(fd);
            return NGX_CONF_ERROR;
        }

        n = ngx_read_fd(fd, secret->data, ngx_file_size(&fi) + 1);

        ngx_close_file(fd);

        if (n == -1 || n != ngx_file_size(&fi)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "\"auth_jwt_issuer\" \"%V\": cannot read "
                               "secret file \"%V\"", &issuer->iss, &name);
            return NGX_CONF_ERROR;
        }

        secret->len = n;

        if (secret->len && secret->data[secret->len - 1] == '\n') {
            secret->len--;

            if (secret->len && secret->data[secret->len - 1] == '\r') {
                secret->len--;
            }
        }

        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                       "\"auth_jwt_issuer\" \"%V\": the secret is written "
                       "in the configuration; prefer secret=env:NAME or "
                       "secret=file:PATH", &issuer->iss);

    secret->data = ngx_pnalloc(cf->temp_pool, source->len);
    if (secret->data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(secret->data, source->data, source->len);
    secret->len = source->len;

    return NGX_CONF_OK;
}


static void
ngx_http_auth_bearer_cleanup_issuer(void *data)
{
    jwt_keyset_t  *ks = data;

    jwt_keyset_free(ks);
}


/*
 * A JWKS (JSON) or PEM file: format 0 guesses from the first byte.
 * Skipped keys are logged with their reason; a file with no usable key,
 * duplicate kids or bad syntax fails the configuration.
 */

static char *
ngx_http_auth_bearer_load_keys(ngx_conf_t *cf, const char *directive,
    jwt_keyset_t *ks, ngx_str_t *path, ngx_int_t format, unsigned flags)
{
    u_char           *p;
    size_t            i;
    ssize_t           n;
    jwt_rc_t          rc;
    ngx_fd_t          fd;
    ngx_str_t         name;
    const char       *reason;
    ngx_file_info_t   fi;

    name = *path;

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%s\": cannot open key file \"%V\"",
                           directive, &name);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > 1024 * 1024)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\": key file \"%V\" is unreadable or larger "
                           "than 1m", directive, &name);
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    p = ngx_pnalloc(cf->temp_pool, ngx_file_size(&fi) + 1);
    if (p == NULL) {
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    n = ngx_read_fd(fd, p, ngx_file_size(&fi) + 1);

    ngx_close_file(fd);

    if (n == -1 || n != ngx_file_size(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%s\": cannot read key file \"%V\"",
                           directive, &name);
        return NGX_CONF_ERROR;
    }

    if (format == 0) {
        for (i = 0; i < (size_t) n; i++) {
            if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
                break;
            }
        }

        format = (i < (size_t) n && p[i] == '{') ? 1 : 2;
    }

    reason = "unknown";

    if (format == 1) {
        rc = jwt_keyset_add_jwks(ks, p, n, flags,
                                 ngx_http_auth_bearer_key_skipped, cf,
                                 &reason);
    } else {
        rc = jwt_keyset_add_pem(ks, p, n, &reason);
    }

    if (rc != JWT_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\": key file \"%V\": %s", directive, &name,
                           reason);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void
ngx_http_auth_bearer_key_skipped(void *data, size_t index, jwt_str_t kid,
    const char *reason)
{
    ngx_conf_t  *cf = data;

    u_char      buf[64];
    ngx_str_t   k;

    k.data = buf;
    k.len = ngx_http_auth_bearer_printable(buf, sizeof(buf), kid.data,
                                           kid.len);

    ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                       "key #%uz (kid \"%V\") skipped: %s", index, &k,
                       reason);
}


/* auth_jwt_key_file <path> [jwks|pem] */

static char *
ngx_http_auth_bearer_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_auth_bearer_loc_conf_t *lcf = conf;

    ngx_int_t            format;
    ngx_str_t           *value;
    ngx_pool_cleanup_t  *cln;

    value = cf->args->elts;

    format = 0;

    if (cf->args->nelts == 3) {
        if (ngx_strcmp(value[2].data, "jwks") == 0) {
            format = 1;

        } else if (ngx_strcmp(value[2].data, "pem") == 0) {
            format = 2;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_key_file\": unknown format "
                               "\"%V\"; use jwks or pem", &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    if (lcf->keys == NULL) {
        lcf->keys = ngx_palloc(cf->pool, sizeof(jwt_keyset_t));
        if (lcf->keys == NULL) {
            return NGX_CONF_ERROR;
        }

        jwt_keyset_init(lcf->keys);

        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_auth_bearer_cleanup_issuer;
        cln->data = lcf->keys;
    }

    /* as in NGINX Plus, oct keys here may verify HS* tokens */

    return ngx_http_auth_bearer_load_keys(cf, "auth_jwt_key_file", lcf->keys,
                                          &value[1], format,
                                          JWT_KEYS_ALLOW_OCT);
}


/* auth_jwt_require $value ... [error=401|403] */

static char *
ngx_http_auth_bearer_require(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
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
        ngx_http_auth_bearer_fail(r, ctx, NGX_HTTP_FORBIDDEN,
                                  "INSUFFICIENT_PERMISSIONS",
                                  "Insufficient permissions",
                                  "auth_jwt_require rule not satisfied");
        ctx->oauth_error = "insufficient_scope";

    } else {
        ngx_http_auth_bearer_fail(r, ctx, NGX_HTTP_UNAUTHORIZED,
                                  "INVALID_CREDENTIALS",
                                  "Token does not satisfy the required claims",
                                  "auth_jwt_require rule not satisfied");
    }

    return NGX_DECLINED;
}


/* auth_jwt_claim_set $variable name ...;  auth_jwt_header_set likewise */

static char *
ngx_http_auth_bearer_claim_set(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t                         *value, *name;
    ngx_uint_t                         i;
    ngx_http_variable_t               *v;
    ngx_http_auth_bearer_claim_set_t  *cs;

    value = cf->args->elts;

    if (value[1].len < 2 || value[1].data[0] != '$') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": invalid variable name \"%V\"",
                           &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    value[1].data++;
    value[1].len--;

    v = ngx_http_add_variable(cf, &value[1], NGX_HTTP_VAR_NOCACHEABLE);
    if (v == NULL) {
        return NGX_CONF_ERROR;
    }

    cs = ngx_palloc(cf->pool, sizeof(ngx_http_auth_bearer_claim_set_t));
    if (cs == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_array_init(&cs->path, cf->pool, cf->args->nelts - 2,
                       sizeof(ngx_str_t))
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    cs->header = cmd->offset;

    for (i = 2; i < cf->args->nelts; i++) {
        name = ngx_array_push(&cs->path);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        *name = value[i];
    }

    v->get_handler = ngx_http_auth_bearer_claim_set_variable;
    v->data = (uintptr_t) cs;

    return NGX_CONF_OK;
}


/*
 * A nested member; as in NGINX Plus an array is joined with commas (its
 * strings as text, anything else as JSON).
 */

static ngx_int_t
ngx_http_auth_bearer_claim_set_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_auth_bearer_claim_set_t *cs = (void *) data;

    u_char                      *p;
    size_t                       len, i, k;
    json_t                      *json, *e;
    ngx_str_t                   *name;
    ngx_uint_t                   n;
    ngx_http_variable_value_t    ev;
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_auth_bearer_variable_ctx(r);

    if (ctx == NULL || !ctx->verified) {
        v->not_found = 1;
        return NGX_OK;
    }

    json = cs->header ? ctx->tok.header : ctx->tok.payload;
    name = cs->path.elts;

    for (n = 0; n < cs->path.nelts && json; n++) {
        json = json_is_object(json)
               ? json_object_getn(json, (const char *) name[n].data,
                                  name[n].len)
               : NULL;
    }

    if (!json_is_array(json)) {
        return ngx_http_auth_bearer_json_value(r, v, json);
    }

    /* two passes over the elements: length, then bytes */

    len = 0;
    p = NULL;

    for (k = 0; k < 2; k++) {
        json_array_foreach(json, i, e) {
            if (ngx_http_auth_bearer_json_value(r, &ev, e) != NGX_OK) {
                return NGX_ERROR;
            }

            if (k == 0) {
                len += (i ? 1 : 0) + (ev.not_found ? 0 : ev.len);
                continue;
            }

            if (i) {
                *p++ = ',';
            }

            if (!ev.not_found) {
                p = ngx_cpymem(p, ev.data, ev.len);
            }
        }

        if (k == 0) {
            p = ngx_http_auth_bearer_pnalloc(r->pool, len + 1);
            if (p == NULL) {
                return NGX_ERROR;
            }

            v->data = p;
        }
    }

    v->len = p - v->data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/* auth_jwt_type signed; JWE (encrypted, nested) is not supported */

static char *
ngx_http_auth_bearer_type(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
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


/* auth_jwt_cache <entries> | off */

static char *
ngx_http_auth_bearer_cache_size(ngx_conf_t *cf, ngx_command_t *cmd,
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

    return ngx_http_auth_bearer_keys_init_process(cycle);
}


static void
ngx_http_auth_bearer_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_auth_bearer_keys_exit_process(cycle);
    ngx_http_auth_bearer_cache_done();
}


/*
 * The key generation of an issuer: constant for secrets and key files;
 * an OIDC issuer's changes with each JWKS its worker loads, so that
 * cached verdicts never outlive a key removal.
 */

static ngx_uint_t
ngx_http_auth_bearer_generation(ngx_http_auth_bearer_issuer_t *issuer)
{
    if (issuer == NULL || issuer->kind != NGX_HTTP_AUTH_BEARER_OIDC) {
        return 0;
    }

    return ngx_http_auth_bearer_keys_generation(issuer->oidc);
}


typedef union {
    ngx_pool_t   *pool;
    long double   align;
} ngx_http_auth_bearer_json_hdr_t;


#if (NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC)

static void
ngx_http_auth_bearer_debug_free(void *data)
{
    free(data);
}


void *
ngx_http_auth_bearer_pnalloc(ngx_pool_t *pool, size_t size)
{
    void                *p;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    p = malloc(size ? size : 1);
    if (p == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_auth_bearer_debug_free;
    cln->data = p;

    return p;
}

#endif


/*
 * In the debug build, a request's JSON values are heap blocks freed by
 * their reference counts (the request's references go in its cleanup),
 * so that a use after the request is seen too.
 */

static void *
ngx_http_auth_bearer_json_malloc(size_t size)
{
    ngx_http_auth_bearer_json_hdr_t  *h;

    size += sizeof(ngx_http_auth_bearer_json_hdr_t);

    if (ngx_http_auth_bearer_json_pool && !NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC) {
        h = ngx_palloc(ngx_http_auth_bearer_json_pool, size);

    } else {
        h = malloc(size);
    }

    if (h == NULL) {
        return NULL;
    }

    h->pool = NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC
              ? NULL : ngx_http_auth_bearer_json_pool;

    return h + 1;
}


static void
ngx_http_auth_bearer_json_free(void *p)
{
    ngx_http_auth_bearer_json_hdr_t  *h;

    if (p == NULL) {
        return;
    }

    h = (ngx_http_auth_bearer_json_hdr_t *) p - 1;

    /* pool blocks go with their pool */

    if (h->pool == NULL) {
        free(h);
    }
}


/*
 * A copy of untrusted bytes (a kid, text from an IdP) fit for a log line:
 * control bytes, quotes, backslashes and non-ASCII become '?', and the
 * copy is cut at size, marked with "...".
 */

size_t
ngx_http_auth_bearer_printable(u_char *dst, size_t size, const u_char *src,
    size_t len)
{
    size_t  i, n;

    n = (len > size) ? size - 3 : len;

    for (i = 0; i < n; i++) {
        dst[i] = (src[i] < 0x20 || src[i] >= 0x7f || src[i] == '"'
                  || src[i] == '\\') ? '?' : src[i];
    }

    if (n < len) {
        dst[n++] = '.';
        dst[n++] = '.';
        dst[n++] = '.';
    }

    return n;
}
