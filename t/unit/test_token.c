
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


/*
 * Unit tests of the token parser, base64url and the claim checks, with an
 * injected clock.  Each test names the RFC section or the ATTACKS.md item
 * it covers.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <cmocka.h>

#include <openssl/hmac.h>

#include "jwt.h"
#include "jwt_b64url.h"
#include "jwt_token.h"
#include "jwt_jwk.h"


#define MAX_SIZE  8192


/* RFC 7515 A.1: the HS256 example, with its CRLFs in the JSON */

static const char  rfc7515_a1[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

static const char  rfc7515_a1_k[] =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgU"
    "uTwjAzZr1Z9CAow";

static const char  secret[] = "0123456789abcdef0123456789abcdef";


static jwt_rc_t
parse(jwt_token_t *tok, const char *s, const char **reason)
{
    static unsigned char  scratch[MAX_SIZE];

    return jwt_token_parse(tok, (const unsigned char *) s, strlen(s),
                           MAX_SIZE, scratch, reason);
}


static size_t
b64(char *dst, const char *src)
{
    size_t  n;

    n = jwt_b64url_encode((unsigned char *) dst, (const unsigned char *) src,
                          strlen(src));
    dst[n] = '\0';

    return n;
}


/* header and payload JSON in, a token signed with secret out */

static char *
make(const char *header, const char *payload)
{
    char           *t, *p;
    unsigned int    mdlen;
    unsigned char   md[64];

    t = malloc(3 * (strlen(header) + strlen(payload)) + 128);
    assert_non_null(t);

    p = t + b64(t, header);
    *p++ = '.';
    p += b64(p, payload);

    HMAC(EVP_sha256(), secret, sizeof(secret) - 1, (unsigned char *) t,
         p - t, md, &mdlen);

    *p++ = '.';
    p += jwt_b64url_encode((unsigned char *) p, md, mdlen);
    *p = '\0';

    return t;
}


static jwt_rc_t
parse_made(const char *header, const char *payload, const char **reason)
{
    char         *t;
    jwt_rc_t      rc;
    jwt_token_t   tok;

    t = make(header, payload);
    rc = parse(&tok, t, reason);

    if (rc == JWT_OK) {
        jwt_token_release(&tok);
    }

    free(t);

    return rc;
}


static jwt_rc_t
claims(const char *payload, int64_t now, int64_t leeway, const char *aud,
    const char *type, const char **reason)
{
    char                 *t;
    jwt_rc_t              rc;
    jwt_str_t             a;
    jwt_token_t           tok;
    jwt_claims_policy_t   pol;

    t = make("{\"alg\":\"HS256\"}", payload);
    rc = parse(&tok, t, reason);
    assert_int_equal(rc, JWT_OK);

    memset(&pol, 0, sizeof(pol));
    pol.now = now;
    pol.leeway = leeway;

    if (aud) {
        a.data = (const unsigned char *) aud;
        a.len = strlen(aud);
        pol.audiences = &a;
        pol.naudiences = 1;
    }

    if (type) {
        pol.token_type.data = (const unsigned char *) type;
        pol.token_type.len = strlen(type);
    }

    rc = jwt_claims_check(&tok, &pol, reason);

    jwt_token_release(&tok);
    free(t);

    return rc;
}


/* RFC 4648 §5 alphabet, RFC 7515 §2 no padding, canonical encodings */

static void
test_b64url_edges(void **state)
{
    long           n;
    unsigned char  out[16];

    (void) state;

    n = jwt_b64url_decode(out, (const unsigned char *) "", 0);
    assert_int_equal(n, 0);

    n = jwt_b64url_decode(out, (const unsigned char *) "Zm9v", 4);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "foo", 3);

    n = jwt_b64url_decode(out, (const unsigned char *) "Zm8", 3);
    assert_int_equal(n, 2);
    assert_memory_equal(out, "fo", 2);

    n = jwt_b64url_decode(out, (const unsigned char *) "Zg", 2);
    assert_int_equal(n, 1);
    assert_memory_equal(out, "f", 1);

    /* "-_" decode; "+/" (base64, not base64url) do not */
    n = jwt_b64url_decode(out, (const unsigned char *) "-_-_", 4);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 0xfb);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(out[2], 0xbf);

    assert_int_equal(jwt_b64url_decode(out, (const unsigned char *) "+/+/",
                                       4), -1);

    /* padding is refused */
    assert_int_equal(jwt_b64url_decode(out, (const unsigned char *) "Zg==",
                                       4), -1);

    /* a length of 1 mod 4 cannot be base64 */
    assert_int_equal(jwt_b64url_decode(out, (const unsigned char *) "Zm9vY",
                                       5), -1);

    /* non-zero unused bits: "Zh" would also decode to "f" */
    assert_int_equal(jwt_b64url_decode(out, (const unsigned char *) "Zh", 2),
                     -1);
    assert_int_equal(jwt_b64url_decode(out, (const unsigned char *) "Zm9", 3),
                     -1);

    /* space, NUL, non-ASCII */
    assert_int_equal(jwt_b64url_decode(out, (const unsigned char *) "Zm 9",
                                       4), -1);
    assert_int_equal(jwt_b64url_decode(out, (const unsigned char *) "Zm\09",
                                       4), -1);
    assert_int_equal(jwt_b64url_decode(out,
                                       (const unsigned char *) "Zm\xc3\xa9",
                                       4), -1);
}


static void
test_b64url_roundtrip(void **state)
{
    int            len, i;
    long           n;
    size_t         e;
    unsigned char  in[64], enc[96], out[64];

    (void) state;

    for (len = 0; len < 64; len++) {
        for (i = 0; i < len; i++) {
            in[i] = (unsigned char) (i * 37 + len);
        }

        e = jwt_b64url_encode(enc, in, len);
        assert_int_equal(e, (size_t) (len * 4 + 2) / 3);

        n = jwt_b64url_decode(out, enc, e);
        assert_int_equal(n, len);
        assert_memory_equal(out, in, len);
    }
}


/* RFC 7515 A.1: parse, verify and check the example at its own time */

static void
test_rfc7515_a1_hs256(void **state)
{
    long                  klen;
    jwt_rc_t              rc;
    const char           *reason;
    jwt_token_t           tok;
    jwt_keyset_t          ks;
    unsigned char         k[64];
    const jwt_key_t      *key;
    jwt_claims_policy_t   pol;

    (void) state;

    rc = parse(&tok, rfc7515_a1, &reason);
    assert_int_equal(rc, JWT_OK);
    assert_int_equal(tok.alg, JWT_ALG_HS256);
    assert_int_equal(tok.iss.len, 3);
    assert_memory_equal(tok.iss.data, "joe", 3);
    assert_null(tok.kid.data);
    assert_int_equal(tok.sig.len, 32);

    klen = jwt_b64url_decode(k, (const unsigned char *) rfc7515_a1_k,
                             sizeof(rfc7515_a1_k) - 1);
    assert_int_equal(klen, 64);

    jwt_keyset_init(&ks);
    assert_int_equal(jwt_keyset_add_secret(&ks, k, klen,
                                           JWT_ALG_BIT(JWT_ALG_HS256)),
                     JWT_OK);

    key = jwt_keyset_find(&ks, JWT_ALG_HS256, NULL, 0, &reason);
    assert_non_null(key);

    rc = jwt_verify_signature(key, JWT_ALG_HS256,
                              (const unsigned char *) rfc7515_a1,
                              tok.signing_len, tok.sig.data, tok.sig.len,
                              &reason);
    assert_int_equal(rc, JWT_OK);

    memset(&pol, 0, sizeof(pol));

    /* exp is 1300819380 */
    pol.now = 1300819379;
    assert_int_equal(jwt_claims_check(&tok, &pol, &reason), JWT_OK);
    assert_int_equal(tok.exp, 1300819380);

    pol.now = 1300819380;
    assert_int_equal(jwt_claims_check(&tok, &pol, &reason), JWT_ERR_EXPIRED);

    pol.leeway = 1;
    assert_int_equal(jwt_claims_check(&tok, &pol, &reason), JWT_OK);

    /* one changed signature byte */
    tok.sig.len--;
    rc = jwt_verify_signature(key, JWT_ALG_HS256,
                              (const unsigned char *) rfc7515_a1,
                              tok.signing_len, tok.sig.data, tok.sig.len,
                              &reason);
    assert_int_equal(rc, JWT_ERR_SIGNATURE);

    jwt_token_release(&tok);
    jwt_keyset_free(&ks);
}


/* ATTACKS "Framing": not exactly three non-empty segments, and more */

static void
test_framing(void **state)
{
    char          *big;
    jwt_rc_t       rc;
    jwt_token_t    tok;
    const char    *reason, *bad[] = {
        "", "h.p", "h.p.", ".p.s", "h..s", "h.p.s.", "h.p.s.x", "...",
        "a b.c.d", "a+b.c.d", "a/b.c.d", "a=.b.c", "a?.b.c", "a\xc3\xa9.b.c",
        "eyJ.e30.c2ln\n", NULL
    };
    int            i;
    unsigned char  scratch[16];

    (void) state;

    for (i = 0; bad[i]; i++) {
        rc = parse(&tok, bad[i], &reason);
        assert_int_not_equal(rc, JWT_OK);
        assert_non_null(reason);
    }

    /* 4 dots: JWE compact serialisation */
    rc = parse(&tok, "a.b.c.d.e", &reason);
    assert_int_equal(rc, JWT_ERR_UNSUPPORTED);

    /* many thousands of dots: one linear pass, refused */
    big = malloc(MAX_SIZE);
    assert_non_null(big);
    memset(big, '.', MAX_SIZE - 1);
    big[MAX_SIZE - 1] = '\0';
    rc = parse(&tok, big, &reason);
    assert_int_equal(rc, JWT_ERR_FORMAT);

    /* over the size cap before anything else, even with no scratch */
    rc = jwt_token_parse(&tok, (const unsigned char *) big, MAX_SIZE - 1, 16,
                         scratch, &reason);
    assert_int_equal(rc, JWT_ERR_FORMAT);
    assert_string_equal(reason, "token too large");

    free(big);

    /* JSON serialisation */
    rc = parse(&tok, "{\"payload\":\"e30\",\"signature\":\"x\"}", &reason);
    assert_int_equal(rc, JWT_ERR_FORMAT);
}


/* ATTACKS "Framing": JSON that is not one clean object */

static void
test_json(void **state)
{
    const char  *reason;

    (void) state;

    assert_int_equal(parse_made("[\"HS256\"]", "{}", &reason),
                     JWT_ERR_HEADER);
    assert_int_equal(parse_made("\"HS256\"", "{}", &reason), JWT_ERR_HEADER);
    assert_int_equal(parse_made("{\"alg\":\"HS256\"}x", "{}", &reason),
                     JWT_ERR_HEADER);
    assert_int_equal(parse_made("{\"alg\":\"HS256\"}", "[1]", &reason),
                     JWT_ERR_PAYLOAD);
    assert_int_equal(parse_made("{\"alg\":\"HS256\"}", "{} {}", &reason),
                     JWT_ERR_PAYLOAD);

    /* duplicate members: {"alg":"HS256","alg":"none"} */
    assert_int_equal(parse_made("{\"alg\":\"HS256\",\"alg\":\"none\"}", "{}",
                                &reason), JWT_ERR_HEADER);
    assert_int_equal(parse_made("{\"alg\":\"HS256\"}",
                                "{\"sub\":\"a\",\"sub\":\"b\"}", &reason),
                     JWT_ERR_PAYLOAD);

    /* invalid UTF-8 */
    assert_int_equal(parse_made("{\"alg\":\"HS256\"}", "{\"sub\":\"\xc3\"}",
                                &reason), JWT_ERR_PAYLOAD);

    /* deep nesting */
    assert_int_equal(parse_made("{\"alg\":\"HS256\"}",
                                "{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]"
                                "]]]]}", &reason), JWT_ERR_PAYLOAD);

    /* control characters, escaped or not, anywhere */
    assert_int_equal(parse_made("{\"alg\":\"HS256\"}", "{\"sub\":\"a\\nb\"}",
                                &reason), JWT_ERR_PAYLOAD);
    assert_int_equal(parse_made("{\"alg\":\"HS256\"}", "{\"sub\":\"a\\u0000\"}",
                                &reason), JWT_ERR_PAYLOAD);
    assert_int_equal(parse_made("{\"alg\":\"HS256\"}", "{\"s\\rb\":1}",
                                &reason), JWT_ERR_PAYLOAD);
    assert_int_equal(parse_made("{\"alg\":\"HS256\",\"kid\":\"a\\r\\n\"}",
                                "{}", &reason), JWT_ERR_HEADER);
    assert_int_equal(parse_made("{\"alg\":\"HS256\"}", "{\"x\":[\"\\u007f\"]}",
                                &reason), JWT_ERR_PAYLOAD);

    /* iss must be a string */
    assert_int_equal(parse_made("{\"alg\":\"HS256\"}", "{\"iss\":1}",
                                &reason), JWT_ERR_PAYLOAD);

    /* whitespace around JSON tokens is fine (RFC 7515 A.1 has CRLFs) */
    assert_int_equal(parse_made("{\r\n\"alg\" : \"HS256\"}", "{ }", &reason),
                     JWT_OK);
}


/*
 * The header memo: a byte-identical header segment takes the memoised
 * header, alg and kid; any other bytes are parsed (and checked) again;
 * entries are replaced in turn; a parse failure of the payload releases
 * the memo's reference only
 */
static void
test_header_memo(void **state)
{
    int                    i;
    char                  *a, *b, *bad, *many[JWT_HEADER_MEMO_SIZE + 1];
    char                   hdr[64];
    jwt_rc_t               rc;
    const char            *reason;
    jwt_token_t            tok;
    jwt_header_memo_t      memo;
    static unsigned char   scratch[MAX_SIZE];

    (void) state;

    memset(&memo, 0, sizeof(memo));

    a = make("{\"alg\":\"HS256\",\"kid\":\"k1\"}", "{\"sub\":\"a\"}");
    b = make("{\"alg\":\"HS256\",\"kid\":\"k1\"}", "{\"sub\":\"b\"}");

    rc = jwt_token_parse_memo(&tok, (unsigned char *) a, strlen(a), MAX_SIZE,
                              scratch, &memo, &reason);
    assert_int_equal(rc, JWT_OK);
    assert_int_equal(tok.memo_hit, 0);
    assert_int_equal(jwt_header_memo_add(&memo, &tok), JWT_OK);
    jwt_token_release(&tok);

    rc = jwt_token_parse_memo(&tok, (unsigned char *) b, strlen(b), MAX_SIZE,
                              scratch, &memo, &reason);
    assert_int_equal(rc, JWT_OK);
    assert_int_equal(tok.memo_hit, 1);
    assert_int_equal(tok.alg, JWT_ALG_HS256);
    assert_int_equal(tok.kid.len, 2);
    assert_memory_equal(tok.kid.data, "k1", 2);
    assert_ptr_equal(tok.header, memo.entry[0].header);
    jwt_token_release(&tok);

    /* the same header bytes with a payload that is not JSON: refused */
    bad = make("{\"alg\":\"HS256\",\"kid\":\"k1\"}", "{\"sub\":");
    rc = jwt_token_parse_memo(&tok, (unsigned char *) bad, strlen(bad),
                              MAX_SIZE, scratch, &memo, &reason);
    assert_int_equal(rc, JWT_ERR_PAYLOAD);
    assert_non_null(memo.entry[0].header);

    /* other bytes are checked as ever */
    free(bad);
    bad = make("{\"alg\":\"none\",\"kid\":\"k1\"}", "{}");
    rc = jwt_token_parse_memo(&tok, (unsigned char *) bad, strlen(bad),
                              MAX_SIZE, scratch, &memo, &reason);
    assert_int_equal(rc, JWT_ERR_ALG);

    /* in turn: the first entry goes after JWT_HEADER_MEMO_SIZE others */
    for (i = 0; i <= JWT_HEADER_MEMO_SIZE; i++) {
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"n%d\"}", i);
        many[i] = make(hdr, "{}");
        rc = jwt_token_parse_memo(&tok, (unsigned char *) many[i],
                                  strlen(many[i]), MAX_SIZE, scratch, &memo,
                                  &reason);
        assert_int_equal(rc, JWT_OK);
        assert_int_equal(jwt_header_memo_add(&memo, &tok), JWT_OK);
        jwt_token_release(&tok);
    }

    rc = jwt_token_parse_memo(&tok, (unsigned char *) a, strlen(a), MAX_SIZE,
                              scratch, &memo, &reason);
    assert_int_equal(rc, JWT_OK);
    assert_int_equal(tok.memo_hit, 0);
    jwt_token_release(&tok);

    jwt_header_memo_free(&memo);

    for (i = 0; i <= JWT_HEADER_MEMO_SIZE; i++) {
        free(many[i]);
    }

    free(a);
    free(b);
    free(bad);
}


/* ATTACKS "Algorithm and key choice": alg names, crit, JWE, cty, kid */

static void
test_header(void **state)
{
    const char  *reason;

    (void) state;

    assert_int_equal(parse_made("{\"alg\":\"none\"}", "{}", &reason),
                     JWT_ERR_ALG);
    assert_string_equal(reason, "alg none is not allowed");
    assert_int_equal(parse_made("{\"alg\":\"NONE\"}", "{}", &reason),
                     JWT_ERR_ALG);
    assert_int_equal(parse_made("{\"alg\":\"None\"}", "{}", &reason),
                     JWT_ERR_ALG);
    assert_int_equal(parse_made("{}", "{}", &reason), JWT_ERR_ALG);
    assert_int_equal(parse_made("{\"alg\":null}", "{}", &reason),
                     JWT_ERR_ALG);
    assert_int_equal(parse_made("{\"alg\":256}", "{}", &reason), JWT_ERR_ALG);
    assert_int_equal(parse_made("{\"alg\":[\"HS256\"]}", "{}", &reason),
                     JWT_ERR_ALG);
    assert_int_equal(parse_made("{\"alg\":\"hs256\"}", "{}", &reason),
                     JWT_ERR_ALG);
    assert_int_equal(parse_made("{\"alg\":\"RS256 \"}", "{}", &reason),
                     JWT_ERR_ALG);
    assert_int_equal(parse_made("{\"alg\":\"HS256\\u0000\"}", "{}", &reason),
                     JWT_ERR_HEADER);

    assert_int_equal(parse_made("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
                                "{}", &reason), JWT_ERR_UNSUPPORTED);
    assert_int_equal(parse_made("{\"alg\":\"HS256\",\"crit\":[]}", "{}",
                                &reason), JWT_ERR_UNSUPPORTED);
    assert_int_equal(parse_made("{\"alg\":\"HS256\",\"enc\":\"A128GCM\"}",
                                "{}", &reason), JWT_ERR_UNSUPPORTED);
    assert_int_equal(parse_made("{\"alg\":\"HS256\",\"cty\":\"JWT\"}", "{}",
                                &reason), JWT_ERR_UNSUPPORTED);
    assert_int_equal(parse_made("{\"alg\":\"HS256\",\"cty\":\"jwt\"}", "{}",
                                &reason), JWT_ERR_UNSUPPORTED);

    assert_int_equal(parse_made("{\"alg\":\"HS256\",\"kid\":7}", "{}",
                                &reason), JWT_ERR_HEADER);
    assert_int_equal(parse_made("{\"alg\":\"HS256\",\"kid\":\"../x\"}", "{}",
                                &reason), JWT_OK);

    assert_int_equal(jwt_alg_by_name((const unsigned char *) "EdDSA", 5),
                     JWT_ALG_EDDSA);
    assert_int_equal(jwt_alg_by_name((const unsigned char *) "Ed25519", 7),
                     JWT_ALG_ED25519);
    assert_int_equal(jwt_algs_parse((const unsigned char *) "HS256,HS512",
                                    11),
                     JWT_ALG_BIT(JWT_ALG_HS256) | JWT_ALG_BIT(JWT_ALG_HS512));
    assert_int_equal(jwt_algs_parse((const unsigned char *) "HS256,", 6), 0);
    assert_int_equal(jwt_algs_parse((const unsigned char *) "HS256,x", 7), 0);
}


/* ATTACKS "Claims": exp, nbf, iat with an injected clock */

static void
test_claims_time(void **state)
{
    const char  *reason;

    (void) state;

    assert_int_equal(claims("{\"exp\":1000}", 999, 0, NULL, NULL, &reason),
                     JWT_OK);

    /* exp == now is expired */
    assert_int_equal(claims("{\"exp\":1000}", 1000, 0, NULL, NULL, &reason),
                     JWT_ERR_EXPIRED);
    assert_int_equal(claims("{\"exp\":1000}", 1059, 60, NULL, NULL, &reason),
                     JWT_OK);
    assert_int_equal(claims("{\"exp\":1000}", 1060, 60, NULL, NULL, &reason),
                     JWT_ERR_EXPIRED);
    /* a fractional exp is truncated: never later than the issuer said */
    assert_int_equal(claims("{\"exp\":999.9}", 998, 0, NULL, NULL, &reason),
                     JWT_OK);
    assert_int_equal(claims("{\"exp\":999.9}", 999, 0, NULL, NULL, &reason),
                     JWT_ERR_EXPIRED);

    assert_int_equal(claims("{}", 1, 0, NULL, NULL, &reason), JWT_ERR_CLAIMS);
    assert_string_equal(reason, "exp claim missing");
    assert_int_equal(claims("{\"exp\":\"2000\"}", 1, 0, NULL, NULL, &reason),
                     JWT_ERR_CLAIMS);
    assert_int_equal(claims("{\"exp\":null}", 1, 0, NULL, NULL, &reason),
                     JWT_ERR_CLAIMS);
    assert_int_equal(claims("{\"exp\":true}", 1, 0, NULL, NULL, &reason),
                     JWT_ERR_CLAIMS);
    assert_int_equal(claims("{\"exp\":-1}", 1, 0, NULL, NULL, &reason),
                     JWT_ERR_CLAIMS);
    assert_int_equal(claims("{\"exp\":1e308}", 1, 0, NULL, NULL, &reason),
                     JWT_ERR_CLAIMS);
    assert_int_equal(claims("{\"exp\":9223372036854775807}", 1,
                            JWT_LEEWAY_MAX, NULL, NULL, &reason),
                     JWT_ERR_CLAIMS);

    /* 2^63 does not even parse as an integer */
    assert_int_equal(parse_made("{\"alg\":\"HS256\"}",
                                "{\"exp\":9223372036854775808}", &reason),
                     JWT_ERR_PAYLOAD);

    assert_int_equal(claims("{\"exp\":5000,\"nbf\":1001}", 1000, 0, NULL,
                            NULL, &reason), JWT_ERR_NOT_YET_VALID);
    assert_int_equal(claims("{\"exp\":5000,\"nbf\":1001}", 1000, 1, NULL,
                            NULL, &reason), JWT_OK);
    assert_int_equal(claims("{\"exp\":5000,\"nbf\":\"1\"}", 1000, 0, NULL,
                            NULL, &reason), JWT_ERR_CLAIMS);
    assert_int_equal(claims("{\"exp\":5000,\"iat\":1100}", 1000, 60, NULL,
                            NULL, &reason), JWT_ERR_NOT_YET_VALID);
    assert_int_equal(claims("{\"exp\":5000,\"iat\":1050}", 1000, 60, NULL,
                            NULL, &reason), JWT_OK);
    assert_int_equal(claims("{\"exp\":5000,\"iat\":[1]}", 1000, 60, NULL,
                            NULL, &reason), JWT_ERR_CLAIMS);
}


/* ATTACKS "Claims": aud and token_type */

static void
test_claims_aud_type(void **state)
{
    const char  *reason;

    (void) state;

    assert_int_equal(claims("{\"exp\":5000,\"aud\":\"api\"}", 1, 0, "api",
                            NULL, &reason), JWT_OK);
    assert_int_equal(claims("{\"exp\":5000,\"aud\":[\"x\",\"api\"]}", 1, 0,
                            "api", NULL, &reason), JWT_OK);
    assert_int_equal(claims("{\"exp\":5000,\"aud\":\"api2\"}", 1, 0, "api",
                            NULL, &reason), JWT_ERR_AUDIENCE);
    assert_int_equal(claims("{\"exp\":5000,\"aud\":\"API\"}", 1, 0, "api",
                            NULL, &reason), JWT_ERR_AUDIENCE);
    assert_int_equal(claims("{\"exp\":5000,\"aud\":[]}", 1, 0, "api", NULL,
                            &reason), JWT_ERR_AUDIENCE);
    assert_int_equal(claims("{\"exp\":5000,\"aud\":{\"a\":\"api\"}}", 1, 0,
                            "api", NULL, &reason), JWT_ERR_AUDIENCE);
    assert_int_equal(claims("{\"exp\":5000,\"aud\":[1,\"api\"]}", 1, 0, "api",
                            NULL, &reason), JWT_ERR_AUDIENCE);
    assert_int_equal(claims("{\"exp\":5000}", 1, 0, "api", NULL, &reason),
                     JWT_ERR_AUDIENCE);

    assert_int_equal(claims("{\"exp\":5000,\"token_type\":\"access\"}", 1, 0,
                            NULL, "access", &reason), JWT_OK);
    assert_int_equal(claims("{\"exp\":5000,\"token_type\":\"refresh\"}", 1, 0,
                            NULL, "access", &reason), JWT_ERR_TOKEN_TYPE);
    assert_int_equal(claims("{\"exp\":5000}", 1, 0, NULL, "access", &reason),
                     JWT_ERR_TOKEN_TYPE);
    assert_string_equal(reason, "token_type claim missing");
    assert_int_equal(claims("{\"exp\":5000,\"token_type\":\"accesS\"}", 1, 0,
                            NULL, "access", &reason), JWT_ERR_TOKEN_TYPE);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_b64url_edges),
        cmocka_unit_test(test_b64url_roundtrip),
        cmocka_unit_test(test_rfc7515_a1_hs256),
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_header_memo),
        cmocka_unit_test(test_claims_time),
        cmocka_unit_test(test_claims_aud_type),
    };

    return cmocka_run_group_tests_name("jwt_token", tests, NULL, NULL);
}
