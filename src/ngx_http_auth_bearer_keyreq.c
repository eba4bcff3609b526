
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_auth_bearer.h"


/*
 * auth_jwt_key_request and auth_jwt_key_cache (NGINX Plus): a location's
 * keys from the body of a subrequest, a JWK Set.  The subrequest is
 * nginx's own (in memory, to a location that may proxy_pass and
 * proxy_cache), so the request waits for it without blocking the worker.
 *
 * With auth_jwt_key_cache, a worker keeps each key set, by server and
 * resolved URI, for that time: one subrequest per time per worker serves
 * every request.  Requests that miss while a subrequest for the same set
 * runs wait for it (single flight) instead of sending their own; a kid
 * that is not in the set never causes a refetch before the time ends.
 * When a refetch fails the set is kept for at most min(time, 300s) more
 * (refetches backing off), then the keys are unavailable (503).  The
 * cache lives in the worker, so a reload, which starts new workers,
 * starts it empty.  Without auth_jwt_key_cache every request fetches
 * its own keys, as in NGINX Plus.
 */


#define NGX_HTTP_AUTH_BEARER_KEYREQ_ENTRIES  64
#define NGX_HTTP_AUTH_BEARER_KEYREQ_STALE    300     /* s, at most */
#define NGX_HTTP_AUTH_BEARER_KEYREQ_BACKOFF  60      /* s, at most */
#define NGX_HTTP_AUTH_BEARER_KEYREQ_WAIT     60000   /* ms */
#define NGX_HTTP_AUTH_BEARER_KEYREQ_ERROR    96
#define NGX_HTTP_AUTH_BEARER_KEYREQ_BODY_MAX (1024 * 1024)

#define NGX_HTTP_AUTH_BEARER_KEYREQ_NEW      0
#define NGX_HTTP_AUTH_BEARER_KEYREQ_FETCHING 1
#define NGX_HTTP_AUTH_BEARER_KEYREQ_WAITING  2
#define NGX_HTTP_AUTH_BEARER_KEYREQ_DONE     3


/* a key set of one URI: in the worker's cache, or a request's own */

typedef struct {
    ngx_queue_t                     queue;          /* the worker's LRU */
    void                           *server;         /* core srv conf */
    ngx_str_t                       uri;            /* with "?args" */
    ngx_str_t                       name;           /* uri, for the log */
    u_char                          text[NGX_HTTP_AUTH_BEARER_LOG_FIELD];

    jwt_keyset_t                    keys;
    ngx_uint_t                      generation;     /* 0: no keys */
    time_t                          loaded;
    time_t                          next;           /* after a failure */
    ngx_uint_t                      failures;
    u_char                          error[NGX_HTTP_AUTH_BEARER_KEYREQ_ERROR];

    ngx_http_request_t             *fetcher;        /* its main request */
    ngx_http_request_t             *sr;             /* its subrequest */
    off_t                           received;       /* of its body */
    ngx_uint_t                      refs;           /* requests using it */
    ngx_log_t                      *log;

    unsigned                        shared:1;
    unsigned                        bad:1;          /* not a safe URI */
    unsigned                        too_big:1;      /* its body */
} ngx_http_auth_bearer_keyreq_entry_t;


typedef struct {
    ngx_http_auth_bearer_keyreq_entry_t  *entry;
    ngx_uint_t                            state;
} ngx_http_auth_bearer_keyreq_slot_t;


/* a request's key requests, found through its pool cleanup */

typedef struct {
    ngx_http_auth_bearer_loc_conf_t      *lcf;
    ngx_http_request_t                   *r;
    ngx_http_auth_bearer_keyreq_slot_t   *slots;
    ngx_uint_t                            nslots;
    ngx_msec_t                            wait_until;
} ngx_http_auth_bearer_keyreq_t;


static ngx_http_auth_bearer_keyreq_t *ngx_http_auth_bearer_keyreq_get(
    ngx_http_request_t *r, ngx_http_auth_bearer_loc_conf_t *lcf,
    ngx_uint_t create);
static void ngx_http_auth_bearer_keyreq_cleanup(void *data);
static ngx_int_t ngx_http_auth_bearer_keyreq_slot(ngx_http_request_t *r,
    ngx_http_auth_bearer_keyreq_t *kr, ngx_uint_t i, ngx_uint_t start);
static ngx_http_auth_bearer_keyreq_entry_t *
    ngx_http_auth_bearer_keyreq_entry(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_str_t *uri);
static ngx_http_auth_bearer_keyreq_entry_t *
    ngx_http_auth_bearer_keyreq_cached(void *server, ngx_str_t *uri);
static ngx_http_auth_bearer_keyreq_entry_t *
    ngx_http_auth_bearer_keyreq_unsafe(ngx_http_request_t *r, ngx_str_t *uri);
static ngx_int_t ngx_http_auth_bearer_keyreq_start(ngx_http_request_t *r,
    ngx_http_auth_bearer_keyreq_entry_t *e);
static ngx_int_t ngx_http_auth_bearer_keyreq_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_auth_bearer_keyreq_failed(
    ngx_http_auth_bearer_keyreq_entry_t *e, time_t ttl, const char *fmt,
    ...);
static ngx_uint_t ngx_http_auth_bearer_keyreq_usable(
    ngx_http_auth_bearer_keyreq_entry_t *e, time_t ttl, time_t now);
static void ngx_http_auth_bearer_keyreq_free(
    ngx_http_auth_bearer_keyreq_entry_t *e);


/* the worker's key sets, most recently used first */
static ngx_queue_t  ngx_http_auth_bearer_keyreq_cache;
static ngx_uint_t   ngx_http_auth_bearer_keyreq_count;

/* each key set loaded gets the next: cached verdicts follow key changes */
static ngx_uint_t   ngx_http_auth_bearer_keyreq_loads;


/*
 * Makes sure the keys of every auth_jwt_key_request of lcf are known for
 * this request: NGX_OK when they are (or are known to be unavailable),
 * NGX_AGAIN while its own subrequests run (nginx resumes the request when
 * they end), NGX_BUSY while it waits for another request's subrequest
 * (the caller polls), NGX_ERROR.
 */

ngx_int_t
ngx_http_auth_bearer_keyreq_resolve(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf)
{
    ngx_int_t                       rc;
    ngx_uint_t                      i, busy, running, waiting;
    ngx_http_auth_bearer_keyreq_t  *kr;

    kr = ngx_http_auth_bearer_keyreq_get(r, lcf, 1);
    if (kr == NULL) {
        return NGX_ERROR;
    }

    busy = 0;

    for (i = 0; i < kr->nslots; i++) {
        if (kr->slots[i].state == NGX_HTTP_AUTH_BEARER_KEYREQ_FETCHING
            && kr->slots[i].entry->fetcher == r)
        {
            busy = 1;
        }
    }

    running = 0;
    waiting = 0;

    /*
     * one subrequest at a time: nginx wakes the request reliably only
     * for its active subrequest, and a request with several key
     * requests is rare and, with auth_jwt_key_cache, cached
     */

    for (i = 0; i < kr->nslots; i++) {
        rc = ngx_http_auth_bearer_keyreq_slot(r, kr, i,
                                              !busy && running == 0);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (kr->slots[i].state == NGX_HTTP_AUTH_BEARER_KEYREQ_FETCHING) {
            running++;

        } else if (kr->slots[i].state == NGX_HTTP_AUTH_BEARER_KEYREQ_WAITING) {
            waiting++;
        }
    }

    if (running) {
        return NGX_AGAIN;
    }

    if (waiting == 0) {
        return NGX_OK;
    }

    /* another request's subrequest: waited for, within bounds */

    if (kr->wait_until == 0) {
        kr->wait_until = ngx_current_msec + NGX_HTTP_AUTH_BEARER_KEYREQ_WAIT;

    } else if ((ngx_msec_int_t) (ngx_current_msec - kr->wait_until) >= 0) {
        for (i = 0; i < kr->nslots; i++) {
            kr->slots[i].state = NGX_HTTP_AUTH_BEARER_KEYREQ_DONE;
        }

        return NGX_OK;
    }

    return NGX_BUSY;
}


/* the state of one key request, advanced as far as it goes now */

static ngx_int_t
ngx_http_auth_bearer_keyreq_slot(ngx_http_request_t *r,
    ngx_http_auth_bearer_keyreq_t *kr, ngx_uint_t i, ngx_uint_t start)
{
    time_t                                now, ttl;
    ngx_str_t                             uri;
    ngx_http_complex_value_t             *cv;
    ngx_http_auth_bearer_keyreq_slot_t   *slot;
    ngx_http_auth_bearer_keyreq_entry_t  *e;

    slot = &kr->slots[i];

    switch (slot->state) {

    case NGX_HTTP_AUTH_BEARER_KEYREQ_DONE:
        return NGX_OK;

    case NGX_HTTP_AUTH_BEARER_KEYREQ_FETCHING:

        /* ours ended when the entry no longer names us */

        if (slot->entry->fetcher == r) {
            return NGX_OK;
        }

        slot->state = NGX_HTTP_AUTH_BEARER_KEYREQ_DONE;
        return NGX_OK;

    case NGX_HTTP_AUTH_BEARER_KEYREQ_NEW:
        cv = kr->lcf->keyreqs->elts;

        if (ngx_http_complex_value(r, &cv[i], &uri) != NGX_OK) {
            return NGX_ERROR;
        }

        e = ngx_http_auth_bearer_keyreq_entry(r, kr->lcf, &uri);
        if (e == NULL) {
            return NGX_ERROR;
        }

        e->refs++;
        slot->entry = e;
        break;

    default: /* NGX_HTTP_AUTH_BEARER_KEYREQ_WAITING */
        break;
    }

    e = slot->entry;
    ttl = kr->lcf->key_cache;
    now = ngx_time();

    /* fresh keys: no subrequest, whatever kid the token names */

    if (e->generation && (!e->shared || now < e->loaded + ttl)) {
        slot->state = NGX_HTTP_AUTH_BEARER_KEYREQ_DONE;
        return NGX_OK;
    }

    if (e->fetcher) {

        /* single flight: the stale keys, or a wait for the fetch */

        slot->state = ngx_http_auth_bearer_keyreq_usable(e, ttl, now)
                      ? NGX_HTTP_AUTH_BEARER_KEYREQ_DONE
                      : NGX_HTTP_AUTH_BEARER_KEYREQ_WAITING;
        return NGX_OK;
    }

    if (now < e->next || (!e->shared && e->failures)) {

        /* backing off after a failure: stale keys, or none */

        slot->state = NGX_HTTP_AUTH_BEARER_KEYREQ_DONE;
        return NGX_OK;
    }

    if (e->bad) {

        /* the URI is not one to send: unavailable, as said in the log */

        slot->state = NGX_HTTP_AUTH_BEARER_KEYREQ_DONE;
        return NGX_OK;
    }

    if (!start) {

        /* after the subrequest of this request that runs now */

        slot->state = NGX_HTTP_AUTH_BEARER_KEYREQ_WAITING;
        return NGX_OK;
    }

    if (ngx_http_auth_bearer_keyreq_start(r, e) != NGX_OK) {
        return NGX_ERROR;
    }

    slot->state = (e->fetcher == r) ? NGX_HTTP_AUTH_BEARER_KEYREQ_FETCHING
                                    : NGX_HTTP_AUTH_BEARER_KEYREQ_DONE;

    return NGX_OK;
}


/*
 * The key for a token from the key requests of lcf.  NGX_OK with *key
 * (NULL and *reason when no set has it), NGX_DECLINED when a set that
 * might have it is unavailable (*retry set), NGX_AGAIN when the keys of
 * this request are not resolved yet.
 */

ngx_int_t
ngx_http_auth_bearer_keyreq_find(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, jwt_alg_t alg,
    const unsigned char *kid, size_t kid_len, const jwt_key_t **key,
    const char **reason, time_t *retry)
{
    time_t                                now;
    ngx_uint_t                            i, unavailable;
    ngx_http_auth_bearer_keyreq_t        *kr;
    ngx_http_auth_bearer_keyreq_entry_t  *e;

    kr = ngx_http_auth_bearer_keyreq_get(r, lcf, 0);

    if (kr == NULL) {
        return NGX_AGAIN;
    }

    for (i = 0; i < kr->nslots; i++) {
        if (kr->slots[i].state != NGX_HTTP_AUTH_BEARER_KEYREQ_DONE) {
            return NGX_AGAIN;
        }
    }

    now = ngx_time();
    unavailable = 0;
    *key = NULL;

    for (i = 0; i < kr->nslots; i++) {
        e = kr->slots[i].entry;

        if (!ngx_http_auth_bearer_keyreq_usable(e, lcf->key_cache, now)) {
            *retry = ngx_max(e->next - now, 1);
            unavailable++;
            continue;
        }

        *key = jwt_keyset_find(&e->keys, alg, kid, kid_len, reason);

        if (*key) {
            return NGX_OK;
        }
    }

    /* the key may be in a set that could not be had: not the client's */

    return unavailable ? NGX_DECLINED : NGX_OK;
}


/*
 * The generation of the keys this request resolved: the greatest of its
 * sets' (each load takes a new one, so any change shows), or
 * NGX_HTTP_AUTH_BEARER_NO_GENERATION when they are not resolved.
 */

ngx_uint_t
ngx_http_auth_bearer_keyreq_generation(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf)
{
    time_t                          now;
    ngx_uint_t                      i, gen;
    ngx_http_auth_bearer_keyreq_t  *kr;

    kr = ngx_http_auth_bearer_keyreq_get(r, lcf, 0);

    if (kr == NULL) {
        return NGX_HTTP_AUTH_BEARER_NO_GENERATION;
    }

    gen = 0;
    now = ngx_time();

    /* keys past their stale period verify nothing, cached or not */

    for (i = 0; i < kr->nslots; i++) {
        if (kr->slots[i].state != NGX_HTTP_AUTH_BEARER_KEYREQ_DONE
            || !ngx_http_auth_bearer_keyreq_usable(kr->slots[i].entry,
                                                   lcf->key_cache, now))
        {
            return NGX_HTTP_AUTH_BEARER_NO_GENERATION;
        }

        gen = ngx_max(gen, kr->slots[i].entry->generation);
    }

    return gen;
}


/* keys that may still verify: fresh, or within the stale period */

static ngx_uint_t
ngx_http_auth_bearer_keyreq_usable(ngx_http_auth_bearer_keyreq_entry_t *e,
    time_t ttl, time_t now)
{
    if (e->generation == 0) {
        return 0;
    }

    if (!e->shared) {
        return 1;
    }

    return now < e->loaded + ttl
                 + ngx_min(ttl, NGX_HTTP_AUTH_BEARER_KEYREQ_STALE);
}


static ngx_http_auth_bearer_keyreq_t *
ngx_http_auth_bearer_keyreq_get(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_uint_t create)
{
    ngx_pool_cleanup_t             *cln;
    ngx_http_auth_bearer_keyreq_t  *kr;

    r = r->main;
    kr = NULL;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_auth_bearer_keyreq_cleanup) {
            kr = cln->data;
            break;
        }
    }

    if (kr && kr->lcf == lcf) {
        return kr;
    }

    if (!create) {
        return NULL;
    }

    if (kr) {

        /* another location's keys (after a redirect): let them go */

        ngx_http_auth_bearer_keyreq_cleanup(kr);

    } else {
        cln = ngx_pool_cleanup_add(r->pool,
                                   sizeof(ngx_http_auth_bearer_keyreq_t));
        if (cln == NULL) {
            return NULL;
        }

        cln->handler = ngx_http_auth_bearer_keyreq_cleanup;
        kr = cln->data;
    }

    ngx_memzero(kr, sizeof(ngx_http_auth_bearer_keyreq_t));

    kr->lcf = lcf;
    kr->r = r;
    kr->nslots = lcf->keyreqs->nelts;

    kr->slots = ngx_pcalloc(r->pool, kr->nslots
                            * sizeof(ngx_http_auth_bearer_keyreq_slot_t));
    if (kr->slots == NULL) {
        return NULL;
    }

    return kr;
}


/* the request ends: its fetches are abandoned, its own keys freed */

static void
ngx_http_auth_bearer_keyreq_cleanup(void *data)
{
    ngx_http_auth_bearer_keyreq_t *kr = data;

    ngx_uint_t                            i;
    ngx_http_auth_bearer_keyreq_entry_t  *e;

    for (i = 0; i < kr->nslots; i++) {
        e = kr->slots[i].entry;

        if (e == NULL) {
            continue;
        }

        kr->slots[i].entry = NULL;

        if (e->fetcher == kr->r) {
            e->fetcher = NULL;
            e->sr = NULL;
        }

        e->refs--;

        if (!e->shared) {
            jwt_keyset_free(&e->keys);
        }
    }

    kr->nslots = 0;
}


/* the worker's entry of a URI in a server, made the most recent */

static ngx_http_auth_bearer_keyreq_entry_t *
ngx_http_auth_bearer_keyreq_cached(void *server, ngx_str_t *uri)
{
    ngx_queue_t                          *q;
    ngx_http_auth_bearer_keyreq_entry_t  *e;

    if (ngx_http_auth_bearer_keyreq_count == 0) {
        ngx_queue_init(&ngx_http_auth_bearer_keyreq_cache);
    }

    for (q = ngx_queue_head(&ngx_http_auth_bearer_keyreq_cache);
         q != ngx_queue_sentinel(&ngx_http_auth_bearer_keyreq_cache);
         q = ngx_queue_next(q))
    {
        e = ngx_queue_data(q, ngx_http_auth_bearer_keyreq_entry_t, queue);

        if (e->server == server
            && e->uri.len == uri->len
            && ngx_memcmp(e->uri.data, uri->data, uri->len) == 0)
        {
            ngx_queue_remove(q);
            ngx_queue_insert_head(&ngx_http_auth_bearer_keyreq_cache, q);
            return e;
        }
    }

    return NULL;
}


/* the request's entry of a URI a subrequest cannot take: logged, no keys */

static ngx_http_auth_bearer_keyreq_entry_t *
ngx_http_auth_bearer_keyreq_unsafe(ngx_http_request_t *r, ngx_str_t *uri)
{
    u_char                                buf[NGX_HTTP_AUTH_BEARER_LOG_FIELD];
    ngx_str_t                             esc;
    ngx_http_auth_bearer_keyreq_entry_t  *e;

    e = ngx_pcalloc(r->pool, sizeof(ngx_http_auth_bearer_keyreq_entry_t));
    if (e == NULL) {
        return NULL;
    }

    esc.data = buf;
    esc.len = ngx_http_auth_bearer_escape(buf, sizeof(buf), uri->data,
                                          uri->len);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "auth_jwt_key_request \"%V\": not a safe local URI",
                  &esc);

    jwt_keyset_init(&e->keys);
    e->log = r->connection->log;
    e->bad = 1;

    return e;
}


/*
 * The entry of a URI: the worker's (with auth_jwt_key_cache), or the
 * request's own.  A URI the subrequest cannot take (unsafe, or not a
 * path) gets an entry with no URI and the error.
 */

static ngx_http_auth_bearer_keyreq_entry_t *
ngx_http_auth_bearer_keyreq_entry(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, ngx_str_t *uri)
{
    void                                 *server;
    ngx_str_t                             path, args;
    ngx_uint_t                            flags;
    ngx_queue_t                          *q;
    ngx_http_auth_bearer_keyreq_entry_t  *e;

    server = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

    if (lcf->key_cache) {
        e = ngx_http_auth_bearer_keyreq_cached(server, uri);
        if (e) {
            return e;
        }
    }

    path = *uri;
    args.len = 0;
    args.data = NULL;
    flags = NGX_HTTP_LOG_UNSAFE;

    if (path.len == 0 || path.data[0] != '/'
        || ngx_http_parse_unsafe_uri(r, &path, &args, &flags) != NGX_OK)
    {
        return ngx_http_auth_bearer_keyreq_unsafe(r, uri);
    }

    /* a cached entry, the least recently used one unused if need be */

    e = NULL;

    if (lcf->key_cache
        && ngx_http_auth_bearer_keyreq_count
           >= NGX_HTTP_AUTH_BEARER_KEYREQ_ENTRIES)
    {
        for (q = ngx_queue_last(&ngx_http_auth_bearer_keyreq_cache);
             q != ngx_queue_sentinel(&ngx_http_auth_bearer_keyreq_cache);
             q = ngx_queue_prev(q))
        {
            e = ngx_queue_data(q, ngx_http_auth_bearer_keyreq_entry_t,
                               queue);

            if (e->refs == 0 && e->fetcher == NULL) {
                ngx_queue_remove(q);
                ngx_http_auth_bearer_keyreq_count--;
                ngx_http_auth_bearer_keyreq_free(e);
                break;
            }

            e = NULL;
        }

        if (e == NULL) {

            /* every one is in use: this request fetches its own */

            goto own;
        }
    }

    if (lcf->key_cache) {
        e = ngx_alloc(sizeof(ngx_http_auth_bearer_keyreq_entry_t) + uri->len,
                      ngx_cycle->log);
        if (e == NULL) {
            return NULL;
        }

        ngx_memzero(e, sizeof(ngx_http_auth_bearer_keyreq_entry_t));

        e->shared = 1;
        e->log = ngx_cycle->log;
        e->uri.data = (u_char *) (e + 1);

        ngx_queue_insert_head(&ngx_http_auth_bearer_keyreq_cache, &e->queue);
        ngx_http_auth_bearer_keyreq_count++;

        goto found;
    }

own:

    e = ngx_pcalloc(r->pool,
                    sizeof(ngx_http_auth_bearer_keyreq_entry_t) + uri->len);
    if (e == NULL) {
        return NULL;
    }

    e->log = r->connection->log;
    e->uri.data = (u_char *) (e + 1);

found:

    jwt_keyset_init(&e->keys);

    e->server = server;
    e->uri.len = ngx_cpymem(e->uri.data, uri->data, uri->len) - e->uri.data;

    e->name.data = e->text;
    e->name.len = ngx_http_auth_bearer_escape(e->text, sizeof(e->text),
                                              uri->data, uri->len);

    return e;
}


/* the subrequest, to a location of this server, as nginx's own GET */

static ngx_int_t
ngx_http_auth_bearer_keyreq_start(ngx_http_request_t *r,
    ngx_http_auth_bearer_keyreq_entry_t *e)
{
    ngx_str_t                     path, args;
    ngx_uint_t                    flags;
    ngx_http_request_t           *sr;
    ngx_http_post_subrequest_t   *ps;

    path = e->uri;
    args.len = 0;
    args.data = NULL;
    flags = NGX_HTTP_LOG_UNSAFE;

    if (ngx_http_parse_unsafe_uri(r, &path, &args, &flags) != NGX_OK) {
        return NGX_ERROR;
    }

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_http_auth_bearer_keyreq_done;
    ps->data = e;

    if (ngx_http_subrequest(r, &path, args.len ? &args : NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        ngx_http_auth_bearer_keyreq_failed(e, 0, "subrequest not created");
        return NGX_OK;
    }

    /*
     * none of the client's headers: a Range, an If-None-Match or an
     * Accept-Encoding of one client must not shape the keys of all
     */

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    if (ngx_list_init(&sr->headers_in.headers, r->pool, 1,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->headers_in.server = r->headers_in.server;
    sr->headers_in.content_length_n = -1;
    sr->headers_in.keep_alive_n = -1;
    sr->request_body = NULL;

    e->fetcher = r->main;
    e->sr = sr;
    e->received = 0;
    e->too_big = 0;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "auth_jwt_key_request: subrequest \"%V\"", &e->name);

    return NGX_OK;
}


/* the subrequest ended: its body becomes the entry's keys, or an error */

static ngx_int_t
ngx_http_auth_bearer_keyreq_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_auth_bearer_keyreq_entry_t *e = data;

    size_t                           len;
    time_t                           ttl;
    jwt_rc_t                         jrc;
    ngx_buf_t                       *b;
    ngx_uint_t                       status;
    const char                      *reason;
    jwt_keyset_t                     ks;
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_auth_bearer_skipped_t   sk;
    ngx_http_auth_bearer_loc_conf_t *lcf;

    if (e->sr != sr || rc == NGX_AGAIN) {
        return rc;
    }

    e->sr = NULL;
    e->fetcher = NULL;
    e->log = sr->main->connection->log;

    lcf = ngx_http_get_module_loc_conf(sr->main, ngx_http_auth_bearer_module);
    ttl = lcf->key_cache;

    status = sr->headers_out.status;

    if (rc != NGX_OK || status < 200 || status > 299) {
        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            status = rc;
        }

        ngx_http_auth_bearer_keyreq_failed(e, ttl,
                                    "status %ui%s", status,
                                    rc == NGX_ERROR
                                    ? " (error; a body over "
                                      "subrequest_output_buffer_size?)"
                                    : "");

        /* the client's request goes on, to answer 503 */

        return (rc == NGX_ERROR) ? NGX_OK : rc;
    }

    if (e->too_big) {
        clcf = ngx_http_get_module_loc_conf(sr, ngx_http_core_module);

        ngx_http_auth_bearer_keyreq_failed(e, ttl, "body over %uz bytes "
                                    "(subrequest_output_buffer_size of "
                                    "the location)",
                                    ngx_min(clcf->subrequest_output_buffer_size,
                                    NGX_HTTP_AUTH_BEARER_KEYREQ_BODY_MAX));
        return rc;
    }

    b = sr->out ? sr->out->buf : NULL;
    len = b ? (size_t) (b->last - b->pos) : 0;

    if (len == 0) {
        ngx_http_auth_bearer_keyreq_failed(e, ttl, "empty body");
        return rc;
    }

    sk.cf = NULL;
    sk.log = e->log;
    sk.iss = &e->name;

    reason = "unknown";

    jwt_keyset_init(&ks);

    /* as in NGINX Plus, a key set of the operator's location may have oct */

    jrc = jwt_keyset_add_jwks(&ks, b->pos, len,
                              JWT_KEYS_ALLOW_OCT|JWT_KEYS_UNIQUE_KID,
                              ngx_http_auth_bearer_key_skipped, &sk, &reason);
    if (jrc != JWT_OK) {
        jwt_keyset_free(&ks);
        ngx_http_auth_bearer_keyreq_failed(e, ttl, "%s", reason);
        return rc;
    }

    jwt_keyset_free(&e->keys);

    e->keys = ks;
    e->generation = ++ngx_http_auth_bearer_keyreq_loads;
    e->loaded = ngx_time();
    e->next = 0;
    e->failures = 0;
    e->error[0] = '\0';

    /* a request's own keys (no auth_jwt_key_cache) are no news */

    ngx_log_error((e->shared ? NGX_LOG_INFO : NGX_LOG_DEBUG), e->log, 0,
                  "auth_jwt_key_request \"%V\": %uz keys loaded",
                  &e->name, ks.nkeys);

    return rc;
}


/*
 * The body of a key request on its way to memory: one over the room
 * nginx keeps for it (subrequest_output_buffer_size) or over our cap is
 * dropped here, so that the subrequest ends and the client gets a 503,
 * rather than the error that ends the whole request.  NGX_DECLINED for
 * any other output.
 */

ngx_int_t
ngx_http_auth_bearer_keyreq_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in)
{
    size_t                                max;
    ngx_chain_t                          *cl;
    ngx_http_core_loc_conf_t             *clcf;
    ngx_http_auth_bearer_keyreq_entry_t  *e;

    if (r == r->main
        || r->post_subrequest == NULL
        || r->post_subrequest->handler != ngx_http_auth_bearer_keyreq_done)
    {
        return NGX_DECLINED;
    }

    e = r->post_subrequest->data;

    if (e->sr != r) {
        return NGX_DECLINED;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    max = ngx_min(clcf->subrequest_output_buffer_size,
                  NGX_HTTP_AUTH_BEARER_KEYREQ_BODY_MAX);

    for (cl = in; cl; cl = cl->next) {
        e->received += ngx_buf_size(cl->buf);
    }

    if (e->received <= (off_t) max && !e->too_big) {
        return NGX_DECLINED;
    }

    e->too_big = 1;

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    return NGX_OK;
}


/*
 * A fetch failed: logged with the reason (warn while stale keys remain),
 * and the next one backs off exponentially up to a minute.
 */

static void
ngx_http_auth_bearer_keyreq_failed(ngx_http_auth_bearer_keyreq_entry_t *e,
    time_t ttl, const char *fmt, ...)
{
    u_char      *p;
    time_t       now, backoff;
    va_list      args;
    ngx_uint_t   stale;

    va_start(args, fmt);
    p = ngx_vslprintf(e->error, e->error + sizeof(e->error) - 1, fmt, args);
    va_end(args);

    *p = '\0';

    now = ngx_time();

    e->failures++;
    backoff = (e->failures > 6) ? NGX_HTTP_AUTH_BEARER_KEYREQ_BACKOFF
                                : ((time_t) 1 << (e->failures - 1));
    e->next = now + ngx_min(backoff, NGX_HTTP_AUTH_BEARER_KEYREQ_BACKOFF);

    stale = ngx_http_auth_bearer_keyreq_usable(e, ttl, now);

    if (stale) {
        ngx_log_error(NGX_LOG_WARN, e->log, 0,
                      "auth_jwt_key_request \"%V\": no new keys: %s; the "
                      "keys fetched before are used meanwhile", &e->name,
                      e->error);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, e->log, 0,
                  "auth_jwt_key_request \"%V\": no keys: %s", &e->name,
                  e->error);
}


static void
ngx_http_auth_bearer_keyreq_free(ngx_http_auth_bearer_keyreq_entry_t *e)
{
    jwt_keyset_free(&e->keys);
    ngx_free(e);
}


void
ngx_http_auth_bearer_keyreq_exit(void)
{
    ngx_queue_t                          *q;
    ngx_http_auth_bearer_keyreq_entry_t  *e;

    if (ngx_http_auth_bearer_keyreq_count == 0) {
        return;
    }

    while (!ngx_queue_empty(&ngx_http_auth_bearer_keyreq_cache)) {
        q = ngx_queue_head(&ngx_http_auth_bearer_keyreq_cache);
        ngx_queue_remove(q);

        e = ngx_queue_data(q, ngx_http_auth_bearer_keyreq_entry_t, queue);
        ngx_http_auth_bearer_keyreq_free(e);
    }

    ngx_http_auth_bearer_keyreq_count = 0;
}


/*
 * auth_jwt_key_request uri [jwks]; several at one level, variables
 * allowed; "jwks", the only format, as kjdev/nginx-auth-jwt writes it
 */

char *
ngx_http_auth_bearer_key_request_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf)
{
    ngx_http_auth_bearer_loc_conf_t *lcf = conf;

    ngx_str_t                         *value;
    ngx_http_complex_value_t          *cv;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    if (value[1].len == 0
        || (value[1].data[0] != '/' && value[1].data[0] != '$'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_key_request\" needs a URI of this "
                           "server, such as /_jwks, with a location that "
                           "serves or proxies the JWKS; not \"%V\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 3 && ngx_strcmp(value[2].data, "jwks") != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_key_request\": unknown format "
                           "\"%V\"; the key request must answer a JWKS "
                           "(kjdev's \"keyval\" is not supported: serve "
                           "the keys as a JWKS)", &value[2]);
        return NGX_CONF_ERROR;
    }

    if (lcf->keyreqs == NULL) {
        lcf->keyreqs = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_complex_value_t));
        if (lcf->keyreqs == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    cv = ngx_array_push(lcf->keyreqs);
    if (cv == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = cv;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
