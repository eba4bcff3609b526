
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_auth_bearer.h"


/*
 * The variables ($jwt_user, $jwt_provider, $jwt_claim_*, $jwt_header_*,
 * $jwt_payload, $jwt_dpop_jkt, $jwt_error, $jwt_error_reason) and the
 * variables of auth_jwt_claim_set and auth_jwt_header_set.  Each reads the request's
 * verdict (ngx_http_auth_bearer_verify.c), making it if the access phase
 * has not yet; values come only from a verified token, except the error
 * variables.
 */


typedef struct {
    ngx_array_t                     path;           /* ngx_str_t */
    ngx_uint_t                      header;         /* unsigned: JOSE header */
} ngx_http_auth_bearer_claim_set_t;


static ngx_http_auth_bearer_ctx_t *ngx_http_auth_bearer_verified(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_auth_bearer_user_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_auth_bearer_provider_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_auth_bearer_dpop_jkt_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
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
static ngx_int_t ngx_http_auth_bearer_claim_set_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_auth_bearer_json_value(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, json_t *json);
static void ngx_http_auth_bearer_set_value(ngx_http_variable_value_t *v,
    u_char *data, size_t len);


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

    { ngx_string("jwt_dpop_jkt"), NULL,
      ngx_http_auth_bearer_dpop_jkt_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_auth_bearer_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    ngx_http_auth_bearer_json_init();

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


/* the request's verdict if its token verified, NULL otherwise */

static ngx_http_auth_bearer_ctx_t *
ngx_http_auth_bearer_verified(ngx_http_request_t *r)
{
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_auth_bearer_verdict(r);

    return (ctx && ctx->verified) ? ctx : NULL;
}


static void
ngx_http_auth_bearer_set_value(ngx_http_variable_value_t *v, u_char *data,
    size_t len)
{
    v->data = data;
    v->len = len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
}


static ngx_int_t
ngx_http_auth_bearer_user_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_auth_bearer_verified(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_auth_bearer_set_value(v, ctx->user.data, ctx->user.len);

    return NGX_OK;
}


/* $jwt_provider: the short code of an OIDC issuer, empty for others */

static ngx_int_t
ngx_http_auth_bearer_provider_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_auth_bearer_verified(r);

    if (ctx == NULL || ctx->issuer == NULL
        || ctx->issuer->provider.len == 0)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_auth_bearer_set_value(v, ctx->issuer->provider.data,
                                   ctx->issuer->provider.len);

    return NGX_OK;
}


/* $jwt_dpop_jkt: the thumbprint of the key of an accepted DPoP proof */

static ngx_int_t
ngx_http_auth_bearer_dpop_jkt_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_auth_bearer_ctx_t  *ctx;

    ctx = ngx_http_auth_bearer_verified(r);

    if (ctx == NULL || ctx->dpop_jkt.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_auth_bearer_set_value(v, ctx->dpop_jkt.data, ctx->dpop_jkt.len);

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

    ctx = ngx_http_auth_bearer_verified(r);

    if (ctx == NULL || name->len <= prefix) {
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

    ctx = ngx_http_auth_bearer_verified(r);

    if (ctx == NULL) {
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

    ctx = ngx_http_auth_bearer_verdict(r);

    s = NULL;

    if (ctx && ctx->status != NGX_OK && ctx->status != NGX_DECLINED) {
        s = data ? ctx->reason : ctx->code;
    }

    if (s == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_auth_bearer_set_value(v, (u_char *) s, ngx_strlen(s));

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
    u_char  *p;
    size_t   len;

    if (json == NULL || json_is_null(json)) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (json_is_string(json)) {
        ngx_http_auth_bearer_set_value(v, (u_char *) json_string_value(json),
                                       json_string_length(json));
        return NGX_OK;
    }

    p = ngx_http_auth_bearer_json_text(r->pool, json, &len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_auth_bearer_set_value(v, p, len);

    return NGX_OK;
}


/* auth_jwt_claim_set $variable name ...;  auth_jwt_header_set likewise */

char *
ngx_http_auth_bearer_claim_set_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
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

    ctx = ngx_http_auth_bearer_verified(r);

    if (ctx == NULL) {
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
