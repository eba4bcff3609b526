
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _JWT_JWK_H_INCLUDED_
#define _JWT_JWK_H_INCLUDED_


#include <jansson.h>
#include <openssl/evp.h>

#include "jwt.h"


typedef enum {
    JWT_KTY_OCT = 1,
    JWT_KTY_RSA,
    JWT_KTY_EC,
    JWT_KTY_OKP
} jwt_kty_t;


typedef struct {
    jwt_kty_t        kty;
    unsigned         algs;         /* JWT_ALG_BIT() mask the key may verify */
    unsigned char   *kid;          /* NULL when the key has no kid */
    size_t           kid_len;
    EVP_PKEY        *pkey;         /* RSA, EC, OKP */
    unsigned char   *secret;       /* oct */
    size_t           secret_len;
    EVP_MAC_CTX     *hmac[3];      /* oct: keyed HS256/384/512 contexts */
    EVP_PKEY_CTX    *verify[9];    /* RSA, EC: ready RS/PS/ES contexts */
} jwt_key_t;


typedef struct {
    jwt_key_t       *keys;
    size_t           nkeys;
    size_t           nalloc;
} jwt_keyset_t;


/* flags of the loaders */
#define JWT_KEYS_ALLOW_OCT    0x01   /* oct JWKs may verify HS* tokens */
#define JWT_KEYS_UNIQUE_KID   0x02   /* no two entries share a kid, even
                                      an unusable one */


/* called for each key a loader skips, with the reason */
typedef void (*jwt_key_skip_pt)(void *data, size_t index, jwt_str_t kid,
    const char *reason);


void jwt_keyset_init(jwt_keyset_t *ks);
void jwt_keyset_free(jwt_keyset_t *ks);

/* a shared secret for the HS* algs in algs */
jwt_rc_t jwt_keyset_add_secret(jwt_keyset_t *ks, const unsigned char *secret,
    size_t len, unsigned algs);

/*
 * A JWK Set (or a single JWK) in JSON.  Unusable entries are skipped and
 * reported through skip.  Fails when the set is malformed, has duplicate
 * kids, or contributes no usable key; *reason says why.
 */
jwt_rc_t jwt_keyset_add_jwks(jwt_keyset_t *ks, const unsigned char *json,
    size_t len, unsigned flags, jwt_key_skip_pt skip, void *data,
    const char **reason);

/* PEM public keys (SPKI) and X.509 certificates, one or more */
jwt_rc_t jwt_keyset_add_pem(jwt_keyset_t *ks, const unsigned char *pem,
    size_t len, const char **reason);

/*
 * One public JWK (RSA, EC, OKP; never oct nor private) as a key of its
 * own, outside any set: a DPoP proof's jwk header.  On failure *reason
 * says why and nothing is owned; jwt_key_release frees a loaded key.
 */
jwt_rc_t jwt_key_from_jwk(json_t *jwk, jwt_key_t *key, const char **reason);
void jwt_key_release(jwt_key_t *key);

/* makes a key's verification contexts once, as a key set's keys have */
void jwt_key_prepare(jwt_key_t *key);

/*
 * The key for a token: by exact kid when the token has one; without a
 * kid, the only key that can verify alg, if there is exactly one.
 */
int jwt_keyset_has_kid(const jwt_keyset_t *ks, const unsigned char *kid,
    size_t len);
const jwt_key_t *jwt_keyset_find(const jwt_keyset_t *ks, jwt_alg_t alg,
    const unsigned char *kid, size_t kid_len, const char **reason);

/*
 * Verifies sig over in with key for alg.  Signature lengths are checked
 * exactly first; only an OpenSSL return of 1 is success; the OpenSSL error
 * queue is cleared on every failure.
 */
jwt_rc_t jwt_verify_signature(const jwt_key_t *key, jwt_alg_t alg,
    const unsigned char *in, size_t inlen, const unsigned char *sig,
    size_t siglen, const char **reason);


#endif /* _JWT_JWK_H_INCLUDED_ */
