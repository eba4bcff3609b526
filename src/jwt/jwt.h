
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _JWT_H_INCLUDED_
#define _JWT_H_INCLUDED_


/*
 * The nginx-free JWT core: plain C, OpenSSL 3 and jansson.  Everything an
 * nginx module needs to verify a compact JWS and check its claims, and
 * nothing that knows about HTTP, pools or configuration files.
 */


#include <stddef.h>
#include <stdint.h>


typedef enum {
    JWT_OK = 0,
    JWT_ERR_FORMAT,          /* framing, alphabet, size, base64url */
    JWT_ERR_HEADER,          /* JOSE header is not a usable object */
    JWT_ERR_PAYLOAD,         /* claims set is not a usable object */
    JWT_ERR_ALG,             /* alg missing, unknown, or not allowed */
    JWT_ERR_UNSUPPORTED,     /* crit, JWE, nested JWT */
    JWT_ERR_ISSUER,          /* iss missing or not trusted */
    JWT_ERR_NO_KEY,          /* no key fits the token's alg and kid */
    JWT_ERR_SIGNATURE,       /* signature does not verify */
    JWT_ERR_EXPIRED,         /* exp reached */
    JWT_ERR_NOT_YET_VALID,   /* nbf or iat in the future */
    JWT_ERR_CLAIMS,          /* a claim has the wrong type or value */
    JWT_ERR_AUDIENCE,        /* aud does not name us */
    JWT_ERR_TOKEN_TYPE,      /* token_type is not the required one */
    JWT_ERR_NOMEM,
    JWT_ERR_INTERNAL
} jwt_rc_t;


typedef enum {
    JWT_ALG_UNKNOWN = 0,
    JWT_ALG_HS256,
    JWT_ALG_HS384,
    JWT_ALG_HS512,
    JWT_ALG_RS256,
    JWT_ALG_RS384,
    JWT_ALG_RS512,
    JWT_ALG_PS256,
    JWT_ALG_PS384,
    JWT_ALG_PS512,
    JWT_ALG_ES256,
    JWT_ALG_ES384,
    JWT_ALG_ES512,
    JWT_ALG_EDDSA,
    JWT_ALG_ED25519,
    JWT_ALG_ED448,
    JWT_ALG_MAX
} jwt_alg_t;


#define JWT_ALG_BIT(a)       (1u << (a))

#define JWT_ALGS_HS                                                          \
    (JWT_ALG_BIT(JWT_ALG_HS256) | JWT_ALG_BIT(JWT_ALG_HS384)                 \
     | JWT_ALG_BIT(JWT_ALG_HS512))


/* a byte string that is not NUL-terminated */
typedef struct {
    const unsigned char  *data;
    size_t                len;
} jwt_str_t;


/* the exact, case-sensitive JOSE name; JWT_ALG_UNKNOWN for anything else */
jwt_alg_t jwt_alg_by_name(const unsigned char *name, size_t len);
const char *jwt_alg_name(jwt_alg_t alg);

/* an alg list such as "RS256,PS256"; 0 if a name is unknown */
unsigned jwt_algs_parse(const unsigned char *list, size_t len);

/* digest size in bytes of an HS* alg, 0 otherwise */
size_t jwt_alg_hmac_size(jwt_alg_t alg);

/* the text used for the HTTP message of each result */
const char *jwt_rc_text(jwt_rc_t rc);


#endif /* _JWT_H_INCLUDED_ */
