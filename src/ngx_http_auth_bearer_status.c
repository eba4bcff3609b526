
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_auth_bearer_oidc.h"
#include "ngx_http_auth_bearer_revocation.h"


/*
 * auth_jwt_status: the OIDC issuers' key caches and counters, and the
 * revocation feeds (auth_jwt_revocation), as JSON or,
 * with ?format=prometheus, in the Prometheus text format.  Counters are
 * the zone's, so every worker answers the same.
 */


typedef struct {
    const char                     *name;
    ngx_uint_t                      counter;
} ngx_http_auth_bearer_status_counter_t;


/* what a gauge shows */
#define NGX_HTTP_AUTH_BEARER_G_UP           0
#define NGX_HTTP_AUTH_BEARER_G_KEYS         1
#define NGX_HTTP_AUTH_BEARER_G_GENERATION   2
#define NGX_HTTP_AUTH_BEARER_G_FETCHED      3
#define NGX_HTTP_AUTH_BEARER_G_FAILED       4
#define NGX_HTTP_AUTH_BEARER_G_NEXT         5
#define NGX_HTTP_AUTH_BEARER_G_FAILURES     6


typedef struct {
    const char                     *name;
    const char                     *help;
    ngx_uint_t                      what;
} ngx_http_auth_bearer_status_gauge_t;


static ngx_int_t ngx_http_auth_bearer_status_handler(ngx_http_request_t *r);
static const char *ngx_http_auth_bearer_status_state(
    ngx_http_auth_bearer_oidc_t *oidc, ngx_http_auth_bearer_snapshot_t *snap,
    time_t now);
static ngx_int_t ngx_http_auth_bearer_status_json(ngx_http_request_t *r,
    ngx_http_auth_bearer_main_conf_t *amcf, ngx_buf_t **out);
static json_t *ngx_http_auth_bearer_status_issuer(ngx_http_request_t *r,
    ngx_http_auth_bearer_oidc_t *oidc, time_t now);
static json_t *ngx_http_auth_bearer_status_revocation(ngx_http_request_t *r,
    ngx_http_auth_bearer_revocation_t *rv);
static ngx_int_t ngx_http_auth_bearer_status_prometheus(ngx_http_request_t *r,
    ngx_http_auth_bearer_main_conf_t *amcf, ngx_buf_t **out);
static u_char *ngx_http_auth_bearer_status_rvk_lines(u_char *p,
    ngx_http_auth_bearer_revocation_t *rv, ngx_uint_t n,
    ngx_http_auth_bearer_rvk_status_t *st);
static u_char *ngx_http_auth_bearer_status_counter_lines(u_char *p,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_uint_t nissuers,
    ngx_http_auth_bearer_snapshot_t *snap);
static u_char *ngx_http_auth_bearer_status_gauge_lines(u_char *p,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_uint_t nissuers,
    ngx_http_auth_bearer_snapshot_t *snap);
static int64_t ngx_http_auth_bearer_status_gauge(
    ngx_http_auth_bearer_oidc_t *oidc, ngx_http_auth_bearer_snapshot_t *snap,
    ngx_uint_t what, time_t now);
static u_char *ngx_http_auth_bearer_status_sample(u_char *p, const char *name,
    ngx_str_t *iss, const char *result, ngx_atomic_uint_t n);
static u_char *ngx_http_auth_bearer_status_label(u_char *p, ngx_str_t *s);
static json_t *ngx_http_auth_bearer_status_string(ngx_str_t *s);


static ngx_http_auth_bearer_status_counter_t
    ngx_http_auth_bearer_status_refused[] = {
    { "expired", NGX_HTTP_AUTH_BEARER_N_EXPIRED },
    { "signature", NGX_HTTP_AUTH_BEARER_N_SIGNATURE },
    { "unknown_key", NGX_HTTP_AUTH_BEARER_N_KEY },
    { "claims", NGX_HTTP_AUTH_BEARER_N_CLAIMS },
    { "token", NGX_HTTP_AUTH_BEARER_N_TOKEN },
    { "keys_unavailable", NGX_HTTP_AUTH_BEARER_N_UNAVAILABLE },
    { NULL, 0 }
};


static ngx_http_auth_bearer_status_gauge_t
    ngx_http_auth_bearer_status_gauges[] = {
    { "keys_up", "1 when the issuer's keys verify tokens",
      NGX_HTTP_AUTH_BEARER_G_UP },
    { "keys", "keys in the issuer's set", NGX_HTTP_AUTH_BEARER_G_KEYS },
    { "keys_generation", "changes with the issuer's key set",
      NGX_HTTP_AUTH_BEARER_G_GENERATION },
    { "keys_last_success_seconds", "time of the last good fetch",
      NGX_HTTP_AUTH_BEARER_G_FETCHED },
    { "keys_last_failure_seconds", "time of the last failed fetch",
      NGX_HTTP_AUTH_BEARER_G_FAILED },
    { "keys_next_refresh_seconds", "time of the next fetch",
      NGX_HTTP_AUTH_BEARER_G_NEXT },
    { "keys_failures", "consecutive failed fetches",
      NGX_HTTP_AUTH_BEARER_G_FAILURES },
    { NULL, NULL, 0 }
};


/* auth_jwt_status; */

char *
ngx_http_auth_bearer_status_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    clcf->handler = ngx_http_auth_bearer_status_handler;

    return NGX_CONF_OK;
}


/* the counters of the OIDC issuers: requests by result, fetches */

static u_char *
ngx_http_auth_bearer_status_counter_lines(u_char *p,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_uint_t nissuers,
    ngx_http_auth_bearer_snapshot_t *snap)
{
    ngx_uint_t                              i;
    ngx_http_auth_bearer_status_counter_t  *c;

    p = ngx_sprintf(p, "# HELP auth_jwt_requests_total tokens of the issuer "
                    "accepted and refused\n"
                    "# TYPE auth_jwt_requests_total counter\n");

    for (i = 0; i < nissuers; i++) {
        if (issuer[i].kind != NGX_HTTP_AUTH_BEARER_OIDC) {
            continue;
        }

        p = ngx_http_auth_bearer_status_sample(p, "requests_total",
                &issuer[i].iss, "accepted",
                snap[i].counters[NGX_HTTP_AUTH_BEARER_N_ACCEPTED]);

        for (c = ngx_http_auth_bearer_status_refused; c->name; c++) {
            p = ngx_http_auth_bearer_status_sample(p, "requests_total",
                    &issuer[i].iss, c->name, snap[i].counters[c->counter]);
        }
    }

    p = ngx_sprintf(p, "# HELP auth_jwt_fetches_total fetches of the "
                    "issuer's keys\n"
                    "# TYPE auth_jwt_fetches_total counter\n");

    for (i = 0; i < nissuers; i++) {
        if (issuer[i].kind != NGX_HTTP_AUTH_BEARER_OIDC) {
            continue;
        }

        p = ngx_http_auth_bearer_status_sample(p, "fetches_total",
                &issuer[i].iss, "ok",
                snap[i].counters[NGX_HTTP_AUTH_BEARER_N_FETCH_OK]);

        p = ngx_http_auth_bearer_status_sample(p, "fetches_total",
                &issuer[i].iss, "failed",
                snap[i].counters[NGX_HTTP_AUTH_BEARER_N_FETCH_FAILED]);
    }

    return p;
}


static ngx_int_t
ngx_http_auth_bearer_status_handler(ngx_http_request_t *r)
{
    ngx_int_t                          rc;
    ngx_str_t                          format;
    ngx_buf_t                         *b;
    ngx_chain_t                        out;
    ngx_http_auth_bearer_main_conf_t  *amcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_http_auth_bearer_module);

    if (ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK
        && format.len == 10
        && ngx_strncmp(format.data, "prometheus", 10) == 0)
    {
        rc = ngx_http_auth_bearer_status_prometheus(r, amcf, &b);
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4");

    } else {
        rc = ngx_http_auth_bearer_status_json(r, amcf, &b);
        ngx_str_set(&r->headers_out.content_type, "application/json");
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    if (ngx_http_auth_bearer_push_header(r, "Cache-Control",
                                         (u_char *) "no-store", 8)
        == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static const char *
ngx_http_auth_bearer_status_state(ngx_http_auth_bearer_oidc_t *oidc,
    ngx_http_auth_bearer_snapshot_t *snap, time_t now)
{
    if (!snap->have_keys) {
        return snap->failures ? "unavailable" : "pending";
    }

    if (!ngx_http_auth_bearer_oidc_usable(oidc, snap->fetched, now)) {
        return "expired";
    }

    return snap->failures ? "stale" : "ok";
}


static ngx_int_t
ngx_http_auth_bearer_status_json(ngx_http_request_t *r,
    ngx_http_auth_bearer_main_conf_t *amcf, ngx_buf_t **out)
{
    size_t                              len;
    json_t                             *root, *list, *rvks, *e;
    time_t                              now;
    ngx_buf_t                          *b;
    ngx_uint_t                          i;
    ngx_http_auth_bearer_issuer_t      *issuer;
    ngx_http_auth_bearer_revocation_t  *rv;

    now = ngx_time();

    root = json_object();
    list = json_array();
    rvks = json_array();

    if (root == NULL || list == NULL || rvks == NULL
        || json_object_set_new(root, "time", json_integer(now)) != 0
        || json_object_set(root, "issuers", list) != 0
        || (amcf->revocations
            && json_object_set(root, "revocation", rvks) != 0))
    {
        goto failed;
    }

    rv = amcf->revocations ? amcf->revocations->elts : NULL;

    for (i = 0; rv && i < amcf->revocations->nelts; i++) {
        e = ngx_http_auth_bearer_status_revocation(r, &rv[i]);

        if (e == NULL || json_array_append_new(rvks, e) != 0) {
            goto failed;
        }
    }

    issuer = amcf->issuers.elts;

    for (i = 0; i < amcf->issuers.nelts; i++) {
        if (issuer[i].kind != NGX_HTTP_AUTH_BEARER_OIDC) {
            continue;
        }

        e = ngx_http_auth_bearer_status_issuer(r, issuer[i].oidc, now);

        if (e == NULL || json_array_append_new(list, e) != 0) {
            goto failed;
        }
    }

    /* into the request's pool: no jansson-allocated text to free */

    len = json_dumpb(root, NULL, 0, JSON_COMPACT);
    if (len == 0) {
        goto failed;
    }

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        goto failed;
    }

    if (json_dumpb(root, (char *) b->last, len, JSON_COMPACT) != len) {
        goto failed;
    }

    b->last += len;
    *b->last++ = '\n';

    json_decref(list);
    json_decref(rvks);
    json_decref(root);

    *out = b;

    return NGX_OK;

failed:

    json_decref(list);
    json_decref(rvks);
    json_decref(root);

    return NGX_ERROR;
}


static json_t *
ngx_http_auth_bearer_status_issuer(ngx_http_request_t *r,
    ngx_http_auth_bearer_oidc_t *oidc, time_t now)
{
    int                                     err;
    size_t                                  k;
    json_t                                 *o, *kids, *counters, *refused;
    json_t                                 *fetches;
    jwt_key_t                              *key;
    ngx_str_t                               s;
    ngx_atomic_uint_t                      *n;
    ngx_http_auth_bearer_issuer_t          *issuer;
    ngx_http_auth_bearer_snapshot_t         snap;
    ngx_http_auth_bearer_status_counter_t  *c;

    issuer = oidc->issuer;

    if (oidc->slot == NULL
        || ngx_http_auth_bearer_shm_snapshot(oidc->zone, oidc->slot, r->pool,
                                             &snap)
           != NGX_OK)
    {
        return NULL;
    }

    ngx_http_auth_bearer_oidc_sync(oidc);

    n = snap.counters;

    o = json_object();
    kids = json_array();
    counters = json_object();
    refused = json_object();
    fetches = json_object();

    err = (o == NULL || kids == NULL || counters == NULL || refused == NULL
           || fetches == NULL);

    for (k = 0; !err && k < oidc->keys.nkeys; k++) {
        key = &oidc->keys.keys[k];

        s.data = key->kid;
        s.len = key->kid ? key->kid_len : 0;

        err |= json_array_append_new(kids,
                                     ngx_http_auth_bearer_status_string(&s));
    }

    for (c = ngx_http_auth_bearer_status_refused; !err && c->name; c++) {
        err |= json_object_set_new(refused, c->name,
                                   json_integer(n[c->counter]));
    }

    if (!err) {
        err |= json_object_set_new(fetches, "ok",
                           json_integer(n[NGX_HTTP_AUTH_BEARER_N_FETCH_OK]));
        err |= json_object_set_new(fetches, "failed",
                       json_integer(n[NGX_HTTP_AUTH_BEARER_N_FETCH_FAILED]));

        err |= json_object_set_new(counters, "accepted",
                           json_integer(n[NGX_HTTP_AUTH_BEARER_N_ACCEPTED]));
        err |= json_object_set(counters, "refused", refused);
        err |= json_object_set(counters, "fetches", fetches);
        err |= json_object_set_new(counters, "refresh_wanted",
                             json_integer(n[NGX_HTTP_AUTH_BEARER_N_WANTED]));

        err |= json_object_set_new(o, "issuer",
                           ngx_http_auth_bearer_status_string(&issuer->iss));
        err |= json_object_set_new(o, "provider",
                      ngx_http_auth_bearer_status_string(&issuer->provider));
        err |= json_object_set_new(o, "state",
                  json_string(ngx_http_auth_bearer_status_state(oidc, &snap,
                                                                now)));
        err |= json_object_set_new(o, "discovery",
                     ngx_http_auth_bearer_status_string(&issuer->discovery));
        err |= json_object_set_new(o, "jwks_uri",
                           ngx_http_auth_bearer_status_string(&snap.jwks_uri));
        err |= json_object_set(o, "keys", kids);
        err |= json_object_set_new(o, "generation",
                                   json_integer(snap.generation));
        err |= json_object_set_new(o, "last_success",
                                   json_integer(snap.fetched));
        err |= json_object_set_new(o, "last_failure",
                                   json_integer(snap.last_failure));
        err |= json_object_set_new(o, "expires", json_integer(snap.expires));
        err |= json_object_set_new(o, "next_refresh",
                                   json_integer(snap.next));
        err |= json_object_set_new(o, "failures",
                                   json_integer(snap.failures));
        err |= json_object_set_new(o, "last_error",
                              ngx_http_auth_bearer_status_string(&snap.error));
        err |= json_object_set(o, "counters", counters);
    }

    json_decref(kids);
    json_decref(refused);
    json_decref(fetches);
    json_decref(counters);

    if (err) {
        json_decref(o);
        return NULL;
    }

    return o;
}


/* a revocation feed: its state, its set and what it refused */

static json_t *
ngx_http_auth_bearer_status_revocation(ngx_http_request_t *r,
    ngx_http_auth_bearer_revocation_t *rv)
{
    int                                 err;
    json_t                             *o, *kinds, *fetches;
    ngx_uint_t                          k;
    ngx_atomic_uint_t                  *n;
    ngx_http_auth_bearer_rvk_status_t   st;

    if (ngx_http_auth_bearer_revocation_status(rv, r->pool, &st) != NGX_OK) {
        return NULL;
    }

    n = st.snap.counters;

    o = json_object();
    kinds = json_object();
    fetches = json_object();

    err = (o == NULL || kinds == NULL || fetches == NULL);

    for (k = 0; !err && k < NGX_HTTP_AUTH_BEARER_RVK_KINDS; k++) {
        err |= json_object_set_new(kinds,
                                   ngx_http_auth_bearer_rvk_kind_names[k],
                                   json_integer(st.kinds[k]));
    }

    if (!err) {
        err |= json_object_set_new(fetches, "ok",
                           json_integer(n[NGX_HTTP_AUTH_BEARER_N_FETCH_OK]));
        err |= json_object_set_new(fetches, "failed",
                       json_integer(n[NGX_HTTP_AUTH_BEARER_N_FETCH_FAILED]));

        err |= json_object_set_new(o, "source",
                             ngx_http_auth_bearer_status_string(&rv->source));
        err |= json_object_set_new(o, "state", json_string(st.state));
        err |= json_object_set_new(o, "fail",
                                   json_string(rv->fail_open ? "open"
                                                             : "closed"));
        err |= json_object_set_new(o, "entries_total",
                                   json_integer(st.entries));
        err |= json_object_set(o, "entries", kinds);
        err |= json_object_set_new(o, "generation",
                                   json_integer(st.snap.generation));
        err |= json_object_set_new(o, "last_success",
                                   json_integer(st.snap.fetched));
        err |= json_object_set_new(o, "last_failure",
                                   json_integer(st.snap.last_failure));
        err |= json_object_set_new(o, "next_refresh",
                                   json_integer(st.snap.next));
        err |= json_object_set_new(o, "failures",
                                   json_integer(st.snap.failures));
        err |= json_object_set_new(o, "last_error",
                           ngx_http_auth_bearer_status_string(&st.snap.error));
        err |= json_object_set_new(o, "hits", json_integer(st.hits));
        err |= json_object_set_new(o, "malformed",
                                   json_integer(st.malformed));
        err |= json_object_set_new(o, "no_room", json_integer(st.no_room));
        err |= json_object_set_new(o, "unavailable",
                                   json_integer(st.unavailable));
        err |= json_object_set(o, "fetches", fetches);
    }

    json_decref(kinds);
    json_decref(fetches);

    if (err) {
        json_decref(o);
        return NULL;
    }

    return o;
}


/*
 * The Prometheus text format: gauges, then the request and fetch
 * counters, each sample one line with the escaped issuer as a label.
 */

static ngx_int_t
ngx_http_auth_bearer_status_prometheus(ngx_http_request_t *r,
    ngx_http_auth_bearer_main_conf_t *amcf, ngx_buf_t **out)
{
    u_char                                 *p;
    size_t                                  size;
    ngx_buf_t                              *b;
    ngx_uint_t                              i, nissuers, nrv;
    ngx_http_auth_bearer_oidc_t            *oidc;
    ngx_http_auth_bearer_issuer_t          *issuer;
    ngx_http_auth_bearer_snapshot_t        *snap;
    ngx_http_auth_bearer_rvk_status_t      *st;
    ngx_http_auth_bearer_revocation_t      *rv;

    issuer = amcf->issuers.elts;
    nissuers = amcf->issuers.nelts;

    snap = ngx_pcalloc(r->pool,
                       nissuers * sizeof(ngx_http_auth_bearer_snapshot_t) + 1);
    if (snap == NULL) {
        return NGX_ERROR;
    }

    size = 4096;

    for (i = 0; i < nissuers; i++) {
        if (issuer[i].kind != NGX_HTTP_AUTH_BEARER_OIDC) {
            continue;
        }

        oidc = issuer[i].oidc;

        if (oidc->slot == NULL
            || ngx_http_auth_bearer_shm_snapshot(oidc->zone, oidc->slot,
                                                 r->pool, &snap[i])
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_http_auth_bearer_oidc_sync(oidc);

        /* 20 samples at most, each with the escaped issuer as a label */

        size += 20 * (sizeof("auth_jwt_keys_last_failure_seconds{issuer=\"\","
                             "result=\"keys_unavailable\"} ") - 1
                      + 2 * issuer[i].iss.len + NGX_INT64_LEN + 1);
    }

    nrv = amcf->revocations ? amcf->revocations->nelts : 0;
    rv = nrv ? amcf->revocations->elts : NULL;

    st = ngx_pcalloc(r->pool,
                     nrv * sizeof(ngx_http_auth_bearer_rvk_status_t) + 1);
    if (st == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < nrv; i++) {
        if (ngx_http_auth_bearer_revocation_status(&rv[i], r->pool, &st[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        /* 12 samples, each with the escaped source as a label */

        size += 12 * (sizeof("auth_jwt_revocation_last_success_seconds"
                             "{source=\"\",kind=\"token\"} ") - 1
                      + 2 * rv[i].source.len + NGX_INT64_LEN + 1);
    }

    if (nrv) {
        size += 1024;
    }

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_ERROR;
    }

    p = ngx_http_auth_bearer_status_gauge_lines(b->last, issuer, nissuers,
                                                snap);

    if (nrv) {
        p = ngx_http_auth_bearer_status_rvk_lines(p, rv, nrv, st);
    }

    p = ngx_http_auth_bearer_status_counter_lines(p, issuer, nissuers, snap);

    b->last = p;

    *out = b;

    return NGX_OK;
}


static u_char *
ngx_http_auth_bearer_status_gauge_lines(u_char *p,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_uint_t nissuers,
    ngx_http_auth_bearer_snapshot_t *snap)
{
    time_t                                now;
    int64_t                               v;
    ngx_uint_t                            i;
    ngx_http_auth_bearer_status_gauge_t  *g;

    now = ngx_time();

    for (g = ngx_http_auth_bearer_status_gauges; g->name; g++) {
        p = ngx_sprintf(p, "# HELP auth_jwt_%s %s\n# TYPE auth_jwt_%s gauge\n",
                        g->name, g->help, g->name);

        for (i = 0; i < nissuers; i++) {
            if (issuer[i].kind != NGX_HTTP_AUTH_BEARER_OIDC) {
                continue;
            }

            v = ngx_http_auth_bearer_status_gauge(issuer[i].oidc, &snap[i],
                                                  g->what, now);

            p = ngx_sprintf(p, "auth_jwt_%s{issuer=\"", g->name);
            p = ngx_http_auth_bearer_status_label(p, &issuer[i].iss);
            p = ngx_sprintf(p, "\"} %L\n", v);
        }
    }

    return p;
}


static int64_t
ngx_http_auth_bearer_status_gauge(ngx_http_auth_bearer_oidc_t *oidc,
    ngx_http_auth_bearer_snapshot_t *snap, ngx_uint_t what, time_t now)
{
    const char  *state;

    switch (what) {

    case NGX_HTTP_AUTH_BEARER_G_UP:
        state = ngx_http_auth_bearer_status_state(oidc, snap, now);
        return (state[0] == 'o' || state[0] == 's');

    case NGX_HTTP_AUTH_BEARER_G_KEYS:
        return oidc->keys.nkeys;

    case NGX_HTTP_AUTH_BEARER_G_GENERATION:
        return snap->generation;

    case NGX_HTTP_AUTH_BEARER_G_FETCHED:
        return snap->fetched;

    case NGX_HTTP_AUTH_BEARER_G_FAILED:
        return snap->last_failure;

    case NGX_HTTP_AUTH_BEARER_G_NEXT:
        return snap->next;

    default: /* NGX_HTTP_AUTH_BEARER_G_FAILURES */
        return snap->failures;
    }
}


/* the revocation feeds' samples, labelled by source */

static u_char *
ngx_http_auth_bearer_status_rvk_lines(u_char *p,
    ngx_http_auth_bearer_revocation_t *rv, ngx_uint_t n,
    ngx_http_auth_bearer_rvk_status_t *st)
{
    ngx_uint_t  i, k;

#define ngx_http_auth_bearer_rvk_sample(name, v)                            \
    for (i = 0; i < n; i++) {                                                \
        p = ngx_sprintf(p, "auth_jwt_revocation_" name "{source=\"");        \
        p = ngx_http_auth_bearer_status_label(p, &rv[i].source);             \
        p = ngx_sprintf(p, "\"} %L\n", (int64_t) (v));                       \
    }

    p = ngx_sprintf(p, "# HELP auth_jwt_revocation_up 1 when the feed's set "
                    "is usable\n# TYPE auth_jwt_revocation_up gauge\n");
    ngx_http_auth_bearer_rvk_sample("up", st[i].usable);

    p = ngx_sprintf(p, "# HELP auth_jwt_revocation_generation generation "
                    "of the feed's set\n"
                    "# TYPE auth_jwt_revocation_generation gauge\n");
    ngx_http_auth_bearer_rvk_sample("generation", st[i].snap.generation);

    p = ngx_sprintf(p, "# HELP auth_jwt_revocation_last_success_seconds "
                    "time of the last good fetch or read\n"
                    "# TYPE auth_jwt_revocation_last_success_seconds "
                    "gauge\n");
    ngx_http_auth_bearer_rvk_sample("last_success_seconds",
                                    st[i].snap.fetched);

    p = ngx_sprintf(p, "# HELP auth_jwt_revocation_hits_total requests "
                    "refused by the feed\n"
                    "# TYPE auth_jwt_revocation_hits_total counter\n");
    ngx_http_auth_bearer_rvk_sample("hits_total", st[i].hits);

    p = ngx_sprintf(p, "# HELP auth_jwt_revocation_malformed_total feeds "
                    "refused as malformed\n"
                    "# TYPE auth_jwt_revocation_malformed_total counter\n");
    ngx_http_auth_bearer_rvk_sample("malformed_total", st[i].malformed);

#undef ngx_http_auth_bearer_rvk_sample

    p = ngx_sprintf(p, "# HELP auth_jwt_revocation_entries entries of the "
                    "feed's set by kind\n"
                    "# TYPE auth_jwt_revocation_entries gauge\n");

    for (i = 0; i < n; i++) {
        for (k = 0; k < NGX_HTTP_AUTH_BEARER_RVK_KINDS; k++) {
            p = ngx_sprintf(p, "auth_jwt_revocation_entries{source=\"");
            p = ngx_http_auth_bearer_status_label(p, &rv[i].source);
            p = ngx_sprintf(p, "\",kind=\"%s\"} %ui\n",
                            ngx_http_auth_bearer_rvk_kind_names[k],
                            st[i].kinds[k]);
        }
    }

    return p;
}


/* one counter sample: auth_jwt_<name>{issuer="...",result="..."} n */

static u_char *
ngx_http_auth_bearer_status_sample(u_char *p, const char *name,
    ngx_str_t *iss, const char *result, ngx_atomic_uint_t n)
{
    p = ngx_sprintf(p, "auth_jwt_%s{issuer=\"", name);
    p = ngx_http_auth_bearer_status_label(p, iss);

    return ngx_sprintf(p, "\",result=\"%s\"} %uA\n", result, n);
}


/* a label value: backslash, double quote and line feed escaped */

static u_char *
ngx_http_auth_bearer_status_label(u_char *p, ngx_str_t *s)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        switch (s->data[i]) {

        case '\\':
        case '"':
            *p++ = '\\';
            *p++ = s->data[i];
            break;

        case '\n':
            *p++ = '\\';
            *p++ = 'n';
            break;

        default:
            *p++ = s->data[i];
        }
    }

    return p;
}


static json_t *
ngx_http_auth_bearer_status_string(ngx_str_t *s)
{
    json_t  *j;

    j = json_stringn(s->len ? (const char *) s->data : "", s->len);

    /* not UTF-8: shown escaped rather than not at all */

    return j ? j : json_string("?");
}
