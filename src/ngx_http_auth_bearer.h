
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _NGX_HTTP_AUTH_BEARER_H_INCLUDED_
#define _NGX_HTTP_AUTH_BEARER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "jwt/jwt.h"
#include "jwt/jwt_token.h"
#include "jwt/jwt_jwk.h"


/*
 * The types every file of the module shares, and what each file offers
 * the others; see src/README for which file owns what.
 */


#define NGX_HTTP_AUTH_BEARER_MAX_SIZE       8192

/* where an issuer's keys come from */
#define NGX_HTTP_AUTH_BEARER_SECRET         1
#define NGX_HTTP_AUTH_BEARER_KEY_FILE       2
#define NGX_HTTP_AUTH_BEARER_OIDC           3

/* the format of a key file */
#define NGX_HTTP_AUTH_BEARER_FORMAT_GUESS   0
#define NGX_HTTP_AUTH_BEARER_FORMAT_JWKS    1
#define NGX_HTTP_AUTH_BEARER_FORMAT_PEM     2

/* a request waiting for OIDC keys being fetched: how long, how often */
#define NGX_HTTP_AUTH_BEARER_HOLD           1000    /* ms */
#define NGX_HTTP_AUTH_BEARER_HOLD_POLL      50      /* ms */

/* the longest Retry-After, and the longest backoff between fetches */
#define NGX_HTTP_AUTH_BEARER_RETRY_MAX      300     /* s */

/* refresh= and max_stale= */
#define NGX_HTTP_AUTH_BEARER_TIME_MAX       (366 * 86400)

/* the room for an untrusted value in a log line, escaped */
#define NGX_HTTP_AUTH_BEARER_LOG_FIELD      128

/* an ETag kept for If-None-Match */
#define NGX_HTTP_AUTH_BEARER_ETAG_MAX       128

/* asymmetric algorithms: what key material may verify for an issuer */
#define NGX_HTTP_AUTH_BEARER_ALGS_PK                                          \
    (~JWT_ALGS_HS & ((1u << JWT_ALG_MAX) - 2))


/* per-worker state of an OIDC issuer: see ngx_http_auth_bearer_oidc.c */
typedef struct ngx_http_auth_bearer_oidc_s  ngx_http_auth_bearer_oidc_t;


typedef struct {
    ngx_str_t                       iss;
    ngx_uint_t                      kind;
    unsigned                        algs;
    jwt_keyset_t                    keys;           /* SECRET, KEY_FILE */
    ngx_str_t                       token_type;     /* empty: not checked */
    time_t                          leeway;         /* NGX_CONF_UNSET */
    jwt_str_t                      *audiences;
    ngx_uint_t                      naudiences;
    ngx_str_t                       user_claim;

    /* OIDC issuers */
    ngx_str_t                       discovery;      /* URL; empty: none */
    ngx_str_t                       jwks_uri;       /* URL; empty: discover */
    ngx_str_t                       user_prefix;    /* "oidc:fbs:" */
    ngx_str_t                       provider;       /* "fbs" */
    time_t                          refresh;
    time_t                          max_stale;
    ngx_flag_t                      insecure_http;
    ngx_http_auth_bearer_oidc_t    *oidc;
} ngx_http_auth_bearer_issuer_t;


typedef struct {
    ngx_array_t                     issuers;        /* of the above */
    ngx_uint_t                      cache_size;     /* auth_jwt_cache */

    /* OIDC issuers: see ngx_http_auth_bearer_oidc.c */
    ngx_uint_t                      noidc;
    ngx_shm_zone_t                 *shm_zone;
    ngx_msec_t                      fetch_timeout;
    ngx_str_t                       ca_file;
    ngx_str_t                       ca;             /* its PEM, read once */

    /* auth_jwt_revocation: see ngx_http_auth_bearer_revocation.c */
    ngx_array_t                    *revocations;

    /* DPoP replay zone: see ngx_http_auth_bearer_bind.c */
    size_t                          dpop_zone_size; /* auth_jwt_dpop_zone */
    ngx_shm_zone_t                 *dpop_zone;
} ngx_http_auth_bearer_main_conf_t;


typedef struct {
    ngx_http_complex_value_t       *realm;          /* NULL: auth_jwt off */
    ngx_http_complex_value_t       *token;          /* NULL: Authorization */
    time_t                          leeway;
    size_t                          max_size;
    jwt_keyset_t                   *keys;           /* auth_jwt_key_file */
    ngx_array_t                    *keyreqs;        /* auth_jwt_key_request */
    time_t                          key_cache;      /* auth_jwt_key_cache */
    ngx_array_t                    *requires;       /* auth_jwt_require */
    ngx_flag_t                      allow_missing;

    /* sender-constrained tokens: see ngx_http_auth_bearer_bind.c */
    ngx_uint_t                      bind;           /* auth_jwt_bind */
    ngx_uint_t                      dpop_algs;      /* JWT_ALG_BIT() mask */
    time_t                          dpop_window;
    ngx_http_complex_value_t       *dpop_url;
} ngx_http_auth_bearer_loc_conf_t;


/* a request's verdict, made once per policy and shared by all phases */

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

    ngx_str_t                       dpop_jkt;       /* $jwt_dpop_jkt */
    u_char                          dpop_seen[32];  /* the proof accepted */

    unsigned                        verified:1;
    unsigned                        presented:1;
    unsigned                        nowait:1;       /* never held for keys */
    unsigned                        wait_keyreq:1;  /* keys not requested */
    unsigned                        wait_revocation:1;  /* held for a feed */
    unsigned                        refused:1;      /* by the access handler */
    unsigned                        logged:1;
    unsigned                        respond:1;      /* this response is ours */
    unsigned                        body_sent:1;
    unsigned                        dpop_scheme:1;  /* "DPoP" credentials */
    unsigned                        dpop_challenge:1;  /* DPoP refusal */
    unsigned                        dpop_seen_set:1;
} ngx_http_auth_bearer_ctx_t;


/* ngx_http_auth_bearer_verify.c: the verdict */

ngx_http_auth_bearer_ctx_t *ngx_http_auth_bearer_get_ctx(ngx_http_request_t *r);
ngx_http_auth_bearer_ctx_t *ngx_http_auth_bearer_run(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf);
ngx_http_auth_bearer_ctx_t *ngx_http_auth_bearer_verdict(
    ngx_http_request_t *r);
void ngx_http_auth_bearer_fail(ngx_http_auth_bearer_ctx_t *ctx,
    ngx_int_t status, const char *code, const char *message,
    const char *reason);
void ngx_http_auth_bearer_verify_exit(void);

/* ngx_http_auth_bearer_variable.c */

ngx_int_t ngx_http_auth_bearer_add_variables(ngx_conf_t *cf);
char *ngx_http_auth_bearer_claim_set_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* ngx_http_auth_bearer_issuer.c: issuers, secrets, key files */

char *ngx_http_auth_bearer_issuer_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_auth_bearer_key_file_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
ngx_http_auth_bearer_issuer_t *ngx_http_auth_bearer_issuer_find(
    ngx_http_auth_bearer_main_conf_t *amcf, const u_char *iss, size_t len);
ngx_int_t ngx_http_auth_bearer_issuer_user(ngx_pool_t *pool,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *user);

/* ngx_http_auth_bearer_keyreq.c: auth_jwt_key_request, auth_jwt_key_cache */

#define NGX_HTTP_AUTH_BEARER_NO_GENERATION  ((ngx_uint_t) -1)

ngx_int_t ngx_http_auth_bearer_keyreq_resolve(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf);
ngx_int_t ngx_http_auth_bearer_keyreq_find(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf, jwt_alg_t alg,
    const unsigned char *kid, size_t kid_len, const jwt_key_t **key,
    const char **reason, time_t *retry);
ngx_uint_t ngx_http_auth_bearer_keyreq_generation(ngx_http_request_t *r,
    ngx_http_auth_bearer_loc_conf_t *lcf);
ngx_int_t ngx_http_auth_bearer_keyreq_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
void ngx_http_auth_bearer_keyreq_exit(void);
char *ngx_http_auth_bearer_key_request_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* ngx_http_auth_bearer_status.c */

char *ngx_http_auth_bearer_status_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* ngx_http_auth_bearer_util.c: small helpers */

ngx_int_t ngx_http_auth_bearer_slab_log(ngx_slab_pool_t *shpool, char *what,
    ngx_str_t *name);
size_t ngx_http_auth_bearer_escape(u_char *dst, size_t size,
    const u_char *src, size_t len);
char *ngx_http_auth_bearer_read_file(ngx_conf_t *cf, const char *directive,
    const char *what, ngx_str_t *name, size_t max, ngx_str_t *out);
size_t ngx_http_auth_bearer_url_scheme(const u_char *url, size_t len,
    ngx_uint_t http);
ngx_table_elt_t *ngx_http_auth_bearer_push_header(ngx_http_request_t *r,
    const char *key, u_char *value, size_t len);
void ngx_http_auth_bearer_key_skipped(void *data, size_t index, jwt_str_t kid,
    const char *reason);
void ngx_http_auth_bearer_json_init(void);
void ngx_http_auth_bearer_json_use(ngx_pool_t *pool);
u_char *ngx_http_auth_bearer_json_text(ngx_pool_t *pool, json_t *json,
    size_t *len);

/* the context of ngx_http_auth_bearer_key_skipped(): one of the two */
typedef struct {
    ngx_conf_t                     *cf;             /* a file being loaded */
    ngx_log_t                      *log;            /* a JWKS fetched */
    ngx_str_t                      *iss;
} ngx_http_auth_bearer_skipped_t;

/*
 * Memory a request's values live in.  A build with
 * -DNGX_HTTP_AUTH_BEARER_DEBUG_ALLOC=1 (make asan) gives every block its
 * own heap allocation, freed by a cleanup of the pool, so that
 * AddressSanitizer sees a use after the request as it sees one after
 * free(); pool blocks are invisible to it otherwise.
 */

#ifndef NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC
#define NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC  0
#endif

#if (NGX_HTTP_AUTH_BEARER_DEBUG_ALLOC)
void *ngx_http_auth_bearer_pnalloc(ngx_pool_t *pool, size_t size);
#else
#define ngx_http_auth_bearer_pnalloc(pool, size)  ngx_pnalloc(pool, size)
#endif


extern ngx_module_t  ngx_http_auth_bearer_module;


#endif /* _NGX_HTTP_AUTH_BEARER_H_INCLUDED_ */
