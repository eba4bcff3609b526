
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ngx_http_auth_bearer_oidc.h"


/*
 * The runtime of OIDC issuers (their configuration is parsed in
 * ngx_http_auth_bearer_issuer.c): the per-worker key sets and the
 * refresh.  Every worker ticks once a second; the one whose tick finds an
 * issuer due takes the slot's lease and runs discovery, then the JWKS
 * fetch, validates the set and publishes it to the zone.  The other
 * workers see the generation change and rebuild their keys from the
 * zone's bytes, on their next tick or request.
 */


#define NGX_HTTP_AUTH_BEARER_TICK          1000    /* ms */

#define NGX_HTTP_AUTH_BEARER_CA_FILE_MAX   (4 * 1024 * 1024)

#define NGX_HTTP_AUTH_BEARER_DISCOVERY     1
#define NGX_HTTP_AUTH_BEARER_JWKS          2


static void ngx_http_auth_bearer_oidc_tick(ngx_event_t *ev);
static void ngx_http_auth_bearer_oidc_refresh(
    ngx_http_auth_bearer_oidc_t *oidc);
static ngx_int_t ngx_http_auth_bearer_oidc_fetch(
    ngx_http_auth_bearer_oidc_t *oidc, ngx_uint_t stage, u_char *url,
    u_char *etag);
static void ngx_http_auth_bearer_oidc_fetched(ngx_http_auth_bearer_fetch_t *f);
static const char *ngx_http_auth_bearer_oidc_discovered(
    ngx_http_auth_bearer_oidc_t *oidc, ngx_http_auth_bearer_fetch_t *f);
static void ngx_http_auth_bearer_oidc_publish(
    ngx_http_auth_bearer_oidc_t *oidc, ngx_http_auth_bearer_fetch_t *f);
static void ngx_http_auth_bearer_oidc_failed(
    ngx_http_auth_bearer_oidc_t *oidc, const char *fmt, ...);
static ngx_uint_t ngx_http_auth_bearer_oidc_pending(
    ngx_http_auth_bearer_oidc_t *oidc);
static char *ngx_http_auth_bearer_oidc_ca(ngx_conf_t *cf,
    ngx_http_auth_bearer_main_conf_t *amcf);
static ngx_uint_t ngx_http_auth_bearer_oidc_fresh(
    ngx_http_auth_bearer_oidc_t *oidc, time_t now);


static ngx_event_t  ngx_http_auth_bearer_oidc_timer;


char *
ngx_http_auth_bearer_oidc_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_auth_bearer_main_conf_t *amcf = conf;

    ngx_uint_t                      i;
    ngx_http_auth_bearer_issuer_t  *issuer;

    ngx_conf_init_msec_value(amcf->fetch_timeout,
                             NGX_HTTP_AUTH_BEARER_FETCH_TIMEOUT);

    /* for libcurl 0 means no timeout at all */

    if (amcf->fetch_timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_fetch_timeout\" must not be 0; use "
                           "e.g. auth_jwt_fetch_timeout 10s");
        return NGX_CONF_ERROR;
    }

    /* the issuers array may have moved while it grew */

    issuer = amcf->issuers.elts;

    for (i = 0; i < amcf->issuers.nelts; i++) {
        if (issuer[i].kind == NGX_HTTP_AUTH_BEARER_OIDC) {
            issuer[i].oidc->issuer = &issuer[i];
        }
    }

    if (amcf->ca_file.len
        && ngx_http_auth_bearer_oidc_ca(cf, amcf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_auth_bearer_shm_implicit(cf, amcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * auth_jwt_ca_file: read by the master with the configuration, as nginx
 * reads its own certificates, and handed to libcurl from memory, so the
 * workers' user need not read it; a file without a PEM certificate, or
 * with something else, fails the configuration.
 */

static char *
ngx_http_auth_bearer_oidc_ca(ngx_conf_t *cf,
    ngx_http_auth_bearer_main_conf_t *amcf)
{
    BIO        *bio;
    X509       *x;
    ngx_str_t   text;
    ngx_uint_t  n;

    if (ngx_http_auth_bearer_read_file(cf, "auth_jwt_ca_file", "CA file",
                                       &amcf->ca_file,
                                       NGX_HTTP_AUTH_BEARER_CA_FILE_MAX,
                                       &text)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    bio = BIO_new_mem_buf(text.data, (int) text.len);
    if (bio == NULL) {
        return NGX_CONF_ERROR;
    }

    for (n = 0; /* void */; n++) {
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x == NULL) {
            break;
        }

        X509_free(x);
    }

    BIO_free(bio);

    /* the end of the certificates, or a PEM block that is not one */

    if (n == 0
        || ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE)
    {
        ERR_clear_error();
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_ca_file\": \"%V\" is not a PEM file "
                           "of certificates; give the CAs that sign your "
                           "identity provider's certificate, e.g. "
                           "/etc/ssl/certs/ca-certificates.crt",
                           &amcf->ca_file);
        return NGX_CONF_ERROR;
    }

    ERR_clear_error();

    /* kept for the cycle: the temporary pool goes after the load */

    amcf->ca.data = ngx_pnalloc(cf->pool, text.len);
    if (amcf->ca.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(amcf->ca.data, text.data, text.len);
    amcf->ca.len = text.len;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_auth_bearer_oidc_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                         i;
    ngx_event_t                       *ev;
    ngx_http_auth_bearer_issuer_t     *issuer;
    ngx_http_auth_bearer_main_conf_t  *amcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_auth_bearer_module);

    if (amcf == NULL || amcf->noidc == 0) {
        return NGX_OK;
    }

    /* keys that survived a reload serve the first request at once */

    issuer = amcf->issuers.elts;

    for (i = 0; i < amcf->issuers.nelts; i++) {
        if (issuer[i].kind == NGX_HTTP_AUTH_BEARER_OIDC) {
            issuer[i].oidc->log = cycle->log;
            ngx_http_auth_bearer_oidc_sync(issuer[i].oidc);
        }
    }

    /* without libcurl the worker serves with what the zone has */

    if (ngx_http_auth_bearer_fetch_init(cycle) != NGX_OK) {
        return NGX_OK;
    }

    ev = &ngx_http_auth_bearer_oidc_timer;

    ev->handler = ngx_http_auth_bearer_oidc_tick;
    ev->data = amcf;
    ev->log = cycle->log;
    ev->cancelable = 1;

    /* the first tick prefetches what is due */

    ngx_add_timer(ev, 0);

    return NGX_OK;
}


void
ngx_http_auth_bearer_oidc_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                         i;
    ngx_http_auth_bearer_oidc_t       *oidc;
    ngx_http_auth_bearer_issuer_t     *issuer;
    ngx_http_auth_bearer_main_conf_t  *amcf;

    if (ngx_http_auth_bearer_oidc_timer.timer_set) {
        ngx_del_timer(&ngx_http_auth_bearer_oidc_timer);
    }

    if (ngx_http_auth_bearer_oidc_timer.posted) {
        ngx_delete_posted_event(&ngx_http_auth_bearer_oidc_timer);
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_auth_bearer_module);

    if (amcf == NULL || amcf->noidc == 0) {
        return;
    }

    issuer = amcf->issuers.elts;

    for (i = 0; i < amcf->issuers.nelts; i++) {
        if (issuer[i].kind != NGX_HTTP_AUTH_BEARER_OIDC) {
            continue;
        }

        oidc = issuer[i].oidc;

        if (oidc->fetch) {
            ngx_http_auth_bearer_fetch_free(oidc->fetch);
            oidc->fetch = NULL;

            /* another worker need not wait for the lease to expire */

            if (oidc->slot) {
                ngx_http_auth_bearer_shm_release(oidc->zone, oidc->slot);
            }
        }

        jwt_keyset_free(&oidc->keys);
    }

    ngx_http_auth_bearer_fetch_cleanup(cycle);
}


static void
ngx_http_auth_bearer_oidc_tick(ngx_event_t *ev)
{
    time_t                             now;
    ngx_uint_t                         i;
    ngx_http_auth_bearer_oidc_t       *oidc;
    ngx_http_auth_bearer_issuer_t     *issuer;
    ngx_http_auth_bearer_main_conf_t  *amcf;

    amcf = ev->data;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    now = ngx_time();

    issuer = amcf->issuers.elts;

    for (i = 0; i < amcf->issuers.nelts; i++) {
        if (issuer[i].kind != NGX_HTTP_AUTH_BEARER_OIDC) {
            continue;
        }

        oidc = issuer[i].oidc;

        if (oidc->slot == NULL) {
            continue;
        }

        ngx_http_auth_bearer_oidc_sync(oidc);

        if (oidc->fetch == NULL
            && ngx_http_auth_bearer_shm_due(oidc->slot, now))
        {
            ngx_http_auth_bearer_oidc_refresh(oidc);
        }
    }

    ngx_add_timer(ev, NGX_HTTP_AUTH_BEARER_TICK);
}


static void
ngx_http_auth_bearer_oidc_refresh(ngx_http_auth_bearer_oidc_t *oidc)
{
    time_t                          deadline;
    ngx_http_auth_bearer_lease_t   *lease;
    ngx_http_auth_bearer_issuer_t  *issuer;

    issuer = oidc->issuer;
    lease = oidc->lease;

    /* long enough for discovery and the JWKS, each bounded by timeout */

    deadline = ngx_time() + 2 * (time_t) (oidc->amcf->fetch_timeout / 1000)
               + 5;

    if (ngx_http_auth_bearer_shm_lease(oidc->zone, oidc->slot, deadline,
                                       lease)
        != NGX_OK)
    {
        return;
    }

    if (issuer->jwks_uri.len) {
        if (lease->jwks_uri_len != issuer->jwks_uri.len
            || ngx_memcmp(lease->jwks_uri, issuer->jwks_uri.data,
                          issuer->jwks_uri.len)
               != 0)
        {
            lease->etag_len = 0;
        }

        ngx_memcpy(lease->jwks_uri, issuer->jwks_uri.data,
                   issuer->jwks_uri.len);
        lease->jwks_uri[issuer->jwks_uri.len] = '\0';
        lease->jwks_uri_len = issuer->jwks_uri.len;
        lease->discover = 0;
    }

    lease->etag[lease->etag_len] = '\0';

    if (lease->discover) {
        (void) ngx_http_auth_bearer_oidc_fetch(oidc,
                                               NGX_HTTP_AUTH_BEARER_DISCOVERY,
                                               issuer->discovery.data, NULL);
        return;
    }

    (void) ngx_http_auth_bearer_oidc_fetch(oidc, NGX_HTTP_AUTH_BEARER_JWKS,
                                           lease->jwks_uri,
                                           lease->etag_len ? lease->etag
                                                           : NULL);
}


static ngx_int_t
ngx_http_auth_bearer_oidc_fetch(ngx_http_auth_bearer_oidc_t *oidc,
    ngx_uint_t stage, u_char *url, u_char *etag)
{
    ngx_http_auth_bearer_fetch_t      *f;
    ngx_http_auth_bearer_main_conf_t  *amcf;

    amcf = oidc->amcf;

    f = ngx_http_auth_bearer_fetch_create(oidc->log);
    if (f == NULL) {
        ngx_http_auth_bearer_oidc_failed(oidc, "out of memory");
        return NGX_ERROR;
    }

    f->url = url;
    f->etag = etag;
    f->ca = amcf->ca.len ? &amcf->ca : NULL;
    f->insecure_http = oidc->issuer->insecure_http;
    f->timeout = amcf->fetch_timeout;
    f->handler = ngx_http_auth_bearer_oidc_fetched;
    f->data = oidc;

    if (ngx_http_auth_bearer_fetch_start(f) != NGX_OK) {
        ngx_http_auth_bearer_fetch_free(f);
        ngx_http_auth_bearer_oidc_failed(oidc, "cannot start a fetch of "
                                         "\"%s\"", url);
        return NGX_ERROR;
    }

    oidc->fetch = f;
    oidc->stage = stage;

    return NGX_OK;
}


static void
ngx_http_auth_bearer_oidc_fetched(ngx_http_auth_bearer_fetch_t *f)
{
    ngx_http_auth_bearer_oidc_t *oidc = f->data;

    u_char      *etag;
    size_t       len;
    const char  *reason;
    u_char       error[NGX_HTTP_AUTH_BEARER_ERROR_MAX];

    oidc->fetch = NULL;

    if (f->error) {

        /* curl's text may quote the IdP, e.g. its certificate's name */

        len = ngx_http_auth_bearer_escape(error, sizeof(error),
                                          (u_char *) f->error,
                                          ngx_strlen(f->error));

        ngx_http_auth_bearer_oidc_failed(oidc, "%s \"%s\": %*s",
                                         oidc->stage
                                         == NGX_HTTP_AUTH_BEARER_DISCOVERY
                                         ? "discovery" : "JWKS",
                                         f->url, len, error);
        ngx_http_auth_bearer_fetch_free(f);
        return;
    }

    if (oidc->stage == NGX_HTTP_AUTH_BEARER_JWKS) {
        ngx_http_auth_bearer_oidc_publish(oidc, f);
        ngx_http_auth_bearer_fetch_free(f);
        return;
    }

    reason = ngx_http_auth_bearer_oidc_discovered(oidc, f);

    if (reason) {
        ngx_http_auth_bearer_oidc_failed(oidc, "discovery \"%s\": %s",
                                         f->url, reason);
        ngx_http_auth_bearer_fetch_free(f);
        return;
    }

    ngx_http_auth_bearer_fetch_free(f);

    etag = oidc->lease->etag_len ? oidc->lease->etag : NULL;

    (void) ngx_http_auth_bearer_oidc_fetch(oidc, NGX_HTTP_AUTH_BEARER_JWKS,
                                           oidc->lease->jwks_uri, etag);
}


/* the discovery document: its issuer must be ours byte for byte */

static const char *
ngx_http_auth_bearer_oidc_discovered(ngx_http_auth_bearer_oidc_t *oidc,
    ngx_http_auth_bearer_fetch_t *f)
{
    u_char                         *p, *last;
    size_t                          len;
    json_t                         *root, *iss, *uri;
    const char                     *reason;
    json_error_t                    err;
    ngx_http_auth_bearer_lease_t   *lease;
    ngx_http_auth_bearer_issuer_t  *issuer;

    issuer = oidc->issuer;
    lease = oidc->lease;

    root = json_loadb((const char *) f->body, f->len, JSON_REJECT_DUPLICATES,
                      &err);
    if (root == NULL) {
        return "not valid JSON";
    }

    reason = NULL;

    if (!json_is_object(root)) {
        reason = "not a JSON object";
        goto done;
    }

    iss = json_object_get(root, "issuer");

    if (!json_is_string(iss)) {
        reason = "no \"issuer\" string";
        goto done;
    }

    if (json_string_length(iss) != issuer->iss.len
        || ngx_memcmp(json_string_value(iss), issuer->iss.data,
                      issuer->iss.len)
           != 0)
    {
        reason = "its \"issuer\" is not the configured issuer";
        goto done;
    }

    uri = json_object_get(root, "jwks_uri");

    if (!json_is_string(uri) || json_string_length(uri) == 0) {
        reason = "no \"jwks_uri\" string";
        goto done;
    }

    len = json_string_length(uri);

    if (len >= NGX_HTTP_AUTH_BEARER_URI_MAX) {
        reason = "\"jwks_uri\" is too long";
        goto done;
    }

    p = (u_char *) json_string_value(uri);
    last = p + len;

    if (ngx_http_auth_bearer_url_scheme(p, len, issuer->insecure_http) == 0)
    {
        reason = issuer->insecure_http ? "\"jwks_uri\" is not http(s)"
                                       : "\"jwks_uri\" is not https";
        goto done;
    }

    /* none of what a URL escapes: f->url is logged as it is */

    for ( /* void */ ; p < last; p++) {
        if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '\\') {
            reason = "\"jwks_uri\" has a byte that a URL escapes";
            goto done;
        }
    }

    p = (u_char *) json_string_value(uri);

    /* a new jwks_uri makes the old ETag meaningless */

    if (len != lease->jwks_uri_len
        || ngx_memcmp(p, lease->jwks_uri, len) != 0)
    {
        lease->etag_len = 0;
    }

    ngx_memcpy(lease->jwks_uri, p, len);
    lease->jwks_uri[len] = '\0';
    lease->jwks_uri_len = len;

done:

    json_decref(root);

    return reason;
}


/*
 * A JWKS response: validated with flags 0 (a remote set never contributes
 * oct keys), stored in the zone, and this worker's keys replaced at once.
 */

static void
ngx_http_auth_bearer_oidc_publish(ngx_http_auth_bearer_oidc_t *oidc,
    ngx_http_auth_bearer_fetch_t *f)
{
    time_t                          ttl, refresh;
    jwt_rc_t                        rc;
    ngx_int_t                       n;
    const char                     *reason;
    jwt_keyset_t                    ks;
    ngx_atomic_uint_t               gen;
    ngx_http_auth_bearer_issuer_t  *issuer;
    ngx_http_auth_bearer_result_t   res;
    ngx_http_auth_bearer_skipped_t  sk;

    issuer = oidc->issuer;

    ngx_memzero(&res, sizeof(ngx_http_auth_bearer_result_t));

    jwt_keyset_init(&ks);

    if (f->status != 304) {
        reason = "unknown";

        sk.cf = NULL;
        sk.log = oidc->log;
        sk.iss = &issuer->iss;

        rc = jwt_keyset_add_jwks(&ks, f->body, f->len, 0,
                                 ngx_http_auth_bearer_key_skipped, &sk,
                                 &reason);
        if (rc != JWT_OK) {
            jwt_keyset_free(&ks);
            ngx_http_auth_bearer_oidc_failed(oidc, "JWKS \"%s\": %s",
                                             f->url, reason);
            return;
        }

        res.jwks.data = f->body;
        res.jwks.len = f->len;
    }

    /* Cache-Control: max-age, within [refresh/4, refresh] */

    refresh = issuer->refresh;
    ttl = refresh;

    if (f->max_age >= 0) {
        ttl = ngx_max(f->max_age, refresh / 4);
        ttl = ngx_min(ttl, refresh);
    }

    res.ttl = ngx_max(ttl, 1);

    res.jwks_uri.data = oidc->lease->jwks_uri;
    res.jwks_uri.len = oidc->lease->jwks_uri_len;

    res.etag.data = f->etag_out;
    res.etag.len = f->etag_len;

    gen = 0;

    n = ngx_http_auth_bearer_shm_publish(oidc->zone, oidc->slot, &res, &gen,
                                         oidc->log);

    if (n == NGX_ERROR) {
        jwt_keyset_free(&ks);
        ngx_http_auth_bearer_oidc_failed(oidc, "no room in the zone");
        return;
    }

    if (n == NGX_DECLINED) {
        jwt_keyset_free(&ks);
        ngx_log_error(NGX_LOG_INFO, oidc->log, 0,
                      "auth_jwt: keys of \"%V\" fetched after the lease "
                      "was lost; dropped", &issuer->iss);
        return;
    }

    if (f->status != 304 && gen != oidc->generation) {
        jwt_keyset_free(&oidc->keys);
        oidc->keys = ks;
        oidc->generation = gen;

        ngx_log_error(NGX_LOG_INFO, oidc->log, 0,
                      "auth_jwt: keys of \"%V\" from \"%s\": %uz keys, "
                      "generation %uA, next refresh in %T s",
                      &issuer->iss, f->url, oidc->keys.nkeys, gen, res.ttl);
        return;
    }

    jwt_keyset_free(&ks);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, oidc->log, 0,
                   "auth_jwt: keys of \"%V\" unchanged (HTTP %l), next "
                   "refresh in %T s", &issuer->iss, f->status, res.ttl);
}


static void
ngx_http_auth_bearer_oidc_failed(ngx_http_auth_bearer_oidc_t *oidc,
    const char *fmt, ...)
{
    u_char                         *p;
    time_t                          next, cap;
    va_list                         args;
    ngx_uint_t                      failures, level;
    ngx_http_auth_bearer_issuer_t  *issuer;
    u_char                          buf[NGX_HTTP_AUTH_BEARER_ERROR_MAX];

    issuer = oidc->issuer;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    cap = ngx_min(issuer->refresh, NGX_HTTP_AUTH_BEARER_RETRY_MAX);

    next = ngx_http_auth_bearer_shm_fail(oidc->zone, oidc->slot, buf,
                                         p - buf, cap, &failures);

    /* with keys to fall back on, a failed refresh is only a warning */

    level = oidc->slot->jwks.len ? NGX_LOG_WARN : NGX_LOG_ERR;

    ngx_log_error(level, oidc->log, 0,
                  "auth_jwt: refreshing the keys of \"%V\" failed "
                  "(%ui in a row): %*s; %s; next attempt in %T s",
                  &issuer->iss, failures, p - buf, buf,
                  level == NGX_LOG_WARN ? "the last good keys stay in use"
                                        : "no keys yet, tokens get 503",
                  next - ngx_time());
}


/*
 * This worker's keys against the slot's generation: one atomic read when
 * nothing changed; otherwise the zone's bytes are copied and parsed.
 */

void
ngx_http_auth_bearer_oidc_sync(ngx_http_auth_bearer_oidc_t *oidc)
{
    jwt_rc_t           rc;
    ngx_str_t          jwks;
    const char        *reason;
    jwt_keyset_t       ks;
    ngx_atomic_uint_t  gen;

    if (oidc->slot == NULL || oidc->slot->generation == oidc->generation) {
        return;
    }

    if (ngx_http_auth_bearer_shm_jwks(oidc->zone, oidc->slot, &jwks, &gen,
                                      oidc->log)
        != NGX_OK)
    {
        return;
    }

    jwt_keyset_init(&ks);

    if (jwks.data) {
        reason = "unknown";

        rc = jwt_keyset_add_jwks(&ks, jwks.data, jwks.len, 0, NULL, NULL,
                                 &reason);

        ngx_free(jwks.data);

        if (rc != JWT_OK) {
            jwt_keyset_free(&ks);

            ngx_log_error(NGX_LOG_ERR, oidc->log, 0,
                          "auth_jwt: the shared keys of \"%V\" do not load: "
                          "%s", &oidc->issuer->iss, reason);

            oidc->generation = gen;
            return;
        }
    }

    jwt_keyset_free(&oidc->keys);

    oidc->keys = ks;
    oidc->generation = gen;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, oidc->log, 0,
                   "auth_jwt: keys of \"%V\" now generation %uA, %uz keys",
                   &oidc->issuer->iss, gen, ks.nkeys);
}


/*
 * What a verdict of the token cache depends on: the keys this worker
 * verifies with, and whether they may be used at all.
 */

ngx_uint_t
ngx_http_auth_bearer_oidc_generation(ngx_http_auth_bearer_oidc_t *oidc)
{
    ngx_http_auth_bearer_slot_t  *slot;

    slot = oidc->slot;

    if (slot == NULL) {
        return (ngx_uint_t) -1;
    }

    if (slot->generation != oidc->generation) {
        ngx_http_auth_bearer_oidc_sync(oidc);
    }

    if (!ngx_http_auth_bearer_oidc_fresh(oidc, ngx_time())) {
        return (ngx_uint_t) -1;
    }

    return oidc->generation;
}


/*
 * The keys for a request; NULL when there are none usable (never fetched,
 * or older than max_stale), with the seconds to suggest in Retry-After.
 */

jwt_keyset_t *
ngx_http_auth_bearer_oidc_get(ngx_http_auth_bearer_oidc_t *oidc,
    time_t *retry)
{
    time_t                        now, next;
    ngx_http_auth_bearer_slot_t  *slot;

    slot = oidc->slot;
    now = ngx_time();

    if (slot) {
        if (slot->generation != oidc->generation) {
            ngx_http_auth_bearer_oidc_sync(oidc);
        }

        if (ngx_http_auth_bearer_oidc_fresh(oidc, now)) {
            return &oidc->keys;
        }
    }

    next = slot ? (time_t) slot->next : 0;

    *retry = (next > now)
             ? ngx_min(next - now, NGX_HTTP_AUTH_BEARER_RETRY_MAX) : 1;

    return NULL;
}


/*
 * No usable keys for a request.  Its first attempt waits (NGX_AGAIN) when
 * a fetch runs or is due; otherwise the request is refused with 503.
 */

ngx_int_t
ngx_http_auth_bearer_oidc_missing(ngx_http_auth_bearer_oidc_t *oidc,
    ngx_uint_t first)
{
    if (first && ngx_http_auth_bearer_oidc_pending(oidc)) {
        return NGX_AGAIN;
    }

    if (oidc->slot) {
        ngx_http_auth_bearer_shm_count(oidc->slot,
                                       NGX_HTTP_AUTH_BEARER_N_UNAVAILABLE);
    }

    return NGX_DECLINED;
}


/*
 * A kid the issuer's set does not have: maybe the keys rotated, so a
 * refresh is asked for, and the request's first attempt waits for it
 * (NGX_AGAIN).  NGX_DECLINED: refuse as usual.
 */

ngx_int_t
ngx_http_auth_bearer_oidc_unknown_kid(ngx_http_auth_bearer_oidc_t *oidc,
    jwt_str_t *kid, ngx_uint_t first, ngx_log_t *log)
{
    u_char     buf[NGX_HTTP_AUTH_BEARER_LOG_FIELD];
    ngx_str_t  k;

    if (oidc->slot == NULL || kid->data == NULL) {
        return NGX_DECLINED;
    }

    if (jwt_keyset_has_kid(&oidc->keys, kid->data, kid->len)) {
        return NGX_DECLINED;
    }

    if (ngx_http_auth_bearer_shm_want(oidc->slot, ngx_time(),
                                      NGX_HTTP_AUTH_BEARER_COOLDOWN))
    {
        /* the client's bytes: nothing that could forge a log line */

        k.data = buf;
        k.len = ngx_http_auth_bearer_escape(buf, sizeof(buf), kid->data,
                                            kid->len);

        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "auth_jwt: unknown kid \"%V\" for \"%V\": keys "
                      "refresh wanted", &k, &oidc->issuer->iss);

        /* this worker looks at once; the others on their next tick */

        if (ngx_http_auth_bearer_oidc_timer.handler) {
            ngx_post_event(&ngx_http_auth_bearer_oidc_timer,
                           &ngx_posted_events);
        }
    }

    if (first && ngx_http_auth_bearer_oidc_pending(oidc)) {
        return NGX_AGAIN;
    }

    return NGX_DECLINED;
}


/* a fetch of the issuer's keys runs now or starts within a tick */

static ngx_uint_t
ngx_http_auth_bearer_oidc_pending(ngx_http_auth_bearer_oidc_t *oidc)
{
    time_t                        now, lease;
    ngx_http_auth_bearer_slot_t  *slot;

    slot = oidc->slot;

    if (slot == NULL) {
        return 0;
    }

    now = ngx_time();
    lease = (time_t) slot->lease;

    if (lease && lease >= now) {
        return 1;
    }

    return ngx_http_auth_bearer_shm_due(slot, now);
}


/* changes whenever a fetch of the issuer's keys ends, in any worker */

ngx_uint_t
ngx_http_auth_bearer_oidc_mark(ngx_http_auth_bearer_oidc_t *oidc)
{
    ngx_http_auth_bearer_slot_t  *slot;

    slot = oidc->slot;

    if (slot == NULL) {
        return 0;
    }

    return slot->counters[NGX_HTTP_AUTH_BEARER_N_FETCH_OK]
           + slot->counters[NGX_HTTP_AUTH_BEARER_N_FETCH_FAILED];
}


void
ngx_http_auth_bearer_oidc_count(ngx_http_auth_bearer_oidc_t *oidc,
    jwt_rc_t rc)
{
    ngx_uint_t  n;

    if (oidc == NULL || oidc->slot == NULL) {
        return;
    }

    switch (rc) {

    case JWT_OK:
        n = NGX_HTTP_AUTH_BEARER_N_ACCEPTED;
        break;

    case JWT_ERR_EXPIRED:
        n = NGX_HTTP_AUTH_BEARER_N_EXPIRED;
        break;

    case JWT_ERR_SIGNATURE:
        n = NGX_HTTP_AUTH_BEARER_N_SIGNATURE;
        break;

    case JWT_ERR_NO_KEY:
        n = NGX_HTTP_AUTH_BEARER_N_KEY;
        break;

    case JWT_ERR_NOT_YET_VALID:
    case JWT_ERR_CLAIMS:
    case JWT_ERR_AUDIENCE:
    case JWT_ERR_TOKEN_TYPE:
        n = NGX_HTTP_AUTH_BEARER_N_CLAIMS;
        break;

    default:
        n = NGX_HTTP_AUTH_BEARER_N_TOKEN;
    }

    ngx_http_auth_bearer_shm_count(oidc->slot, n);
}


/* the worker's keys may verify: some, and not older than max_stale */

static ngx_uint_t
ngx_http_auth_bearer_oidc_fresh(ngx_http_auth_bearer_oidc_t *oidc,
    time_t now)
{
    return oidc->keys.nkeys
           && oidc->slot
           && ngx_http_auth_bearer_oidc_usable(oidc,
                                               (time_t) oidc->slot->fetched,
                                               now);
}


/* keys fetched at that time are not older than max_stale at now */

ngx_uint_t
ngx_http_auth_bearer_oidc_usable(ngx_http_auth_bearer_oidc_t *oidc,
    time_t fetched, time_t now)
{
    return now - fetched <= oidc->issuer->max_stale;
}


/* the runtime state of an issuer parsed as OIDC, one per worker */

char *
ngx_http_auth_bearer_oidc_create(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer)
{
    ngx_http_auth_bearer_oidc_t       *oidc;
    ngx_http_auth_bearer_main_conf_t  *amcf;

    oidc = ngx_pcalloc(cf->pool, sizeof(ngx_http_auth_bearer_oidc_t));
    if (oidc == NULL) {
        return NGX_CONF_ERROR;
    }

    oidc->lease = ngx_pcalloc(cf->pool, sizeof(ngx_http_auth_bearer_lease_t));
    if (oidc->lease == NULL) {
        return NGX_CONF_ERROR;
    }

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_auth_bearer_module);

    oidc->issuer = issuer;
    oidc->amcf = amcf;
    oidc->log = cf->cycle->log;

    jwt_keyset_init(&oidc->keys);

    issuer->oidc = oidc;
    issuer->kind = NGX_HTTP_AUTH_BEARER_OIDC;

    amcf->noidc++;

    return NGX_CONF_OK;
}
