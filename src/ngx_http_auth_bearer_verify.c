
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/sha.h>

#include "ngx_http_auth_bearer.h"
#include "ngx_http_auth_bearer_cache.h"
#include "ngx_http_auth_bearer_oidc.h"
#include "ngx_http_auth_bearer_revocation.h"
#include "ngx_http_auth_bearer_bind.h"


/*
 * The verdict on a request's token: taken from the request (Authorization
 * or a variable), looked up in the verified-token cache, or decoded,
 * matched to its issuer's key, verified and its claims checked.  Made once
 * per request and policy, kept in a ctx that the access handler, the
 * response filters and the variables share.  No response is made here:
 * a refusal is a status, a code, a message and a reason in the ctx.
 */


static void ngx_http_auth_bearer_cleanup(void *data);
static ngx_int_t ngx_http_auth_bearer_extract(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    ngx_str_t *token);
static void ngx_http_auth_bearer_verify(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    ngx_str_t *token);
static ngx_int_t ngx_http_auth_bearer_cache_hit(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, ngx_http_auth_bearer_cache_entry_t *e);
static void ngx_http_auth_bearer_cache_store(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    u_char *digest, ngx_uint_t revocation);
static ngx_int_t ngx_http_auth_bearer_verify_token(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    ngx_str_t *token);
static ngx_int_t ngx_http_auth_bearer_location_key(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    const jwt_key_t **key, const char **reason);
static const jwt_key_t *ngx_http_auth_bearer_select_key(
    ngx_http_request_t *r, ngx_http_auth_bearer_loc_conf_t *lcf,
    ngx_http_auth_bearer_ctx_t *ctx);
static ngx_int_t ngx_http_auth_bearer_check_claims(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx);
static ngx_int_t ngx_http_auth_bearer_set_user(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx);
static void ngx_http_auth_bearer_refuse(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, jwt_rc_t rc, const char *reason);
static ngx_uint_t ngx_http_auth_bearer_generation(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf,
    ngx_http_auth_bearer_issuer_t *issuer);
static ngx_int_t ngx_http_auth_bearer_revoked(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, u_char *digest,
    ngx_uint_t *generation);


/* the JOSE headers this worker parsed last: see jwt_header_memo_t */
static jwt_header_memo_t  ngx_http_auth_bearer_header_memo;


/*
 * The ctx of this request, also after an internal redirect (error_page):
 * like realip, it is found through its pool cleanup.
 */

ngx_http_auth_bearer_ctx_t *
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

ngx_http_auth_bearer_ctx_t *
ngx_http_auth_bearer_run(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf)
{
    u_char                       dpop_seen[32];
    ngx_str_t                    token;
    ngx_int_t                    rc;
    ngx_uint_t                   seen;
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

        /*
         * a request that waited for keys does not wait twice; one that
         * comes back after an internal redirect keeps the DPoP proof it
         * was accepted with
         */

        wait = ctx->wait_until;
        seen = ctx->dpop_seen_set;
        ngx_memcpy(dpop_seen, ctx->dpop_seen, sizeof(dpop_seen));

        jwt_token_release(&ctx->tok);
        ngx_memzero(ctx, sizeof(ngx_http_auth_bearer_ctx_t));

        ctx->wait_until = wait;
        ctx->dpop_seen_set = seen;
        ngx_memcpy(ctx->dpop_seen, dpop_seen, sizeof(dpop_seen));
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

        /* the binding, on every request: a cached verdict included */

        if (ctx->status == NGX_OK && ctx->verified) {
            (void) ngx_http_auth_bearer_bind_check(r, lcf, ctx);
        }

    } else if (rc == NGX_DECLINED && lcf->allow_missing) {

        /* no identity: the backend authenticates later (WebSocket) */
        ctx->status = NGX_DECLINED;

    } else if (rc == NGX_DECLINED) {
        ngx_http_auth_bearer_fail(ctx, NGX_HTTP_UNAUTHORIZED,
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
 * The verdict for a variable: the one made for this request, or one made
 * now under the configuration of the place that asks.
 */

ngx_http_auth_bearer_ctx_t *
ngx_http_auth_bearer_verdict(ngx_http_request_t *r)
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
        ngx_http_auth_bearer_fail(ctx, NGX_HTTP_UNAUTHORIZED,
                                  "INVALID_CREDENTIALS",
                                  "User/password credentials are only "
                                  "accepted by the login endpoint; "
                                  "send a Bearer token",
                                  "Basic credentials on a bearer-protected "
                                  "location");
        return NGX_ERROR;
    }

    /* RFC 9449 7.1: "DPoP" credentials, unless binding is off */

    if (scheme.len == sizeof("DPoP") - 1
        && ngx_strncasecmp(scheme.data, (u_char *) "DPoP", scheme.len) == 0
        && lcf->bind != NGX_HTTP_AUTH_BEARER_BIND_OFF)
    {
        ctx->dpop_scheme = 1;

    } else if (scheme.len != sizeof("Bearer") - 1
               || ngx_strncasecmp(scheme.data, (u_char *) "Bearer",
                                  scheme.len)
                  != 0)
    {
        ngx_http_auth_bearer_fail(ctx, NGX_HTTP_UNAUTHORIZED,
                                  "INVALID_CREDENTIALS",
                                  "Unsupported authorization scheme",
                                  "Authorization scheme is not Bearer");
        return NGX_ERROR;
    }

    /* exactly "Bearer" (or "DPoP") SP token, without white space */

    if (p == last || *p != ' ' || p + 1 == last) {
        goto malformed;
    }

    p++;

    token->data = p;
    token->len = last - p;

    /* libc's memchr scans a word or a vector at a time */

    if (memchr(p, ' ', last - p) != NULL || memchr(p, '\t', last - p) != NULL)
    {
        goto malformed;
    }

    ctx->presented = 1;

    return NGX_OK;

malformed:

    ngx_http_auth_bearer_fail(ctx, NGX_HTTP_BAD_REQUEST,
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
 * The cache's door is asked before the token's SHA-256 is computed: a
 * token it has not seen is not in the cache.
 */

static void
ngx_http_auth_bearer_verify(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    ngx_str_t *token)
{
    time_t                               now;
    u_char                               digest[SHA256_DIGEST_LENGTH];
    uint64_t                             key;
    ngx_int_t                            rc;
    ngx_uint_t                           revocation, digested;
    ngx_http_auth_bearer_cache_entry_t  *e;

    /* the size cap comes before anything else */

    if (token->len > lcf->max_size) {
        ngx_http_auth_bearer_refuse(r, ctx, JWT_ERR_FORMAT, "token too large");
        return;
    }

    key = ngx_http_auth_bearer_cache_key(token->data, token->len, lcf);
    digested = 0;

    if (ngx_http_auth_bearer_cache_seen(key)
        && ngx_http_auth_bearer_cache_digest(digest, token->data, token->len)
           == NGX_OK)
    {
        digested = 1;

        e = ngx_http_auth_bearer_cache_get(digest, lcf);
        now = ngx_time();

        if (e && e->generation
                 == ngx_http_auth_bearer_generation(r, lcf, e->issuer)
            && now >= e->not_before && now < e->expires)
        {
            /* looked up again only when the revocation sets changed */

            if (ngx_http_auth_bearer_cache_hit(r, ctx, e) == NGX_OK
                && ngx_http_auth_bearer_revoked(r, ctx, digest,
                                                &e->revocation)
                   != NGX_OK)
            {
                e->revocation = (ngx_uint_t) -1;
            }

            return;
        }

        /* stale: keys changed, or expired; verify again to say why */

        if (e) {
            ngx_http_auth_bearer_cache_remove(e);
        }
    }

    /* the request's claims live in its pool; the cache keeps a heap copy */

    ngx_http_auth_bearer_json_use(r->pool);

    rc = ngx_http_auth_bearer_verify_token(r, lcf, ctx, token);

    ngx_http_auth_bearer_json_use(NULL);

    /* a revoked token is refused, and never cached */

    revocation = (ngx_uint_t) -1;

    if (rc == NGX_OK) {
        rc = ngx_http_auth_bearer_revoked(r, ctx, digested ? digest : NULL,
                                          &revocation);
    }

    if (rc != NGX_OK || ngx_http_auth_bearer_cache_admit(key) != NGX_OK) {
        return;
    }

    if (digested
        || ngx_http_auth_bearer_cache_digest(digest, token->data, token->len)
           == NGX_OK)
    {
        ngx_http_auth_bearer_cache_store(r, lcf, ctx, digest, revocation);
    }
}


/*
 * The entry may be evicted while this request still runs: the claims are
 * shared by reference (released in the request's cleanup), the user name
 * is copied.
 */

static ngx_int_t
ngx_http_auth_bearer_cache_hit(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, ngx_http_auth_bearer_cache_entry_t *e)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "auth_jwt: cache hit");

    ctx->user.data = ngx_http_auth_bearer_pnalloc(r->pool, e->user.len + 1);
    if (ctx->user.data == NULL) {
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
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
        ngx_http_auth_bearer_oidc_count(ctx->issuer->oidc, JWT_OK);
    }

    return NGX_OK;
}


static void
ngx_http_auth_bearer_cache_store(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    u_char *digest, ngx_uint_t revocation)
{
    ngx_uint_t                          generation;
    ngx_http_auth_bearer_cache_entry_t  tmpl;

    generation = ngx_http_auth_bearer_generation(r, lcf, ctx->issuer);

    if (generation == NGX_HTTP_AUTH_BEARER_NO_GENERATION) {
        return;
    }

    ngx_memzero(&tmpl, sizeof(ngx_http_auth_bearer_cache_entry_t));

    ngx_memcpy(tmpl.digest, digest, NGX_HTTP_AUTH_BEARER_DIGEST_LEN);
    tmpl.policy = lcf;
    tmpl.issuer = ctx->issuer;
    tmpl.generation = generation;
    tmpl.revocation = revocation;
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
    u_char           *scratch;
    jwt_rc_t          rc;
    const char       *reason;
    const jwt_key_t  *key;

    reason = NULL;

    scratch = ngx_http_auth_bearer_pnalloc(r->pool, token->len);
    if (scratch == NULL) {
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    rc = jwt_token_parse_memo(&ctx->tok, token->data, token->len,
                              lcf->max_size, scratch,
                              &ngx_http_auth_bearer_header_memo, &reason);
    if (rc != JWT_OK) {
        ngx_http_auth_bearer_refuse(r, ctx, rc, reason);
        return NGX_ERROR;
    }

    key = ngx_http_auth_bearer_select_key(r, lcf, ctx);
    if (key == NULL) {
        return NGX_ERROR;
    }

    rc = jwt_verify_signature(key, ctx->tok.alg, token->data,
                              ctx->tok.signing_len, ctx->tok.sig.data,
                              ctx->tok.sig.len, &reason);
    if (rc != JWT_OK) {
        ngx_http_auth_bearer_refuse(r, ctx, rc, reason);
        return NGX_ERROR;
    }

    if (ngx_http_auth_bearer_check_claims(r, lcf, ctx) != NGX_OK
        || ngx_http_auth_bearer_set_user(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->verified = 1;
    ctx->status = NGX_OK;

    if (ctx->issuer) {
        ngx_http_auth_bearer_oidc_count(ctx->issuer->oidc, JWT_OK);
    }

    /* a valid token's header is worth keeping; the memo's is on the heap */

    if (!ctx->tok.memo_hit) {
        ngx_http_auth_bearer_json_use(NULL);
        (void) jwt_header_memo_add(&ngx_http_auth_bearer_header_memo,
                                   &ctx->tok);
        ngx_http_auth_bearer_json_use(r->pool);
    }

#if (NGX_DEBUG)

    /* escaped only for a log that takes debug lines (a debug build) */

    if (r->connection->log->log_level & NGX_LOG_DEBUG_HTTP) {
        u_char     buf[NGX_HTTP_AUTH_BEARER_LOG_FIELD];
        ngx_str_t  user;

        user.data = buf;
        user.len = ngx_http_auth_bearer_escape(buf, sizeof(buf),
                                               ctx->user.data, ctx->user.len);

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "auth_jwt: accepted user \"%V\"", &user);
    }

#endif

    return NGX_OK;
}


/*
 * NGINX Plus style: the location's own keys (auth_jwt_key_file,
 * auth_jwt_key_request) verify tokens of no configured issuer.  NGX_OK
 * with *key (NULL: none fits, *reason says why), NGX_DONE when ctx holds
 * the answer.
 */

static ngx_int_t
ngx_http_auth_bearer_location_key(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    const jwt_key_t **key, const char **reason)
{
    /* the keys' own algs bound the choice */

    if (lcf->keys == NULL && lcf->keyreqs == NULL) {
        ngx_http_auth_bearer_refuse(r, ctx, JWT_ERR_ISSUER,
                                    ctx->tok.iss.data
                                    ? "issuer not trusted"
                                    : "token has no iss claim");
        return NGX_DONE;
    }

    *key = NULL;

    if (lcf->keys) {
        *key = jwt_keyset_find(lcf->keys, ctx->tok.alg, ctx->tok.kid.data,
                               ctx->tok.kid.len, reason);
    }

    if (*key == NULL && lcf->keyreqs) {
        switch (ngx_http_auth_bearer_keyreq_find(r, lcf, ctx->tok.alg,
                                                 ctx->tok.kid.data,
                                                 ctx->tok.kid.len, key,
                                                 reason,
                                                 &ctx->retry_after))
        {
        case NGX_AGAIN:

            /* asked before the access phase requested the keys */

            ctx->status = NGX_AGAIN;
            ctx->wait_keyreq = 1;
            return NGX_DONE;

        case NGX_DECLINED:
            ngx_http_auth_bearer_fail(ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                                      "KEYS_UNAVAILABLE",
                                      "Signing keys are not available "
                                      "yet; retry later",
                                      "auth_jwt_key_request keys not "
                                      "available");
            ctx->oauth_error = NULL;
            return NGX_DONE;
        }
    }

    return NGX_OK;
}


/*
 * The key that verifies the token: its issuer's (by iss, then alg and
 * kid), or the location's own keys (auth_jwt_key_file) for a token of no
 * configured issuer.  NULL with the refusal in ctx, or with ctx->status
 * NGX_AGAIN while the issuer's keys are being fetched.
 */

static const jwt_key_t *
ngx_http_auth_bearer_select_key(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx)
{
    ngx_uint_t                          wait;
    const char                         *reason;
    jwt_keyset_t                       *ks;
    const jwt_key_t                    *key;
    ngx_http_auth_bearer_issuer_t      *issuer;
    ngx_http_auth_bearer_main_conf_t   *amcf;

    reason = NULL;
    issuer = NULL;

    if (ctx->tok.iss.data) {
        amcf = ngx_http_get_module_main_conf(r, ngx_http_auth_bearer_module);
        issuer = ngx_http_auth_bearer_issuer_find(amcf,
                                                  (u_char *) ctx->tok.iss.data,
                                                  ctx->tok.iss.len);
    }

    if (issuer == NULL) {
        if (ngx_http_auth_bearer_location_key(r, lcf, ctx, &key, &reason)
            != NGX_OK)
        {
            return NULL;
        }

        goto done;
    }

    ctx->issuer = issuer;

    if (!(issuer->algs & JWT_ALG_BIT(ctx->tok.alg))) {
        ngx_http_auth_bearer_refuse(r, ctx, JWT_ERR_ALG,
                                    "alg not allowed for this issuer");
        return NULL;
    }

    /* a request is held for keys once, and never under "satisfy any" */

    wait = (ctx->wait_until == 0 && !ctx->nowait);

    ks = &issuer->keys;

    if (issuer->kind == NGX_HTTP_AUTH_BEARER_OIDC) {

        /* never fetched here: no keys yet is not the client's fault */

        ks = ngx_http_auth_bearer_oidc_get(issuer->oidc, &ctx->retry_after);

        if (ks == NULL) {
            if (ngx_http_auth_bearer_oidc_missing(issuer->oidc, wait)
                == NGX_AGAIN)
            {
                ctx->status = NGX_AGAIN;
                return NULL;
            }

            ngx_http_auth_bearer_fail(ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                                      "KEYS_UNAVAILABLE",
                                      "Signing keys are not available "
                                      "yet; retry later",
                                      "no usable keys for this issuer");
            ctx->oauth_error = NULL;
            return NULL;
        }
    }

    /* an issuer with a shared secret has one key: kid is moot */

    key = jwt_keyset_find(ks, ctx->tok.alg,
                          issuer->kind == NGX_HTTP_AUTH_BEARER_SECRET
                          ? NULL : ctx->tok.kid.data,
                          ctx->tok.kid.len, &reason);

    if (key == NULL
        && issuer->kind == NGX_HTTP_AUTH_BEARER_OIDC
        && ngx_http_auth_bearer_oidc_unknown_kid(issuer->oidc, &ctx->tok.kid,
                                                 wait, r->connection->log)
           == NGX_AGAIN)
    {
        ctx->status = NGX_AGAIN;
        return NULL;
    }

done:

    if (key == NULL) {
        ngx_http_auth_bearer_refuse(r, ctx, JWT_ERR_NO_KEY, reason);
    }

    return key;
}


static ngx_int_t
ngx_http_auth_bearer_check_claims(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx)
{
    jwt_rc_t                        rc;
    const char                     *reason;
    jwt_claims_policy_t             pol;
    ngx_http_auth_bearer_issuer_t  *issuer;

    issuer = ctx->issuer;
    reason = NULL;

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

    return NGX_OK;
}


/* the issuer's user claim (sub for the location's own keys), prefixed */

static ngx_int_t
ngx_http_auth_bearer_set_user(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx)
{
    json_t                         *user;
    ngx_http_auth_bearer_issuer_t  *issuer;

    issuer = ctx->issuer;

    user = json_object_get(ctx->tok.payload,
                           issuer ? (const char *) issuer->user_claim.data
                                  : "sub");

    if (!json_is_string(user) || json_string_length(user) == 0) {
        if (issuer == NULL) {
            return NGX_OK;
        }

        ngx_http_auth_bearer_refuse(r, ctx, JWT_ERR_CLAIMS,
                                    "user claim missing or not a string");
        return NGX_ERROR;
    }

    ctx->user.data = (u_char *) json_string_value(user);
    ctx->user.len = json_string_length(user);

    if (issuer
        && ngx_http_auth_bearer_issuer_user(r->pool, issuer, &ctx->user)
           != NGX_OK)
    {
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    return NGX_OK;
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
        ngx_http_auth_bearer_oidc_count(ctx->issuer->oidc, rc);
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

    ngx_http_auth_bearer_fail(ctx, NGX_HTTP_UNAUTHORIZED, code, message,
                              reason ? reason : message);
}


void
ngx_http_auth_bearer_fail(ngx_http_auth_bearer_ctx_t *ctx, ngx_int_t status,
    const char *code, const char *message, const char *reason)
{
    ctx->status = status;
    ctx->code = code;
    ctx->message = message;
    ctx->reason = reason;
    ctx->oauth_error = ctx->presented ? "invalid_token" : NULL;
}


/*
 * The key generation of an issuer: constant for secrets and key files;
 * an OIDC issuer's changes with each JWKS its worker loads, and the
 * location's keys with each key set its auth_jwt_key_request loads (none
 * without auth_jwt_key_cache: every request has its own), so that cached
 * verdicts never outlive a key removal.
 */

static ngx_uint_t
ngx_http_auth_bearer_generation(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_issuer_t *issuer)
{
    if (issuer == NULL && lcf->keyreqs) {
        return lcf->key_cache ? ngx_http_auth_bearer_keyreq_generation(r, lcf)
                              : NGX_HTTP_AUTH_BEARER_NO_GENERATION;
    }

    if (issuer == NULL || issuer->kind != NGX_HTTP_AUTH_BEARER_OIDC) {
        return 0;
    }

    return ngx_http_auth_bearer_oidc_generation(issuer->oidc);
}


/*
 * Revocation, after signature and claims and on every cache hit: a
 * revoked token gets 401; a feed that cannot say (fail=closed, no set or
 * one older than max_stale) gets 503.
 */

static ngx_int_t
ngx_http_auth_bearer_revoked(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, u_char *digest, ngx_uint_t *generation)
{
    time_t      retry;
    ngx_int_t   rc;
    ngx_uint_t  wait;

    retry = 1;

    /* held once, as for keys, while a feed's first fetch runs */

    wait = (ctx->wait_until == 0 && !ctx->nowait);

    rc = ngx_http_auth_bearer_revocation_check(r, &ctx->tok, &ctx->token,
                                               digest, wait, generation,
                                               &retry);
    if (rc == NGX_OK) {
        return NGX_OK;
    }

    ctx->verified = 0;

    if (rc == NGX_AGAIN) {
        ctx->status = NGX_AGAIN;
        ctx->wait_revocation = 1;
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_auth_bearer_fail(ctx, NGX_HTTP_UNAUTHORIZED,
                                  "INVALID_CREDENTIALS", "Token revoked",
                                  "token revoked");
        return NGX_ERROR;
    }

    ngx_http_auth_bearer_fail(ctx, NGX_HTTP_SERVICE_UNAVAILABLE,
                              "REVOCATION_UNAVAILABLE",
                              "The revocation list is not available; "
                              "retry later",
                              "revocation feed not available");
    ctx->oauth_error = NULL;
    ctx->retry_after = retry;

    return NGX_ERROR;
}


void
ngx_http_auth_bearer_verify_exit(void)
{
    jwt_header_memo_free(&ngx_http_auth_bearer_header_memo);
}
