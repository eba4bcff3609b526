
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sha.h>

#include "jwt_dpop.h"
#include "jwt_b64url.h"


static jwt_dpop_rc_t jwt_dpop_header(jwt_dpop_proof_t *proof,
    const jwt_dpop_policy_t *pol, const char **reason);
static jwt_dpop_cache_entry_t *jwt_dpop_cache_get(jwt_dpop_cache_t *cache,
    const unsigned char *seg, size_t len);
static void jwt_dpop_cache_add(jwt_dpop_cache_t *cache,
    jwt_dpop_proof_t *proof, const unsigned char *seg, size_t len);
static jwt_dpop_rc_t jwt_dpop_policy_key(jwt_dpop_proof_t *proof,
    const jwt_dpop_policy_t *pol, const char **reason);
static jwt_dpop_rc_t jwt_dpop_claims(jwt_dpop_proof_t *proof,
    const jwt_dpop_policy_t *pol, const char **reason);
static jwt_dpop_rc_t jwt_dpop_htu(json_t *htu, const jwt_dpop_policy_t *pol,
    const char **reason);
static int jwt_dpop_str_eq(json_t *v, const unsigned char *s, size_t len);
static size_t jwt_dpop_member(unsigned char *p, const char *name,
    json_t *v, int last);
static unsigned char *jwt_dpop_percent(unsigned char *d,
    const unsigned char **sp, const unsigned char *last, int lower);
static size_t jwt_dpop_dot_segments(unsigned char *path, size_t len);


/* header parameters that name a key elsewhere: a proof carries its own */
static const char  *jwt_dpop_key_refs[] = {
    "kid", "jku", "x5u", "x5c", "x5t", "x5t#S256", NULL
};

/* JWK members only a private or symmetric key has */
static const char  *jwt_dpop_private[] = {
    "d", "p", "q", "dp", "dq", "qi", "oth", "k", NULL
};


static const char  *jwt_dpop_texts[] = {
    "OK",
    "Invalid DPoP proof",
    "DPoP proof algorithm not allowed",
    "Invalid DPoP proof key",
    "DPoP proof bad signature",
    "DPoP proof method (htm) mismatch",
    "DPoP proof URL (htu) mismatch",
    "Stale DPoP proof (iat)",
    "DPoP proof access token hash (ath) mismatch",
    "DPoP proof key does not match the token (cnf.jkt)",
    "Out of memory",
    "Internal error"
};


/*
 * URI characters (RFC 3986 section 2): 1 unreserved, 2 reserved or '%';
 * anything else is percent-encoded by the normalisation
 */
static const unsigned char  jwt_dpop_uri_class[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 2, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 2,     /* !#$%&'()*+,-./ */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 0, 2, 0, 2,     /* 0-9 :; = ? */
    2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* @ A-O */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, 2, 0, 1,     /* P-Z [ ] _ */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* a-o */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0      /* p-z ~ */
};


jwt_dpop_rc_t
jwt_dpop_verify(jwt_dpop_proof_t *proof, const unsigned char *p, size_t len,
    unsigned char *scratch, const jwt_dpop_policy_t *pol,
    const char **reason)
{
    size_t                   seg;
    jwt_rc_t                 rc;
    jwt_dpop_rc_t            drc;
    const char              *dummy;
    const jwt_key_t         *key;
    const unsigned char     *dot;
    jwt_dpop_cache_entry_t  *hit;

    if (reason == NULL) {
        reason = &dummy;
    }

    memset(proof, 0, sizeof(jwt_dpop_proof_t));

    rc = jwt_token_parse(&proof->tok, p, len, JWT_DPOP_MAX_SIZE, scratch,
                         reason);

    if (rc == JWT_ERR_ALG) {
        return JWT_DPOP_ALG;
    }

    if (rc == JWT_ERR_NOMEM) {
        return JWT_DPOP_NOMEM;
    }

    if (rc != JWT_OK) {
        return JWT_DPOP_MALFORMED;
    }

    /* a header of a key verified before: only the policy's checks */

    dot = memchr(p, '.', len);
    seg = dot ? (size_t) (dot - p) : 0;

    hit = jwt_dpop_cache_get(pol->cache, p, seg);

    if (hit) {
        memcpy(proof->jkt, hit->jkt, JWT_DPOP_JKT_LEN);
        key = &hit->key;
        drc = jwt_dpop_policy_key(proof, pol, reason);

    } else {
        key = &proof->key;
        drc = jwt_dpop_header(proof, pol, reason);
    }

    if (drc == JWT_DPOP_OK) {
        drc = jwt_dpop_claims(proof, pol, reason);
    }

    /* the signature last: every check before it costs no public key op */

    if (drc == JWT_DPOP_OK) {
        rc = jwt_verify_signature(key, proof->tok.alg, p,
                                  proof->tok.signing_len,
                                  proof->tok.sig.data, proof->tok.sig.len,
                                  reason);

        if (rc == JWT_ERR_NOMEM) {
            drc = JWT_DPOP_NOMEM;

        } else if (rc == JWT_ERR_INTERNAL) {
            drc = JWT_DPOP_INTERNAL;

        } else if (rc != JWT_OK) {
            drc = JWT_DPOP_SIGNATURE;
        }
    }

    if (drc != JWT_DPOP_OK) {
        jwt_dpop_release(proof);
        return drc;
    }

    if (!hit) {
        jwt_dpop_cache_add(pol->cache, proof, p, seg);
    }

    return JWT_DPOP_OK;
}


void
jwt_dpop_cache_free(jwt_dpop_cache_t *cache)
{
    size_t  i;

    for (i = 0; i < JWT_DPOP_CACHE_SIZE; i++) {
        jwt_key_release(&cache->entry[i].key);
        cache->entry[i].len = 0;
    }
}


static jwt_dpop_cache_entry_t *
jwt_dpop_cache_get(jwt_dpop_cache_t *cache, const unsigned char *seg,
    size_t len)
{
    size_t  i;

    if (cache == NULL || len == 0 || len > JWT_DPOP_CACHE_SEG) {
        return NULL;
    }

    for (i = 0; i < JWT_DPOP_CACHE_SIZE; i++) {
        if (cache->entry[i].len == len
            && memcmp(cache->entry[i].seg, seg, len) == 0)
        {
            return &cache->entry[i];
        }
    }

    return NULL;
}


/* the verified proof's key moves into the cache, its contexts made */

static void
jwt_dpop_cache_add(jwt_dpop_cache_t *cache, jwt_dpop_proof_t *proof,
    const unsigned char *seg, size_t len)
{
    jwt_dpop_cache_entry_t  *e;

    if (cache == NULL || len == 0 || len > JWT_DPOP_CACHE_SEG) {
        return;
    }

    e = &cache->entry[cache->next];
    cache->next = (cache->next + 1) % JWT_DPOP_CACHE_SIZE;

    jwt_key_release(&e->key);

    memcpy(e->seg, seg, len);
    e->len = len;
    e->alg = proof->tok.alg;
    e->key = proof->key;
    memcpy(e->jkt, proof->jkt, JWT_DPOP_JKT_LEN);

    memset(&proof->key, 0, sizeof(jwt_key_t));

    jwt_key_prepare(&e->key);
}


void
jwt_dpop_release(jwt_dpop_proof_t *proof)
{
    jwt_key_release(&proof->key);
    jwt_token_release(&proof->tok);

    proof->jti.data = NULL;
    proof->jti.len = 0;
}


const char *
jwt_dpop_text(jwt_dpop_rc_t rc)
{
    if ((size_t) rc >= sizeof(jwt_dpop_texts) / sizeof(jwt_dpop_texts[0])) {
        return "Internal error";
    }

    return jwt_dpop_texts[rc];
}


/* RFC 9449 4.3 items 4 to 7: typ, alg, a public jwk and no other key */

static jwt_dpop_rc_t
jwt_dpop_header(jwt_dpop_proof_t *proof, const jwt_dpop_policy_t *pol,
    const char **reason)
{
    json_t       *v, *jwk;
    jwt_rc_t      rc;
    const char   *s, **name;
    unsigned      bit;

    v = json_object_get(proof->tok.header, "typ");

    if (!json_is_string(v)) {
        *reason = "DPoP proof has no typ";
        return JWT_DPOP_MALFORMED;
    }

    s = json_string_value(v);

    if (strcasecmp(s, "dpop+jwt") != 0
        && strcasecmp(s, "application/dpop+jwt") != 0)
    {
        *reason = "DPoP proof typ is not dpop+jwt";
        return JWT_DPOP_MALFORMED;
    }

    bit = JWT_ALG_BIT(proof->tok.alg);

    if (!(bit & JWT_DPOP_ALGS_PK)) {
        *reason = "DPoP proof alg is symmetric";
        return JWT_DPOP_ALG;
    }

    if (!(bit & pol->algs)) {
        *reason = "DPoP proof alg is not allowed";
        return JWT_DPOP_ALG;
    }

    for (name = jwt_dpop_key_refs; *name; name++) {
        if (json_object_get(proof->tok.header, *name) != NULL) {
            *reason = "DPoP proof names a key besides its jwk";
            return JWT_DPOP_JWK;
        }
    }

    jwk = json_object_get(proof->tok.header, "jwk");

    if (!json_is_object(jwk)) {
        *reason = "DPoP proof jwk is missing or not an object";
        return JWT_DPOP_JWK;
    }

    for (name = jwt_dpop_private; *name; name++) {
        if (json_object_get(jwk, *name) != NULL) {
            *reason = "DPoP proof jwk holds private or symmetric key "
                      "material";
            return JWT_DPOP_JWK;
        }
    }

    rc = jwt_key_from_jwk(jwk, &proof->key, reason);

    if (rc == JWT_ERR_NOMEM) {
        return JWT_DPOP_NOMEM;
    }

    if (rc != JWT_OK) {
        return JWT_DPOP_JWK;
    }

    if (!(proof->key.algs & bit)) {
        *reason = "DPoP proof alg does not fit its jwk";
        return JWT_DPOP_JWK;
    }

    rc = jwt_jwk_thumbprint(jwk, proof->jkt, reason);
    if (rc != JWT_OK) {
        return (rc == JWT_ERR_NOMEM) ? JWT_DPOP_NOMEM : JWT_DPOP_JWK;
    }

    return jwt_dpop_policy_key(proof, pol, reason);
}


/* what the policy says of a proof's key: its alg allowed, its jkt */

static jwt_dpop_rc_t
jwt_dpop_policy_key(jwt_dpop_proof_t *proof, const jwt_dpop_policy_t *pol,
    const char **reason)
{
    if (!(JWT_ALG_BIT(proof->tok.alg) & pol->algs & JWT_DPOP_ALGS_PK)) {
        *reason = "DPoP proof alg is not allowed";
        return JWT_DPOP_ALG;
    }

    if (pol->jkt.data != NULL
        && (pol->jkt.len != JWT_DPOP_JKT_LEN
            || CRYPTO_memcmp(pol->jkt.data, proof->jkt, JWT_DPOP_JKT_LEN)
               != 0))
    {
        *reason = "DPoP proof key is not the token's cnf.jkt";
        return JWT_DPOP_JKT;
    }

    return JWT_DPOP_OK;
}


/* RFC 9449 4.3 items 8 to 11 (but replay), and ath of section 4.2 */

static jwt_dpop_rc_t
jwt_dpop_claims(jwt_dpop_proof_t *proof, const jwt_dpop_policy_t *pol,
    const char **reason)
{
    double          d;
    json_t         *payload, *v;
    jwt_dpop_rc_t   rc;
    unsigned char   md[SHA256_DIGEST_LENGTH], ath[JWT_DPOP_JKT_LEN + 1];

    payload = proof->tok.payload;

    v = json_object_get(payload, "jti");

    if (!json_is_string(v) || json_string_length(v) == 0
        || json_string_length(v) > JWT_DPOP_JTI_MAX)
    {
        *reason = "DPoP proof jti is missing, empty or too long";
        return JWT_DPOP_MALFORMED;
    }

    proof->jti.data = (const unsigned char *) json_string_value(v);
    proof->jti.len = json_string_length(v);

    v = json_object_get(payload, "htm");

    if (!json_is_string(v)) {
        *reason = "DPoP proof htm is missing";
        return JWT_DPOP_MALFORMED;
    }

    if (!jwt_dpop_str_eq(v, pol->htm.data, pol->htm.len)) {
        *reason = "DPoP proof htm is another method";
        return JWT_DPOP_HTM;
    }

    rc = jwt_dpop_htu(json_object_get(payload, "htu"), pol, reason);
    if (rc != JWT_DPOP_OK) {
        return rc;
    }

    v = json_object_get(payload, "iat");

    if (!json_is_number(v)) {
        *reason = "DPoP proof iat is missing or not a number";
        return JWT_DPOP_MALFORMED;
    }

    d = json_number_value(v);

    if (!(d >= 0.0 && d <= (double) JWT_NUMERIC_DATE_MAX)) {
        *reason = "DPoP proof iat out of range";
        return JWT_DPOP_MALFORMED;
    }

    proof->iat = (int64_t) d;

    if (proof->iat > pol->now + pol->leeway) {
        *reason = "DPoP proof iat is in the future";
        return JWT_DPOP_IAT;
    }

    if (proof->iat < pol->now - pol->window - pol->leeway) {
        *reason = "DPoP proof iat is too old";
        return JWT_DPOP_IAT;
    }

    /* ath: base64url(SHA-256(the access token's ASCII)) */

    v = json_object_get(payload, "ath");

    if (!json_is_string(v)) {
        *reason = "DPoP proof ath is missing";
        return JWT_DPOP_ATH;
    }

    if (SHA256(pol->token.data, pol->token.len, md) == NULL) {
        ERR_clear_error();
        *reason = "SHA-256 failed";
        return JWT_DPOP_INTERNAL;
    }

    (void) jwt_b64url_encode(ath, md, sizeof(md));

    if (json_string_length(v) != JWT_DPOP_JKT_LEN
        || CRYPTO_memcmp(json_string_value(v), ath, JWT_DPOP_JKT_LEN) != 0)
    {
        *reason = "DPoP proof ath is not the hash of this token";
        return JWT_DPOP_ATH;
    }

    return JWT_DPOP_OK;
}


/* htu and the request URL, both normalised, query and fragment dropped */

static jwt_dpop_rc_t
jwt_dpop_htu(json_t *htu, const jwt_dpop_policy_t *pol, const char **reason)
{
    long            a, b;
    jwt_dpop_rc_t   rc;
    unsigned char  *ha, *hb;

    if (!json_is_string(htu) || json_string_length(htu) == 0) {
        *reason = "DPoP proof htu is missing";
        return JWT_DPOP_MALFORMED;
    }

    /* RFC 9449 4.2: the target URI "without query and fragment parts" */

    if (strpbrk(json_string_value(htu), "?#") != NULL) {
        *reason = "DPoP proof htu carries a query or a fragment";
        return JWT_DPOP_HTU;
    }

    ha = malloc(jwt_dpop_url_max(json_string_length(htu)));
    hb = malloc(jwt_dpop_url_max(pol->htu.len));

    if (ha == NULL || hb == NULL) {
        free(ha);
        free(hb);
        *reason = "out of memory";
        return JWT_DPOP_NOMEM;
    }

    a = jwt_dpop_url_normalize(ha, (const unsigned char *)
                               json_string_value(htu),
                               json_string_length(htu));
    b = jwt_dpop_url_normalize(hb, pol->htu.data, pol->htu.len);

    if (a < 0) {
        *reason = "DPoP proof htu is not an http(s) URL";
        rc = JWT_DPOP_HTU;

    } else if (b < 0) {
        *reason = "the request URL (auth_jwt_dpop_url) is not an http(s) URL";
        rc = JWT_DPOP_INTERNAL;

    } else if (a != b || memcmp(ha, hb, (size_t) a) != 0) {
        *reason = "DPoP proof htu is another URL";
        rc = JWT_DPOP_HTU;

    } else {
        rc = JWT_DPOP_OK;
    }

    free(ha);
    free(hb);

    return rc;
}


static int
jwt_dpop_str_eq(json_t *v, const unsigned char *s, size_t len)
{
    return json_string_length(v) == len
           && memcmp(json_string_value(v), s, len) == 0;
}


/*
 * RFC 7638 section 3: the required members of the key type, in
 * lexicographic order, as JSON with no white space, hashed with SHA-256.
 * The values were checked by the key's loading: base64url or a curve
 * name, so none needs escaping.
 */

jwt_rc_t
jwt_jwk_thumbprint(json_t *jwk, unsigned char *out, const char **reason)
{
    size_t          i, len;
    json_t         *kty, *v[3];
    const char     *names[3], *s;
    unsigned char  *buf, *p;
    unsigned char   md[SHA256_DIGEST_LENGTH];

    kty = json_object_get(jwk, "kty");

    if (!json_is_string(kty)) {
        *reason = "jwk has no kty";
        return JWT_ERR_FORMAT;
    }

    s = json_string_value(kty);

    if (strcmp(s, "EC") == 0) {
        names[0] = "crv";
        names[1] = "x";
        names[2] = "y";

    } else if (strcmp(s, "RSA") == 0) {
        names[0] = "e";
        names[1] = "n";
        names[2] = NULL;

    } else if (strcmp(s, "OKP") == 0) {
        names[0] = "crv";
        names[1] = "x";
        names[2] = NULL;

    } else {
        *reason = "jwk kty has no thumbprint here";
        return JWT_ERR_FORMAT;
    }

    len = sizeof("{\"kty\":\"\"}") + json_string_length(kty);

    for (i = 0; i < 3 && names[i]; i++) {
        v[i] = json_object_get(jwk, names[i]);

        if (!json_is_string(v[i])) {
            *reason = "jwk lacks a member of its thumbprint";
            return JWT_ERR_FORMAT;
        }

        len += sizeof(",\"\":\"\"") + strlen(names[i])
               + json_string_length(v[i]);
    }

    buf = malloc(len);
    if (buf == NULL) {
        *reason = "out of memory";
        return JWT_ERR_NOMEM;
    }

    /* "crv" and "e" sort before "kty", "n", "x" and "y" after it */

    p = buf;
    *p++ = '{';

    p += jwt_dpop_member(p, names[0], v[0], 0);
    p += jwt_dpop_member(p, "kty", kty, names[1] == NULL);

    for (i = 1; i < 3 && names[i]; i++) {
        p += jwt_dpop_member(p, names[i], v[i],
                             i == 2 || names[i + 1] == NULL);
    }

    *p++ = '}';

    if (SHA256(buf, (size_t) (p - buf), md) == NULL) {
        free(buf);
        ERR_clear_error();
        *reason = "SHA-256 failed";
        return JWT_ERR_INTERNAL;
    }

    free(buf);

    (void) jwt_b64url_encode(out, md, sizeof(md));

    return JWT_OK;
}


/* "name":"value" and a comma unless last; the bytes written */

static size_t
jwt_dpop_member(unsigned char *p, const char *name, json_t *v, int last)
{
    size_t          n, vl;
    unsigned char  *start;

    start = p;
    n = strlen(name);
    vl = json_string_length(v);

    *p++ = '"';
    memcpy(p, name, n);
    p += n;
    *p++ = '"';
    *p++ = ':';
    *p++ = '"';
    memcpy(p, json_string_value(v), vl);
    p += vl;
    *p++ = '"';

    if (!last) {
        *p++ = ',';
    }

    return (size_t) (p - start);
}


long
jwt_dpop_url_normalize(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    size_t                port_len;
    unsigned              port, def;
    unsigned char        *d, *path;
    const unsigned char  *s, *last, *host_end, *colon;

    last = src + len;

    /* the query and the fragment are not compared */

    for (s = src; s < last && *s != '?' && *s != '#'; s++) {
        /* void */
    }

    last = s;
    s = src;
    d = dst;

    if ((size_t) (last - s) >= sizeof("https://") - 1
        && strncasecmp((const char *) s, "https://", 8) == 0)
    {
        d = memcpy(d, "https://", 8);
        d += 8;
        s += 8;
        def = 443;

    } else if ((size_t) (last - s) >= sizeof("http://") - 1
               && strncasecmp((const char *) s, "http://", 7) == 0)
    {
        d = memcpy(d, "http://", 7);
        d += 7;
        s += 7;
        def = 80;

    } else {
        return -1;
    }

    /* authority: host and port, no user information */

    for (host_end = s; host_end < last && *host_end != '/'; host_end++) {
        if (*host_end == '@') {
            return -1;
        }
    }

    colon = NULL;

    if (s < host_end && *s == '[') {
        colon = memchr(s, ']', host_end - s);
        if (colon == NULL) {
            return -1;
        }

        colon = (colon + 1 < host_end) ? colon + 1 : NULL;

        if (colon && *colon != ':') {
            return -1;
        }

    } else {
        colon = memchr(s, ':', host_end - s);
    }

    if (s == (colon ? colon : host_end)) {
        return -1;
    }

    while (s < (colon ? colon : host_end)) {
        d = jwt_dpop_percent(d, &s, colon ? colon : host_end, 1);
        if (d == NULL) {
            return -1;
        }
    }

    if (colon) {
        port = 0;
        port_len = 0;

        for (s = colon + 1; s < host_end; s++) {
            if (*s < '0' || *s > '9') {
                return -1;
            }

            port = port * 10 + (*s - '0');
            port_len++;

            if (port > 65535) {
                return -1;
            }
        }

        if (port_len && port != def) {
            d += sprintf((char *) d, ":%u", port);
        }
    }

    s = host_end;

    /* the path: empty is "/" */

    path = d;

    if (s == last) {
        *d++ = '/';
        return (long) (d - dst);
    }

    while (s < last) {
        d = jwt_dpop_percent(d, &s, last, 0);
        if (d == NULL) {
            return -1;
        }
    }

    d = path + jwt_dpop_dot_segments(path, (size_t) (d - path));

    return (long) (d - dst);
}


/*
 * One character of a URI component, normalised: %XX of an unreserved
 * character decoded, other %XX in upper case, a byte that a URI cannot
 * hold percent-encoded; letters in lower case when lower is set (host).
 * NULL for a broken %XX.
 */

static unsigned char *
jwt_dpop_percent(unsigned char *d, const unsigned char **sp,
    const unsigned char *last, int lower)
{
    int                   hi, lo;
    unsigned char         c;
    const unsigned char  *s;
    static const char     hex[] = "0123456789ABCDEF";

    s = *sp;
    c = *s;

    if (c == '%') {
        if (last - s < 3) {
            return NULL;
        }

        hi = (s[1] >= '0' && s[1] <= '9') ? s[1] - '0'
             : ((s[1] | 0x20) >= 'a' && (s[1] | 0x20) <= 'f')
               ? (s[1] | 0x20) - 'a' + 10 : -1;
        lo = (s[2] >= '0' && s[2] <= '9') ? s[2] - '0'
             : ((s[2] | 0x20) >= 'a' && (s[2] | 0x20) <= 'f')
               ? (s[2] | 0x20) - 'a' + 10 : -1;

        if (hi < 0 || lo < 0) {
            return NULL;
        }

        c = (unsigned char) (hi * 16 + lo);
        *sp = s + 3;

        if (c < 128 && jwt_dpop_uri_class[c] == 1) {
            *d++ = (lower && c >= 'A' && c <= 'Z') ? (c | 0x20) : c;
            return d;
        }

        *d++ = '%';
        *d++ = hex[c >> 4];
        *d++ = hex[c & 0x0f];
        return d;
    }

    *sp = s + 1;

    if (c >= 128 || jwt_dpop_uri_class[c] == 0) {
        *d++ = '%';
        *d++ = hex[c >> 4];
        *d++ = hex[c & 0x0f];
        return d;
    }

    *d++ = (lower && c >= 'A' && c <= 'Z') ? (c | 0x20) : c;

    return d;
}


/*
 * RFC 3986 section 5.2.4, in place: the output never overtakes the
 * input.  path starts with '/'.
 */

static size_t
jwt_dpop_dot_segments(unsigned char *path, size_t len)
{
    size_t          n;
    unsigned char  *in, *last, *out, *p;

    in = path;
    last = path + len;
    out = path;

    while (in < last) {
        n = (size_t) (last - in);

        if (n >= 3 && memcmp(in, "../", 3) == 0) {
            in += 3;

        } else if (n >= 2 && memcmp(in, "./", 2) == 0) {
            in += 2;

        } else if (n >= 3 && memcmp(in, "/./", 3) == 0) {
            in += 2;

        } else if (n == 2 && memcmp(in, "/.", 2) == 0) {
            in += 1;
            *in = '/';

        } else if ((n >= 4 && memcmp(in, "/../", 4) == 0)
                   || (n == 3 && memcmp(in, "/..", 3) == 0))
        {
            /* "/../x" goes on at "/x", "/.." at a '/' written over '.' */

            in += 2;

            if (n == 3) {
                *in = '/';

            } else {
                in++;
            }

            /* the last segment of the output goes, with its '/' */

            for (p = out; p > path; p--) {
                if (p[-1] == '/') {
                    p--;
                    break;
                }
            }

            out = p;

        } else if ((n == 1 && in[0] == '.')
                   || (n == 2 && memcmp(in, "..", 2) == 0))
        {
            in = last;

        } else {
            p = in + 1;

            while (p < last && *p != '/') {
                p++;
            }

            memmove(out, in, (size_t) (p - in));
            out += p - in;
            in = p;
        }
    }

    if (out == path) {
        *out++ = '/';
    }

    return (size_t) (out - path);
}
