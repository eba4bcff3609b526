
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


/*
 * libFuzzer target: a bearer token through the jwt/ core the way the
 * module takes it, with fixed keys and a fixed clock: parse, key choice,
 * signature, claims.  The claims are checked whether or not the signature
 * verifies, so that the fuzzer reaches them.  The same bytes are also
 * read as "header NUL payload NUL signature" and encoded into a second
 * token, so that mutations land in the JSON and the signature bytes
 * rather than in their base64url; and they go through the base64url
 * decoder, which must round-trip with the encoder.
 *
 * The keys are the public halves of t/fuzz/keys/; t/fuzz/mkcorpus mints
 * the seed tokens with them, so the valid seeds verify here.
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"
#include "jwt_b64url.h"
#include "jwt_jwk.h"
#include "jwt_token.h"


#define FUZZ_TOKEN_MAX_SIZE  8192
#define FUZZ_TOKEN_NOW       1700000000
#define FUZZ_TOKEN_LEEWAY    60
#define FUZZ_TOKEN_NKEYS     6


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_token_init(void);
static void fuzz_token_b64url(const uint8_t *data, size_t size);
static void fuzz_token_compose(const uint8_t *data, size_t size);
static void fuzz_token_verify(const uint8_t *data, size_t size);
static void fuzz_token_memo_check(const jwt_token_t *tok, const uint8_t *data,
    size_t size);
static int fuzz_token_alphabet(const uint8_t *data, size_t size);


/* 64 bytes: long enough for HS256, HS384 and HS512 */
static const char  fuzz_token_secret[] =
    "fuzz-hs-secret-0123456789abcdeffuzz-hs-secret-0123456789abcdefxy";

/* RSA-2048, P-256, P-384, P-521, Ed25519 and Ed448, kids as named */
static const char  fuzz_token_jwks[] =
    "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"rsa\",\"n\":\"ucchHDd7duz6NrL8ek3i"
    "ElgOXnkCeImKAjjIbbJipb2rWJkr30dnt7fd-Oj1OqcURRQLAkE4h6oj4BJjucl6C_eKcwop"
    "N1tL7v7tcDFg_qkTs5dGzf2kZI2-vCDReI2cxZE4OsGE859e8U16l6SVQ9fGpK2jyy2Roed9"
    "jjlr8WJ8WwQmzXzClw1f8Hbw7VD432ZILRc72Fn5lLO2PtdZSaqqmNtjfZNkCjcYavCQNvk-"
    "_hd0pZ7PMleqMJyIB-9rAJK_fbUjXKDLUFFYqhsjVYvtbOhgGahkFOeRp4Qi61TBvFp3fldm"
    "x02uaUuKas43ZjykLvN3VlQyHNOTrTUefw\",\"e\":\"AQAB\"},{\"kty\":\"EC\",\"k"
    "id\":\"p256\",\"crv\":\"P-256\",\"x\":\"6_mywzrml5NDIxJVIT5yc4ossxyO-jW9"
    "aLi3V2t4j_o\",\"y\":\"5ouPew1d7s6WSAOuYJLSzn4mCjF47OnVyCWIZuFHPBY\"},{\""
    "kty\":\"EC\",\"kid\":\"p384\",\"crv\":\"P-384\",\"x\":\"tUtbA7SgaWtLl6EQ"
    "Pu9lnkwoQRQ-z6c_pD79OO19jcYSLIm1SUQzkJ15uYC9tKa3\",\"y\":\"WbvoPwndLPPct"
    "mHsj0DkHOTpOXcrqBIH9RLto5eCyyaeFOCPUdXm0HlLxEvvv0kv\"},{\"kty\":\"EC\","
    "\"kid\":\"p521\",\"crv\":\"P-521\",\"x\":\"APrdsLUagQ4NcTiE8bv3m-DQP4_OJ"
    "PFUM6S3yHzYkT1apw_zHu5UtOlH7FTSUyIVbm7v2vyt5HyPQR9orGYpjm0D\",\"y\":\"AW"
    "GLMNsLVwds0w3jdWfCAb-bm1TxbQ1F9pQ5QKQotLX3tW7nqA-MHmOgyH-CvH_UptUSPvRYga"
    "1OrAY_zZmzdNvd\"},{\"kty\":\"OKP\",\"kid\":\"ed25519\",\"crv\":\"Ed25519"
    "\",\"x\":\"hP7pyFGsfJuLsPMNN58OmVdfJAbZOjl0F_ks-hj0ptg\"},{\"kty\":\"OKP"
    "\",\"kid\":\"ed448\",\"crv\":\"Ed448\",\"x\":\"M9dV0XgQNFZjzYnsEp_Quy3D8"
    "Hq3j5i1SXei5F5EcrHn6iZCGdGeIKQKivmFYyzKRyY6KXWCgg0A\"}]}";

static const jwt_str_t  fuzz_token_audiences[] = {
    { (const unsigned char *) "https://api.example", 19 },
    { (const unsigned char *) "api", 3 }
};


static int                fuzz_token_ready;
static jwt_header_memo_t  fuzz_token_memo;
static jwt_keyset_t  fuzz_token_hs_keys;
static jwt_keyset_t  fuzz_token_pk_keys;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_token_ready) {
        fuzz_token_init();
        fuzz_token_ready = 1;
    }

    fuzz_token_b64url(data, size);
    fuzz_token_verify(data, size);
    fuzz_token_compose(data, size);

    return 0;
}


/* the keysets live as long as the process: still reachable, not leaked */

static void
fuzz_token_init(void)
{
    const char  *reason;

    jwt_keyset_init(&fuzz_token_hs_keys);
    jwt_keyset_init(&fuzz_token_pk_keys);

    reason = NULL;

    if (jwt_keyset_add_secret(&fuzz_token_hs_keys,
                              (const unsigned char *) fuzz_token_secret,
                              sizeof(fuzz_token_secret) - 1, JWT_ALGS_HS)
        != JWT_OK
        || fuzz_token_hs_keys.keys[0].algs != JWT_ALGS_HS
        || jwt_keyset_add_jwks(&fuzz_token_pk_keys,
                               (const unsigned char *) fuzz_token_jwks,
                               sizeof(fuzz_token_jwks) - 1, 0, NULL, NULL,
                               &reason)
           != JWT_OK
        || fuzz_token_pk_keys.nkeys != FUZZ_TOKEN_NKEYS)
    {
        abort();
    }
}


/*
 * RFC 7515 base64url has exactly one encoding per byte string: whatever
 * decodes must encode back to the same characters, and whatever is
 * encoded must decode back to the same bytes.
 */

static void
fuzz_token_b64url(const uint8_t *data, size_t size)
{
    long            n;
    size_t          m;
    unsigned char  *dec, *enc, *back;

    /* exact sizes, so that AddressSanitizer sees one byte too many */

    dec = malloc(jwt_b64url_decoded_max(size));
    enc = malloc((size * 4 + 2) / 3);
    back = malloc(jwt_b64url_decoded_max((size * 4 + 2) / 3));

    if (dec == NULL || enc == NULL || back == NULL) {
        goto done;
    }

    n = jwt_b64url_decode(dec, data, size);

    if (n >= 0) {
        if ((size_t) n > jwt_b64url_decoded_max(size)
            || jwt_b64url_encode(enc, dec, (size_t) n) != size
            || memcmp(enc, data, size) != 0)
        {
            abort();
        }
    }

    m = jwt_b64url_encode(enc, data, size);

    if (m != (size * 4 + 2) / 3) {
        abort();
    }

    n = jwt_b64url_decode(back, enc, m);

    if (n < 0 || (size_t) n != size || memcmp(back, data, size) != 0) {
        abort();
    }

done:

    free(dec);
    free(enc);
    free(back);
}


/* "header NUL payload NUL signature", each part base64url-encoded */

static void
fuzz_token_compose(const uint8_t *data, size_t size)
{
    int             i;
    size_t          n, len[3];
    unsigned char  *token, *t;
    const uint8_t  *part[3], *p, *last, *nul;

    p = data;
    last = data + size;

    for (i = 0; i < 2; i++) {
        nul = memchr(p, '\0', last - p);
        if (nul == NULL) {
            return;
        }

        part[i] = p;
        len[i] = nul - p;
        p = nul + 1;
    }

    part[2] = p;
    len[2] = last - p;

    n = 2;

    for (i = 0; i < 3; i++) {
        n += (len[i] * 4 + 2) / 3;
    }

    token = malloc(n);
    if (token == NULL) {
        return;
    }

    t = token;

    for (i = 0; i < 3; i++) {
        if (i > 0) {
            *t++ = '.';
        }

        t += jwt_b64url_encode(t, part[i], len[i]);
    }

    if ((size_t) (t - token) != n) {
        abort();
    }

    fuzz_token_verify(token, n);

    free(token);
}


static void
fuzz_token_verify(const uint8_t *data, size_t size)
{
    jwt_rc_t              rc, sig_rc;
    const char           *reason;
    jwt_token_t           tok;
    unsigned char        *scratch;
    const jwt_key_t      *key;
    const jwt_keyset_t   *ks;
    jwt_claims_policy_t   pol;

    /* the parser promises to use no more than len bytes of scratch */

    scratch = malloc(size ? size : 1);
    if (scratch == NULL) {
        return;
    }

    reason = NULL;

    rc = jwt_token_parse_memo(&tok, data, size, FUZZ_TOKEN_MAX_SIZE, scratch,
                              &fuzz_token_memo, &reason);

    if (rc != JWT_OK) {
        /* a failure says why and leaves nothing owned */

        if (reason == NULL || tok.header != NULL || tok.payload != NULL) {
            abort();
        }

        /* any byte outside the alphabet is the reason given */

        if (size != 0 && size <= FUZZ_TOKEN_MAX_SIZE
            && !fuzz_token_alphabet(data, size)
            && strcmp(reason, "invalid character in token") != 0)
        {
            abort();
        }

        free(scratch);
        return;
    }

    /* a token read whole is of the alphabet: nothing else is decoded */

    if (!fuzz_token_alphabet(data, size)) {
        abort();
    }

    if (size > FUZZ_TOKEN_MAX_SIZE
        || tok.alg <= JWT_ALG_UNKNOWN || tok.alg >= JWT_ALG_MAX
        || tok.signing_len >= size || tok.sig.len == 0
        || tok.sig.data < scratch || tok.sig.data + tok.sig.len > scratch + size
        || !json_is_object(tok.header) || !json_is_object(tok.payload))
    {
        abort();
    }

    /* a header from the memo is what parsing these bytes would give */

    if (tok.memo_hit) {
        fuzz_token_memo_check(&tok, data, size);

    } else if (jwt_header_memo_add(&fuzz_token_memo, &tok) != JWT_OK) {
        abort();
    }

    /* HS* only ever uses the configured secret */

    ks = (JWT_ALG_BIT(tok.alg) & JWT_ALGS_HS) ? &fuzz_token_hs_keys
                                              : &fuzz_token_pk_keys;

    reason = NULL;

    sig_rc = JWT_ERR_NO_KEY;

    key = jwt_keyset_find(ks, tok.alg, tok.kid.data, tok.kid.len, &reason);

    if (key == NULL) {
        if (reason == NULL) {
            abort();
        }

    } else {
        reason = NULL;

        sig_rc = jwt_verify_signature(key, tok.alg, tok.raw.data,
                                      tok.signing_len, tok.sig.data,
                                      tok.sig.len, &reason);

        if (sig_rc != JWT_OK && reason == NULL) {
            abort();
        }
    }

    memset(&pol, 0, sizeof(jwt_claims_policy_t));

    pol.now = FUZZ_TOKEN_NOW;
    pol.leeway = FUZZ_TOKEN_LEEWAY;
    pol.audiences = fuzz_token_audiences;
    pol.naudiences = sizeof(fuzz_token_audiences) / sizeof(jwt_str_t);
    pol.token_type.data = (const unsigned char *) "access";
    pol.token_type.len = 6;

    reason = NULL;

    rc = jwt_claims_check(&tok, &pol, &reason);

    if (rc != JWT_OK && reason == NULL) {
        abort();
    }

    if (rc == JWT_OK && tok.exp + FUZZ_TOKEN_LEEWAY <= FUZZ_TOKEN_NOW) {
        abort();
    }

#ifdef FUZZ_TOKEN_TRACE
    /* -DFUZZ_TOKEN_TRACE: one line per token, to check the seeds */
    fprintf(stderr, "alg=%s key=%s sig=%s claims=%s\n",
            jwt_alg_name(tok.alg), key ? "found" : "none",
            key ? jwt_rc_text(sig_rc) : "-", jwt_rc_text(rc));
#endif

    jwt_token_release(&tok);

    if (tok.header != NULL || tok.payload != NULL) {
        abort();
    }

    free(scratch);
}


static void
fuzz_token_memo_check(const jwt_token_t *tok, const uint8_t *data,
    size_t size)
{
    jwt_rc_t        rc;
    const char     *reason;
    jwt_token_t     fresh;
    unsigned char  *scratch;

    scratch = malloc(size);
    if (scratch == NULL) {
        return;
    }

    rc = jwt_token_parse(&fresh, data, size, FUZZ_TOKEN_MAX_SIZE, scratch,
                         &reason);

    if (rc != JWT_OK
        || fresh.alg != tok->alg
        || fresh.kid.len != tok->kid.len
        || (fresh.kid.data == NULL) != (tok->kid.data == NULL)
        || (fresh.kid.len
            && memcmp(fresh.kid.data, tok->kid.data, fresh.kid.len) != 0)
        || !json_equal(fresh.header, tok->header))
    {
        abort();
    }

    jwt_token_release(&fresh);
    free(scratch);
}


/* base64url letters and dots only, by another reading than the parser's */

static int
fuzz_token_alphabet(const uint8_t *data, size_t size)
{
    size_t  i;

    for (i = 0; i < size; i++) {
        if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789-_.", data[i]) == NULL
            || data[i] == '\0')
        {
            return 0;
        }
    }

    return 1;
}
