
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_auth_bearer.h"
#include "ngx_http_auth_bearer_shm.h"
#include "ngx_http_auth_bearer_oidc.h"


/*
 * Configuring issuers, in one place: auth_jwt_issuer in all its forms
 * (secret=, key_file=, OIDC discovery or jwks_uri=, env: lists of
 * issuers), secrets, key files (auth_jwt_key_file too), provider codes
 * and user prefixes; and, at request time, the issuer of a token's iss
 * and the user name it gives.  The OIDC runtime behind an issuer is
 * ngx_http_auth_bearer_oidc.c.
 */


/* what the parameters of one auth_jwt_issuer name */

typedef struct {
    ngx_str_t                       secret;         /* secret=, no prefix */
    ngx_str_t                       file;           /* key_file= */
    ngx_str_t                       audience;       /* audience= */
    ngx_uint_t                      has_secret;
    ngx_uint_t                      has_audience;
} ngx_http_auth_bearer_issuer_args_t;


#define NGX_HTTP_AUTH_BEARER_SECRET_FILE_MAX  65536
#define NGX_HTTP_AUTH_BEARER_KEY_FILE_MAX     (1024 * 1024)


typedef struct {
    const char                     *code;
    const char                     *host;       /* the host or its parent */
    const char                     *part;       /* anywhere in iss */
} ngx_http_auth_bearer_provider_t;


static ngx_http_auth_bearer_provider_t  ngx_http_auth_bearer_providers[] = {
    { "fbs", "securetoken.google.com", NULL },
    { "ggl", "accounts.google.com", NULL },
    { "msf", "login.microsoftonline.com", NULL },
    { "msf", "sts.windows.net", NULL },
    { "a0x", "auth0.com", NULL },
    { "okt", "okta.com", NULL },
    { "okt", "oktapreview.com", NULL },
    { "ghb", "githubusercontent.com", NULL },
    { "ghb", "github.com", NULL },
    { "glb", "gitlab.com", NULL },
    { "cgn", "amazonaws.com", "cognito-idp" },
    { "apl", "appleid.apple.com", NULL },
    { "fbk", "facebook.com", NULL },
    { "sbs", "supabase.co", NULL },
    { "zit", "zitadel.cloud", NULL },
    { "kcl", NULL, "keycloak" },
    { "kcl", NULL, "/realms/" },
    { "glb", NULL, "gitlab" },
    { "sbs", NULL, "supabase" },
    { "zit", NULL, "zitadel" },
    { "atk", NULL, "authentik" },
    { NULL, NULL, NULL }
};


static char *ngx_http_auth_bearer_issuer_env(ngx_conf_t *cf,
    ngx_http_auth_bearer_main_conf_t *amcf, ngx_str_t *name,
    ngx_str_t *params, ngx_uint_t nparams);
static char *ngx_http_auth_bearer_issuer_add(ngx_conf_t *cf,
    ngx_http_auth_bearer_main_conf_t *amcf, ngx_str_t *iss,
    ngx_str_t *params, ngx_uint_t nparams);
static ngx_int_t ngx_http_auth_bearer_issuer_param(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *param,
    ngx_http_auth_bearer_issuer_args_t *args);
static ngx_int_t ngx_http_auth_bearer_issuer_time(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *param, size_t skip,
    time_t *tp);
static char *ngx_http_auth_bearer_issuer_audiences(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *list);
static char *ngx_http_auth_bearer_issuer_static(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer,
    ngx_http_auth_bearer_issuer_args_t *args);
static char *ngx_http_auth_bearer_issuer_secret(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *source);
static char *ngx_http_auth_bearer_issuer_key_file(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *file);
static char *ngx_http_auth_bearer_issuer_oidc(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer);
static char *ngx_http_auth_bearer_issuer_discovery(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer);
static char *ngx_http_auth_bearer_issuer_url(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *url, const char *what);
static ngx_int_t ngx_http_auth_bearer_issuer_provider(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer);
static ngx_uint_t ngx_http_auth_bearer_host_is(ngx_str_t *host,
    const char *domain);
static ngx_int_t ngx_http_auth_bearer_secret_typo(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *source);
static char *ngx_http_auth_bearer_secret(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *source,
    ngx_str_t *secret);
static char *ngx_http_auth_bearer_load_keys(ngx_conf_t *cf,
    const char *directive, jwt_keyset_t *ks, ngx_str_t *path,
    ngx_uint_t format, unsigned flags);
static ngx_int_t ngx_http_auth_bearer_keys_cleanup_add(ngx_conf_t *cf,
    jwt_keyset_t *ks);
static void ngx_http_auth_bearer_keys_cleanup(void *data);


/*
 * auth_jwt_issuer iss [parameters];
 * auth_jwt_issuer env:NAME [parameters];
 */

char *
ngx_http_auth_bearer_issuer_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_auth_bearer_main_conf_t *amcf = conf;

    ngx_str_t  *value;

    value = cf->args->elts;

    if (value[1].len == 0) {
        return "has an empty issuer";
    }

    if (ngx_strncmp(value[1].data, "env:", 4) == 0) {
        return ngx_http_auth_bearer_issuer_env(cf, amcf, &value[1],
                                               &value[2],
                                               cf->args->nelts - 2);
    }

    if (ngx_http_auth_bearer_issuer_find(amcf, value[1].data, value[1].len)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\" is duplicate",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    return ngx_http_auth_bearer_issuer_add(cf, amcf, &value[1], &value[2],
                                           cf->args->nelts - 2);
}


/*
 * auth_jwt_issuer env:NAME [parameters]: NAME holds a comma-separated list
 * of issuers (KALAMDB_JWT_TRUSTED_ISSUERS), each declared with the same
 * parameters.  Issuers declared before on their own are skipped.
 */

static char *
ngx_http_auth_bearer_issuer_env(ngx_conf_t *cf,
    ngx_http_auth_bearer_main_conf_t *amcf, ngx_str_t *name,
    ngx_str_t *params, ngx_uint_t nparams)
{
    u_char     *p, *last, *start, *end;
    ngx_str_t   item;
    ngx_uint_t  n;

    /* cf strings are NUL-terminated */

    p = (name->len > 4) ? (u_char *) getenv((char *) name->data + 4) : NULL;

    if (p == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": the environment "
                           "variable is not set; export it (a comma-"
                           "separated list of issuers) before starting "
                           "nginx", name);
        return NGX_CONF_ERROR;
    }

    last = p + ngx_strlen(p);
    n = 0;

    while (p < last) {
        start = p;

        p = ngx_strlchr(p, last, ',');
        if (p == NULL) {
            p = last;
        }

        end = p++;

        while (start < end && (*start == ' ' || *start == '\t')) {
            start++;
        }

        while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }

        item.len = end - start;

        if (item.len == 0
            || ngx_http_auth_bearer_issuer_find(amcf, start, item.len))
        {
            continue;
        }

        if (item.len > 4 && ngx_strncmp(start, "env:", 4) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\": the list names "
                               "another variable", name);
            return NGX_CONF_ERROR;
        }

        item.data = ngx_pnalloc(cf->pool, item.len + 1);
        if (item.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(item.data, start, item.len);
        item.data[item.len] = '\0';

        if (ngx_http_auth_bearer_issuer_add(cf, amcf, &item, params, nparams)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        n++;
    }

    if (n == 0) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": no new issuer in "
                           "the list", name);
    }

    return NGX_CONF_OK;
}


/* one issuer: its parameters, then its keys by their source */

static char *
ngx_http_auth_bearer_issuer_add(ngx_conf_t *cf,
    ngx_http_auth_bearer_main_conf_t *amcf, ngx_str_t *iss,
    ngx_str_t *params, ngx_uint_t nparams)
{
    ngx_uint_t                           i;
    ngx_http_auth_bearer_issuer_t       *issuer;
    ngx_http_auth_bearer_issuer_args_t   args;

    issuer = ngx_array_push(&amcf->issuers);
    if (issuer == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(issuer, sizeof(ngx_http_auth_bearer_issuer_t));

    issuer->iss = *iss;
    issuer->leeway = NGX_CONF_UNSET;
    ngx_str_set(&issuer->user_claim, "sub");

    jwt_keyset_init(&issuer->keys);

    if (ngx_http_auth_bearer_keys_cleanup_add(cf, &issuer->keys) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&args, sizeof(ngx_http_auth_bearer_issuer_args_t));

    for (i = 0; i < nparams; i++) {

        switch (ngx_http_auth_bearer_issuer_param(cf, issuer, &params[i],
                                                  &args))
        {
        case NGX_OK:
            continue;

        case NGX_ERROR:
            return NGX_CONF_ERROR;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": invalid parameter "
                           "\"%V\"; known: secret=, key_file=, algorithms=, "
                           "token_type=, leeway=, audience=, user_claim=, "
                           "user_prefix=, discovery=, jwks_uri=, refresh=, "
                           "max_stale=, insecure_http",
                           &issuer->iss, &params[i]);
        return NGX_CONF_ERROR;
    }

    if (args.has_audience
        && ngx_http_auth_bearer_issuer_audiences(cf, issuer, &args.audience)
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (!args.has_secret && args.file.len == 0) {
        return ngx_http_auth_bearer_issuer_oidc(cf, issuer);
    }

    if (ngx_http_auth_bearer_issuer_static(cf, issuer, &args) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (args.file.len) {
        return ngx_http_auth_bearer_issuer_key_file(cf, issuer, &args.file);
    }

    return ngx_http_auth_bearer_issuer_secret(cf, issuer, &args.secret);
}


/*
 * One parameter: NGX_OK when taken, NGX_ERROR after a message,
 * NGX_DECLINED when unknown.
 */

static ngx_int_t
ngx_http_auth_bearer_issuer_param(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *param,
    ngx_http_auth_bearer_issuer_args_t *args)
{
    u_char  *p;
    size_t   len;

    p = param->data;
    len = param->len;

#define ngx_http_auth_bearer_is(name)                                         \
    (len >= sizeof(name) - 1 && ngx_strncmp(p, name, sizeof(name) - 1) == 0)

#define ngx_http_auth_bearer_take(name, str)                                  \
    (str)->data = p + sizeof(name) - 1;                                       \
    (str)->len = len - (sizeof(name) - 1)

    if (ngx_http_auth_bearer_is("secret=")) {
        ngx_http_auth_bearer_take("secret=", &args->secret);
        args->has_secret = 1;
        return NGX_OK;
    }

    if (ngx_http_auth_bearer_is("key_file=") && len > 9) {
        ngx_http_auth_bearer_take("key_file=", &args->file);
        return NGX_OK;
    }

    if (ngx_http_auth_bearer_is("audience=")) {
        ngx_http_auth_bearer_take("audience=", &args->audience);
        args->has_audience = 1;
        return NGX_OK;
    }

    if (ngx_http_auth_bearer_is("token_type=") && len > 11) {
        ngx_http_auth_bearer_take("token_type=", &issuer->token_type);

        /* the values a token_type claim has: a typo refuses every token */

        if (ngx_strcmp(issuer->token_type.data, "access") != 0
            && ngx_strcmp(issuer->token_type.data, "refresh") != 0)
        {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\": token_type=%V "
                               "is neither \"access\" nor \"refresh\"; "
                               "every token whose token_type claim differs "
                               "is refused", &issuer->iss,
                               &issuer->token_type);
        }

        return NGX_OK;
    }

    /* cf strings are NUL-terminated: the claim is used as a key */

    if (ngx_http_auth_bearer_is("user_claim=") && len > 11) {
        ngx_http_auth_bearer_take("user_claim=", &issuer->user_claim);
        return NGX_OK;
    }

    if (ngx_http_auth_bearer_is("user_prefix=")) {
        ngx_http_auth_bearer_take("user_prefix=", &issuer->user_prefix);
        return NGX_OK;
    }

    if (ngx_http_auth_bearer_is("discovery=") && len > 10) {
        ngx_http_auth_bearer_take("discovery=", &issuer->discovery);
        return NGX_OK;
    }

    if (ngx_http_auth_bearer_is("jwks_uri=") && len > 9) {
        ngx_http_auth_bearer_take("jwks_uri=", &issuer->jwks_uri);
        return NGX_OK;
    }

    if (len == 13 && ngx_strcmp(p, "insecure_http") == 0) {
        issuer->insecure_http = 1;
        return NGX_OK;
    }

    if (ngx_http_auth_bearer_is("refresh=")) {
        return ngx_http_auth_bearer_issuer_time(cf, issuer, param, 8,
                                                &issuer->refresh);
    }

    if (ngx_http_auth_bearer_is("max_stale=")) {
        return ngx_http_auth_bearer_issuer_time(cf, issuer, param, 10,
                                                &issuer->max_stale);
    }

    if (ngx_http_auth_bearer_is("algorithms=")) {
        issuer->algs = jwt_algs_parse(p + 11, len - 11);

        if (issuer->algs == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\": unknown "
                               "algorithm in \"%V\"; names are "
                               "case-sensitive, e.g. HS256,HS384,HS512",
                               &issuer->iss, param);
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    if (ngx_http_auth_bearer_is("leeway=")) {
        return ngx_http_auth_bearer_issuer_time(cf, issuer, param, 7,
                                                &issuer->leeway);
    }

#undef ngx_http_auth_bearer_is
#undef ngx_http_auth_bearer_take

    return NGX_DECLINED;
}


/* leeway= (0 to 366d), refresh= and max_stale= (1s to 366d) */

static ngx_int_t
ngx_http_auth_bearer_issuer_time(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *param, size_t skip,
    time_t *tp)
{
    time_t     t;
    ngx_str_t  v;

    v.data = param->data + skip;
    v.len = param->len - skip;

    t = ngx_parse_time(&v, 1);

    if (tp == &issuer->leeway) {
        if (t == (time_t) NGX_ERROR || t > JWT_LEEWAY_MAX) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\": invalid "
                               "\"%V\"; use a time up to 366d, "
                               "e.g. leeway=60s", &issuer->iss, param);
            return NGX_ERROR;
        }

    } else if (t == (time_t) NGX_ERROR || t < 1
               || t > NGX_HTTP_AUTH_BEARER_TIME_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": invalid \"%V\"; use "
                           "a time from 1s to 366d, e.g. refresh=10m "
                           "max_stale=24h", &issuer->iss, param);
        return NGX_ERROR;
    }

    *tp = t;

    return NGX_OK;
}


static char *
ngx_http_auth_bearer_issuer_audiences(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *list)
{
    u_char      *p, *last, *comma;
    ngx_uint_t   i, n;

    if (list->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": empty "
                           "\"audience=\"", &issuer->iss);
        return NGX_CONF_ERROR;
    }

    n = 1;
    last = list->data + list->len;

    for (p = list->data; p < last; p++) {
        n += (*p == ',');
    }

    issuer->audiences = ngx_palloc(cf->pool, n * sizeof(jwt_str_t));
    if (issuer->audiences == NULL) {
        return NGX_CONF_ERROR;
    }

    p = list->data;

    for (i = 0; i < n; i++) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        if (comma == p) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\": empty value "
                               "in \"audience=%V\"", &issuer->iss, list);
            return NGX_CONF_ERROR;
        }

        issuer->audiences[i].data = p;
        issuer->audiences[i].len = comma - p;
        p = comma + 1;
    }

    issuer->naudiences = n;

    return NGX_CONF_OK;
}


/* secret= or key_file=, exclusive, and none of the OIDC parameters */

static char *
ngx_http_auth_bearer_issuer_static(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer,
    ngx_http_auth_bearer_issuer_args_t *args)
{
    if (args->has_secret && args->file.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": secret= and "
                           "key_file= are exclusive", &issuer->iss);
        return NGX_CONF_ERROR;
    }

    if (issuer->discovery.len || issuer->jwks_uri.len || issuer->refresh
        || issuer->max_stale || issuer->insecure_http)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": discovery=, "
                           "jwks_uri=, refresh=, max_stale= and "
                           "insecure_http are for OIDC issuers, which have "
                           "neither secret= nor key_file=; remove them",
                           &issuer->iss);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* secret=: HS256, HS384, HS512, with a secret as long as their hash */

static char *
ngx_http_auth_bearer_issuer_secret(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *source)
{
    size_t     need;
    jwt_rc_t   rc;
    jwt_alg_t  alg;
    ngx_str_t  secret;

    issuer->kind = NGX_HTTP_AUTH_BEARER_SECRET;

    if (issuer->algs == 0) {
        issuer->algs = JWT_ALG_BIT(JWT_ALG_HS256);
    }

    if (issuer->algs & ~JWT_ALGS_HS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": a secret= issuer "
                           "verifies HS256, HS384 and HS512 only",
                           &issuer->iss);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_auth_bearer_secret(cf, issuer, source, &secret)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    need = 0;

    for (alg = JWT_ALG_HS256; alg <= JWT_ALG_HS512; alg++) {
        if ((issuer->algs & JWT_ALG_BIT(alg))
            && jwt_alg_hmac_size(alg) > need)
        {
            need = jwt_alg_hmac_size(alg);
        }
    }

    if (secret.len < need) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": the secret is %uz "
                           "bytes, shorter than the %uz-byte hash output of "
                           "the algorithms allowed; use a secret of at "
                           "least %uz random bytes",
                           &issuer->iss, secret.len, need, need);
        OPENSSL_cleanse(secret.data, secret.len);
        return NGX_CONF_ERROR;
    }

    rc = jwt_keyset_add_secret(&issuer->keys, secret.data, secret.len,
                               issuer->algs);

    OPENSSL_cleanse(secret.data, secret.len);

    return (rc == JWT_OK) ? NGX_CONF_OK : NGX_CONF_ERROR;
}


/* key_file=: public keys; HS* is only ever verified with secret= */

static char *
ngx_http_auth_bearer_issuer_key_file(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *file)
{
    size_t  i;

    issuer->kind = NGX_HTTP_AUTH_BEARER_KEY_FILE;

    if (issuer->algs & JWT_ALGS_HS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": HS256, HS384 "
                           "and HS512 need secret=, not key_file=",
                           &issuer->iss);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_auth_bearer_load_keys(cf, "auth_jwt_issuer", &issuer->keys,
                                       file,
                                       NGX_HTTP_AUTH_BEARER_FORMAT_GUESS,
                                       JWT_KEYS_UNIQUE_KID)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (issuer->algs == 0) {
        for (i = 0; i < issuer->keys.nkeys; i++) {
            issuer->algs |= issuer->keys.keys[i].algs;
        }

        issuer->algs &= NGX_HTTP_AUTH_BEARER_ALGS_PK;
    }

    return NGX_CONF_OK;
}


/*
 * An issuer with neither secret= nor key_file=: keys come from its JWKS,
 * found by OIDC discovery unless jwks_uri= names it; the runtime that
 * fetches them is ngx_http_auth_bearer_oidc.c.
 */

static char *
ngx_http_auth_bearer_issuer_oidc(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer)
{
    u_char     *p;
    ngx_str_t  *iss;

    iss = &issuer->iss;

    if (issuer->discovery.len && issuer->jwks_uri.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": discovery= and "
                           "jwks_uri= are exclusive", iss);
        return NGX_CONF_ERROR;
    }

    if (issuer->discovery.len == 0 && issuer->jwks_uri.len == 0
        && ngx_http_auth_bearer_issuer_discovery(cf, issuer) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (issuer->jwks_uri.len) {
        if (ngx_http_auth_bearer_issuer_url(cf, issuer, &issuer->jwks_uri,
                                            "jwks_uri")
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

    } else if (ngx_http_auth_bearer_issuer_url(cf, issuer,
                                               &issuer->discovery,
                                               "discovery URL")
               != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    /* their keys are public: a shared secret never verifies their tokens */

    if (issuer->algs == 0) {
        issuer->algs = JWT_ALG_BIT(JWT_ALG_RS256);
    }

    if (issuer->algs & JWT_ALGS_HS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": HS256, HS384 and "
                           "HS512 are never allowed for an OIDC issuer; "
                           "use e.g. algorithms=RS256,ES256", iss);
        return NGX_CONF_ERROR;
    }

    if (issuer->refresh == 0) {
        issuer->refresh = NGX_HTTP_AUTH_BEARER_REFRESH;
    }

    if (issuer->max_stale == 0) {
        issuer->max_stale = NGX_HTTP_AUTH_BEARER_MAX_STALE;
    }

    if (ngx_http_auth_bearer_issuer_provider(cf, issuer) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (issuer->user_prefix.data == NULL) {
        p = ngx_pnalloc(cf->pool, sizeof("oidc::") - 1 + issuer->provider.len);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        issuer->user_prefix.data = p;
        issuer->user_prefix.len = ngx_sprintf(p, "oidc:%V:", &issuer->provider)
                                  - p;
    }

    return ngx_http_auth_bearer_oidc_create(cf, issuer);
}


/* OpenID Connect Discovery 1.0, section 4: from the issuer URL */

static char *
ngx_http_auth_bearer_issuer_discovery(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer)
{
    u_char     *p;
    size_t      len;
    ngx_str_t  *iss;

    iss = &issuer->iss;

    if (ngx_http_auth_bearer_url_scheme(iss->data, iss->len, 1) == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\" has no key "
                           "source: add secret=env:NAME, "
                           "secret=file:PATH or key_file=PATH, or, for "
                           "an OIDC issuer, use its https:// issuer URL "
                           "or discovery=URL or jwks_uri=URL", iss);
        return NGX_CONF_ERROR;
    }

    len = iss->len;

    if (iss->data[len - 1] == '/') {
        len--;
    }

    p = ngx_pnalloc(cf->pool,
                    len + sizeof("/.well-known/openid-configuration"));
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    issuer->discovery.data = p;

    p = ngx_cpymem(p, iss->data, len);
    p = ngx_cpymem(p, "/.well-known/openid-configuration",
                   sizeof("/.well-known/openid-configuration"));

    issuer->discovery.len = p - issuer->discovery.data - 1;

    return NGX_CONF_OK;
}


/*
 * The provider's short code from the issuer; for an issuer no rule knows,
 * the first 3 hex digits of SHA-256 over the raw iss.
 */

static ngx_int_t
ngx_http_auth_bearer_issuer_provider(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer)
{
    u_char                           *p, *last;
    ngx_str_t                         host;
    unsigned int                      n;
    ngx_http_auth_bearer_provider_t  *pr;
    u_char                            md[EVP_MAX_MD_SIZE];
    u_char                            hex[EVP_MAX_MD_SIZE * 2];

    p = issuer->iss.data;
    last = p + issuer->iss.len;

    ngx_str_null(&host);

    p = ngx_strlcasestrn(p, last, (u_char *) "://", 3 - 1);

    if (p) {
        host.data = p + 3;

        for (p = host.data; p < last && *p != '/' && *p != ':'; p++) {
            /* void */
        }

        host.len = p - host.data;
    }

    for (pr = ngx_http_auth_bearer_providers; pr->code; pr++) {

        if (pr->host && !ngx_http_auth_bearer_host_is(&host, pr->host)) {
            continue;
        }

        if (pr->part
            && ngx_strlcasestrn(issuer->iss.data, last, (u_char *) pr->part,
                                ngx_strlen(pr->part) - 1)
               == NULL)
        {
            continue;
        }

        issuer->provider.data = (u_char *) pr->code;
        issuer->provider.len = 3;

        return NGX_OK;
    }

    if (EVP_Digest(issuer->iss.data, issuer->iss.len, md, &n, EVP_sha256(),
                   NULL)
        != 1)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": SHA-256 failed",
                           &issuer->iss);
        return NGX_ERROR;
    }

    ngx_hex_dump(hex, md, 2);

    issuer->provider.data = ngx_pnalloc(cf->pool, 3);
    if (issuer->provider.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(issuer->provider.data, hex, 3);
    issuer->provider.len = 3;

    return NGX_OK;
}


static ngx_uint_t
ngx_http_auth_bearer_host_is(ngx_str_t *host, const char *domain)
{
    size_t   len;
    u_char  *p;

    len = ngx_strlen(domain);

    if (host->len < len) {
        return 0;
    }

    p = host->data + host->len - len;

    if (ngx_strncasecmp(p, (u_char *) domain, len) != 0) {
        return 0;
    }

    return host->len == len || p[-1] == '.';
}


static char *
ngx_http_auth_bearer_issuer_url(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *url, const char *what)
{
    size_t   skip;
    u_char  *p, *last;

    if (url->len >= NGX_HTTP_AUTH_BEARER_URI_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": the %s is longer "
                           "than %d bytes", &issuer->iss, what,
                           NGX_HTTP_AUTH_BEARER_URI_MAX - 1);
        return NGX_CONF_ERROR;
    }

    last = url->data + url->len;

    for (p = url->data; p < last; p++) {
        if (*p <= ' ' || *p == 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\": the %s \"%V\" "
                               "contains white space or a control character",
                               &issuer->iss, what, url);
            return NGX_CONF_ERROR;
        }
    }

    skip = ngx_http_auth_bearer_url_scheme(url->data, url->len, 1);

    if (skip == 7) {
        if (!issuer->insecure_http) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\": the %s \"%V\" "
                               "is plain http; use https, or add "
                               "insecure_http (tests and labs only)",
                               &issuer->iss, what, url);
            return NGX_CONF_ERROR;
        }

    } else if (skip == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": the %s \"%V\" is "
                           "not an https:// URL", &issuer->iss, what, url);
        return NGX_CONF_ERROR;
    }

    if (url->data[skip] == '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": the %s \"%V\" has "
                           "no host", &issuer->iss, what, url);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* user_prefix and the user claim: "oidc:fbs:<sub>" */

ngx_int_t
ngx_http_auth_bearer_issuer_user(ngx_pool_t *pool,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *user)
{
    u_char  *p;

    if (issuer->user_prefix.len == 0) {
        return NGX_OK;
    }

    p = ngx_http_auth_bearer_pnalloc(pool,
                                     issuer->user_prefix.len + user->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    user->len = ngx_cpymem(ngx_cpymem(p, issuer->user_prefix.data,
                                      issuer->user_prefix.len),
                           user->data, user->len)
                - p;
    user->data = p;

    return NGX_OK;
}


ngx_http_auth_bearer_issuer_t *
ngx_http_auth_bearer_issuer_find(ngx_http_auth_bearer_main_conf_t *amcf,
    const u_char *iss, size_t len)
{
    ngx_uint_t                      i;
    ngx_http_auth_bearer_issuer_t  *issuer;

    issuer = amcf->issuers.elts;

    for (i = 0; i < amcf->issuers.nelts; i++) {
        if (issuer[i].iss.len == len
            && ngx_memcmp(issuer[i].iss.data, iss, len) == 0)
        {
            return &issuer[i];
        }
    }

    return NULL;
}


/*
 * A secret= value that looks like a misspelt source is refused rather
 * than taken as a literal secret: "ENV:NAME", "File:path", "env:" or
 * "file:" without a name.
 */

static ngx_int_t
ngx_http_auth_bearer_secret_typo(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *source)
{
    size_t   n;
    u_char  *colon;

    colon = ngx_strlchr(source->data, source->data + source->len, ':');

    if (colon == NULL) {
        return NGX_OK;
    }

    n = colon - source->data;

    if (!((n == 3 && ngx_strncasecmp(source->data, (u_char *) "env", 3) == 0)
          || (n == 4
              && ngx_strncasecmp(source->data, (u_char *) "file", 4) == 0)))
    {
        return NGX_OK;
    }

    if (ngx_strncmp(source->data, "env", n) != 0
        && ngx_strncmp(source->data, "file", n) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": secret \"%*s:...\" "
                           "looks like a misspelt source; write "
                           "secret=env:NAME or secret=file:PATH (lower case)",
                           &issuer->iss, n, source->data);
        return NGX_ERROR;
    }

    if (n + 1 == source->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": secret=%*s: names "
                           "no %s; write secret=env:NAME or "
                           "secret=file:PATH",
                           &issuer->iss, n, source->data,
                           n == 3 ? "variable" : "file");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * secret=env:NAME, secret=file:PATH or a literal.  The value is copied to
 * memory the caller wipes; a file's one trailing newline is stripped.
 */

static char *
ngx_http_auth_bearer_secret(ngx_conf_t *cf,
    ngx_http_auth_bearer_issuer_t *issuer, ngx_str_t *source,
    ngx_str_t *secret)
{
    char       *env;
    ngx_str_t   name;

    if (ngx_http_auth_bearer_secret_typo(cf, issuer, source) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_strncmp(source->data, "env:", 4) == 0) {
        name.data = source->data + 4;
        name.len = source->len - 4;

        /* cf strings are NUL-terminated */
        env = getenv((char *) name.data);

        if (env == NULL || env[0] == '\0') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_issuer\" \"%V\": environment "
                               "variable \"%V\" is not set or empty; every "
                               "command that reads the configuration needs "
                               "it (nginx, nginx -t, nginx -s reload; a "
                               "reload keeps the master's value): with "
                               "systemd set it in a drop-in (\"systemctl "
                               "edit nginx\": Environment= or "
                               "EnvironmentFile=), with /etc/init.d/nginx "
                               "\"export\" it in /etc/default/nginx",
                               &issuer->iss, &name);
            return NGX_CONF_ERROR;
        }

        source = &name;
        name.data = (u_char *) env;
        name.len = ngx_strlen(env);

    } else if (ngx_strncmp(source->data, "file:", 5) == 0) {
        name.data = source->data + 5;
        name.len = source->len - 5;

        if (ngx_http_auth_bearer_read_file(cf, "auth_jwt_issuer",
                                           "secret file", &name,
                                           NGX_HTTP_AUTH_BEARER_SECRET_FILE_MAX,
                                           secret)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        if (secret->len && secret->data[secret->len - 1] == '\n') {
            secret->len--;

            if (secret->len && secret->data[secret->len - 1] == '\r') {
                secret->len--;
            }
        }

        return NGX_CONF_OK;

    } else {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"auth_jwt_issuer\" \"%V\": the secret is "
                           "written in the configuration; prefer "
                           "secret=env:NAME or secret=file:PATH",
                           &issuer->iss);
    }

    secret->data = ngx_pnalloc(cf->temp_pool, source->len);
    if (secret->data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(secret->data, source->data, source->len);
    secret->len = source->len;

    return NGX_CONF_OK;
}


/*
 * A JWKS (JSON) or PEM file; FORMAT_GUESS decides by the first byte.
 * Skipped keys are logged with their reason; a file with no usable key,
 * duplicate kids or bad syntax fails the configuration.
 */

static char *
ngx_http_auth_bearer_load_keys(ngx_conf_t *cf, const char *directive,
    jwt_keyset_t *ks, ngx_str_t *path, ngx_uint_t format, unsigned flags)
{
    size_t                           i;
    jwt_rc_t                         rc;
    ngx_str_t                        name, text;
    const char                      *reason;
    ngx_http_auth_bearer_skipped_t   sk;

    name = *path;

    if (ngx_http_auth_bearer_read_file(cf, directive, "key file", &name,
                                       NGX_HTTP_AUTH_BEARER_KEY_FILE_MAX,
                                       &text)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (format == NGX_HTTP_AUTH_BEARER_FORMAT_GUESS) {
        for (i = 0; i < text.len; i++) {
            if (text.data[i] != ' ' && text.data[i] != '\t'
                && text.data[i] != '\r' && text.data[i] != '\n')
            {
                break;
            }
        }

        format = (i < text.len && text.data[i] == '{')
                 ? NGX_HTTP_AUTH_BEARER_FORMAT_JWKS
                 : NGX_HTTP_AUTH_BEARER_FORMAT_PEM;
    }

    reason = "unknown";

    sk.cf = cf;
    sk.log = NULL;
    sk.iss = NULL;

    if (format == NGX_HTTP_AUTH_BEARER_FORMAT_JWKS) {
        rc = jwt_keyset_add_jwks(ks, text.data, text.len, flags,
                                 ngx_http_auth_bearer_key_skipped, &sk,
                                 &reason);
    } else {
        rc = jwt_keyset_add_pem(ks, text.data, text.len, &reason);
    }

    if (rc != JWT_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\": key file \"%V\": %s", directive, &name,
                           reason);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* auth_jwt_key_file path [jwks | pem]; */

char *
ngx_http_auth_bearer_key_file_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_auth_bearer_loc_conf_t *lcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   format;

    value = cf->args->elts;

    format = NGX_HTTP_AUTH_BEARER_FORMAT_GUESS;

    if (cf->args->nelts == 3) {
        if (ngx_strcmp(value[2].data, "jwks") == 0) {
            format = NGX_HTTP_AUTH_BEARER_FORMAT_JWKS;

        } else if (ngx_strcmp(value[2].data, "pem") == 0) {
            format = NGX_HTTP_AUTH_BEARER_FORMAT_PEM;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"auth_jwt_key_file\": unknown format "
                               "\"%V\"; use jwks or pem", &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    if (lcf->keys == NULL) {
        lcf->keys = ngx_palloc(cf->pool, sizeof(jwt_keyset_t));
        if (lcf->keys == NULL) {
            return NGX_CONF_ERROR;
        }

        jwt_keyset_init(lcf->keys);

        if (ngx_http_auth_bearer_keys_cleanup_add(cf, lcf->keys) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    /* as in NGINX Plus, oct keys here may verify HS* tokens */

    return ngx_http_auth_bearer_load_keys(cf, "auth_jwt_key_file", lcf->keys,
                                          &value[1], format,
                                          JWT_KEYS_ALLOW_OCT
                                          |JWT_KEYS_UNIQUE_KID);
}


/* a key set lives as long as the configuration */

static ngx_int_t
ngx_http_auth_bearer_keys_cleanup_add(ngx_conf_t *cf, jwt_keyset_t *ks)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_auth_bearer_keys_cleanup;
    cln->data = ks;

    return NGX_OK;
}


static void
ngx_http_auth_bearer_keys_cleanup(void *data)
{
    jwt_keyset_t  *ks = data;

    jwt_keyset_free(ks);
}
