
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "ngx_http_auth_bearer.h"
#include "ngx_http_auth_bearer_bind.h"
#include "jwt/jwt_b64url.h"
#include "jwt/jwt_dpop.h"


/*
 * Sender-constrained tokens: a verified token's cnf claim binds it to a
 * key the client proves it holds on every request, by a DPoP proof
 * (RFC 9449, cnf.jkt) or by its TLS client certificate (RFC 8705,
 * cnf["x5t#S256"]).  The proof itself is checked by the core
 * (src/jwt/jwt_dpop.c); here are the directives, the request's side
 * (headers, URL, certificate) and the shared zone where each proof's jti
 * is remembered until the proof is too old to be accepted anyway, so
 * that no worker accepts it twice.
 */


/* the bytes of a replay key after the ones the rbtree key holds */
#define NGX_HTTP_AUTH_BEARER_REPLAY_TAIL                                     \
    (SHA256_DIGEST_LENGTH - sizeof(ngx_rbtree_key_t))

/* expired proofs reclaimed on each insertion */
#define NGX_HTTP_AUTH_BEARER_REPLAY_EXPIRE  8


typedef struct {
    ngx_rbtree_node_t               node;           /* key: digest head */
    ngx_queue_t                     queue;          /* newest first */
    time_t                          expires;
    u_char                          tail[NGX_HTTP_AUTH_BEARER_REPLAY_TAIL];
} ngx_http_auth_bearer_replay_node_t;


typedef struct {
    ngx_rbtree_t                    rbtree;
    ngx_rbtree_node_t               sentinel;
    ngx_queue_t                     queue;
} ngx_http_auth_bearer_replay_sh_t;


typedef struct {
    ngx_http_auth_bearer_replay_sh_t  *sh;
    ngx_slab_pool_t                   *shpool;
} ngx_http_auth_bearer_replay_t;


static ngx_int_t ngx_http_auth_bearer_bind_refuse(
    ngx_http_auth_bearer_ctx_t *ctx, ngx_int_t status, const char *message,
    const char *reason, const char *error, ngx_uint_t dpop);
static ngx_int_t ngx_http_auth_bearer_bind_mtls(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, json_t *x5t);
static ngx_int_t ngx_http_auth_bearer_bind_dpop(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    json_t *jkt);
static ngx_uint_t ngx_http_auth_bearer_bind_proof(ngx_http_request_t *r,
    ngx_str_t *proof);
static ngx_int_t ngx_http_auth_bearer_bind_replay(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, jwt_dpop_proof_t *proof,
    time_t expires);
static ngx_int_t ngx_http_auth_bearer_replay_add(ngx_shm_zone_t *shm_zone,
    u_char *digest, time_t expires, time_t now);
static void ngx_http_auth_bearer_replay_expire(
    ngx_http_auth_bearer_replay_t *rp, time_t now, ngx_uint_t n);
static void ngx_http_auth_bearer_replay_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_int_t ngx_http_auth_bearer_replay_init_zone(
    ngx_shm_zone_t *shm_zone, void *data);
static ngx_int_t ngx_http_auth_bearer_replay_zone(ngx_conf_t *cf);


/* the keys of the proofs this worker verified: see jwt_dpop_cache_t */
static jwt_dpop_cache_t  ngx_http_auth_bearer_dpop_cache;


ngx_conf_enum_t  ngx_http_auth_bearer_bind_modes[] = {
    { ngx_string("off"), NGX_HTTP_AUTH_BEARER_BIND_OFF },
    { ngx_string("optional"), NGX_HTTP_AUTH_BEARER_BIND_OPTIONAL },
    { ngx_string("dpop"), NGX_HTTP_AUTH_BEARER_BIND_DPOP },
    { ngx_string("mtls"), NGX_HTTP_AUTH_BEARER_BIND_MTLS },
    { ngx_string("any"), NGX_HTTP_AUTH_BEARER_BIND_ANY },
    { ngx_null_string, 0 }
};


/* auth_jwt_dpop_algorithms ES256 PS256 ...; asymmetric ones only */

char *
ngx_http_auth_bearer_dpop_algorithms_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf)
{
    ngx_http_auth_bearer_loc_conf_t *lcf = conf;

    ngx_str_t   *value;
    jwt_alg_t    alg;
    ngx_uint_t   i;

    if (lcf->dpop_algs != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    lcf->dpop_algs = 0;

    for (i = 1; i < cf->args->nelts; i++) {
        alg = jwt_alg_by_name(value[i].data, value[i].len);

        if (alg == JWT_ALG_UNKNOWN) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_dpop_algorithms\": unknown "
                               "algorithm \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (!(JWT_ALG_BIT(alg) & JWT_DPOP_ALGS_PK)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_dpop_algorithms\": \"%V\" is "
                               "symmetric; a DPoP proof is signed with the "
                               "client's private key", &value[i]);
            return NGX_CONF_ERROR;
        }

        lcf->dpop_algs |= JWT_ALG_BIT(alg);
    }

    return NGX_CONF_OK;
}


char *
ngx_http_auth_bearer_bind_merge(ngx_conf_t *cf,
    ngx_http_auth_bearer_loc_conf_t *prev,
    ngx_http_auth_bearer_loc_conf_t *conf)
{
    ngx_str_t                          v;
    ngx_http_compile_complex_value_t   ccv;

    ngx_conf_merge_uint_value(conf->bind, prev->bind,
                              NGX_HTTP_AUTH_BEARER_BIND_OPTIONAL);
    ngx_conf_merge_uint_value(conf->dpop_algs, prev->dpop_algs,
                              JWT_DPOP_ALGS_DEFAULT);
    ngx_conf_merge_sec_value(conf->dpop_window, prev->dpop_window, 60);
    ngx_conf_merge_ptr_value(conf->dpop_url, prev->dpop_url, NULL);

    if (conf->dpop_window > NGX_HTTP_AUTH_BEARER_DPOP_WINDOW_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_dpop_window\" must not exceed 1h");
        return NGX_CONF_ERROR;
    }

    if (conf->dpop_url == NULL) {
        conf->dpop_url = ngx_palloc(cf->pool,
                                    sizeof(ngx_http_complex_value_t));
        if (conf->dpop_url == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_str_set(&v, "$scheme://$host$uri");

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &v;
        ccv.complex_value = conf->dpop_url;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    if (conf->realm && conf->bind != NGX_HTTP_AUTH_BEARER_BIND_OFF
        && ngx_http_auth_bearer_replay_zone(cf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_auth_bearer_bind_check(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx)
{
    json_t     *cnf, *jkt, *x5t;
    ngx_int_t   rc;

    if (lcf->bind == NGX_HTTP_AUTH_BEARER_BIND_OFF) {
        return NGX_OK;
    }

    jkt = NULL;
    x5t = NULL;

    cnf = json_object_get(ctx->tok.payload, "cnf");

    if (cnf != NULL) {
        if (!json_is_object(cnf)) {
            return ngx_http_auth_bearer_bind_refuse(ctx,
                       NGX_HTTP_UNAUTHORIZED, "Malformed cnf claim",
                       "cnf claim is not an object", "invalid_token", 0);
        }

        jkt = json_object_get(cnf, "jkt");
        x5t = json_object_get(cnf, "x5t#S256");

        if ((jkt != NULL && !json_is_string(jkt))
            || (x5t != NULL && !json_is_string(x5t)))
        {
            return ngx_http_auth_bearer_bind_refuse(ctx,
                       NGX_HTTP_UNAUTHORIZED, "Malformed cnf claim",
                       "cnf jkt or x5t#S256 is not a string",
                       "invalid_token", 0);
        }
    }

    if (jkt == NULL && ctx->dpop_scheme) {
        return ngx_http_auth_bearer_bind_refuse(ctx, NGX_HTTP_UNAUTHORIZED,
                   "Token is not DPoP-bound",
                   "DPoP credentials with a token that has no cnf.jkt",
                   "invalid_token", 1);
    }

    switch (lcf->bind) {

    case NGX_HTTP_AUTH_BEARER_BIND_DPOP:
        if (jkt == NULL) {
            return ngx_http_auth_bearer_bind_refuse(ctx,
                       NGX_HTTP_UNAUTHORIZED, "Token is not DPoP-bound",
                       "auth_jwt_bind dpop: the token has no cnf.jkt",
                       "invalid_token", 1);
        }

        break;

    case NGX_HTTP_AUTH_BEARER_BIND_MTLS:
        if (x5t == NULL) {
            return ngx_http_auth_bearer_bind_refuse(ctx,
                       NGX_HTTP_UNAUTHORIZED,
                       "Token is not bound to a client certificate",
                       "auth_jwt_bind mtls: the token has no "
                       "cnf x5t#S256", "invalid_token", 0);
        }

        break;

    case NGX_HTTP_AUTH_BEARER_BIND_ANY:
        if (jkt == NULL && x5t == NULL) {
            return ngx_http_auth_bearer_bind_refuse(ctx,
                       NGX_HTTP_UNAUTHORIZED,
                       "Token is not sender-constrained",
                       "auth_jwt_bind any: the token has no cnf binding",
                       "invalid_token", 0);
        }

        break;

    default: /* NGX_HTTP_AUTH_BEARER_BIND_OPTIONAL */
        break;
    }

    if (x5t != NULL) {
        rc = ngx_http_auth_bearer_bind_mtls(r, ctx, x5t);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (jkt != NULL) {
        return ngx_http_auth_bearer_bind_dpop(r, lcf, ctx, jkt);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_auth_bearer_bind_refuse(ngx_http_auth_bearer_ctx_t *ctx,
    ngx_int_t status, const char *message, const char *reason,
    const char *error, ngx_uint_t dpop)
{
    ctx->status = status;
    ctx->code = (status == NGX_HTTP_SERVICE_UNAVAILABLE)
                ? "DPOP_UNAVAILABLE" : "INVALID_CREDENTIALS";
    ctx->message = message;
    ctx->reason = reason;
    ctx->oauth_error = error;
    ctx->verified = 0;
    ctx->dpop_challenge = dpop;

    return NGX_DECLINED;
}


/*
 * RFC 8705 3.1: cnf["x5t#S256"] is the SHA-256 of the DER of the client
 * certificate of this connection (kept by OpenSSL on resumed sessions)
 */

static ngx_int_t
ngx_http_auth_bearer_bind_mtls(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, json_t *x5t)
{
#if (NGX_HTTP_SSL)
    int      len;
    X509    *cert;
    u_char  *der, *p;
    u_char   md[SHA256_DIGEST_LENGTH], b64[JWT_DPOP_JKT_LEN + 1];

    cert = NULL;

    if (r->connection->ssl) {
        cert = SSL_get1_peer_certificate(r->connection->ssl->connection);
    }

    if (cert == NULL) {
        return ngx_http_auth_bearer_bind_refuse(ctx, NGX_HTTP_UNAUTHORIZED,
                   "Token is bound to a client certificate; none was "
                   "presented",
                   "certificate-bound token without a client certificate",
                   "invalid_token", 0);
    }

    len = i2d_X509(cert, NULL);

    der = (len > 0) ? ngx_http_auth_bearer_pnalloc(r->pool, len) : NULL;

    if (der == NULL) {
        X509_free(cert);
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    p = der;
    len = i2d_X509(cert, &p);

    X509_free(cert);

    if (len <= 0 || SHA256(der, len, md) == NULL) {
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    (void) jwt_b64url_encode(b64, md, sizeof(md));

    if (json_string_length(x5t) != JWT_DPOP_JKT_LEN
        || CRYPTO_memcmp(json_string_value(x5t), b64, JWT_DPOP_JKT_LEN) != 0)
    {
        return ngx_http_auth_bearer_bind_refuse(ctx, NGX_HTTP_UNAUTHORIZED,
                   "Token is bound to another certificate",
                   "cnf x5t#S256 is not the client certificate's",
                   "invalid_token", 0);
    }

    return NGX_OK;

#else

    return ngx_http_auth_bearer_bind_refuse(ctx, NGX_HTTP_UNAUTHORIZED,
               "Token is bound to a client certificate; none was presented",
               "certificate-bound token and nginx built without TLS",
               "invalid_token", 0);

#endif
}


/* RFC 9449 7.1: the DPoP scheme, one proof, checked, never seen before */

static ngx_int_t
ngx_http_auth_bearer_bind_dpop(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_http_auth_bearer_ctx_t *ctx,
    json_t *jkt)
{
    u_char                         *scratch;
    time_t                          leeway, expires;
    ngx_int_t                       rc;
    ngx_str_t                       proof, url;
    ngx_uint_t                      n;
    const char                     *reason;
    jwt_dpop_rc_t                   drc;
    jwt_dpop_proof_t                dp;
    jwt_dpop_policy_t               pol;
    ngx_http_auth_bearer_issuer_t  *issuer;

    if (!ctx->dpop_scheme) {
        return ngx_http_auth_bearer_bind_refuse(ctx, NGX_HTTP_UNAUTHORIZED,
                   "DPoP-bound token presented as Bearer",
                   "DPoP-bound token (cnf.jkt) with the Bearer scheme",
                   "invalid_token", 1);
    }

    n = ngx_http_auth_bearer_bind_proof(r, &proof);

    if (n == 0) {
        return ngx_http_auth_bearer_bind_refuse(ctx, NGX_HTTP_UNAUTHORIZED,
                   "DPoP proof missing", "no DPoP header",
                   "invalid_dpop_proof", 1);
    }

    if (n > 1) {
        return ngx_http_auth_bearer_bind_refuse(ctx, NGX_HTTP_UNAUTHORIZED,
                   "Several DPoP proofs", "more than one DPoP header",
                   "invalid_dpop_proof", 1);
    }

    if (ngx_http_complex_value(r, lcf->dpop_url, &url) != NGX_OK) {
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    issuer = ctx->issuer;
    leeway = (issuer && issuer->leeway != NGX_CONF_UNSET) ? issuer->leeway
                                                          : lcf->leeway;

    ngx_memzero(&pol, sizeof(jwt_dpop_policy_t));

    pol.now = ngx_time();
    pol.window = lcf->dpop_window;
    pol.leeway = leeway;
    pol.algs = lcf->dpop_algs;
    pol.htm.data = r->method_name.data;
    pol.htm.len = r->method_name.len;
    pol.htu.data = url.data;
    pol.htu.len = url.len;
    pol.token.data = ctx->token.data;
    pol.token.len = ctx->token.len;
    pol.jkt.data = (const unsigned char *) json_string_value(jkt);
    pol.jkt.len = json_string_length(jkt);
    pol.cache = &ngx_http_auth_bearer_dpop_cache;

    scratch = ngx_http_auth_bearer_pnalloc(r->pool, proof.len + 1);
    if (scratch == NULL) {
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    reason = NULL;

    ngx_http_auth_bearer_json_use(r->pool);

    drc = jwt_dpop_verify(&dp, proof.data, proof.len, scratch, &pol, &reason);

    ngx_http_auth_bearer_json_use(NULL);

    if (drc == JWT_DPOP_NOMEM || drc == JWT_DPOP_INTERNAL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "auth_jwt: DPoP: %s", reason ? reason : "error");
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    if (drc != JWT_DPOP_OK) {
        return ngx_http_auth_bearer_bind_refuse(ctx, NGX_HTTP_UNAUTHORIZED,
                   jwt_dpop_text(drc), reason, "invalid_dpop_proof", 1);
    }

    ctx->dpop_jkt.data = ngx_http_auth_bearer_pnalloc(r->pool,
                                                      JWT_DPOP_JKT_LEN);
    if (ctx->dpop_jkt.data == NULL) {
        jwt_dpop_release(&dp);
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->dpop_jkt.data, dp.jkt, JWT_DPOP_JKT_LEN);
    ctx->dpop_jkt.len = JWT_DPOP_JKT_LEN;

    /* remembered until the proof is too old anyway */

    expires = dp.iat + lcf->dpop_window + leeway + 1;

    rc = ngx_http_auth_bearer_bind_replay(r, ctx, &dp, expires);

    jwt_dpop_release(&dp);

    return rc;
}


/* the DPoP headers of the request: their number, the last in proof */

static ngx_uint_t
ngx_http_auth_bearer_bind_proof(ngx_http_request_t *r, ngx_str_t *proof)
{
    ngx_uint_t        i, n;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    n = 0;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("DPoP") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "DPoP",
                               sizeof("DPoP") - 1) == 0)
        {
            *proof = h[i].value;
            n++;
        }
    }

    return n;
}


/*
 * RFC 9449 11.1: a proof's jti is accepted once.  The key is the SHA-256
 * of the proof key's thumbprint and the jti, so that one client cannot
 * use up another's jti.  A request that comes back through an internal
 * redirect shows the proof it was accepted with once more.
 */

static ngx_int_t
ngx_http_auth_bearer_bind_replay(ngx_http_request_t *r,
    ngx_http_auth_bearer_ctx_t *ctx, jwt_dpop_proof_t *proof,
    time_t expires)
{
    time_t                             now;
    ngx_int_t                          rc;
    u_char                             key[JWT_DPOP_JKT_LEN
                                           + JWT_DPOP_JTI_MAX];
    u_char                             digest[SHA256_DIGEST_LENGTH];
    ngx_http_auth_bearer_main_conf_t  *amcf;

    /* the core bounds jti to JWT_DPOP_JTI_MAX bytes */

    ngx_memcpy(key, proof->jkt, JWT_DPOP_JKT_LEN);
    ngx_memcpy(key + JWT_DPOP_JKT_LEN, proof->jti.data, proof->jti.len);

    if (SHA256(key, JWT_DPOP_JKT_LEN + proof->jti.len, digest) == NULL) {
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    if (ctx->dpop_seen_set
        && ngx_memcmp(ctx->dpop_seen, digest, sizeof(digest)) == 0)
    {
        return NGX_OK;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_auth_bearer_module);

    if (amcf->dpop_zone == NULL) {
        ctx->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_ERROR;
    }

    now = ngx_time();

    rc = ngx_http_auth_bearer_replay_add(amcf->dpop_zone, digest,
                                         ngx_max(expires, now + 1), now);

    if (rc == NGX_DECLINED) {
        return ngx_http_auth_bearer_bind_refuse(ctx, NGX_HTTP_UNAUTHORIZED,
                   "Replayed DPoP proof", "DPoP proof jti already used",
                   "invalid_dpop_proof", 1);
    }

    if (rc == NGX_BUSY) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "auth_jwt: the DPoP replay zone \"%V\" is full of "
                      "unexpired proofs: new proofs are refused; make "
                      "auth_jwt_dpop_zone larger",
                      &amcf->dpop_zone->shm.name);

        (void) ngx_http_auth_bearer_bind_refuse(ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE,
                   "DPoP replay cache is full; retry later",
                   "DPoP replay zone full", NULL, 0);
        ctx->retry_after = 1;

        return NGX_DECLINED;
    }

    ngx_memcpy(ctx->dpop_seen, digest, sizeof(digest));
    ctx->dpop_seen_set = 1;

    return NGX_OK;
}


/*
 * NGX_OK: remembered; NGX_DECLINED: seen and not expired; NGX_BUSY: the
 * zone is full of unexpired proofs (none is forgotten early)
 */

static ngx_int_t
ngx_http_auth_bearer_replay_add(ngx_shm_zone_t *shm_zone, u_char *digest,
    time_t expires, time_t now)
{
    ngx_int_t                            rc;
    ngx_rbtree_key_t                     key;
    ngx_rbtree_node_t                   *node, *sentinel;
    ngx_http_auth_bearer_replay_t       *rp;
    ngx_http_auth_bearer_replay_node_t  *rn;

    rp = shm_zone->data;

    ngx_memcpy(&key, digest, sizeof(ngx_rbtree_key_t));
    digest += sizeof(ngx_rbtree_key_t);

    ngx_shmtx_lock(&rp->shpool->mutex);

    ngx_http_auth_bearer_replay_expire(rp, now,
                                       NGX_HTTP_AUTH_BEARER_REPLAY_EXPIRE);

    node = rp->sh->rbtree.root;
    sentinel = rp->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (key != node->key) {
            node = (key < node->key) ? node->left : node->right;
            continue;
        }

        rn = (ngx_http_auth_bearer_replay_node_t *) node;

        rc = ngx_memcmp(digest, rn->tail, NGX_HTTP_AUTH_BEARER_REPLAY_TAIL);

        if (rc != 0) {
            node = (rc < 0) ? node->left : node->right;
            continue;
        }

        if (rn->expires > now) {
            ngx_shmtx_unlock(&rp->shpool->mutex);
            return NGX_DECLINED;
        }

        rn->expires = expires;

        ngx_queue_remove(&rn->queue);
        ngx_queue_insert_head(&rp->sh->queue, &rn->queue);

        ngx_shmtx_unlock(&rp->shpool->mutex);
        return NGX_OK;
    }

    rn = ngx_slab_alloc_locked(rp->shpool,
                               sizeof(ngx_http_auth_bearer_replay_node_t));

    if (rn == NULL) {
        ngx_http_auth_bearer_replay_expire(rp, now, (ngx_uint_t) -1);

        rn = ngx_slab_alloc_locked(rp->shpool,
                                   sizeof(ngx_http_auth_bearer_replay_node_t));

        if (rn == NULL) {
            ngx_shmtx_unlock(&rp->shpool->mutex);
            return NGX_BUSY;
        }
    }

    rn->node.key = key;
    rn->expires = expires;
    ngx_memcpy(rn->tail, digest, NGX_HTTP_AUTH_BEARER_REPLAY_TAIL);

    ngx_rbtree_insert(&rp->sh->rbtree, &rn->node);
    ngx_queue_insert_head(&rp->sh->queue, &rn->queue);

    ngx_shmtx_unlock(&rp->shpool->mutex);

    return NGX_OK;
}


/* up to n of the oldest proofs, while they have expired; zone locked */

static void
ngx_http_auth_bearer_replay_expire(ngx_http_auth_bearer_replay_t *rp,
    time_t now, ngx_uint_t n)
{
    ngx_queue_t                         *q;
    ngx_http_auth_bearer_replay_node_t  *rn;

    while (n-- && !ngx_queue_empty(&rp->sh->queue)) {
        q = ngx_queue_last(&rp->sh->queue);
        rn = ngx_queue_data(q, ngx_http_auth_bearer_replay_node_t, queue);

        if (rn->expires > now) {
            return;
        }

        ngx_queue_remove(q);
        ngx_rbtree_delete(&rp->sh->rbtree, &rn->node);
        ngx_slab_free_locked(rp->shpool, rn);
    }
}


/* ordered by the key, then by the rest of the digest */

static void
ngx_http_auth_bearer_replay_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t                  **p;
    ngx_http_auth_bearer_replay_node_t  *rn, *rnt;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            rn = (ngx_http_auth_bearer_replay_node_t *) node;
            rnt = (ngx_http_auth_bearer_replay_node_t *) temp;

            p = (ngx_memcmp(rn->tail, rnt->tail,
                            NGX_HTTP_AUTH_BEARER_REPLAY_TAIL) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* as limit_req: a reload keeps the proofs already seen */

static ngx_int_t
ngx_http_auth_bearer_replay_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_auth_bearer_replay_t *orp = data;

    ngx_http_auth_bearer_replay_t  *rp;

    rp = shm_zone->data;

    if (orp) {
        rp->sh = orp->sh;
        rp->shpool = orp->shpool;
        return NGX_OK;
    }

    rp->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        rp->sh = rp->shpool->data;
        return NGX_OK;
    }

    rp->sh = ngx_slab_alloc(rp->shpool,
                            sizeof(ngx_http_auth_bearer_replay_sh_t));
    if (rp->sh == NULL) {
        return NGX_ERROR;
    }

    rp->shpool->data = rp->sh;

    ngx_rbtree_init(&rp->sh->rbtree, &rp->sh->sentinel,
                    ngx_http_auth_bearer_replay_insert);
    ngx_queue_init(&rp->sh->queue);

    /* a full zone is logged by the refusal, once per request */

    return ngx_http_auth_bearer_slab_log(rp->shpool, "auth_jwt_dpop_zone",
                                         &shm_zone->shm.name);
}


/* the zone "auth_jwt_dpop", once, of auth_jwt_dpop_zone's size */

static ngx_int_t
ngx_http_auth_bearer_replay_zone(ngx_conf_t *cf)
{
    size_t                             size;
    ngx_str_t                          name;
    ngx_http_auth_bearer_replay_t     *rp;
    ngx_http_auth_bearer_main_conf_t  *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_auth_bearer_module);

    if (amcf->dpop_zone) {
        return NGX_OK;
    }

    size = (amcf->dpop_zone_size == NGX_CONF_UNSET_SIZE)
           ? NGX_HTTP_AUTH_BEARER_DPOP_ZONE_SIZE : amcf->dpop_zone_size;

    if (size < 8 * ngx_pagesize) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_dpop_zone\" is too small; use at "
                           "least %uz bytes", 8 * ngx_pagesize);
        return NGX_ERROR;
    }

    rp = ngx_pcalloc(cf->pool, sizeof(ngx_http_auth_bearer_replay_t));
    if (rp == NULL) {
        return NGX_ERROR;
    }

    ngx_str_set(&name, "auth_jwt_dpop");

    amcf->dpop_zone = ngx_shared_memory_add(cf, &name, size,
                                            &ngx_http_auth_bearer_module);
    if (amcf->dpop_zone == NULL) {
        return NGX_ERROR;
    }

    if (amcf->dpop_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "shared memory zone \"%V\" is already used",
                           &name);
        return NGX_ERROR;
    }

    amcf->dpop_zone->init = ngx_http_auth_bearer_replay_init_zone;
    amcf->dpop_zone->data = rp;

    return NGX_OK;
}


void
ngx_http_auth_bearer_bind_exit(void)
{
    jwt_dpop_cache_free(&ngx_http_auth_bearer_dpop_cache);
}


ngx_uint_t
ngx_http_auth_bearer_bind_dpop_challenge(ngx_http_auth_bearer_ctx_t *ctx)
{
    return ctx->dpop_challenge || ctx->dpop_scheme
           || (ctx->lcf && ctx->lcf->bind == NGX_HTTP_AUTH_BEARER_BIND_DPOP);
}


size_t
ngx_http_auth_bearer_bind_algs_len(ngx_http_auth_bearer_loc_conf_t *lcf)
{
    int     i;
    size_t  len;

    len = sizeof(", algs=\"\"") - 1;

    for (i = 1; i < JWT_ALG_MAX; i++) {
        if (lcf->dpop_algs & JWT_ALG_BIT(i)) {
            len += ngx_strlen(jwt_alg_name((jwt_alg_t) i)) + 1;
        }
    }

    return len;
}


u_char *
ngx_http_auth_bearer_bind_algs(ngx_http_auth_bearer_loc_conf_t *lcf,
    u_char *p)
{
    int          i;
    const char  *sep;

    p = ngx_cpymem(p, ", algs=\"", sizeof(", algs=\"") - 1);
    sep = "";

    for (i = 1; i < JWT_ALG_MAX; i++) {
        if (lcf->dpop_algs & JWT_ALG_BIT(i)) {
            p = ngx_sprintf(p, "%s%s", sep, jwt_alg_name((jwt_alg_t) i));
            sep = " ";
        }
    }

    *p++ = '"';

    return p;
}
