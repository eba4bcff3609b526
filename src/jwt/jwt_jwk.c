
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "jwt_jwk.h"
#include "jwt_b64url.h"


#define JWT_RSA_MIN_BITS     2048
#define JWT_RSA_MAX_BITS     8192
#define JWT_RSA_MAX_E_BITS   64

#define JWT_ALGS_RSA                                                         \
    (JWT_ALG_BIT(JWT_ALG_RS256) | JWT_ALG_BIT(JWT_ALG_RS384)                 \
     | JWT_ALG_BIT(JWT_ALG_RS512) | JWT_ALG_BIT(JWT_ALG_PS256)               \
     | JWT_ALG_BIT(JWT_ALG_PS384) | JWT_ALG_BIT(JWT_ALG_PS512))

#define JWT_ALGS_ED25519                                                     \
    (JWT_ALG_BIT(JWT_ALG_EDDSA) | JWT_ALG_BIT(JWT_ALG_ED25519))

#define JWT_ALGS_ED448                                                       \
    (JWT_ALG_BIT(JWT_ALG_EDDSA) | JWT_ALG_BIT(JWT_ALG_ED448))


/* a NIST curve of RFC 7518 section 6.2.1.1 and its ES alg */
typedef struct {
    const char  *crv;          /* JWK name */
    const char  *group;        /* OpenSSL group name */
    size_t       size;         /* field size in bytes */
    int          bits;
    jwt_alg_t    alg;
} jwt_curve_t;


static void jwt_key_free(jwt_key_t *key);
static jwt_rc_t jwt_keyset_push(jwt_keyset_t *ks, jwt_key_t *key);
static void jwt_keyset_rollback(jwt_keyset_t *ks, size_t n);
static jwt_rc_t jwt_jwk_load(json_t *jwk, unsigned flags, jwt_key_t *key,
    const char **reason);
static jwt_rc_t jwt_jwk_usage(json_t *jwk, jwt_alg_t *alg,
    const char **reason);
static jwt_rc_t jwt_jwk_b64(json_t *jwk, const char *name,
    const char *bad, unsigned char **buf, size_t *len, const char **reason);
static jwt_rc_t jwt_jwk_oct(json_t *jwk, jwt_key_t *key,
    const char **reason);
static jwt_rc_t jwt_jwk_rsa(json_t *jwk, jwt_key_t *key,
    const char **reason);
static int jwt_jwks_dup_kid(json_t *keys, size_t n);
static jwt_rc_t jwt_jwk_fromdata(OSSL_PARAM_BLD *bld, const char *type,
    const char *bad, jwt_key_t *key, const char **reason);
static jwt_rc_t jwt_jwk_ec(json_t *jwk, jwt_key_t *key,
    const char **reason);
static jwt_rc_t jwt_jwk_okp(json_t *jwk, jwt_key_t *key,
    const char **reason);
static jwt_rc_t jwt_pkey_check(EVP_PKEY *pkey, jwt_key_t *key,
    const char **reason);
static jwt_rc_t jwt_pkey_check_rsa(EVP_PKEY *pkey, const char **reason);
static jwt_rc_t jwt_pkey_check_ec(EVP_PKEY *pkey, jwt_alg_t *alg,
    const char **reason);
static jwt_rc_t jwt_pem_block(const char *name, const unsigned char *data,
    long len, EVP_PKEY **pkey, const char **reason);
static unsigned jwt_hmac_algs(size_t len);
static const EVP_MD *jwt_alg_md(jwt_alg_t alg);
static const jwt_curve_t *jwt_alg_curve(jwt_alg_t alg);
static void jwt_key_hmac_init(jwt_key_t *key);
static void jwt_key_verify_init(jwt_key_t *key);
static const EVP_MD *jwt_alg_fetched_md(jwt_alg_t alg);
static jwt_rc_t jwt_pkey_verify(const jwt_key_t *key, jwt_alg_t alg,
    const unsigned char *in, size_t inlen, const unsigned char *sig,
    size_t siglen, const char **reason);
static size_t jwt_ecdsa_der(unsigned char *der, const unsigned char *sig,
    size_t n);
static jwt_rc_t jwt_verify_hmac(const jwt_key_t *key, jwt_alg_t alg,
    const unsigned char *in, size_t inlen, const unsigned char *sig,
    size_t siglen, const char **reason);
static jwt_rc_t jwt_verify_rsa(const jwt_key_t *key, jwt_alg_t alg,
    const unsigned char *in, size_t inlen, const unsigned char *sig,
    size_t siglen, const char **reason);
static jwt_rc_t jwt_verify_ecdsa(const jwt_key_t *key, jwt_alg_t alg,
    const unsigned char *in, size_t inlen, const unsigned char *sig,
    size_t siglen, const char **reason);
static jwt_rc_t jwt_verify_eddsa(const jwt_key_t *key, jwt_alg_t alg,
    const unsigned char *in, size_t inlen, const unsigned char *sig,
    size_t siglen, const char **reason);
static jwt_rc_t jwt_digest_verify(EVP_PKEY *pkey, const EVP_MD *md,
    int padding, const unsigned char *in, size_t inlen,
    const unsigned char *sig, size_t siglen, const char **reason);


static const jwt_curve_t  jwt_curves[] = {
    { "P-256", SN_X9_62_prime256v1, 32, 256, JWT_ALG_ES256 },
    { "P-384", SN_secp384r1, 48, 384, JWT_ALG_ES384 },
    { "P-521", SN_secp521r1, 66, 521, JWT_ALG_ES512 },
    { NULL, NULL, 0, 0, JWT_ALG_UNKNOWN }
};


/* JWK members that only a private key has (RFC 7518 sections 6.3.2, 6.4) */
static const char  *jwt_jwk_private[] = {
    "d", "p", "q", "dp", "dq", "qi", "oth", NULL
};


void
jwt_keyset_init(jwt_keyset_t *ks)
{
    ks->keys = NULL;
    ks->nkeys = 0;
    ks->nalloc = 0;
}


void
jwt_keyset_free(jwt_keyset_t *ks)
{
    jwt_keyset_rollback(ks, 0);

    free(ks->keys);

    jwt_keyset_init(ks);
}


jwt_rc_t
jwt_keyset_add_secret(jwt_keyset_t *ks, const unsigned char *secret,
    size_t len, unsigned algs)
{
    jwt_rc_t   rc;
    jwt_key_t  key;

    algs &= jwt_hmac_algs(len);

    if (algs == 0) {
        return JWT_ERR_ALG;
    }

    memset(&key, 0, sizeof(jwt_key_t));

    key.kty = JWT_KTY_OCT;
    key.algs = algs;

    key.secret = malloc(len);
    if (key.secret == NULL) {
        return JWT_ERR_NOMEM;
    }

    memcpy(key.secret, secret, len);
    key.secret_len = len;

    rc = jwt_keyset_push(ks, &key);
    if (rc != JWT_OK) {
        jwt_key_free(&key);
    }

    return rc;
}


jwt_rc_t
jwt_keyset_add_jwks(jwt_keyset_t *ks, const unsigned char *json, size_t len,
    unsigned flags, jwt_key_skip_pt skip, void *data, const char **reason)
{
    size_t         i, n, start;
    json_t        *root, *keys, *jwk;
    jwt_rc_t       rc;
    jwt_str_t      kid;
    jwt_key_t      key;
    const char    *why, *dummy;
    json_error_t   err;

    if (reason == NULL) {
        reason = &dummy;
    }

    start = ks->nkeys;

    root = json_loadb((const char *) json, len, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL) {
        *reason = "JWKS is not valid JSON";
        return JWT_ERR_FORMAT;
    }

    rc = JWT_ERR_FORMAT;

    if (!json_is_object(root)) {
        *reason = "JWKS is not a JSON object";
        goto failed;
    }

    keys = json_object_get(root, "keys");

    if (keys != NULL) {
        if (!json_is_array(keys)) {
            *reason = "JWKS \"keys\" is not an array";
            goto failed;
        }

        n = json_array_size(keys);

        if (n == 0) {
            *reason = "JWKS \"keys\" is empty";
            goto failed;
        }

    } else if (json_object_get(root, "kty") != NULL) {
        /* a single JWK */
        n = 1;

    } else {
        *reason = "neither a JWK Set nor a JWK";
        goto failed;
    }

    if ((flags & JWT_KEYS_UNIQUE_KID) && keys != NULL
        && jwt_jwks_dup_kid(keys, n))
    {
        *reason = "duplicate kid";
        goto failed;
    }

    for (i = 0; i < n; i++) {
        jwk = (keys != NULL) ? json_array_get(keys, i) : root;

        memset(&key, 0, sizeof(jwt_key_t));

        why = NULL;
        rc = jwt_jwk_load(jwk, flags, &key, &why);

        if (rc == JWT_OK && jwt_keyset_has_kid(ks, key.kid, key.kid_len)) {
            jwt_key_free(&key);
            *reason = "duplicate kid";
            rc = JWT_ERR_FORMAT;
            goto failed;
        }

        if (rc == JWT_OK) {
            rc = jwt_keyset_push(ks, &key);
        }

        if (rc == JWT_ERR_FORMAT) {
            if (skip != NULL) {
                kid.data = key.kid ? key.kid : (const unsigned char *) "";
                kid.len = key.kid_len;
                skip(data, i, kid, why ? why : "unusable key");
            }

            jwt_key_free(&key);
            ERR_clear_error();
            continue;
        }

        if (rc != JWT_OK) {
            jwt_key_free(&key);
            *reason = why ? why : "out of memory";
            goto failed;
        }
    }

    if (ks->nkeys == start) {
        *reason = "no usable key";
        rc = JWT_ERR_FORMAT;
        goto failed;
    }

    json_decref(root);

    return JWT_OK;

failed:

    jwt_keyset_rollback(ks, start);
    json_decref(root);
    ERR_clear_error();

    return rc;
}


/* two entries of a JWK Set, usable or not, have the same string kid */

static int
jwt_jwks_dup_kid(json_t *keys, size_t n)
{
    size_t   i, j;
    json_t  *a, *b;

    for (i = 1; i < n; i++) {
        a = json_object_get(json_array_get(keys, i), "kid");

        if (!json_is_string(a)) {
            continue;
        }

        for (j = 0; j < i; j++) {
            b = json_object_get(json_array_get(keys, j), "kid");

            if (json_is_string(b)
                && json_string_length(a) == json_string_length(b)
                && memcmp(json_string_value(a), json_string_value(b),
                          json_string_length(a)) == 0)
            {
                return 1;
            }
        }
    }

    return 0;
}


jwt_rc_t
jwt_keyset_add_pem(jwt_keyset_t *ks, const unsigned char *pem, size_t len,
    const char **reason)
{
    BIO            *bio;
    char           *name, *header;
    long            dlen;
    size_t          start;
    jwt_rc_t        rc;
    EVP_PKEY       *pkey;
    jwt_key_t       key;
    const char     *dummy;
    unsigned char  *data;
    unsigned long   err;

    if (reason == NULL) {
        reason = &dummy;
    }

    if (len == 0) {
        *reason = "no PEM public key or certificate found";
        return JWT_ERR_FORMAT;
    }

    if (len > INT_MAX) {
        *reason = "PEM is too large";
        return JWT_ERR_FORMAT;
    }

    start = ks->nkeys;

    bio = BIO_new_mem_buf(pem, (int) len);
    if (bio == NULL) {
        *reason = "out of memory";
        return JWT_ERR_NOMEM;
    }

    for ( ;; ) {
        name = NULL;
        header = NULL;
        data = NULL;

        if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1) {
            err = ERR_peek_last_error();

            if (ERR_GET_LIB(err) == ERR_LIB_PEM
                && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)
            {
                /* nothing but text after the last block */
                break;
            }

            *reason = "malformed PEM";
            rc = JWT_ERR_FORMAT;
            goto failed;
        }

        if (header != NULL && header[0] != '\0') {
            /* Proc-Type and friends: encrypted or legacy blocks */
            *reason = "PEM block has headers";
            rc = JWT_ERR_FORMAT;

        } else {
            rc = jwt_pem_block(name, data, dlen, &pkey, reason);
        }

        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);

        if (rc != JWT_OK) {
            goto failed;
        }

        memset(&key, 0, sizeof(jwt_key_t));
        key.pkey = pkey;

        rc = jwt_pkey_check(pkey, &key, reason);

        if (rc == JWT_OK) {
            rc = jwt_keyset_push(ks, &key);
        }

        if (rc != JWT_OK) {
            jwt_key_free(&key);
            goto failed;
        }
    }

    BIO_free(bio);
    ERR_clear_error();

    if (ks->nkeys == start) {
        *reason = "no PEM public key or certificate found";
        return JWT_ERR_FORMAT;
    }

    return JWT_OK;

failed:

    BIO_free(bio);
    jwt_keyset_rollback(ks, start);
    ERR_clear_error();

    return rc;
}


const jwt_key_t *
jwt_keyset_find(const jwt_keyset_t *ks, jwt_alg_t alg,
    const unsigned char *kid, size_t kid_len, const char **reason)
{
    size_t            i, n;
    unsigned          bit;
    const char       *dummy;
    const jwt_key_t  *key, *found;

    if (reason == NULL) {
        reason = &dummy;
    }

    if (alg <= JWT_ALG_UNKNOWN || alg >= JWT_ALG_MAX) {
        *reason = "unknown alg";
        return NULL;
    }

    bit = JWT_ALG_BIT(alg);

    if (kid != NULL) {
        for (i = 0; i < ks->nkeys; i++) {
            key = &ks->keys[i];

            if (key->kid != NULL
                && key->kid_len == kid_len
                && memcmp(key->kid, kid, kid_len) == 0)
            {
                if (!(key->algs & bit)) {
                    *reason = "key does not fit alg";
                    return NULL;
                }

                return key;
            }
        }

        *reason = "no key with this kid";
        return NULL;
    }

    found = NULL;
    n = 0;

    for (i = 0; i < ks->nkeys; i++) {
        if (ks->keys[i].algs & bit) {
            found = &ks->keys[i];
            n++;
        }
    }

    if (n == 0) {
        *reason = "no key for alg";
        return NULL;
    }

    if (n > 1) {
        *reason = "token has no kid and several keys fit";
        return NULL;
    }

    return found;
}


jwt_rc_t
jwt_verify_signature(const jwt_key_t *key, jwt_alg_t alg,
    const unsigned char *in, size_t inlen, const unsigned char *sig,
    size_t siglen, const char **reason)
{
    jwt_rc_t     rc;
    const char  *dummy;

    if (reason == NULL) {
        reason = &dummy;
    }

    if (key == NULL
        || alg <= JWT_ALG_UNKNOWN || alg >= JWT_ALG_MAX
        || !(key->algs & JWT_ALG_BIT(alg)))
    {
        *reason = "key does not fit alg";
        ERR_clear_error();
        return JWT_ERR_NO_KEY;
    }

    switch (alg) {

    case JWT_ALG_HS256:
    case JWT_ALG_HS384:
    case JWT_ALG_HS512:
        rc = jwt_verify_hmac(key, alg, in, inlen, sig, siglen, reason);
        break;

    case JWT_ALG_RS256:
    case JWT_ALG_RS384:
    case JWT_ALG_RS512:
    case JWT_ALG_PS256:
    case JWT_ALG_PS384:
    case JWT_ALG_PS512:
        rc = jwt_verify_rsa(key, alg, in, inlen, sig, siglen, reason);
        break;

    case JWT_ALG_ES256:
    case JWT_ALG_ES384:
    case JWT_ALG_ES512:
        rc = jwt_verify_ecdsa(key, alg, in, inlen, sig, siglen, reason);
        break;

    default: /* JWT_ALG_EDDSA, JWT_ALG_ED25519, JWT_ALG_ED448 */
        rc = jwt_verify_eddsa(key, alg, in, inlen, sig, siglen, reason);
        break;
    }

    if (rc != JWT_OK) {
        ERR_clear_error();
    }

    return rc;
}


jwt_rc_t
jwt_key_from_jwk(json_t *jwk, jwt_key_t *key, const char **reason)
{
    jwt_rc_t     rc;
    const char  *dummy;

    if (reason == NULL) {
        reason = &dummy;
    }

    memset(key, 0, sizeof(jwt_key_t));

    /* no JWT_KEYS_ALLOW_OCT: a symmetric key is refused */

    rc = jwt_jwk_load(jwk, 0, key, reason);

    if (rc != JWT_OK) {
        jwt_key_free(key);
        ERR_clear_error();
    }

    return rc;
}


void
jwt_key_release(jwt_key_t *key)
{
    jwt_key_free(key);
}


void
jwt_key_prepare(jwt_key_t *key)
{
    if (key->kty == JWT_KTY_RSA || key->kty == JWT_KTY_EC) {
        jwt_key_verify_init(key);
    }
}


static void
jwt_key_free(jwt_key_t *key)
{
    int  i;

    for (i = 0; i < 3; i++) {
        EVP_MAC_CTX_free(key->hmac[i]);
    }

    for (i = 0; i < 9; i++) {
        EVP_PKEY_CTX_free(key->verify[i]);
    }

    EVP_PKEY_free(key->pkey);
    free(key->kid);

    if (key->secret != NULL) {
        OPENSSL_cleanse(key->secret, key->secret_len);
        free(key->secret);
    }

    memset(key, 0, sizeof(jwt_key_t));
}


static jwt_rc_t
jwt_keyset_push(jwt_keyset_t *ks, jwt_key_t *key)
{
    size_t      n;
    jwt_key_t  *keys;

    if (ks->nkeys == ks->nalloc) {
        n = ks->nalloc ? ks->nalloc * 2 : 4;

        keys = realloc(ks->keys, n * sizeof(jwt_key_t));
        if (keys == NULL) {
            return JWT_ERR_NOMEM;
        }

        ks->keys = keys;
        ks->nalloc = n;
    }

    if (key->kty == JWT_KTY_OCT) {
        jwt_key_hmac_init(key);

    } else if (key->kty == JWT_KTY_RSA || key->kty == JWT_KTY_EC) {
        jwt_key_verify_init(key);
    }

    ks->keys[ks->nkeys++] = *key;

    return JWT_OK;
}


/*
 * One keyed HMAC context per allowed hash, made once: a verification
 * then re-initialises it with the same key, with no provider lookup and
 * no allocation.  Without one, jwt_verify_hmac falls back to HMAC().
 */

static void
jwt_key_hmac_init(jwt_key_t *key)
{
    int          i;
    EVP_MAC     *mac;
    jwt_alg_t    alg;
    OSSL_PARAM   params[2];

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) {
        ERR_clear_error();
        return;
    }

    for (i = 0; i < 3; i++) {
        alg = (jwt_alg_t) (JWT_ALG_HS256 + i);

        if (!(key->algs & JWT_ALG_BIT(alg))) {
            continue;
        }

        key->hmac[i] = EVP_MAC_CTX_new(mac);
        if (key->hmac[i] == NULL) {
            continue;
        }

        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                        (char *) EVP_MD_get0_name(jwt_alg_md(alg)), 0);
        params[1] = OSSL_PARAM_construct_end();

        if (EVP_MAC_init(key->hmac[i], key->secret, key->secret_len, params)
            != 1)
        {
            EVP_MAC_CTX_free(key->hmac[i]);
            key->hmac[i] = NULL;
        }
    }

    EVP_MAC_free(mac);
    ERR_clear_error();
}


/* frees the keys from n on: undoes a loader call that failed */

static void
jwt_keyset_rollback(jwt_keyset_t *ks, size_t n)
{
    while (ks->nkeys > n) {
        jwt_key_free(&ks->keys[--ks->nkeys]);
    }
}


/* a key of the set has this kid (NULL: none has) */

int
jwt_keyset_has_kid(const jwt_keyset_t *ks, const unsigned char *kid,
    size_t len)
{
    size_t  i;

    if (kid == NULL) {
        return 0;
    }

    for (i = 0; i < ks->nkeys; i++) {
        if (ks->keys[i].kid != NULL
            && ks->keys[i].kid_len == len
            && memcmp(ks->keys[i].kid, kid, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/*
 * One JWK into key.  JWT_ERR_FORMAT means "skip this key" with *reason;
 * anything else but JWT_OK fails the whole set.
 */

static jwt_rc_t
jwt_jwk_load(json_t *jwk, unsigned flags, jwt_key_t *key, const char **reason)
{
    json_t       *v;
    jwt_rc_t      rc;
    jwt_alg_t     alg;
    const char   *kty;
    const char  **name;

    if (!json_is_object(jwk)) {
        *reason = "key is not a JSON object";
        return JWT_ERR_FORMAT;
    }

    v = json_object_get(jwk, "kid");

    if (v != NULL) {
        if (!json_is_string(v)) {
            *reason = "kid is not a string";
            return JWT_ERR_FORMAT;
        }

        key->kid_len = json_string_length(v);

        key->kid = malloc(key->kid_len + 1);
        if (key->kid == NULL) {
            *reason = "out of memory";
            return JWT_ERR_NOMEM;
        }

        memcpy(key->kid, json_string_value(v), key->kid_len);
        key->kid[key->kid_len] = '\0';
    }

    v = json_object_get(jwk, "kty");

    if (!json_is_string(v)) {
        *reason = "kty is missing or not a string";
        return JWT_ERR_FORMAT;
    }

    kty = json_string_value(v);

    if (strcmp(kty, "oct") == 0 && !(flags & JWT_KEYS_ALLOW_OCT)) {
        *reason = "symmetric key not allowed here";
        return JWT_ERR_FORMAT;
    }

    rc = jwt_jwk_usage(jwk, &alg, reason);
    if (rc != JWT_OK) {
        return rc;
    }

    for (name = jwt_jwk_private; *name; name++) {
        if (json_object_get(jwk, *name) != NULL) {
            *reason = "private key material in JWKS";
            return JWT_ERR_FORMAT;
        }
    }

    if (strcmp(kty, "oct") == 0) {
        rc = jwt_jwk_oct(jwk, key, reason);

    } else if (json_object_get(jwk, "k") != NULL) {
        *reason = "private key material in JWKS";
        return JWT_ERR_FORMAT;

    } else if (strcmp(kty, "RSA") == 0) {
        rc = jwt_jwk_rsa(jwk, key, reason);

    } else if (strcmp(kty, "EC") == 0) {
        rc = jwt_jwk_ec(jwk, key, reason);

    } else if (strcmp(kty, "OKP") == 0) {
        rc = jwt_jwk_okp(jwk, key, reason);

    } else {
        *reason = "unsupported kty";
        return JWT_ERR_FORMAT;
    }

    if (rc != JWT_OK) {
        return rc;
    }

    if (alg != JWT_ALG_UNKNOWN) {
        if (!(key->algs & JWT_ALG_BIT(alg))) {
            *reason = "alg does not fit key";
            return JWT_ERR_FORMAT;
        }

        key->algs = JWT_ALG_BIT(alg);
    }

    return JWT_OK;
}


/* "use", "key_ops" and "alg" (RFC 7517 sections 4.2 to 4.4) */

static jwt_rc_t
jwt_jwk_usage(json_t *jwk, jwt_alg_t *alg, const char **reason)
{
    size_t   i;
    json_t  *v, *op;

    *alg = JWT_ALG_UNKNOWN;

    v = json_object_get(jwk, "use");

    if (v != NULL
        && (!json_is_string(v) || strcmp(json_string_value(v), "sig") != 0))
    {
        *reason = "use is not sig";
        return JWT_ERR_FORMAT;
    }

    v = json_object_get(jwk, "key_ops");

    if (v != NULL) {
        if (!json_is_array(v)) {
            *reason = "key_ops is not an array";
            return JWT_ERR_FORMAT;
        }

        json_array_foreach(v, i, op) {
            if (json_is_string(op)
                && strcmp(json_string_value(op), "verify") == 0)
            {
                break;
            }
        }

        if (i == json_array_size(v)) {
            *reason = "key_ops does not allow verify";
            return JWT_ERR_FORMAT;
        }
    }

    v = json_object_get(jwk, "alg");

    if (v != NULL) {
        if (!json_is_string(v)) {
            *reason = "alg is not a string";
            return JWT_ERR_FORMAT;
        }

        *alg = jwt_alg_by_name((const unsigned char *) json_string_value(v),
                               json_string_length(v));

        if (*alg == JWT_ALG_UNKNOWN) {
            *reason = "unknown alg";
            return JWT_ERR_FORMAT;
        }
    }

    return JWT_OK;
}


/* a strict base64url member; *buf is malloc()ed and never empty */

static jwt_rc_t
jwt_jwk_b64(json_t *jwk, const char *name, const char *bad,
    unsigned char **buf, size_t *len, const char **reason)
{
    long            n;
    json_t         *v;
    unsigned char  *p;

    v = json_object_get(jwk, name);

    if (!json_is_string(v) || json_string_length(v) == 0) {
        *reason = bad;
        return JWT_ERR_FORMAT;
    }

    p = malloc(jwt_b64url_decoded_max(json_string_length(v)));
    if (p == NULL) {
        *reason = "out of memory";
        return JWT_ERR_NOMEM;
    }

    n = jwt_b64url_decode(p, (const unsigned char *) json_string_value(v),
                          json_string_length(v));

    if (n <= 0) {
        free(p);
        *reason = bad;
        return JWT_ERR_FORMAT;
    }

    *buf = p;
    *len = (size_t) n;

    return JWT_OK;
}


static jwt_rc_t
jwt_jwk_oct(json_t *jwk, jwt_key_t *key, const char **reason)
{
    jwt_rc_t  rc;

    rc = jwt_jwk_b64(jwk, "k", "oct k is missing or malformed", &key->secret,
                     &key->secret_len, reason);
    if (rc != JWT_OK) {
        return rc;
    }

    key->kty = JWT_KTY_OCT;
    key->algs = jwt_hmac_algs(key->secret_len);

    if (key->algs == 0) {
        *reason = "symmetric key is shorter than 32 bytes";
        return JWT_ERR_FORMAT;
    }

    return JWT_OK;
}


static jwt_rc_t
jwt_jwk_rsa(json_t *jwk, jwt_key_t *key, const char **reason)
{
    BIGNUM          *n, *e;
    size_t           nlen, elen;
    jwt_rc_t         rc;
    unsigned char   *nbuf, *ebuf;
    OSSL_PARAM_BLD  *bld;

    n = NULL;
    e = NULL;
    nbuf = NULL;
    ebuf = NULL;
    bld = NULL;

    rc = jwt_jwk_b64(jwk, "n", "RSA n is missing or malformed", &nbuf, &nlen,
                     reason);
    if (rc != JWT_OK) {
        goto done;
    }

    rc = jwt_jwk_b64(jwk, "e", "RSA e is missing or malformed", &ebuf, &elen,
                     reason);
    if (rc != JWT_OK) {
        goto done;
    }

    rc = JWT_ERR_NOMEM;
    *reason = "out of memory";

    if (nlen > INT_MAX || elen > INT_MAX) {
        *reason = "RSA key is too large";
        rc = JWT_ERR_FORMAT;
        goto done;
    }

    n = BN_bin2bn(nbuf, (int) nlen, NULL);
    e = BN_bin2bn(ebuf, (int) elen, NULL);
    bld = OSSL_PARAM_BLD_new();

    if (n == NULL || e == NULL || bld == NULL) {
        goto done;
    }

    if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1
        || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
    {
        goto done;
    }

    rc = jwt_jwk_fromdata(bld, "RSA", "invalid RSA key", key, reason);

done:

    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    free(nbuf);
    free(ebuf);

    return rc;
}


static jwt_rc_t
jwt_jwk_ec(json_t *jwk, jwt_key_t *key, const char **reason)
{
    size_t              xlen, ylen;
    json_t             *v;
    jwt_rc_t            rc;
    unsigned char      *x, *y;
    OSSL_PARAM_BLD     *bld;
    const jwt_curve_t  *curve;
    unsigned char       point[1 + 2 * 66];

    x = NULL;
    y = NULL;
    bld = NULL;

    v = json_object_get(jwk, "crv");

    if (!json_is_string(v)) {
        *reason = "EC crv is missing or not a string";
        return JWT_ERR_FORMAT;
    }

    for (curve = jwt_curves; curve->crv; curve++) {
        if (strcmp(curve->crv, json_string_value(v)) == 0) {
            break;
        }
    }

    if (curve->crv == NULL) {
        *reason = "unsupported EC crv";
        return JWT_ERR_FORMAT;
    }

    rc = jwt_jwk_b64(jwk, "x", "EC x is missing or malformed", &x, &xlen,
                     reason);
    if (rc != JWT_OK) {
        goto done;
    }

    rc = jwt_jwk_b64(jwk, "y", "EC y is missing or malformed", &y, &ylen,
                     reason);
    if (rc != JWT_OK) {
        goto done;
    }

    /* RFC 7518 6.2.1.2: exactly the field size, leading zeros included */

    if (xlen != curve->size || ylen != curve->size) {
        *reason = "EC coordinate length does not fit crv";
        rc = JWT_ERR_FORMAT;
        goto done;
    }

    point[0] = POINT_CONVERSION_UNCOMPRESSED;
    memcpy(&point[1], x, xlen);
    memcpy(&point[1 + xlen], y, ylen);

    rc = JWT_ERR_NOMEM;
    *reason = "out of memory";

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL) {
        goto done;
    }

    if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                        curve->group, 0) != 1
        || OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                            point, 1 + 2 * curve->size) != 1)
    {
        goto done;
    }

    rc = jwt_jwk_fromdata(bld, "EC", "EC point is not on the curve", key,
                          reason);

    if (rc == JWT_OK && key->algs != JWT_ALG_BIT(curve->alg)) {
        *reason = "EC key does not fit crv";
        rc = JWT_ERR_FORMAT;
    }

done:

    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);

    return rc;
}


/*
 * The common tail of RSA and EC keys: a public key of that type from the
 * parameters built, checked as any key is.
 */

static jwt_rc_t
jwt_jwk_fromdata(OSSL_PARAM_BLD *bld, const char *type, const char *bad,
    jwt_key_t *key, const char **reason)
{
    jwt_rc_t       rc;
    EVP_PKEY      *pkey;
    OSSL_PARAM    *params;
    EVP_PKEY_CTX  *ctx;

    pkey = NULL;
    ctx = NULL;

    rc = JWT_ERR_NOMEM;
    *reason = "out of memory";

    params = OSSL_PARAM_BLD_to_param(bld);
    if (params == NULL) {
        return rc;
    }

    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (ctx == NULL) {
        goto done;
    }

    if (EVP_PKEY_fromdata_init(ctx) != 1
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
        *reason = bad;
        rc = JWT_ERR_FORMAT;
        goto done;
    }

    key->pkey = pkey;

    rc = jwt_pkey_check(pkey, key, reason);

done:

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);

    return rc;
}


static jwt_rc_t
jwt_jwk_okp(json_t *jwk, jwt_key_t *key, const char **reason)
{
    size_t          len, need;
    json_t         *v;
    jwt_rc_t        rc;
    const char     *type;
    unsigned char  *x;

    v = json_object_get(jwk, "crv");

    if (!json_is_string(v)) {
        *reason = "OKP crv is missing or not a string";
        return JWT_ERR_FORMAT;
    }

    if (strcmp(json_string_value(v), "Ed25519") == 0) {
        type = "ED25519";
        need = 32;

    } else if (strcmp(json_string_value(v), "Ed448") == 0) {
        type = "ED448";
        need = 57;

    } else {
        *reason = "unsupported OKP crv";
        return JWT_ERR_FORMAT;
    }

    rc = jwt_jwk_b64(jwk, "x", "OKP x is missing or malformed", &x, &len,
                     reason);
    if (rc != JWT_OK) {
        return rc;
    }

    if (len != need) {
        free(x);
        *reason = "OKP x length does not fit crv";
        return JWT_ERR_FORMAT;
    }

    key->pkey = EVP_PKEY_new_raw_public_key_ex(NULL, type, NULL, x, len);

    free(x);

    if (key->pkey == NULL) {
        *reason = "invalid OKP key";
        return JWT_ERR_FORMAT;
    }

    return jwt_pkey_check(key->pkey, key, reason);
}


/*
 * The rules every public key obeys, wherever it comes from; sets kty and
 * the algs the key may verify when the JWK does not name one.
 */

static jwt_rc_t
jwt_pkey_check(EVP_PKEY *pkey, jwt_key_t *key, const char **reason)
{
    jwt_rc_t   rc;
    jwt_alg_t  alg;

    if (EVP_PKEY_is_a(pkey, "RSA")) {
        rc = jwt_pkey_check_rsa(pkey, reason);
        if (rc != JWT_OK) {
            return rc;
        }

        key->kty = JWT_KTY_RSA;
        key->algs = JWT_ALGS_RSA;

        return JWT_OK;
    }

    if (EVP_PKEY_is_a(pkey, "EC")) {
        rc = jwt_pkey_check_ec(pkey, &alg, reason);
        if (rc != JWT_OK) {
            return rc;
        }

        key->kty = JWT_KTY_EC;
        key->algs = JWT_ALG_BIT(alg);

        return JWT_OK;
    }

    if (EVP_PKEY_is_a(pkey, "ED25519")) {
        key->kty = JWT_KTY_OKP;
        key->algs = JWT_ALGS_ED25519;
        return JWT_OK;
    }

    if (EVP_PKEY_is_a(pkey, "ED448")) {
        key->kty = JWT_KTY_OKP;
        key->algs = JWT_ALGS_ED448;
        return JWT_OK;
    }

    /* RSA-PSS (restricted) keys, DSA, X25519, SM2, ... */

    *reason = "unsupported key type";

    return JWT_ERR_FORMAT;
}


static jwt_rc_t
jwt_pkey_check_rsa(EVP_PKEY *pkey, const char **reason)
{
    int        bits;
    BIGNUM    *n, *e;
    jwt_rc_t   rc;

    n = NULL;
    e = NULL;

    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1
        || EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
    {
        *reason = "invalid RSA key";
        rc = JWT_ERR_FORMAT;
        goto done;
    }

    rc = JWT_ERR_FORMAT;

    /* bits, not bytes: leading zero octets do not make a modulus longer */
    bits = BN_num_bits(n);

    if (bits < JWT_RSA_MIN_BITS) {
        *reason = "RSA key is shorter than 2048 bits";
        goto done;
    }

    if (bits > JWT_RSA_MAX_BITS) {
        *reason = "RSA key is longer than 8192 bits";
        goto done;
    }

    if (!BN_is_odd(n)) {
        *reason = "RSA modulus is even";
        goto done;
    }

    if (!BN_is_odd(e) || BN_is_one(e)) {
        *reason = "RSA exponent is 1 or even";
        goto done;
    }

    if (BN_num_bits(e) > JWT_RSA_MAX_E_BITS) {
        *reason = "RSA exponent is too large";
        goto done;
    }

    rc = JWT_OK;

done:

    BN_free(n);
    BN_free(e);

    return rc;
}


static jwt_rc_t
jwt_pkey_check_ec(EVP_PKEY *pkey, jwt_alg_t *alg, const char **reason)
{
    int                 rv;
    size_t              len;
    EVP_PKEY_CTX       *ctx;
    const jwt_curve_t  *curve;
    char                name[64];

    /* explicit curve parameters have no name and are refused here */

    if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len) != 1) {
        *reason = "EC key has no named curve";
        return JWT_ERR_FORMAT;
    }

    for (curve = jwt_curves; curve->crv; curve++) {
        if (strcmp(curve->group, name) == 0) {
            break;
        }
    }

    if (curve->crv == NULL || EVP_PKEY_get_bits(pkey) != curve->bits) {
        *reason = "unsupported EC curve";
        return JWT_ERR_FORMAT;
    }

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL) {
        *reason = "out of memory";
        return JWT_ERR_NOMEM;
    }

    /* on the curve, not the point at infinity, in the prime-order group */
    rv = EVP_PKEY_public_check(ctx);

    EVP_PKEY_CTX_free(ctx);

    if (rv != 1) {
        *reason = "EC point is not on the curve";
        return JWT_ERR_FORMAT;
    }

    *alg = curve->alg;

    return JWT_OK;
}


static jwt_rc_t
jwt_pem_block(const char *name, const unsigned char *data, long len,
    EVP_PKEY **pkey, const char **reason)
{
    X509                 *x509;
    const unsigned char  *p;

    p = data;

    if (strcmp(name, PEM_STRING_PUBLIC) == 0) {
        *pkey = d2i_PUBKEY(NULL, &p, len);

        if (*pkey == NULL || p != data + len) {
            EVP_PKEY_free(*pkey);
            *pkey = NULL;
            *reason = "malformed PEM public key";
            return JWT_ERR_FORMAT;
        }

        return JWT_OK;
    }

    if (strcmp(name, PEM_STRING_X509) == 0) {
        x509 = d2i_X509(NULL, &p, len);

        if (x509 == NULL || p != data + len) {
            X509_free(x509);
            *reason = "malformed PEM certificate";
            return JWT_ERR_FORMAT;
        }

        *pkey = X509_get_pubkey(x509);

        X509_free(x509);

        if (*pkey == NULL) {
            *reason = "certificate has an unusable public key";
            return JWT_ERR_FORMAT;
        }

        return JWT_OK;
    }

    *reason = "PEM block is neither a public key nor a certificate";

    return JWT_ERR_FORMAT;
}


/* the HS algs whose hash is not longer than a secret of len bytes */

static unsigned
jwt_hmac_algs(size_t len)
{
    unsigned   algs;
    jwt_alg_t  alg;

    algs = 0;

    for (alg = JWT_ALG_HS256; alg <= JWT_ALG_HS512; alg++) {
        if (len >= jwt_alg_hmac_size(alg)) {
            algs |= JWT_ALG_BIT(alg);
        }
    }

    return algs;
}


static const EVP_MD *
jwt_alg_md(jwt_alg_t alg)
{
    switch (alg) {

    case JWT_ALG_HS256:
    case JWT_ALG_RS256:
    case JWT_ALG_PS256:
    case JWT_ALG_ES256:
        return EVP_sha256();

    case JWT_ALG_HS384:
    case JWT_ALG_RS384:
    case JWT_ALG_PS384:
    case JWT_ALG_ES384:
        return EVP_sha384();

    case JWT_ALG_HS512:
    case JWT_ALG_RS512:
    case JWT_ALG_PS512:
    case JWT_ALG_ES512:
        return EVP_sha512();

    default:
        return NULL;
    }
}


static const jwt_curve_t *
jwt_alg_curve(jwt_alg_t alg)
{
    const jwt_curve_t  *curve;

    for (curve = jwt_curves; curve->crv; curve++) {
        if (curve->alg == alg) {
            return curve;
        }
    }

    return NULL;
}


static jwt_rc_t
jwt_verify_hmac(const jwt_key_t *key, jwt_alg_t alg, const unsigned char *in,
    size_t inlen, const unsigned char *sig, size_t siglen,
    const char **reason)
{
    int             rv;
    size_t          size, outlen;
    unsigned int    len;
    EVP_MAC_CTX    *ctx;
    unsigned char   mac[EVP_MAX_MD_SIZE];

    if (key->kty != JWT_KTY_OCT || key->secret == NULL
        || key->secret_len > INT_MAX)
    {
        *reason = "key does not fit alg";
        return JWT_ERR_NO_KEY;
    }

    size = jwt_alg_hmac_size(alg);

    if (siglen != size) {
        *reason = "signature length is wrong";
        return JWT_ERR_SIGNATURE;
    }

    ctx = key->hmac[alg - JWT_ALG_HS256];

    if (ctx != NULL) {
        if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1
            || EVP_MAC_update(ctx, in, inlen) != 1
            || EVP_MAC_final(ctx, mac, &outlen, sizeof(mac)) != 1
            || outlen != size)
        {
            ERR_clear_error();
            *reason = "HMAC failed";
            return JWT_ERR_INTERNAL;
        }

    } else if (HMAC(jwt_alg_md(alg), key->secret, (int) key->secret_len, in,
                    inlen, mac, &len)
               == NULL
               || len != size)
    {
        ERR_clear_error();
        *reason = "HMAC failed";
        return JWT_ERR_INTERNAL;
    }

    rv = CRYPTO_memcmp(mac, sig, size);

    OPENSSL_cleanse(mac, sizeof(mac));

    if (rv != 0) {
        *reason = "signature mismatch";
        return JWT_ERR_SIGNATURE;
    }

    return JWT_OK;
}


static jwt_rc_t
jwt_verify_rsa(const jwt_key_t *key, jwt_alg_t alg, const unsigned char *in,
    size_t inlen, const unsigned char *sig, size_t siglen,
    const char **reason)
{
    int  size, padding;

    if (key->kty != JWT_KTY_RSA || key->pkey == NULL
        || !EVP_PKEY_is_a(key->pkey, "RSA"))
    {
        *reason = "key does not fit alg";
        return JWT_ERR_NO_KEY;
    }

    /* RFC 7518 3.3 and 3.5: exactly the modulus size, before any bignum */

    size = EVP_PKEY_get_size(key->pkey);

    if (size <= 0 || siglen != (size_t) size) {
        *reason = "signature length is wrong";
        return JWT_ERR_SIGNATURE;
    }

    if (key->verify[alg - JWT_ALG_RS256] != NULL) {
        return jwt_pkey_verify(key, alg, in, inlen, sig, siglen, reason);
    }

    padding = (alg >= JWT_ALG_PS256) ? RSA_PKCS1_PSS_PADDING
                                     : RSA_PKCS1_PADDING;

    return jwt_digest_verify(key->pkey, jwt_alg_md(alg), padding, in, inlen,
                             sig, siglen, reason);
}


static jwt_rc_t
jwt_verify_ecdsa(const jwt_key_t *key, jwt_alg_t alg,
    const unsigned char *in, size_t inlen, const unsigned char *sig,
    size_t siglen, const char **reason)
{
    size_t              i, n, len;
    unsigned char       zr, zs;
    const jwt_curve_t  *curve;
    unsigned char       der[256];

    curve = jwt_alg_curve(alg);

    if (curve == NULL || key->kty != JWT_KTY_EC || key->pkey == NULL
        || !EVP_PKEY_is_a(key->pkey, "EC")
        || EVP_PKEY_get_bits(key->pkey) != curve->bits)
    {
        *reason = "key does not fit alg";
        return JWT_ERR_NO_KEY;
    }

    /* RFC 7518 3.4: R || S, each exactly the field size; never DER */

    n = curve->size;

    if (siglen != 2 * n) {
        *reason = "signature length is wrong";
        return JWT_ERR_SIGNATURE;
    }

    zr = 0;
    zs = 0;

    for (i = 0; i < n; i++) {
        zr |= sig[i];
        zs |= sig[n + i];
    }

    if (zr == 0 || zs == 0) {
        *reason = "signature mismatch";
        return JWT_ERR_SIGNATURE;
    }

    len = jwt_ecdsa_der(der, sig, n);

    if (key->verify[alg - JWT_ALG_RS256] != NULL) {
        return jwt_pkey_verify(key, alg, in, inlen, der, len, reason);
    }

    return jwt_digest_verify(key->pkey, jwt_alg_md(alg), 0, in, inlen, der,
                             len, reason);
}


/*
 * DER of ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } from raw
 * R || S of n bytes each (n <= 66, so der needs at most 141 bytes):
 * leading zeros dropped, a zero prepended where the high bit is set.
 */

static size_t
jwt_ecdsa_der(unsigned char *der, const unsigned char *sig, size_t n)
{
    size_t               i, k, len[2], body;
    unsigned char       *p;
    const unsigned char  *half[2];

    for (k = 0; k < 2; k++) {
        half[k] = sig + k * n;
        len[k] = n;

        while (len[k] > 1 && half[k][0] == 0) {
            half[k]++;
            len[k]--;
        }
    }

    body = 0;

    for (k = 0; k < 2; k++) {
        body += 2 + len[k] + (half[k][0] & 0x80 ? 1 : 0);
    }

    p = der;
    *p++ = 0x30;

    if (body > 127) {
        *p++ = 0x81;
    }

    *p++ = (unsigned char) body;

    for (k = 0; k < 2; k++) {
        *p++ = 0x02;
        *p++ = (unsigned char) (len[k] + (half[k][0] & 0x80 ? 1 : 0));

        if (half[k][0] & 0x80) {
            *p++ = 0x00;
        }

        for (i = 0; i < len[k]; i++) {
            *p++ = half[k][i];
        }
    }

    return (size_t) (p - der);
}


static jwt_rc_t
jwt_verify_eddsa(const jwt_key_t *key, jwt_alg_t alg,
    const unsigned char *in, size_t inlen, const unsigned char *sig,
    size_t siglen, const char **reason)
{
    size_t  size;

    if (key->kty != JWT_KTY_OKP || key->pkey == NULL) {
        *reason = "key does not fit alg";
        return JWT_ERR_NO_KEY;
    }

    /* RFC 9864: Ed25519 and Ed448 name the curve, EdDSA takes either */

    if (EVP_PKEY_is_a(key->pkey, "ED25519")
        && (alg == JWT_ALG_EDDSA || alg == JWT_ALG_ED25519))
    {
        size = 64;

    } else if (EVP_PKEY_is_a(key->pkey, "ED448")
               && (alg == JWT_ALG_EDDSA || alg == JWT_ALG_ED448))
    {
        size = 114;

    } else {
        *reason = "key does not fit alg";
        return JWT_ERR_NO_KEY;
    }

    if (siglen != size) {
        *reason = "signature length is wrong";
        return JWT_ERR_SIGNATURE;
    }

    return jwt_digest_verify(key->pkey, NULL, 0, in, inlen, sig, siglen,
                             reason);
}


/* padding: 0 to leave the key type's own, or an RSA_*_PADDING */

static jwt_rc_t
jwt_digest_verify(EVP_PKEY *pkey, const EVP_MD *md, int padding,
    const unsigned char *in, size_t inlen, const unsigned char *sig,
    size_t siglen, const char **reason)
{
    int            rv;
    EVP_MD_CTX    *mctx;
    EVP_PKEY_CTX  *pctx;

    mctx = EVP_MD_CTX_new();
    if (mctx == NULL) {
        *reason = "out of memory";
        return JWT_ERR_NOMEM;
    }

    pctx = NULL;

    if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, pkey) != 1) {
        EVP_MD_CTX_free(mctx);
        *reason = "signature verification setup failed";
        return JWT_ERR_INTERNAL;
    }

    if (padding != 0) {
        rv = EVP_PKEY_CTX_set_rsa_padding(pctx, padding);

        /* RFC 7518 3.5: MGF1 with the same hash, salt as long as the hash */

        if (rv == 1 && padding == RSA_PKCS1_PSS_PADDING) {
            rv = EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, EVP_MD_get_size(md));

            if (rv == 1) {
                rv = EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md);
            }
        }

        if (rv != 1) {
            EVP_MD_CTX_free(mctx);
            *reason = "signature verification setup failed";
            return JWT_ERR_INTERNAL;
        }
    }

    /* only 1 is success: 0 is a mismatch, negative an error on our input */

    rv = EVP_DigestVerify(mctx, sig, siglen, in, inlen);

    EVP_MD_CTX_free(mctx);

    if (rv != 1) {
        *reason = "signature mismatch";
        return JWT_ERR_SIGNATURE;
    }

    return JWT_OK;
}


/*
 * Verification contexts made once per key and algorithm: a request then
 * hashes the signing input and calls EVP_PKEY_verify() on a ready context,
 * instead of setting one up (key, padding, digest) every time.
 */

static void
jwt_key_verify_init(jwt_key_t *key)
{
    int            i, rv;
    jwt_alg_t      alg;
    const EVP_MD  *md;

    for (i = 0; i < 9; i++) {
        alg = (jwt_alg_t) (JWT_ALG_RS256 + i);

        if (!(key->algs & JWT_ALG_BIT(alg))) {
            continue;
        }

        md = jwt_alg_fetched_md(alg);
        if (md == NULL) {
            continue;
        }

        key->verify[i] = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
        if (key->verify[i] == NULL) {
            continue;
        }

        rv = EVP_PKEY_verify_init(key->verify[i]);

        if (rv == 1 && alg <= JWT_ALG_RS512) {
            rv = EVP_PKEY_CTX_set_rsa_padding(key->verify[i],
                                              RSA_PKCS1_PADDING);

        } else if (rv == 1 && alg <= JWT_ALG_PS512) {

            /* RFC 7518 3.5: MGF1 with the same hash, salt of hash length */

            rv = EVP_PKEY_CTX_set_rsa_padding(key->verify[i],
                                              RSA_PKCS1_PSS_PADDING);
            if (rv == 1) {
                rv = EVP_PKEY_CTX_set_rsa_pss_saltlen(key->verify[i],
                                                      EVP_MD_get_size(md));
            }

            if (rv == 1) {
                rv = EVP_PKEY_CTX_set_rsa_mgf1_md(key->verify[i], md);
            }
        }

        if (rv == 1) {
            rv = EVP_PKEY_CTX_set_signature_md(key->verify[i], md);
        }

        if (rv != 1) {
            EVP_PKEY_CTX_free(key->verify[i]);
            key->verify[i] = NULL;
        }
    }

    ERR_clear_error();
}


static jwt_rc_t
jwt_pkey_verify(const jwt_key_t *key, jwt_alg_t alg, const unsigned char *in,
    size_t inlen, const unsigned char *sig, size_t siglen,
    const char **reason)
{
    int                  rv;
    unsigned int         len;
    const EVP_MD        *md;
    unsigned char        hash[EVP_MAX_MD_SIZE];
    static EVP_MD_CTX   *mctx;

    /* the core runs in one thread per process: one hashing context */

    if (mctx == NULL) {
        mctx = EVP_MD_CTX_new();
        if (mctx == NULL) {
            *reason = "out of memory";
            return JWT_ERR_NOMEM;
        }
    }

    md = jwt_alg_fetched_md(alg);

    if (md == NULL
        || EVP_DigestInit_ex(mctx, md, NULL) != 1
        || EVP_DigestUpdate(mctx, in, inlen) != 1
        || EVP_DigestFinal_ex(mctx, hash, &len) != 1)
    {
        ERR_clear_error();
        *reason = "digest failed";
        return JWT_ERR_INTERNAL;
    }

    /* only 1 is success: 0 is a mismatch, negative an error on our input */

    rv = EVP_PKEY_verify(key->verify[alg - JWT_ALG_RS256], sig, siglen, hash,
                         len);

    OPENSSL_cleanse(hash, sizeof(hash));

    if (rv != 1) {
        ERR_clear_error();
        *reason = "signature mismatch";
        return JWT_ERR_SIGNATURE;
    }

    return JWT_OK;
}


/* SHA-2 fetched once, so that no hashing looks up a provider */

static const EVP_MD *
jwt_alg_fetched_md(jwt_alg_t alg)
{
    int              i;
    static EVP_MD   *mds[3];
    static const char  *names[3] = { "SHA256", "SHA384", "SHA512" };

    switch (alg) {
    case JWT_ALG_HS256: case JWT_ALG_RS256: case JWT_ALG_PS256:
    case JWT_ALG_ES256:
        i = 0;
        break;

    case JWT_ALG_HS384: case JWT_ALG_RS384: case JWT_ALG_PS384:
    case JWT_ALG_ES384:
        i = 1;
        break;

    case JWT_ALG_HS512: case JWT_ALG_RS512: case JWT_ALG_PS512:
    case JWT_ALG_ES512:
        i = 2;
        break;

    default:
        return NULL;
    }

    if (mds[i] == NULL) {
        mds[i] = EVP_MD_fetch(NULL, names[i], NULL);
    }

    return mds[i];
}
