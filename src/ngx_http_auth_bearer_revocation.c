
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_http.h>

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/sha.h>

#include "ngx_http_auth_bearer_revocation.h"


/*
 * Runtime revocation: auth_jwt_revocation sources (a URL fetched like a
 * JWKS, or a local file), their refresh and the sets they publish in the
 * shared zone, and the lookup a verdict makes.
 *
 * Each source has a slot in the zone, as an OIDC issuer has, for the
 * lease, the backoff, the ETag and the times; the slot's "jwks" holds the
 * SHA-256 of the feed, so that its generation changes with the feed's
 * bytes only.  The set itself is one block of the zone's slab: a hash
 * table of entries keyed by 16 bytes of a SHA-256 of the entry's kind and
 * fields.  A set is never written once published: the lease holder builds
 * a new one beside it and swaps the pointer; readers take no lock, and a
 * retired set is freed only seconds later, when no lookup can still hold
 * it.
 */


#define NGX_HTTP_AUTH_BEARER_RVK_TICK      1000    /* ms */
#define NGX_HTTP_AUTH_BEARER_RVK_GRACE     2       /* s before a free */
#define NGX_HTTP_AUTH_BEARER_RVK_NAME      "\001revocation "


typedef struct {
    ngx_uint_t                      have;
    u_char                          key[NGX_HTTP_AUTH_BEARER_RVK_KEY_LEN];
} ngx_http_auth_bearer_rvk_key_t;


static char *ngx_http_auth_bearer_revocation_param(ngx_conf_t *cf,
    ngx_http_auth_bearer_revocation_t *rv, ngx_str_t *v);
static ngx_int_t ngx_http_auth_bearer_revocation_attach(
    ngx_http_auth_bearer_revocation_t *rv, ngx_cycle_t *cycle);
static void ngx_http_auth_bearer_revocation_tick(ngx_event_t *ev);
static void ngx_http_auth_bearer_revocation_refresh(
    ngx_http_auth_bearer_revocation_t *rv);
static void ngx_http_auth_bearer_revocation_read(
    ngx_http_auth_bearer_revocation_t *rv);
static void ngx_http_auth_bearer_revocation_fetched(
    ngx_http_auth_bearer_fetch_t *f);
static void ngx_http_auth_bearer_revocation_publish(
    ngx_http_auth_bearer_revocation_t *rv, u_char *body, size_t len,
    u_char *tag, size_t tag_len);
static void ngx_http_auth_bearer_revocation_step(ngx_event_t *ev);
static ngx_int_t ngx_http_auth_bearer_revocation_build(
    ngx_http_auth_bearer_revocation_t *rv);
static ngx_int_t ngx_http_auth_bearer_revocation_fill(
    ngx_http_auth_bearer_revocation_t *rv);
static void ngx_http_auth_bearer_revocation_done(
    ngx_http_auth_bearer_revocation_t *rv, ngx_msec_t start);
static void ngx_http_auth_bearer_revocation_unload(
    ngx_http_auth_bearer_revocation_t *rv);
static void ngx_http_auth_bearer_revocation_insert(
    ngx_http_auth_bearer_rvk_set_t *set,
    ngx_http_auth_bearer_rvk_entry_t *entry);
static void ngx_http_auth_bearer_revocation_install(
    ngx_http_auth_bearer_revocation_t *rv,
    ngx_http_auth_bearer_rvk_set_t *set);
static void ngx_http_auth_bearer_revocation_failed(
    ngx_http_auth_bearer_revocation_t *rv, const char *fmt, ...);
static ngx_http_auth_bearer_rvk_entry_t *ngx_http_auth_bearer_revocation_find(
    ngx_http_auth_bearer_rvk_set_t *set, ngx_uint_t kind, u_char *key);
static ngx_uint_t ngx_http_auth_bearer_revocation_usable(
    ngx_http_auth_bearer_revocation_t *rv, time_t now);
static ngx_uint_t ngx_http_auth_bearer_revocation_pending(
    ngx_http_auth_bearer_revocation_t *rv, time_t now);
static ngx_http_auth_bearer_rvk_entry_t *
    ngx_http_auth_bearer_revocation_match(
    ngx_http_auth_bearer_rvk_set_t *set, jwt_token_t *tok, ngx_str_t *token,
    u_char *digest, ngx_http_auth_bearer_rvk_key_t *keys);


const char  *ngx_http_auth_bearer_rvk_kind_names[] = {
    "jti", "token", "sub", "kid"
};


static ngx_event_t  ngx_http_auth_bearer_revocation_timer;


/*
 * auth_jwt_revocation <url|file:path> [refresh=time] [max_stale=time]
 *     [fail=closed|open] [insecure_http];
 */

char *
ngx_http_auth_bearer_revocation_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_auth_bearer_main_conf_t *amcf = conf;

    char                               *rc;
    ngx_str_t                          *value;
    ngx_uint_t                          i;
    ngx_http_auth_bearer_revocation_t  *rv;

    if (amcf->revocations == NULL) {
        amcf->revocations = ngx_array_create(cf->pool, 2,
                                   sizeof(ngx_http_auth_bearer_revocation_t));
        if (amcf->revocations == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    rv = ngx_array_push(amcf->revocations);
    if (rv == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(rv, sizeof(ngx_http_auth_bearer_revocation_t));

    value = cf->args->elts;

    rv->source = value[1];
    rv->refresh = NGX_HTTP_AUTH_BEARER_RVK_REFRESH;
    rv->max_stale = NGX_HTTP_AUTH_BEARER_RVK_MAX_STALE;
    rv->amcf = amcf;

    rv->lease = ngx_pcalloc(cf->pool, sizeof(ngx_http_auth_bearer_lease_t));
    if (rv->lease == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        rc = ngx_http_auth_bearer_revocation_param(cf, rv, &value[i]);
        if (rc != NGX_CONF_OK) {
            return rc;
        }
    }

    if (value[1].len > 5 && ngx_strncmp(value[1].data, "file:", 5) == 0) {
        rv->file = 1;
        rv->path.data = value[1].data + 5;
        rv->path.len = value[1].len - 5;

        if (ngx_conf_full_name(cf->cycle, &rv->path, 1) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    if (value[1].len >= NGX_HTTP_AUTH_BEARER_URI_MAX
        || ngx_http_auth_bearer_url_scheme(value[1].data, value[1].len,
                                           rv->insecure_http)
           == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_revocation\": \"%V\" is not an %s URL "
                           "nor file:path; e.g. auth_jwt_revocation "
                           "https://api.example.com/revocations",
                           &value[1],
                           rv->insecure_http ? "http(s)" : "https");
        return NGX_CONF_ERROR;
    }

    /* value[1] is NUL-terminated by the configuration parser */

    rv->path = value[1];

    return NGX_CONF_OK;
}


static char *
ngx_http_auth_bearer_revocation_param(ngx_conf_t *cf,
    ngx_http_auth_bearer_revocation_t *rv, ngx_str_t *v)
{
    time_t     *tp, t;
    ngx_str_t   s;

    if (v->len == sizeof("insecure_http") - 1
        && ngx_strcmp(v->data, "insecure_http") == 0)
    {
        rv->insecure_http = 1;
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(v->data, "fail=closed") == 0) {
        rv->fail_open = 0;
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(v->data, "fail=open") == 0) {
        rv->fail_open = 1;
        return NGX_CONF_OK;
    }

    if (ngx_strncmp(v->data, "refresh=", 8) == 0) {
        tp = &rv->refresh;
        s.data = v->data + 8;
        s.len = v->len - 8;

    } else if (ngx_strncmp(v->data, "max_stale=", 10) == 0) {
        tp = &rv->max_stale;
        s.data = v->data + 10;
        s.len = v->len - 10;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_revocation\": unknown parameter "
                           "\"%V\"; use refresh=, max_stale=, fail=closed, "
                           "fail=open or insecure_http", v);
        return NGX_CONF_ERROR;
    }

    t = ngx_parse_time(&s, 1);

    if (t == (time_t) NGX_ERROR
        || t > NGX_HTTP_AUTH_BEARER_TIME_MAX
        || (tp == &rv->refresh && t < 1))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_revocation\": invalid time in \"%V\"; "
                           "use e.g. refresh=10s max_stale=1h", v);
        return NGX_CONF_ERROR;
    }

    *tp = t;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_auth_bearer_revocation_init_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                          i, fetch;
    ngx_event_t                        *ev;
    ngx_http_auth_bearer_main_conf_t   *amcf;
    ngx_http_auth_bearer_revocation_t  *rv;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_auth_bearer_module);

    if (amcf == NULL || amcf->revocations == NULL) {
        return NGX_OK;
    }

    rv = amcf->revocations->elts;
    fetch = 0;

    for (i = 0; i < amcf->revocations->nelts; i++) {
        rv[i].log = cycle->log;

        /* without its slot a source is unavailable, as a failed one */

        (void) ngx_http_auth_bearer_revocation_attach(&rv[i], cycle);

        fetch |= !rv[i].file;
    }

    /* without libcurl the URL sources stay as the zone has them */

    if (fetch && ngx_http_auth_bearer_fetch_init(cycle) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "auth_jwt: revocation feeds are not fetched by this "
                      "worker");
    }

    ev = &ngx_http_auth_bearer_revocation_timer;

    ev->handler = ngx_http_auth_bearer_revocation_tick;
    ev->data = amcf;
    ev->log = cycle->log;
    ev->cancelable = 1;

    ngx_add_timer(ev, 0);

    return NGX_OK;
}


void
ngx_http_auth_bearer_revocation_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                          i;
    ngx_http_auth_bearer_main_conf_t   *amcf;
    ngx_http_auth_bearer_revocation_t  *rv;

    if (ngx_http_auth_bearer_revocation_timer.timer_set) {
        ngx_del_timer(&ngx_http_auth_bearer_revocation_timer);
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_auth_bearer_module);

    if (amcf == NULL || amcf->revocations == NULL) {
        return;
    }

    rv = amcf->revocations->elts;

    for (i = 0; i < amcf->revocations->nelts; i++) {
        if (rv[i].load) {
            ngx_http_auth_bearer_revocation_unload(&rv[i]);

            if (rv[i].slot) {
                ngx_http_auth_bearer_shm_release(rv[i].zone, rv[i].slot);
            }
        }

        if (rv[i].fetch) {
            ngx_http_auth_bearer_fetch_free(rv[i].fetch);
            rv[i].fetch = NULL;

            if (rv[i].slot) {
                ngx_http_auth_bearer_shm_release(rv[i].zone, rv[i].slot);
            }
        }
    }

    ngx_http_auth_bearer_fetch_cleanup(cycle);
}


/* the source's slot and shared part, found by its name or created */

static ngx_int_t
ngx_http_auth_bearer_revocation_attach(ngx_http_auth_bearer_revocation_t *rv,
    ngx_cycle_t *cycle)
{
    u_char                             *p;
    ngx_str_t                           name;
    ngx_slab_pool_t                    *shpool;
    ngx_http_auth_bearer_zone_t        *zone;
    ngx_http_auth_bearer_slot_t        *slot;
    ngx_http_auth_bearer_rvk_shared_t  *sh;

    if (rv->amcf->shm_zone == NULL) {
        return NGX_ERROR;
    }

    zone = rv->amcf->shm_zone->data;
    shpool = zone->shpool;

    name.len = sizeof(NGX_HTTP_AUTH_BEARER_RVK_NAME) - 1 + rv->source.len;
    name.data = ngx_pnalloc(cycle->pool, name.len);
    if (name.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(name.data, NGX_HTTP_AUTH_BEARER_RVK_NAME,
                   sizeof(NGX_HTTP_AUTH_BEARER_RVK_NAME) - 1);
    ngx_memcpy(p, rv->source.data, rv->source.len);

    ngx_shmtx_lock(&shpool->mutex);

    slot = ngx_http_auth_bearer_shm_slot(zone, &name, 'r', &rv->source);

    sh = NULL;

    if (slot) {
        sh = slot->ext;

        if (sh == NULL) {
            sh = ngx_slab_calloc_locked(shpool,
                                sizeof(ngx_http_auth_bearer_rvk_shared_t));
            slot->ext = sh;
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);

    if (slot == NULL || sh == NULL) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "auth_jwt: no room for revocation feed \"%V\" in the "
                      "zone; make \"auth_jwt_zone\" larger", &rv->source);
        return NGX_ERROR;
    }

    rv->zone = zone;
    rv->slot = slot;
    rv->sh = sh;

    return NGX_OK;
}


static void
ngx_http_auth_bearer_revocation_tick(ngx_event_t *ev)
{
    time_t                              now;
    ngx_uint_t                          i;
    ngx_http_auth_bearer_main_conf_t   *amcf;
    ngx_http_auth_bearer_revocation_t  *rv;

    amcf = ev->data;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    now = ngx_time();

    rv = amcf->revocations->elts;

    for (i = 0; i < amcf->revocations->nelts; i++) {
        if (rv[i].slot && rv[i].fetch == NULL && rv[i].load == NULL
            && ngx_http_auth_bearer_shm_due(rv[i].slot, now))
        {
            ngx_http_auth_bearer_revocation_refresh(&rv[i]);
        }
    }

    ngx_add_timer(ev, NGX_HTTP_AUTH_BEARER_RVK_TICK);
}


static void
ngx_http_auth_bearer_revocation_refresh(ngx_http_auth_bearer_revocation_t *rv)
{
    time_t                             deadline;
    ngx_http_auth_bearer_fetch_t      *f;
    ngx_http_auth_bearer_main_conf_t  *amcf;

    amcf = rv->amcf;

    deadline = ngx_time() + (time_t) (amcf->fetch_timeout / 1000) + 5;

    if (ngx_http_auth_bearer_shm_lease(rv->zone, rv->slot, deadline,
                                       rv->lease)
        != NGX_OK)
    {
        return;
    }

    if (rv->file) {
        ngx_http_auth_bearer_revocation_read(rv);
        return;
    }

    f = ngx_http_auth_bearer_fetch_create(rv->log);
    if (f == NULL) {
        ngx_http_auth_bearer_revocation_failed(rv, "out of memory");
        return;
    }

    f->url = rv->path.data;
    f->etag = rv->lease->etag_len ? rv->lease->etag : NULL;
    f->ca = amcf->ca.len ? &amcf->ca : NULL;
    f->insecure_http = rv->insecure_http;
    f->timeout = amcf->fetch_timeout;
    f->max = NGX_HTTP_AUTH_BEARER_RVK_BODY_MAX;
    f->handler = ngx_http_auth_bearer_revocation_fetched;
    f->data = rv;

    if (ngx_http_auth_bearer_fetch_start(f) != NGX_OK) {
        ngx_http_auth_bearer_fetch_free(f);
        ngx_http_auth_bearer_revocation_failed(rv, "cannot start a fetch");
        return;
    }

    rv->fetch = f;
}


/*
 * A file source, from the timer: a stat, and a read only when its mtime
 * or size changed (the "ETag" of a file); bounded by the size cap.
 */

static void
ngx_http_auth_bearer_revocation_read(ngx_http_auth_bearer_revocation_t *rv)
{
    u_char           *body, *p;
    off_t             size;
    size_t            tag_len;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_err_t         err;
    ngx_file_info_t   fi;
    u_char            tag[NGX_HTTP_AUTH_BEARER_ETAG_MAX];
    u_char            errstr[64];

    fd = ngx_open_file(rv->path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        err = ngx_errno;
        p = ngx_strerror(err, errstr, sizeof(errstr));
        ngx_http_auth_bearer_revocation_failed(rv, "cannot open \"%V\": %*s",
                                               &rv->path, p - errstr,
                                               errstr);
        return;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_close_file(fd);
        ngx_http_auth_bearer_revocation_failed(rv, "cannot stat \"%V\"",
                                               &rv->path);
        return;
    }

    size = ngx_file_size(&fi);

    tag_len = ngx_sprintf(tag, "%T-%O-%uL", ngx_file_mtime(&fi), size,
                          (uint64_t) ngx_file_uniq(&fi))
              - tag;

    if (rv->lease->have_keys && tag_len == rv->lease->etag_len
        && ngx_memcmp(tag, rv->lease->etag, tag_len) == 0)
    {
        ngx_close_file(fd);
        ngx_http_auth_bearer_revocation_publish(rv, NULL, 0, tag, tag_len);
        return;
    }

    if (size > NGX_HTTP_AUTH_BEARER_RVK_BODY_MAX) {
        ngx_close_file(fd);
        ngx_http_auth_bearer_revocation_failed(rv, "\"%V\" is larger than "
                                               "%uz bytes", &rv->path,
                                               (size_t)
                                           NGX_HTTP_AUTH_BEARER_RVK_BODY_MAX);
        return;
    }

    body = ngx_alloc((size_t) size + 1, rv->log);
    if (body == NULL) {
        ngx_close_file(fd);
        ngx_http_auth_bearer_revocation_failed(rv, "out of memory");
        return;
    }

    n = ngx_read_fd(fd, body, (size_t) size);

    ngx_close_file(fd);

    if (n != (ssize_t) size) {
        ngx_free(body);
        ngx_http_auth_bearer_revocation_failed(rv, "cannot read \"%V\"",
                                               &rv->path);
        return;
    }

    /* the body is the load's now */

    ngx_http_auth_bearer_revocation_publish(rv, body, (size_t) n, tag,
                                            tag_len);
}


static void
ngx_http_auth_bearer_revocation_fetched(ngx_http_auth_bearer_fetch_t *f)
{
    ngx_http_auth_bearer_revocation_t *rv = f->data;

    u_char  *body;
    size_t   len;
    u_char   error[NGX_HTTP_AUTH_BEARER_ERROR_MAX];

    rv->fetch = NULL;

    if (f->error) {
        len = ngx_http_auth_bearer_escape(error, sizeof(error),
                                          (u_char *) f->error,
                                          ngx_strlen(f->error));

        ngx_http_auth_bearer_revocation_failed(rv, "%*s", len, error);
        ngx_http_auth_bearer_fetch_free(f);
        return;
    }

    /* the body is the load's now */

    body = (f->status == 304) ? NULL : f->body;

    if (body) {
        f->body = NULL;

    } else if (f->status != 304) {
        body = ngx_alloc(1, rv->log);       /* an empty body: not JSON */
        f->len = 0;

        if (body == NULL) {
            ngx_http_auth_bearer_fetch_free(f);
            ngx_http_auth_bearer_revocation_failed(rv, "out of memory");
            return;
        }
    }

    ngx_http_auth_bearer_revocation_publish(rv, body, f->len, f->etag_out,
                                            f->etag_len);
    ngx_http_auth_bearer_fetch_free(f);
}


/*
 * A feed read or fetched: body NULL when unchanged (304, same file), else
 * a heap block this function takes.  A new feed is loaded in steps, each
 * from a timer, so that a large one never keeps the worker from its
 * requests for more than a few milliseconds: read (and hashed), then its
 * entries put into a new set, then stored and made the current one when
 * its bytes are new.
 */

static void
ngx_http_auth_bearer_revocation_publish(ngx_http_auth_bearer_revocation_t *rv,
    u_char *body, size_t len, u_char *tag, size_t tag_len)
{
    ngx_int_t                         n;
    ngx_atomic_uint_t                 gen;
    ngx_http_auth_bearer_result_t     res;
    ngx_http_auth_bearer_rvk_load_t  *ld;

    if (body == NULL) {
        ngx_memzero(&res, sizeof(ngx_http_auth_bearer_result_t));

        res.ttl = rv->refresh;
        res.etag.data = tag;
        res.etag.len = tag_len;

        n = ngx_http_auth_bearer_shm_publish(rv->zone, rv->slot, &res, &gen,
                                             rv->log);
        if (n == NGX_ERROR) {
            ngx_http_auth_bearer_revocation_failed(rv, "no room in the "
                                                   "zone");
        }

        return;
    }

    ld = ngx_calloc(sizeof(ngx_http_auth_bearer_rvk_load_t), rv->log);
    if (ld == NULL) {
        ngx_free(body);
        ngx_http_auth_bearer_revocation_failed(rv, "out of memory");
        return;
    }

    rv->load = ld;

    ld->body = body;
    ld->len = len;
    ld->tag_len = ngx_min(tag_len, NGX_HTTP_AUTH_BEARER_ETAG_MAX);
    ngx_memcpy(ld->tag, tag, ld->tag_len);

    ld->ev.handler = ngx_http_auth_bearer_revocation_step;
    ld->ev.data = rv;
    ld->ev.log = rv->log;
    ld->ev.cancelable = 1;

    ld->fd = ngx_http_auth_bearer_feed_create(body, len, ngx_time(), rv->log);
    ld->md = EVP_MD_CTX_new();

    if (ld->fd == NULL || ld->md == NULL
        || EVP_DigestInit_ex(ld->md, EVP_sha256(), NULL) != 1)
    {
        ERR_clear_error();
        ngx_http_auth_bearer_revocation_unload(rv);
        ngx_http_auth_bearer_revocation_failed(rv, "out of memory");
        return;
    }

    ngx_http_auth_bearer_revocation_step(&ld->ev);
}


/* one step of a load; the next one is a timer away */

static void
ngx_http_auth_bearer_revocation_step(ngx_event_t *ev)
{
    ngx_http_auth_bearer_revocation_t *rv = ev->data;

    size_t                            off;
    ngx_int_t                         rc;
    ngx_msec_t                        start;
    ngx_http_auth_bearer_rvk_load_t  *ld;
    u_char                            err[NGX_HTTP_AUTH_BEARER_ERROR_MAX];

    ld = rv->load;

    ngx_time_update();
    start = ngx_current_msec;

    if (ld->fd) {
        rc = ngx_http_auth_bearer_feed_step(ld->fd,
                                            NGX_HTTP_AUTH_BEARER_RVK_STEP);

        off = (rc == NGX_OK) ? ld->len
                             : ngx_http_auth_bearer_feed_offset(ld->fd);

        if (off > ld->hashed) {
            (void) EVP_DigestUpdate(ld->md, ld->body + ld->hashed,
                                    off - ld->hashed);
            ld->hashed = off;
        }

        if (rc == NGX_DECLINED || rc == NGX_ERROR) {
            if (rc == NGX_DECLINED) {
                (void) ngx_atomic_fetch_add(&rv->sh->malformed, 1);
                (void) ngx_http_auth_bearer_feed_error(ld->fd, err,
                                                       sizeof(err));
            }

            ngx_http_auth_bearer_revocation_unload(rv);
            ngx_http_auth_bearer_revocation_failed(rv, "%s",
                                                   rc == NGX_ERROR
                                                   ? "out of memory"
                                                   : (char *) err);
            return;
        }

        if (rc == NGX_OK) {
            ld->entries = ngx_http_auth_bearer_feed_entries(ld->fd,
                                                            &ld->nentries);
            ngx_http_auth_bearer_feed_free(ld->fd);
            ld->fd = NULL;

            if (ngx_http_auth_bearer_revocation_build(rv) != NGX_OK) {
                return;
            }
        }

    } else if (ngx_http_auth_bearer_revocation_fill(rv) == NGX_OK) {
        ngx_http_auth_bearer_revocation_done(rv, start);
        return;
    }

    ngx_time_update();

    ld->spent += ngx_current_msec - start;
    ld->steps++;

    ngx_add_timer(ev, 1);
}


/* the set of the feed's entries: one block of the zone, empty yet */

static ngx_int_t
ngx_http_auth_bearer_revocation_build(ngx_http_auth_bearer_revocation_t *rv)
{
    size_t                            size;
    ngx_uint_t                        n, nbuckets;
    ngx_http_auth_bearer_rvk_set_t   *set;
    ngx_http_auth_bearer_rvk_load_t  *ld;

    ld = rv->load;
    n = ld->nentries;

    for (nbuckets = 16; nbuckets < n; nbuckets <<= 1) { /* void */ }

    size = sizeof(ngx_http_auth_bearer_rvk_set_t)
           + n * sizeof(ngx_http_auth_bearer_rvk_entry_t)
           + nbuckets * sizeof(uint32_t);

    set = ngx_slab_alloc(rv->zone->shpool, size);

    if (set == NULL) {
        (void) ngx_atomic_fetch_add(&rv->sh->nomem, 1);
        ngx_http_auth_bearer_revocation_unload(rv);
        ngx_http_auth_bearer_revocation_failed(rv, "no room in the zone "
                                               "for %ui entries (%uz "
                                               "bytes); make "
                                               "\"auth_jwt_zone\" larger",
                                               n, size);
        return NGX_ERROR;
    }

    ngx_memzero(set, sizeof(ngx_http_auth_bearer_rvk_set_t));

    set->nbuckets = nbuckets;
    set->entries = (ngx_http_auth_bearer_rvk_entry_t *) (set + 1);
    set->buckets = (uint32_t *) (set->entries + n);

    ngx_memzero(set->buckets, nbuckets * sizeof(uint32_t));

    ld->set = set;

    return NGX_OK;
}


/* a step of entries into the set; NGX_OK when all are in */

static ngx_int_t
ngx_http_auth_bearer_revocation_fill(ngx_http_auth_bearer_revocation_t *rv)
{
    ngx_uint_t                        i, last;
    ngx_http_auth_bearer_rvk_load_t  *ld;

    ld = rv->load;

    last = ngx_min(ld->nentries,
                   ld->inserted + 8 * NGX_HTTP_AUTH_BEARER_RVK_STEP);

    for (i = ld->inserted; i < last; i++) {
        ngx_http_auth_bearer_revocation_insert(ld->set, &ld->entries[i]);
    }

    ld->inserted = last;

    return (last == ld->nentries) ? NGX_OK : NGX_AGAIN;
}


/* the set is complete: stored with the feed's digest, made current */

static void
ngx_http_auth_bearer_revocation_done(ngx_http_auth_bearer_revocation_t *rv,
    ngx_msec_t start)
{
    u_char                           *p;
    ngx_int_t                         n;
    ngx_uint_t                        i;
    ngx_atomic_uint_t                 gen, old;
    ngx_http_auth_bearer_result_t     res;
    ngx_http_auth_bearer_rvk_set_t   *set;
    ngx_http_auth_bearer_rvk_load_t  *ld;
    u_char                            md[EVP_MAX_MD_SIZE];
    u_char                            hex[2 * SHA256_DIGEST_LENGTH];

    ld = rv->load;
    set = ld->set;

    ngx_memzero(md, sizeof(md));

    if (EVP_DigestFinal_ex(ld->md, md, NULL) != 1) {
        ERR_clear_error();
    }

    p = hex;

    for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        p = ngx_sprintf(p, "%02xd", md[i]);
    }

    ngx_memzero(&res, sizeof(ngx_http_auth_bearer_result_t));

    res.jwks.data = hex;
    res.jwks.len = sizeof(hex);
    res.ttl = rv->refresh;
    res.etag.data = ld->tag;
    res.etag.len = ld->tag_len;

    old = rv->slot->generation;
    gen = old;

    n = ngx_http_auth_bearer_shm_publish(rv->zone, rv->slot, &res, &gen,
                                         rv->log);

    if (n != NGX_OK || (gen == old && rv->sh->set)) {

        /* the lease was lost, no room, or the same feed as before */

        ngx_http_auth_bearer_revocation_unload(rv);

        if (n == NGX_ERROR) {
            ngx_http_auth_bearer_revocation_failed(rv, "no room in the "
                                                   "zone");
        }

        return;
    }

    ngx_http_auth_bearer_revocation_install(rv, set);

    ld->set = NULL;

    ngx_time_update();

    ngx_log_error(NGX_LOG_INFO, rv->log, 0,
                  "auth_jwt: revocation feed \"%V\": %ui entries (jti %ui, "
                  "token %ui, sub %ui, kid %ui), generation %uA, loaded in "
                  "%ui steps of %M ms in all", &rv->source, set->nentries,
                  set->kinds[NGX_HTTP_AUTH_BEARER_RVK_JTI],
                  set->kinds[NGX_HTTP_AUTH_BEARER_RVK_TOKEN],
                  set->kinds[NGX_HTTP_AUTH_BEARER_RVK_SUB],
                  set->kinds[NGX_HTTP_AUTH_BEARER_RVK_KID], gen,
                  ld->steps + 1, ld->spent + ngx_current_msec - start);

    ngx_http_auth_bearer_revocation_unload(rv);
}


/* the load is over, whatever its end: what it holds is freed */

static void
ngx_http_auth_bearer_revocation_unload(ngx_http_auth_bearer_revocation_t *rv)
{
    ngx_http_auth_bearer_rvk_load_t  *ld;

    ld = rv->load;

    if (ld == NULL) {
        return;
    }

    if (ld->ev.timer_set) {
        ngx_del_timer(&ld->ev);
    }

    if (ld->fd) {
        ngx_http_auth_bearer_feed_free(ld->fd);
    }

    if (ld->md) {
        EVP_MD_CTX_free(ld->md);
    }

    if (ld->entries) {
        ngx_free(ld->entries);
    }

    if (ld->set) {
        ngx_slab_free(rv->zone->shpool, ld->set);
    }

    ngx_free(ld->body);
    ngx_free(ld);

    rv->load = NULL;
}


/* a duplicate key keeps the later exp and the later before */

static void
ngx_http_auth_bearer_revocation_insert(ngx_http_auth_bearer_rvk_set_t *set,
    ngx_http_auth_bearer_rvk_entry_t *entry)
{
    uint32_t                           h;
    ngx_http_auth_bearer_rvk_entry_t  *e;

    e = ngx_http_auth_bearer_revocation_find(set, entry->kind, entry->key);

    if (e) {
        e->exp = ngx_max(e->exp, entry->exp);
        e->before = ngx_max(e->before, entry->before);
        return;
    }

    ngx_memcpy(&h, entry->key, sizeof(uint32_t));
    h &= set->nbuckets - 1;

    e = &set->entries[set->nentries];
    *e = *entry;
    e->next = set->buckets[h];

    set->buckets[h] = (uint32_t) ++set->nentries;
    set->kinds[entry->kind]++;
}


/*
 * The new set becomes the current one.  The one it replaces is retired:
 * a worker may be in a lookup of it, so it is freed a few seconds later,
 * at a later install.
 */

static void
ngx_http_auth_bearer_revocation_install(ngx_http_auth_bearer_revocation_t *rv,
    ngx_http_auth_bearer_rvk_set_t *set)
{
    time_t                              now;
    ngx_uint_t                          i, oldest;
    ngx_slab_pool_t                    *shpool;
    ngx_http_auth_bearer_rvk_shared_t  *sh;

    sh = rv->sh;
    shpool = rv->zone->shpool;
    now = ngx_time();

    ngx_memory_barrier();

    ngx_shmtx_lock(&shpool->mutex);

    oldest = 0;

    for (i = 0; i < NGX_HTTP_AUTH_BEARER_RVK_OLD; i++) {
        if (sh->retired[i]
            && now - sh->retired_at[i] >= NGX_HTTP_AUTH_BEARER_RVK_GRACE)
        {
            ngx_slab_free_locked(shpool, sh->retired[i]);
            sh->retired[i] = NULL;
        }

        if (sh->retired[i] == NULL
            || (sh->retired[oldest]
                && sh->retired_at[i] < sh->retired_at[oldest]))
        {
            oldest = i;
        }
    }

    if (sh->set) {
        if (sh->retired[oldest]) {
            ngx_slab_free_locked(shpool, sh->retired[oldest]);
        }

        sh->retired[oldest] = sh->set;
        sh->retired_at[oldest] = now;
    }

    sh->set = set;

    /* a reader that sees the new count sees the new set */

    ngx_memory_barrier();

    (void) ngx_atomic_fetch_add(&sh->installed, 1);

    ngx_shmtx_unlock(&shpool->mutex);
}


static void
ngx_http_auth_bearer_revocation_failed(ngx_http_auth_bearer_revocation_t *rv,
    const char *fmt, ...)
{
    u_char      *p;
    time_t       next, cap;
    va_list      args;
    ngx_uint_t   failures, level;
    u_char       buf[NGX_HTTP_AUTH_BEARER_ERROR_MAX];

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    cap = ngx_min(rv->refresh, NGX_HTTP_AUTH_BEARER_RETRY_MAX);

    next = ngx_http_auth_bearer_shm_fail(rv->zone, rv->slot, buf, p - buf,
                                         cap, &failures);

    level = rv->sh->set ? NGX_LOG_WARN : NGX_LOG_ERR;

    ngx_log_error(level, rv->log, 0,
                  "auth_jwt: revocation feed \"%V\" failed (%ui in a row): "
                  "%*s; %s; next attempt in %T s", &rv->source, failures,
                  p - buf, buf,
                  rv->sh->set ? "the last good set stays in use"
                              : "no set yet",
                  next - ngx_time());
}


static ngx_http_auth_bearer_rvk_entry_t *
ngx_http_auth_bearer_revocation_find(ngx_http_auth_bearer_rvk_set_t *set,
    ngx_uint_t kind, u_char *key)
{
    uint32_t                           h, i;
    ngx_http_auth_bearer_rvk_entry_t  *e;

    ngx_memcpy(&h, key, sizeof(uint32_t));

    for (i = set->buckets[h & (set->nbuckets - 1)]; i; i = e->next) {
        e = &set->entries[i - 1];

        if (e->kind == kind
            && ngx_memcmp(e->key, key, NGX_HTTP_AUTH_BEARER_RVK_KEY_LEN) == 0)
        {
            return e;
        }
    }

    return NULL;
}


/*
 * The verdict's question, after signature and claims and on cache hits:
 * NGX_OK, NGX_DECLINED (revoked: logged), NGX_BUSY (a source under
 * fail=closed has no usable set: its tokens get 503, *retry seconds), or,
 * when the request may wait, NGX_AGAIN while a source's first fetch runs.
 *
 * *generation is the sets' generation a cached verdict was checked
 * against ((ngx_uint_t) -1: none); when the sets have not changed since,
 * only the failure policy is applied, without a lookup.  On return it is
 * the current generation, for the cache.
 */

ngx_int_t
ngx_http_auth_bearer_revocation_check(ngx_http_request_t *r,
    jwt_token_t *tok, ngx_str_t *token, u_char *digest, ngx_uint_t wait,
    ngx_uint_t *generation, time_t *retry)
{
    time_t                              now, next;
    ngx_int_t                           rc;
    ngx_uint_t                          i, gen, lookup;
    ngx_http_auth_bearer_rvk_key_t      keys[NGX_HTTP_AUTH_BEARER_RVK_KINDS];
    ngx_http_auth_bearer_rvk_set_t     *set;
    ngx_http_auth_bearer_rvk_entry_t   *e;
    ngx_http_auth_bearer_main_conf_t   *amcf;
    ngx_http_auth_bearer_revocation_t  *rv;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_auth_bearer_module);

    if (amcf->revocations == NULL) {
        return NGX_OK;
    }

    now = ngx_time();
    rc = NGX_OK;

    ngx_memzero(keys, sizeof(keys));

    rv = amcf->revocations->elts;

    /* the sum of the sets installed, each count only grows */

    gen = 0;

    for (i = 0; i < amcf->revocations->nelts; i++) {
        gen += rv[i].sh ? rv[i].sh->installed : 0;
    }

    ngx_memory_barrier();

    lookup = (gen != *generation);
    *generation = gen;

    for (i = 0; i < amcf->revocations->nelts; i++) {

        if (!ngx_http_auth_bearer_revocation_usable(&rv[i], now)) {

            if (wait && ngx_http_auth_bearer_revocation_pending(&rv[i], now))
            {
                return NGX_AGAIN;
            }

            if (rv[i].sh) {
                (void) ngx_atomic_fetch_add(&rv[i].sh->unavailable, 1);
            }

            if (rv[i].fail_open) {
                ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                              "auth_jwt: revocation feed \"%V\" is not "
                              "available; token accepted (fail=open)",
                              &rv[i].source);
                continue;
            }

            next = rv[i].slot ? (time_t) rv[i].slot->next : 0;
            *retry = (next > now)
                     ? ngx_min(next - now, NGX_HTTP_AUTH_BEARER_RETRY_MAX)
                     : 1;
            rc = NGX_BUSY;
            continue;
        }

        if (!lookup) {
            continue;
        }

        set = rv[i].sh->set;

        ngx_memory_barrier();

        e = ngx_http_auth_bearer_revocation_match(set, tok, token, digest,
                                                  keys);
        if (e == NULL) {
            continue;
        }

        (void) ngx_atomic_fetch_add(&rv[i].sh->hits, 1);

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "auth_jwt: token revoked by a \"%s\" entry of "
                      "revocation feed \"%V\"",
                      ngx_http_auth_bearer_rvk_kind_names[e->kind],
                      &rv[i].source);

        return NGX_DECLINED;
    }

    return rc;
}


/*
 * No set yet, and the first fetch (or its load) runs now or starts within
 * a tick, with no failure so far: a cold start.
 */

static ngx_uint_t
ngx_http_auth_bearer_revocation_pending(ngx_http_auth_bearer_revocation_t *rv,
    time_t now)
{
    time_t                        lease;
    ngx_http_auth_bearer_slot_t  *slot;

    slot = rv->slot;

    if (slot == NULL || rv->sh->set || slot->failures) {
        return 0;
    }

    lease = (time_t) slot->lease;

    return (lease && lease >= now) || ngx_http_auth_bearer_shm_due(slot, now);
}


/* changes whenever a fetch of any feed ends, in any worker */

ngx_uint_t
ngx_http_auth_bearer_revocation_mark(ngx_http_request_t *r)
{
    ngx_uint_t                          i, mark;
    ngx_http_auth_bearer_main_conf_t   *amcf;
    ngx_http_auth_bearer_revocation_t  *rv;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_auth_bearer_module);

    if (amcf->revocations == NULL) {
        return 0;
    }

    rv = amcf->revocations->elts;
    mark = 0;

    for (i = 0; i < amcf->revocations->nelts; i++) {
        if (rv[i].slot) {
            mark += rv[i].slot->counters[NGX_HTTP_AUTH_BEARER_N_FETCH_OK]
                    + rv[i].slot->counters[NGX_HTTP_AUTH_BEARER_N_FETCH_FAILED];
        }
    }

    return mark;
}


/* a set, not older than max_stale */

static ngx_uint_t
ngx_http_auth_bearer_revocation_usable(ngx_http_auth_bearer_revocation_t *rv,
    time_t now)
{
    time_t  fetched;

    if (rv->sh == NULL || rv->sh->set == NULL) {
        return 0;
    }

    fetched = (time_t) rv->slot->fetched;

    return fetched && now - fetched <= rv->max_stale;
}


/*
 * The entry of the set that revokes the token, if any; keys are hashed
 * only for kinds the set has, once per request (keys[] is shared by the
 * sources).
 */

static ngx_http_auth_bearer_rvk_entry_t *
ngx_http_auth_bearer_revocation_match(ngx_http_auth_bearer_rvk_set_t *set,
    jwt_token_t *tok, ngx_str_t *token, u_char *digest,
    ngx_http_auth_bearer_rvk_key_t *keys)
{
    time_t                             now;
    json_t                            *a, *b, *iat;
    ngx_uint_t                         k;
    ngx_http_auth_bearer_rvk_key_t    *key;
    ngx_http_auth_bearer_rvk_entry_t  *e;
    u_char                             md[SHA256_DIGEST_LENGTH];

    now = ngx_time();

    for (k = 0; k < NGX_HTTP_AUTH_BEARER_RVK_KINDS; k++) {
        if (set->kinds[k] == 0) {
            continue;
        }

        key = &keys[k];

        if (key->have == 0) {
            key->have = 2;

            a = NULL;
            b = NULL;

            switch (k) {

            case NGX_HTTP_AUTH_BEARER_RVK_TOKEN:
                if (digest == NULL) {
                    (void) SHA256(token->data, token->len, md);
                    digest = md;
                }

                ngx_memcpy(key->key, digest,
                           NGX_HTTP_AUTH_BEARER_RVK_KEY_LEN);
                key->have = 1;
                break;

            case NGX_HTTP_AUTH_BEARER_RVK_JTI:
                a = json_object_get(tok->payload, "jti");
                break;

            case NGX_HTTP_AUTH_BEARER_RVK_SUB:
                a = json_object_get(tok->payload, "iss");
                b = json_object_get(tok->payload, "sub");
                break;

            default:
                a = json_object_get(tok->payload, "iss");
                b = json_object_get(tok->header, "kid");
            }

            if (json_is_string(a)
                && (k == NGX_HTTP_AUTH_BEARER_RVK_JTI || json_is_string(b)))
            {
                ngx_http_auth_bearer_feed_key(k,
                                    (u_char *) json_string_value(a),
                                    json_string_length(a),
                                    b ? (u_char *) json_string_value(b)
                                      : NULL,
                                    b ? json_string_length(b) : 0,
                                    key->key);
                key->have = 1;
            }
        }

        if (key->have != 1) {
            continue;
        }

        e = ngx_http_auth_bearer_revocation_find(set, k, key->key);

        if (e == NULL || e->exp < now) {
            continue;
        }

        if (k != NGX_HTTP_AUTH_BEARER_RVK_SUB) {
            return e;
        }

        /* a token without iat cannot show it was issued after */

        iat = json_object_get(tok->payload, "iat");

        if (!json_is_number(iat) || json_number_value(iat) < e->before) {
            return e;
        }
    }

    return NULL;
}


ngx_int_t
ngx_http_auth_bearer_revocation_status(ngx_http_auth_bearer_revocation_t *rv,
    ngx_pool_t *pool, ngx_http_auth_bearer_rvk_status_t *st)
{
    ngx_uint_t                       k;
    ngx_http_auth_bearer_rvk_set_t  *set;

    ngx_memzero(st, sizeof(ngx_http_auth_bearer_rvk_status_t));

    if (rv->slot == NULL || rv->sh == NULL) {
        st->state = "no_zone";
        return NGX_OK;
    }

    if (ngx_http_auth_bearer_shm_snapshot(rv->zone, rv->slot, pool,
                                          &st->snap)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    set = rv->sh->set;

    if (set) {
        for (k = 0; k < NGX_HTTP_AUTH_BEARER_RVK_KINDS; k++) {
            st->kinds[k] = set->kinds[k];
        }

        st->entries = set->nentries;
    }

    st->hits = rv->sh->hits;
    st->malformed = rv->sh->malformed;
    st->no_room = rv->sh->nomem;
    st->unavailable = rv->sh->unavailable;

    st->usable = ngx_http_auth_bearer_revocation_usable(rv, ngx_time());

    if (!st->usable) {
        st->state = set ? "stale" : "unavailable";

    } else {
        st->state = st->snap.failures ? "failing" : "ok";
    }

    return NGX_OK;
}
