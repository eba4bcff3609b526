
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_auth_bearer_shm.h"
#include "ngx_http_auth_bearer_oidc.h"


static ngx_int_t ngx_http_auth_bearer_shm_add(ngx_conf_t *cf,
    ngx_http_auth_bearer_main_conf_t *amcf, ngx_str_t *name, size_t size);
static ngx_int_t ngx_http_auth_bearer_shm_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_auth_bearer_shm_attach(
    ngx_http_auth_bearer_zone_t *zone, ngx_log_t *log);
static ngx_uint_t ngx_http_auth_bearer_shm_orphan(
    ngx_http_auth_bearer_slot_t *slot);
static ngx_int_t ngx_http_auth_bearer_shm_set(ngx_slab_pool_t *shpool,
    ngx_str_t *dst, u_char *data, size_t len);
static void ngx_http_auth_bearer_shm_reset(ngx_slab_pool_t *shpool,
    ngx_http_auth_bearer_slot_t *slot);


/* auth_jwt_zone <name>:<size> */

char *
ngx_http_auth_bearer_zone_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_auth_bearer_main_conf_t *amcf = conf;

    u_char     *p;
    ssize_t     size;
    ngx_str_t  *value, name, s;

    if (amcf->shm_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    p = (u_char *) ngx_strchr(value[1].data, ':');

    if (p == NULL || p == value[1].data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_zone\": invalid \"%V\"; use "
                           "name:size, e.g. auth_jwt_zone jwks:1m",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = p - name.data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_zone\": invalid size \"%V\"; use "
                           "e.g. auth_jwt_zone jwks:1m", &s);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_zone\": zone \"%V\" is too small; "
                           "use at least %uz bytes, e.g. 1m",
                           &name, 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_auth_bearer_shm_add(cf, amcf, &name, size) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* the zone OIDC issuers get when none is declared */

ngx_int_t
ngx_http_auth_bearer_shm_implicit(ngx_conf_t *cf,
    ngx_http_auth_bearer_main_conf_t *amcf)
{
    ngx_str_t  name;

    if (amcf->shm_zone || (amcf->noidc == 0 && amcf->revocations == NULL)) {
        return NGX_OK;
    }

    ngx_str_set(&name, "auth_jwt");

    return ngx_http_auth_bearer_shm_add(cf, amcf, &name,
                                        NGX_HTTP_AUTH_BEARER_ZONE_SIZE);
}


static ngx_int_t
ngx_http_auth_bearer_shm_add(ngx_conf_t *cf,
    ngx_http_auth_bearer_main_conf_t *amcf, ngx_str_t *name, size_t size)
{
    ngx_shm_zone_t               *shm_zone;
    ngx_http_auth_bearer_zone_t  *zone;

    zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_auth_bearer_zone_t));
    if (zone == NULL) {
        return NGX_ERROR;
    }

    zone->issuers = &amcf->issuers;

    shm_zone = ngx_shared_memory_add(cf, name, size,
                                     &ngx_http_auth_bearer_module);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    if (shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_zone\": zone \"%V\" is already "
                           "declared", name);
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_auth_bearer_shm_init_zone;
    shm_zone->data = zone;

    amcf->shm_zone = shm_zone;

    return NGX_OK;
}


/*
 * On reload the old zone is reused as it is: its slots keep their keys,
 * and the issuers of the new configuration find theirs by iss.
 */

static ngx_int_t
ngx_http_auth_bearer_shm_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_auth_bearer_zone_t  *ozone = data;

    ngx_http_auth_bearer_zone_t  *zone;

    zone = shm_zone->data;

    if (ozone) {
        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;

        return ngx_http_auth_bearer_shm_attach(zone, shm_zone->shm.log);
    }

    zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        zone->sh = zone->shpool->data;

        return ngx_http_auth_bearer_shm_attach(zone, shm_zone->shm.log);
    }

    zone->sh = ngx_slab_alloc(zone->shpool,
                              sizeof(ngx_http_auth_bearer_shctx_t));
    if (zone->sh == NULL) {
        return NGX_ERROR;
    }

    zone->shpool->data = zone->sh;

    ngx_queue_init(&zone->sh->slots);

    if (ngx_http_auth_bearer_slab_log(zone->shpool, "auth_jwt zone",
                                      &shm_zone->shm.name)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_auth_bearer_shm_attach(zone, shm_zone->shm.log);
}


static ngx_int_t
ngx_http_auth_bearer_shm_attach(ngx_http_auth_bearer_zone_t *zone,
    ngx_log_t *log)
{
    u_char                          kind;
    ngx_str_t                      *url;
    ngx_uint_t                      i;
    ngx_http_auth_bearer_slot_t    *slot;
    ngx_http_auth_bearer_issuer_t  *issuer;

    issuer = zone->issuers->elts;

    for (i = 0; i < zone->issuers->nelts; i++) {
        if (issuer[i].kind != NGX_HTTP_AUTH_BEARER_OIDC) {
            continue;
        }

        if (issuer[i].jwks_uri.len) {
            kind = 'j';
            url = &issuer[i].jwks_uri;

        } else {
            kind = 'd';
            url = &issuer[i].discovery;
        }

        ngx_shmtx_lock(&zone->shpool->mutex);

        slot = ngx_http_auth_bearer_shm_slot(zone, &issuer[i].iss, kind, url);

        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (slot == NULL) {
            ngx_log_error(NGX_LOG_EMERG, log, 0,
                          "auth_jwt: no room for issuer \"%V\" in the "
                          "zone; make \"auth_jwt_zone\" larger",
                          &issuer[i].iss);
            return NGX_ERROR;
        }

        issuer[i].oidc->zone = zone;
        issuer[i].oidc->slot = slot;
    }

    return NGX_OK;
}


/*
 * The slot of iss, created when new; when the issuer now takes its keys
 * from another URL, what the slot held is dropped.  Called with the zone
 * mutex held; a revocation feed's slot is named so that no iss matches.
 */

ngx_http_auth_bearer_slot_t *
ngx_http_auth_bearer_shm_slot(ngx_http_auth_bearer_zone_t *zone,
    ngx_str_t *iss, u_char kind, ngx_str_t *url)
{
    ngx_queue_t                  *q;
    ngx_str_t                    *src;
    ngx_http_auth_bearer_slot_t  *slot;

    for (q = ngx_queue_head(&zone->sh->slots);
         q != ngx_queue_sentinel(&zone->sh->slots);
         q = ngx_queue_next(q))
    {
        slot = ngx_queue_data(q, ngx_http_auth_bearer_slot_t, queue);

        if (slot->iss.len != iss->len
            || ngx_memcmp(slot->iss.data, iss->data, iss->len) != 0)
        {
            continue;
        }

        src = &slot->source;

        if (src->len == url->len + 1 && src->data[0] == kind
            && ngx_memcmp(src->data + 1, url->data, url->len) == 0)
        {
            return slot;
        }

        ngx_http_auth_bearer_shm_reset(zone->shpool, slot);

        goto source;
    }

    slot = ngx_slab_calloc_locked(zone->shpool,
                                  sizeof(ngx_http_auth_bearer_slot_t));
    if (slot == NULL) {
        return NULL;
    }

    if (ngx_http_auth_bearer_shm_set(zone->shpool, &slot->iss, iss->data,
                                     iss->len)
        != NGX_OK)
    {
        ngx_slab_free_locked(zone->shpool, slot);
        return NULL;
    }

    ngx_queue_insert_tail(&zone->sh->slots, &slot->queue);

source:

    if (ngx_http_auth_bearer_shm_set(zone->shpool, &slot->source, NULL,
                                     url->len + 1)
        != NGX_OK)
    {
        return NULL;
    }

    slot->source.data[0] = kind;
    ngx_memcpy(slot->source.data + 1, url->data, url->len);

    return slot;
}


/* dst gets a zone copy of data (len bytes, zeroed when data is NULL) */

static ngx_int_t
ngx_http_auth_bearer_shm_set(ngx_slab_pool_t *shpool, ngx_str_t *dst,
    u_char *data, size_t len)
{
    u_char  *p;

    p = NULL;

    if (len) {
        p = ngx_slab_alloc_locked(shpool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        if (data) {
            ngx_memcpy(p, data, len);

        } else {
            ngx_memzero(p, len);
        }
    }

    if (dst->data) {
        ngx_slab_free_locked(shpool, dst->data);
    }

    dst->data = p;
    dst->len = len;

    return NGX_OK;
}


static void
ngx_http_auth_bearer_shm_reset(ngx_slab_pool_t *shpool,
    ngx_http_auth_bearer_slot_t *slot)
{
    (void) ngx_http_auth_bearer_shm_set(shpool, &slot->jwks_uri, NULL, 0);

    if (slot->jwks.len) {
        (void) ngx_http_auth_bearer_shm_set(shpool, &slot->jwks, NULL, 0);
        slot->generation++;
    }

    slot->fetched = 0;
    slot->next = 0;
    slot->wanted = 0;
    slot->lease = 0;
    slot->lease_pid = 0;
    slot->failures = 0;
    slot->expires = 0;
    slot->etag_len = 0;
    slot->error_len = 0;
}


/* unlocked: a hint, checked again under the mutex by the lease */

ngx_uint_t
ngx_http_auth_bearer_shm_due(ngx_http_auth_bearer_slot_t *slot, time_t now)
{
    time_t  lease;

    lease = (time_t) slot->lease;

    if (lease && lease >= now) {
        return ngx_http_auth_bearer_shm_orphan(slot);
    }

    if (now >= (time_t) slot->next) {
        return 1;
    }

    return slot->wanted && slot->failures == 0;
}


/*
 * The lease's holder is gone (killed, crashed): its fetch will never end,
 * so any worker takes the lease over at once rather than at its deadline,
 * and does the refresh the holder was doing.
 */

static ngx_uint_t
ngx_http_auth_bearer_shm_orphan(ngx_http_auth_bearer_slot_t *slot)
{
    ngx_pid_t  pid;

    pid = slot->lease_pid;

    if (pid == 0 || pid == ngx_pid) {
        return 0;
    }

    return kill(pid, 0) == -1 && ngx_errno == NGX_ESRCH;
}


/* single flight across workers: NGX_OK when this worker is to fetch */

ngx_int_t
ngx_http_auth_bearer_shm_lease(ngx_http_auth_bearer_zone_t *zone,
    ngx_http_auth_bearer_slot_t *slot, time_t deadline,
    ngx_http_auth_bearer_lease_t *lease)
{
    time_t  now;

    now = ngx_time();

    ngx_shmtx_lock(&zone->shpool->mutex);

    if (!ngx_http_auth_bearer_shm_due(slot, now)) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_DECLINED;
    }

    slot->lease = deadline;
    slot->lease_pid = ngx_pid;
    slot->wanted = 0;

    lease->discover = (slot->jwks_uri.len == 0 || slot->failures > 0);
    lease->have_keys = (slot->jwks.len > 0);

    lease->jwks_uri_len = ngx_min(slot->jwks_uri.len,
                                  NGX_HTTP_AUTH_BEARER_URI_MAX - 1);

    if (lease->jwks_uri_len) {
        ngx_memcpy(lease->jwks_uri, slot->jwks_uri.data,
                   lease->jwks_uri_len);
    }

    lease->jwks_uri[lease->jwks_uri_len] = '\0';

    lease->etag_len = lease->have_keys ? slot->etag_len : 0;
    ngx_memcpy(lease->etag, slot->etag, lease->etag_len);
    lease->etag[lease->etag_len] = '\0';

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


void
ngx_http_auth_bearer_shm_release(ngx_http_auth_bearer_zone_t *zone,
    ngx_http_auth_bearer_slot_t *slot)
{
    ngx_shmtx_lock(&zone->shpool->mutex);

    if (slot->lease && slot->lease_pid == ngx_pid) {
        slot->lease = 0;
        slot->lease_pid = 0;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/*
 * Stores a successful fetch.  The generation changes only when the JWKS
 * bytes do.  NGX_DECLINED: the lease was lost (reload, expiry), nothing
 * stored; NGX_ERROR: no room in the zone.
 */

ngx_int_t
ngx_http_auth_bearer_shm_publish(ngx_http_auth_bearer_zone_t *zone,
    ngx_http_auth_bearer_slot_t *slot, ngx_http_auth_bearer_result_t *res,
    ngx_atomic_uint_t *generation, ngx_log_t *log)
{
    time_t            now;
    ngx_slab_pool_t  *shpool;

    shpool = zone->shpool;

    ngx_shmtx_lock(&shpool->mutex);

    if (slot->lease == 0 || slot->lease_pid != ngx_pid) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_DECLINED;
    }

    if (res->jwks_uri.len
        && (res->jwks_uri.len != slot->jwks_uri.len
            || ngx_memcmp(res->jwks_uri.data, slot->jwks_uri.data,
                          res->jwks_uri.len)
               != 0))
    {
        if (ngx_http_auth_bearer_shm_set(shpool, &slot->jwks_uri,
                                         res->jwks_uri.data,
                                         res->jwks_uri.len)
            != NGX_OK)
        {
            goto nomem;
        }
    }

    if (res->jwks.data) {
        if (res->jwks.len != slot->jwks.len
            || ngx_memcmp(res->jwks.data, slot->jwks.data, res->jwks.len)
               != 0)
        {
            if (ngx_http_auth_bearer_shm_set(shpool, &slot->jwks,
                                             res->jwks.data, res->jwks.len)
                != NGX_OK)
            {
                goto nomem;
            }

            slot->generation++;
        }

        slot->etag_len = ngx_min(res->etag.len,
                                 NGX_HTTP_AUTH_BEARER_ETAG_MAX - 1);
        ngx_memcpy(slot->etag, res->etag.data, slot->etag_len);
    }

    now = ngx_time();

    slot->fetched = now;
    slot->expires = now + res->ttl;
    slot->next = slot->expires;
    slot->failures = 0;
    slot->error_len = 0;
    slot->lease = 0;
    slot->lease_pid = 0;

    *generation = slot->generation;

    ngx_shmtx_unlock(&shpool->mutex);

    ngx_http_auth_bearer_shm_count(slot, NGX_HTTP_AUTH_BEARER_N_FETCH_OK);

    return NGX_OK;

nomem:

    ngx_shmtx_unlock(&shpool->mutex);

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "auth_jwt: no room for the keys of \"%V\" in the zone; "
                  "make \"auth_jwt_zone\" larger", &slot->iss);

    return NGX_ERROR;
}


/*
 * Records a failed fetch; the next attempt backs off exponentially up to
 * cap seconds, with jitter so that many nginx instances spread out.
 * Returns the time of the next attempt.
 */

time_t
ngx_http_auth_bearer_shm_fail(ngx_http_auth_bearer_zone_t *zone,
    ngx_http_auth_bearer_slot_t *slot, u_char *error, size_t len,
    time_t cap, ngx_uint_t *failures)
{
    time_t      now, delay;
    ngx_uint_t  n;

    now = ngx_time();

    ngx_shmtx_lock(&zone->shpool->mutex);

    if (slot->lease == 0 || slot->lease_pid != ngx_pid) {
        *failures = slot->failures;
        delay = (time_t) slot->next;
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return delay;
    }

    n = ++slot->failures;

    delay = (time_t) 1 << ngx_min(n - 1, 20);

    if (delay > cap) {
        delay = cap;
    }

    delay = delay * (75 + ngx_random() % 51) / 100;

    if (delay < 1) {
        delay = 1;
    }

    slot->next = now + delay;
    slot->last_failure = now;
    slot->error_len = ngx_min(len, NGX_HTTP_AUTH_BEARER_ERROR_MAX);
    ngx_memcpy(slot->error, error, slot->error_len);
    slot->lease = 0;
    slot->lease_pid = 0;

    *failures = n;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    ngx_http_auth_bearer_shm_count(slot, NGX_HTTP_AUTH_BEARER_N_FETCH_FAILED);

    return now + delay;
}


/* a heap copy of the slot's JWKS (data NULL: none) and its generation */

ngx_int_t
ngx_http_auth_bearer_shm_jwks(ngx_http_auth_bearer_zone_t *zone,
    ngx_http_auth_bearer_slot_t *slot, ngx_str_t *jwks,
    ngx_atomic_uint_t *generation, ngx_log_t *log)
{
    u_char  *p;
    size_t   len;

    /* sized outside the mutex: the slot may change, then retry */

    for ( ;; ) {
        len = slot->jwks.len;
        p = NULL;

        if (len) {
            p = ngx_alloc(len, log);
            if (p == NULL) {
                return NGX_ERROR;
            }
        }

        ngx_shmtx_lock(&zone->shpool->mutex);

        if (slot->jwks.len == len) {
            if (len) {
                ngx_memcpy(p, slot->jwks.data, len);
            }

            *generation = slot->generation;

            ngx_shmtx_unlock(&zone->shpool->mutex);
            break;
        }

        ngx_shmtx_unlock(&zone->shpool->mutex);

        if (p) {
            ngx_free(p);
        }
    }

    jwks->data = p;
    jwks->len = len;

    return NGX_OK;
}


/*
 * An unknown kid asks for a refresh: at most once per cooldown per issuer,
 * whichever worker gets there first; lock-free, it runs on requests.
 */

ngx_uint_t
ngx_http_auth_bearer_shm_want(ngx_http_auth_bearer_slot_t *slot, time_t now,
    time_t cooldown)
{
    ngx_atomic_uint_t  last;

    last = slot->wanted_at;

    if (now - (time_t) last < cooldown) {
        return 0;
    }

    if (!ngx_atomic_cmp_set(&slot->wanted_at, last, (ngx_atomic_uint_t) now)) {
        return 0;
    }

    slot->wanted = 1;

    ngx_http_auth_bearer_shm_count(slot, NGX_HTTP_AUTH_BEARER_N_WANTED);

    return 1;
}


ngx_int_t
ngx_http_auth_bearer_shm_snapshot(ngx_http_auth_bearer_zone_t *zone,
    ngx_http_auth_bearer_slot_t *slot, ngx_pool_t *pool,
    ngx_http_auth_bearer_snapshot_t *snap)
{
    u_char      *p;
    ngx_uint_t   i;

    p = ngx_pnalloc(pool, NGX_HTTP_AUTH_BEARER_URI_MAX
                          + NGX_HTTP_AUTH_BEARER_ERROR_MAX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_shmtx_lock(&zone->shpool->mutex);

    snap->jwks_uri.data = p;
    snap->jwks_uri.len = ngx_min(slot->jwks_uri.len,
                                 NGX_HTTP_AUTH_BEARER_URI_MAX);

    if (snap->jwks_uri.len) {
        ngx_memcpy(p, slot->jwks_uri.data, snap->jwks_uri.len);
    }

    snap->error.data = p + NGX_HTTP_AUTH_BEARER_URI_MAX;
    snap->error.len = slot->error_len;
    ngx_memcpy(snap->error.data, slot->error, slot->error_len);

    snap->generation = slot->generation;
    snap->fetched = (time_t) slot->fetched;
    snap->expires = slot->expires;
    snap->last_failure = slot->last_failure;
    snap->next = (time_t) slot->next;
    snap->failures = slot->failures;
    snap->have_keys = (slot->jwks.len > 0);

    ngx_shmtx_unlock(&zone->shpool->mutex);

    for (i = 0; i < NGX_HTTP_AUTH_BEARER_N_MAX; i++) {
        snap->counters[i] = slot->counters[i];
    }

    return NGX_OK;
}
