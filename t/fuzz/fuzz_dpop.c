
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


/*
 * libFuzzer target: DPoP proofs.  The input is checked as a compact proof
 * by jwt_dpop_verify() at a fixed clock (1700000000), method GET, URL
 * https://api.example.com/v1/items and a fixed access token; when it
 * holds two NUL bytes it is also read as "header NUL payload NUL
 * signature" and base64url-encoded into a second proof, so that mutations
 * reach the JSON, key and claim checks; a proof that passes is checked
 * again bound to its own key, through a key cache that lives across
 * inputs (so that a cached key meets other proofs).  The input also
 * goes through jwt_dpop_url_normalize(), whose result must be within
 * bounds, an http(s) URL, and normalised already (a second pass changes
 * nothing).
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"
#include "jwt_b64url.h"
#include "jwt_dpop.h"


#define FUZZ_DPOP_HTU    "https://api.example.com/v1/items"
#define FUZZ_DPOP_TOKEN                                                      \
    "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_dpop_verify(const uint8_t *data, size_t size,
    const unsigned char *jkt);
static void fuzz_dpop_segments(const uint8_t *data, size_t size);
static void fuzz_dpop_url(const uint8_t *data, size_t size);


static jwt_dpop_cache_t  fuzz_dpop_cache;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_dpop_verify(data, size, NULL);
    fuzz_dpop_segments(data, size);
    fuzz_dpop_url(data, size);

    return 0;
}


static void
fuzz_dpop_verify(const uint8_t *data, size_t size, const unsigned char *jkt)
{
    const char         *reason;
    jwt_dpop_rc_t       rc;
    unsigned char      *scratch;
    jwt_dpop_proof_t    proof;
    jwt_dpop_policy_t   pol;

    memset(&pol, 0, sizeof(jwt_dpop_policy_t));

    pol.now = 1700000000;
    pol.window = 60;
    pol.leeway = 5;
    pol.algs = JWT_DPOP_ALGS_PK;
    pol.htm.data = (const unsigned char *) "GET";
    pol.htm.len = 3;
    pol.htu.data = (const unsigned char *) FUZZ_DPOP_HTU;
    pol.htu.len = sizeof(FUZZ_DPOP_HTU) - 1;
    pol.token.data = (const unsigned char *) FUZZ_DPOP_TOKEN;
    pol.token.len = sizeof(FUZZ_DPOP_TOKEN) - 1;

    /* bound to its own key, the proof goes through the key cache */

    if (jkt != NULL) {
        pol.jkt.data = jkt;
        pol.jkt.len = JWT_DPOP_JKT_LEN;
        pol.cache = &fuzz_dpop_cache;
    }

    scratch = malloc(size + 1);
    if (scratch == NULL) {
        return;
    }

    reason = NULL;

    rc = jwt_dpop_verify(&proof, data, size, scratch, &pol, &reason);

    if (rc != JWT_DPOP_OK) {

        /* a failure says why and owns nothing */

        if (reason == NULL || proof.tok.header != NULL
            || proof.tok.payload != NULL || proof.key.pkey != NULL)
        {
            abort();
        }

        free(scratch);
        return;
    }

    /* success: a signed, public, allowed key, and a bounded jti */

    if ((jkt == NULL && proof.key.pkey == NULL) || proof.key.secret != NULL
        || (JWT_ALG_BIT(proof.tok.alg) & JWT_ALGS_HS)
        || proof.jti.len == 0 || proof.jti.len > JWT_DPOP_JTI_MAX
        || (jkt != NULL && memcmp(jkt, proof.jkt, JWT_DPOP_JKT_LEN) != 0))
    {
        abort();
    }

    jwt_dpop_release(&proof);
    free(scratch);

    /* the same proof, bound to its own key, passes; to another, fails */

    if (jkt == NULL) {
        unsigned char  own[JWT_DPOP_JKT_LEN];

        memcpy(own, proof.jkt, JWT_DPOP_JKT_LEN);
        fuzz_dpop_verify(data, size, own);
    }
}


/* "header NUL payload NUL signature": each part base64url-encoded */

static void
fuzz_dpop_segments(const uint8_t *data, size_t size)
{
    size_t          n, len[3];
    unsigned char  *p, *out;
    const uint8_t  *part[3], *nul, *last;

    last = data + size;
    part[0] = data;

    for (n = 0; n < 2; n++) {
        nul = memchr(part[n], '\0', last - part[n]);
        if (nul == NULL) {
            return;
        }

        len[n] = nul - part[n];
        part[n + 1] = nul + 1;
    }

    len[2] = last - part[2];

    out = malloc((size * 4 + 2) / 3 + 8);
    if (out == NULL) {
        return;
    }

    p = out;

    for (n = 0; n < 3; n++) {
        p += jwt_b64url_encode(p, part[n], len[n]);

        if (n < 2) {
            *p++ = '.';
        }
    }

    fuzz_dpop_verify(out, p - out, NULL);

    free(out);
}


static void
fuzz_dpop_url(const uint8_t *data, size_t size)
{
    long            n, m;
    unsigned char  *a, *b;

    a = malloc(jwt_dpop_url_max(size));
    b = malloc(jwt_dpop_url_max(jwt_dpop_url_max(size)));

    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return;
    }

    n = jwt_dpop_url_normalize(a, data, size);

    if (n >= 0) {
        if ((size_t) n > jwt_dpop_url_max(size)
            || (memcmp(a, "http://", 7) != 0 && memcmp(a, "https://", 8) != 0)
            || memchr(a, '?', n) != NULL || memchr(a, '#', n) != NULL)
        {
            abort();
        }

        m = jwt_dpop_url_normalize(b, a, (size_t) n);

        if (m != n || memcmp(a, b, (size_t) n) != 0) {
            abort();
        }
    }

    free(a);
    free(b);
}
