
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


/*
 * libFuzzer target: key loading.  The whole input goes to
 * jwt_keyset_add_jwks() and then, into the same keyset, to
 * jwt_keyset_add_pem(); the first byte decides the flags (odd: oct keys
 * allowed), so "{..." loads with JWT_KEYS_ALLOW_OCT and " {..." without,
 * and every seed stays plain JSON or PEM.  Whatever is loaded is looked
 * up for a few algs and made to verify a fixed message, then freed.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "jwt.h"
#include "jwt_jwk.h"


#define FUZZ_JWKS_VERIFY_MAX  4


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_jwks_skip(void *data, size_t index, jwt_str_t kid,
    const char *reason);
static void fuzz_jwks_check(const jwt_keyset_t *ks, unsigned flags);
static void fuzz_jwks_use(const jwt_keyset_t *ks);
static size_t fuzz_jwks_sig_len(const jwt_key_t *key, jwt_alg_t alg);


#define FUZZ_ALG(a)  JWT_ALG_BIT(JWT_ALG_ ## a)

#define FUZZ_ALGS_RSA                                                        \
    (FUZZ_ALG(RS256) | FUZZ_ALG(RS384) | FUZZ_ALG(RS512) | FUZZ_ALG(PS256)   \
     | FUZZ_ALG(PS384) | FUZZ_ALG(PS512))

#define FUZZ_ALGS_ES                                                         \
    (FUZZ_ALG(ES256) | FUZZ_ALG(ES384) | FUZZ_ALG(ES512))

#define FUZZ_ALGS_OKP                                                        \
    (FUZZ_ALG(EDDSA) | FUZZ_ALG(ED25519) | FUZZ_ALG(ED448))


static const jwt_alg_t  fuzz_jwks_algs[] = {
    JWT_ALG_HS256, JWT_ALG_HS512, JWT_ALG_RS256, JWT_ALG_PS384,
    JWT_ALG_ES256, JWT_ALG_ES384, JWT_ALG_ES512, JWT_ALG_EDDSA,
    JWT_ALG_ED25519, JWT_ALG_ED448
};

static const unsigned char  fuzz_jwks_msg[] = "eyJhbGciOiJub25lIn0.e30";

static unsigned char  fuzz_jwks_sig[1024];


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t         n, skipped;
    unsigned       flags;
    jwt_rc_t       rc;
    const char    *reason;
    jwt_keyset_t   ks;

    if (fuzz_jwks_sig[0] == 0) {
        memset(fuzz_jwks_sig, 0x5a, sizeof(fuzz_jwks_sig));
    }

    flags = (size > 0 && (data[0] & 1)) ? JWT_KEYS_ALLOW_OCT : 0;

    jwt_keyset_init(&ks);

    skipped = 0;
    reason = NULL;

    rc = jwt_keyset_add_jwks(&ks, data, size, flags, fuzz_jwks_skip, &skipped,
                             &reason);

    /* success adds a key; failure says why and adds nothing */

    if ((rc == JWT_OK && ks.nkeys == 0)
        || (rc != JWT_OK && (ks.nkeys != 0 || reason == NULL)))
    {
        abort();
    }

    fuzz_jwks_check(&ks, flags);

    n = ks.nkeys;
    reason = NULL;

    rc = jwt_keyset_add_pem(&ks, data, size, &reason);

    if ((rc == JWT_OK && ks.nkeys <= n)
        || (rc != JWT_OK && (ks.nkeys != n || reason == NULL)))
    {
        abort();
    }

    fuzz_jwks_check(&ks, flags);
    fuzz_jwks_use(&ks);

    jwt_keyset_free(&ks);

    if (ks.keys != NULL || ks.nkeys != 0) {
        abort();
    }

    return 0;
}


/* the kid is read whole, so that AddressSanitizer checks its length */

static void
fuzz_jwks_skip(void *data, size_t index, jwt_str_t kid, const char *reason)
{
    size_t  i;
    size_t  *skipped;

    (void) index;

    skipped = data;

    if (reason == NULL || kid.data == NULL) {
        abort();
    }

    for (i = 0; i < kid.len; i++) {
        *skipped += kid.data[i];
    }

    (*skipped)++;
}


/*
 * What a loaded key may verify follows from its type alone: an oct key
 * only HS* and only with the flag; a public key never HS*, so that no
 * JWKS can turn a public key into an HMAC secret.
 */

static void
fuzz_jwks_check(const jwt_keyset_t *ks, unsigned flags)
{
    size_t            i;
    unsigned          algs;
    const jwt_key_t  *key;

    for (i = 0; i < ks->nkeys; i++) {
        key = &ks->keys[i];
        algs = key->algs;

        if (algs == 0
            || (key->kid == NULL && key->kid_len != 0))
        {
            abort();
        }

        switch (key->kty) {

        case JWT_KTY_OCT:
            if (!(flags & JWT_KEYS_ALLOW_OCT) || (algs & ~JWT_ALGS_HS)
                || key->secret == NULL || key->secret_len < 32
                || key->pkey != NULL)
            {
                abort();
            }

            break;

        case JWT_KTY_RSA:
            if ((algs & ~FUZZ_ALGS_RSA) || key->pkey == NULL
                || key->secret != NULL)
            {
                abort();
            }

            break;

        case JWT_KTY_EC:
            if ((algs & ~FUZZ_ALGS_ES) || (algs & (algs - 1))
                || key->pkey == NULL || key->secret != NULL)
            {
                abort();
            }

            break;

        case JWT_KTY_OKP:
            if ((algs & ~FUZZ_ALGS_OKP) || key->pkey == NULL
                || key->secret != NULL)
            {
                abort();
            }

            break;

        default:
            abort();
        }
    }
}


/* key choice for a few algs, with and without a kid, then a signature */

static void
fuzz_jwks_use(const jwt_keyset_t *ks)
{
    size_t            i, nverify, siglen;
    jwt_rc_t          rc;
    jwt_alg_t         alg;
    const char       *reason;
    const jwt_key_t  *key, *first;

    if (ks->nkeys == 0) {
        return;
    }

    first = &ks->keys[0];
    nverify = 0;

    for (i = 0; i < sizeof(fuzz_jwks_algs) / sizeof(jwt_alg_t); i++) {
        alg = fuzz_jwks_algs[i];

        reason = NULL;
        key = jwt_keyset_find(ks, alg, NULL, 0, &reason);

        if ((key == NULL && reason == NULL)
            || (key != NULL && !(key->algs & JWT_ALG_BIT(alg))))
        {
            abort();
        }

        if (first->kid != NULL) {
            reason = NULL;
            key = jwt_keyset_find(ks, alg, first->kid, first->kid_len,
                                  &reason);

            if ((key == NULL && reason == NULL)
                || (key != NULL && !(key->algs & JWT_ALG_BIT(alg))))
            {
                abort();
            }
        }

        if (key == NULL || nverify == FUZZ_JWKS_VERIFY_MAX) {
            continue;
        }

        siglen = fuzz_jwks_sig_len(key, alg);

        if (siglen == 0 || siglen > sizeof(fuzz_jwks_sig)) {
            continue;
        }

        nverify++;
        reason = NULL;

        rc = jwt_verify_signature(key, alg, fuzz_jwks_msg,
                                  sizeof(fuzz_jwks_msg) - 1, fuzz_jwks_sig,
                                  siglen, &reason);

        if (rc != JWT_OK && reason == NULL) {
            abort();
        }
    }
}


/* the length jwt_verify_signature() expects, so that it reaches OpenSSL */

static size_t
fuzz_jwks_sig_len(const jwt_key_t *key, jwt_alg_t alg)
{
    int  size;

    switch (alg) {

    case JWT_ALG_HS256:
    case JWT_ALG_HS384:
    case JWT_ALG_HS512:
        return jwt_alg_hmac_size(alg);

    case JWT_ALG_ES256:
        return 64;

    case JWT_ALG_ES384:
        return 96;

    case JWT_ALG_ES512:
        return 132;

    case JWT_ALG_ED448:
        return 114;

    case JWT_ALG_ED25519:
        return 64;

    case JWT_ALG_EDDSA:
        return EVP_PKEY_is_a(key->pkey, "ED448") ? 114 : 64;

    default:
        size = EVP_PKEY_get_size(key->pkey);
        return (size > 0) ? (size_t) size : 0;
    }
}
