
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <openssl/err.h>

#include "ngx_http_auth_bearer_fetch.h"


/*
 * libcurl's multi-socket interface on nginx's event loop.  Each socket
 * curl wants watched is wrapped in an ngx_connection_t and registered
 * level-triggered (nginx's epoll is edge-triggered and curl does not
 * always drain a socket); curl's single timeout is one nginx timer.
 * curl_multi_socket_action() is only ever called from nginx events.
 */


typedef struct {
    CURLM                          *multi;
    ngx_event_t                     timer;
    ngx_queue_t                     fetches;
    ngx_queue_t                     conns;
    ngx_log_t                      *log;
} ngx_http_auth_bearer_curl_t;


static ngx_int_t ngx_http_auth_bearer_fetch_options(
    ngx_http_auth_bearer_fetch_t *f, CURL *easy);
static int ngx_http_auth_bearer_fetch_socket(CURL *easy, curl_socket_t s,
    int what, void *userp, void *socketp);
static int ngx_http_auth_bearer_fetch_timer(CURLM *multi, long timeout_ms,
    void *userp);
static void ngx_http_auth_bearer_fetch_event(ngx_event_t *ev);
static void ngx_http_auth_bearer_fetch_timeout(ngx_event_t *ev);
static void ngx_http_auth_bearer_fetch_check(void);
static void ngx_http_auth_bearer_fetch_finish(ngx_http_auth_bearer_fetch_t *f,
    CURLcode rc);
static void ngx_http_auth_bearer_fetch_close(ngx_connection_t *c,
    ngx_uint_t flags);
static size_t ngx_http_auth_bearer_fetch_write(char *ptr, size_t size,
    size_t nmemb, void *userdata);
static size_t ngx_http_auth_bearer_fetch_header(char *ptr, size_t size,
    size_t nitems, void *userdata);


static ngx_http_auth_bearer_curl_t  ngx_http_auth_bearer_curl;


ngx_int_t
ngx_http_auth_bearer_fetch_init(ngx_cycle_t *cycle)
{
    ngx_http_auth_bearer_curl_t  *cu = &ngx_http_auth_bearer_curl;

    if (cu->multi) {
        return NGX_OK;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "auth_jwt: curl_global_init() failed");
        return NGX_ERROR;
    }

    cu->multi = curl_multi_init();
    if (cu->multi == NULL) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "auth_jwt: curl_multi_init() failed");
        curl_global_cleanup();
        return NGX_ERROR;
    }

    if (curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION,
                          ngx_http_auth_bearer_fetch_socket)
        != CURLM_OK
        || curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION,
                             ngx_http_auth_bearer_fetch_timer)
           != CURLM_OK)
    {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                      "auth_jwt: curl_multi_setopt() failed");
        curl_multi_cleanup(cu->multi);
        cu->multi = NULL;
        curl_global_cleanup();
        return NGX_ERROR;
    }

    cu->log = cycle->log;

    ngx_queue_init(&cu->fetches);
    ngx_queue_init(&cu->conns);

    cu->timer.handler = ngx_http_auth_bearer_fetch_timeout;
    cu->timer.log = cycle->log;
    cu->timer.data = cu;
    cu->timer.cancelable = 1;

    return NGX_OK;
}


void
ngx_http_auth_bearer_fetch_cleanup(ngx_cycle_t *cycle)
{
    ngx_queue_t                   *q;
    ngx_connection_t              *c;
    ngx_http_auth_bearer_curl_t   *cu = &ngx_http_auth_bearer_curl;
    ngx_http_auth_bearer_fetch_t  *f;

    if (cu->multi == NULL) {
        return;
    }

    while (!ngx_queue_empty(&cu->fetches)) {
        q = ngx_queue_head(&cu->fetches);
        f = ngx_queue_data(q, ngx_http_auth_bearer_fetch_t, queue);

        ngx_http_auth_bearer_fetch_free(f);
    }

    curl_multi_cleanup(cu->multi);
    cu->multi = NULL;

    /* curl has closed its sockets by now */

    while (!ngx_queue_empty(&cu->conns)) {
        q = ngx_queue_head(&cu->conns);
        c = ngx_queue_data(q, ngx_connection_t, queue);

        ngx_http_auth_bearer_fetch_close(c, NGX_CLOSE_EVENT);
    }

    if (cu->timer.timer_set) {
        ngx_del_timer(&cu->timer);
    }

    curl_global_cleanup();
}


ngx_http_auth_bearer_fetch_t *
ngx_http_auth_bearer_fetch_create(ngx_log_t *log)
{
    ngx_http_auth_bearer_fetch_t  *f;

    f = ngx_calloc(sizeof(ngx_http_auth_bearer_fetch_t), log);
    if (f == NULL) {
        return NULL;
    }

    f->log = log;
    f->max_age = -1;

    return f;
}


ngx_int_t
ngx_http_auth_bearer_fetch_start(ngx_http_auth_bearer_fetch_t *f)
{
    u_char                       *p;
    CURL                         *easy;
    struct curl_slist            *h;
    ngx_http_auth_bearer_curl_t  *cu = &ngx_http_auth_bearer_curl;
    u_char                        line[sizeof("If-None-Match: ")
                                       + NGX_HTTP_AUTH_BEARER_ETAG_MAX];

    if (cu->multi == NULL) {
        return NGX_ERROR;
    }

    if (f->max == 0) {
        f->max = NGX_HTTP_AUTH_BEARER_BODY_MAX;
    }

    easy = curl_easy_init();
    if (easy == NULL) {
        return NGX_ERROR;
    }

    f->easy = easy;

    h = curl_slist_append(NULL, "Accept: application/json");
    if (h == NULL) {
        goto failed;
    }

    f->headers = h;

    if (f->etag && f->etag[0]) {
        p = ngx_snprintf(line, sizeof(line) - 1, "If-None-Match: %s",
                         f->etag);
        *p = '\0';

        h = curl_slist_append(f->headers, (char *) line);
        if (h == NULL) {
            goto failed;
        }

        f->headers = h;
    }

    if (ngx_http_auth_bearer_fetch_options(f, easy) != NGX_OK) {
        goto failed;
    }

    if (curl_multi_add_handle(cu->multi, easy) != CURLM_OK) {
        ngx_log_error(NGX_LOG_ERR, f->log, 0,
                      "auth_jwt: curl_multi_add_handle() failed");
        goto failed;
    }

    ngx_queue_insert_tail(&cu->fetches, &f->queue);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, f->log, 0,
                   "auth_jwt: fetch \"%s\"", f->url);

    return NGX_OK;

failed:

    curl_easy_cleanup(easy);
    f->easy = NULL;

    if (f->headers) {
        curl_slist_free_all(f->headers);
        f->headers = NULL;
    }

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_auth_bearer_fetch_options(ngx_http_auth_bearer_fetch_t *f,
    CURL *easy)
{
    struct curl_blob  blob;

    /*
     * https only unless the issuer opted in to http; TLS verified; no
     * redirects, no compression (curl sends no Accept-Encoding unless
     * asked), a body cap, and every phase bounded by the timeout; an
     * aborted transfer does not join a resolver thread still blocked in
     * getaddrinfo() (QUICK_EXIT), which would stall the worker
     */

    if (curl_easy_setopt(easy, CURLOPT_URL, (char *) f->url) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_PRIVATE, f) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_QUICK_EXIT, 1L) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR,
                            f->insecure_http ? "http,https" : "https")
           != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                            (long) f->timeout)
           != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) f->timeout)
           != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
                            (curl_off_t) f->max)
           != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_HTTP_VERSION,
                            (long) CURL_HTTP_VERSION_1_1)
           != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_USERAGENT, "nginx-auth-jwt")
           != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_HTTPHEADER, f->headers)
           != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, f->errbuf)
           != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION,
                            ngx_http_auth_bearer_fetch_write)
           != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_WRITEDATA, f) != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION,
                            ngx_http_auth_bearer_fetch_header)
           != CURLE_OK
        || curl_easy_setopt(easy, CURLOPT_HEADERDATA, f) != CURLE_OK)
    {
        ngx_log_error(NGX_LOG_ERR, f->log, 0,
                      "auth_jwt: curl_easy_setopt() failed");
        return NGX_ERROR;
    }

    if (f->ca) {

        /* the CAs as read by the master: workers never open the file */

        blob.data = f->ca->data;
        blob.len = f->ca->len;
        blob.flags = CURL_BLOB_NOCOPY;

        if (curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob) != CURLE_OK
            || curl_easy_setopt(easy, CURLOPT_CAINFO, NULL) != CURLE_OK
            || curl_easy_setopt(easy, CURLOPT_CAPATH, NULL) != CURLE_OK)
        {
            ngx_log_error(NGX_LOG_ERR, f->log, 0,
                          "auth_jwt: curl_easy_setopt(CAINFO_BLOB) failed");
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* aborts a fetch still running; its handler is not called */

void
ngx_http_auth_bearer_fetch_free(ngx_http_auth_bearer_fetch_t *f)
{
    ngx_http_auth_bearer_curl_t  *cu = &ngx_http_auth_bearer_curl;

    if (f->easy) {
        ngx_queue_remove(&f->queue);

        (void) curl_multi_remove_handle(cu->multi, f->easy);
        curl_easy_cleanup(f->easy);
        f->easy = NULL;

        ERR_clear_error();
    }

    if (f->headers) {
        curl_slist_free_all(f->headers);
    }

    if (f->body) {
        ngx_free(f->body);
    }

    ngx_free(f);
}


static int
ngx_http_auth_bearer_fetch_socket(CURL *easy, curl_socket_t s, int what,
    void *userp, void *socketp)
{
    ngx_connection_t             *c = socketp;
    ngx_http_auth_bearer_curl_t  *cu = &ngx_http_auth_bearer_curl;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, cu->log, 0,
                   "auth_jwt: curl socket %d what:%d conn:%p", s, what, c);

    if (what == CURL_POLL_REMOVE) {
        if (c) {
            ngx_http_auth_bearer_fetch_close(c, 0);
        }

        return 0;
    }

    if (c == NULL) {
        c = ngx_get_connection(s, cu->log);
        if (c == NULL) {
            return -1;
        }

        c->read->handler = ngx_http_auth_bearer_fetch_event;
        c->write->handler = ngx_http_auth_bearer_fetch_event;
        c->read->log = cu->log;
        c->write->log = cu->log;

        ngx_queue_insert_tail(&cu->conns, &c->queue);

        if (curl_multi_assign(cu->multi, s, c) != CURLM_OK) {
            ngx_http_auth_bearer_fetch_close(c, 0);
            return -1;
        }
    }

    if (what & CURL_POLL_IN) {
        if (!c->read->active
            && ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
               != NGX_OK)
        {
            return -1;
        }

    } else if (c->read->active) {
        if (ngx_del_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return -1;
        }
    }

    if (what & CURL_POLL_OUT) {
        if (!c->write->active
            && ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
               != NGX_OK)
        {
            return -1;
        }

    } else if (c->write->active) {
        if (ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return -1;
        }
    }

    return 0;
}


/* curl's timer: a 0 ms timeout too goes through the event loop */

static int
ngx_http_auth_bearer_fetch_timer(CURLM *multi, long timeout_ms, void *userp)
{
    ngx_http_auth_bearer_curl_t  *cu = &ngx_http_auth_bearer_curl;

    if (timeout_ms < 0) {
        if (cu->timer.timer_set) {
            ngx_del_timer(&cu->timer);
        }

        return 0;
    }

    ngx_add_timer(&cu->timer, (ngx_msec_t) timeout_ms);

    return 0;
}


static void
ngx_http_auth_bearer_fetch_event(ngx_event_t *ev)
{
    int                           running;
    ngx_connection_t             *c;
    ngx_http_auth_bearer_curl_t  *cu = &ngx_http_auth_bearer_curl;

    c = ev->data;

    /* c may be freed by the socket callback from here on */

    (void) curl_multi_socket_action(cu->multi, c->fd,
                                    ev->write ? CURL_CSELECT_OUT
                                              : CURL_CSELECT_IN,
                                    &running);

    /* curl's TLS errors must not reach nginx's own SSL connections */

    ERR_clear_error();

    ngx_http_auth_bearer_fetch_check();
}


static void
ngx_http_auth_bearer_fetch_timeout(ngx_event_t *ev)
{
    int                           running;
    ngx_http_auth_bearer_curl_t  *cu = &ngx_http_auth_bearer_curl;

    (void) curl_multi_socket_action(cu->multi, CURL_SOCKET_TIMEOUT, 0,
                                    &running);

    ERR_clear_error();

    ngx_http_auth_bearer_fetch_check();
}


static void
ngx_http_auth_bearer_fetch_check(void)
{
    int                            left;
    CURL                          *easy;
    CURLMsg                       *msg;
    CURLcode                       rc;
    ngx_http_auth_bearer_curl_t   *cu = &ngx_http_auth_bearer_curl;
    ngx_http_auth_bearer_fetch_t  *f;

    while (cu->multi && (msg = curl_multi_info_read(cu->multi, &left))) {

        if (msg->msg != CURLMSG_DONE) {
            continue;
        }

        easy = msg->easy_handle;
        rc = msg->data.result;

        f = NULL;

        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &f)
            != CURLE_OK
            || f == NULL)
        {
            (void) curl_multi_remove_handle(cu->multi, easy);
            curl_easy_cleanup(easy);
            continue;
        }

        ngx_http_auth_bearer_fetch_finish(f, rc);
    }
}


static void
ngx_http_auth_bearer_fetch_finish(ngx_http_auth_bearer_fetch_t *f,
    CURLcode rc)
{
    u_char                       *p;
    ngx_http_auth_bearer_curl_t  *cu = &ngx_http_auth_bearer_curl;

    (void) curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->status);

    ngx_queue_remove(&f->queue);

    (void) curl_multi_remove_handle(cu->multi, f->easy);
    curl_easy_cleanup(f->easy);
    f->easy = NULL;

    f->error = NULL;

    if (f->encoded) {
        f->error = "compressed response refused";

    } else if (f->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        f->error = "response body larger than 1m";

    } else if (rc != CURLE_OK) {
        f->error = f->errbuf[0] ? f->errbuf : curl_easy_strerror(rc);

    } else if (f->status == 304 && f->etag && f->etag[0]) {
        /* not modified: the caller keeps what it has */

    } else if (f->status >= 300 && f->status < 400) {
        p = ngx_snprintf((u_char *) f->errbuf, CURL_ERROR_SIZE - 1,
                         "HTTP %l redirect not followed", f->status);
        *p = '\0';
        f->error = f->errbuf;

    } else if (f->status != 200) {
        p = ngx_snprintf((u_char *) f->errbuf, CURL_ERROR_SIZE - 1,
                         "HTTP status %l", f->status);
        *p = '\0';
        f->error = f->errbuf;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, f->log, 0,
                   "auth_jwt: fetched \"%s\" status:%l bytes:%uz",
                   f->url, f->status, f->len);

    f->handler(f);
}


static void
ngx_http_auth_bearer_fetch_close(ngx_connection_t *c, ngx_uint_t flags)
{
    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, flags);
    }

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, flags);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    ngx_queue_remove(&c->queue);

    /* the socket is curl's: it closes it */

    ngx_free_connection(c);

    c->fd = (ngx_socket_t) -1;
}


static size_t
ngx_http_auth_bearer_fetch_write(char *ptr, size_t size, size_t nmemb,
    void *userdata)
{
    ngx_http_auth_bearer_fetch_t *f = userdata;

    u_char  *p;
    size_t   n, need, cap;

    n = size * nmemb;
    need = f->len + n;

    if (need > f->max) {
        f->too_large = 1;
        return 0;
    }

    if (need > f->size) {
        cap = f->size ? f->size : 16384;

        while (cap < need) {
            cap *= 2;
        }

        cap = ngx_min(cap, f->max);

        p = ngx_alloc(cap, f->log);
        if (p == NULL) {
            return 0;
        }

        if (f->body) {
            ngx_memcpy(p, f->body, f->len);
            ngx_free(f->body);
        }

        f->body = p;
        f->size = cap;
    }

    ngx_memcpy(f->body + f->len, ptr, n);
    f->len += n;

    return n;
}


/* each header line; the status line of every response starts afresh */

static size_t
ngx_http_auth_bearer_fetch_header(char *ptr, size_t size, size_t nitems,
    void *userdata)
{
    ngx_http_auth_bearer_fetch_t *f = userdata;

    u_char     *p, *last, *v;
    size_t      n;
    ngx_int_t   age;

    n = size * nitems;
    p = (u_char *) ptr;
    last = p + n;

    while (last > p && (last[-1] == '\r' || last[-1] == '\n')) {
        last--;
    }

    if (last - p >= 5 && ngx_strncmp(p, "HTTP/", 5) == 0) {
        f->max_age = -1;
        f->etag_len = 0;
        f->len = 0;
        return n;
    }

    v = ngx_strlchr(p, last, ':');
    if (v == NULL) {
        return n;
    }

    for (v++; v < last && (*v == ' ' || *v == '\t'); v++) { /* void */ }

    while (last > v && (last[-1] == ' ' || last[-1] == '\t')) {
        last--;
    }

    if (v - p >= (ssize_t) sizeof("Cache-Control:") - 1
        && ngx_strncasecmp(p, (u_char *) "Cache-Control:",
                           sizeof("Cache-Control:") - 1)
           == 0)
    {
        p = ngx_strlcasestrn(v, last, (u_char *) "max-age=", 8 - 1);

        if (p) {
            p += 8;
            v = p;

            while (p < last && p - v < 10 && *p >= '0' && *p <= '9') {
                p++;
            }

            age = ngx_atoi(v, p - v);
            if (age != NGX_ERROR) {
                f->max_age = age;
            }

        } else if (ngx_strlcasestrn(v, last, (u_char *) "no-cache", 8 - 1)
                   || ngx_strlcasestrn(v, last, (u_char *) "no-store", 8 - 1))
        {
            f->max_age = 0;
        }

        return n;
    }

    if (v - p >= (ssize_t) sizeof("ETag:") - 1
        && ngx_strncasecmp(p, (u_char *) "ETag:", sizeof("ETag:") - 1) == 0)
    {
        f->etag_len = 0;

        /* kept only when it can be sent back in a header as it is */

        if ((size_t) (last - v) < sizeof(f->etag_out)) {
            for (p = v; p < last; p++) {
                if (*p < 0x20 || *p == 0x7f) {
                    return n;
                }
            }

            f->etag_len = last - v;
            ngx_memcpy(f->etag_out, v, f->etag_len);
        }

        return n;
    }

    if (v - p >= (ssize_t) sizeof("Content-Encoding:") - 1
        && ngx_strncasecmp(p, (u_char *) "Content-Encoding:",
                           sizeof("Content-Encoding:") - 1)
           == 0)
    {
        if (last > v
            && !(last - v == 8
                 && ngx_strncasecmp(v, (u_char *) "identity", 8) == 0))
        {
            f->encoded = 1;
            return 0;
        }
    }

    return n;
}
