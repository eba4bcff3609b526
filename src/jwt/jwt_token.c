
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <string.h>

#include "jwt_token.h"
#include "jwt_b64url.h"
#include "jwt_json.h"


static jwt_rc_t jwt_token_segments(jwt_token_t *tok, const unsigned char *p,
    size_t len, size_t max_len, unsigned char *scratch,
    jwt_header_memo_t *memo, const char **reason);
static jwt_rc_t jwt_token_split(const unsigned char *p, size_t len,
    size_t max_len, size_t dots[2], const char **reason);
static int jwt_token_alphabet(const unsigned char *p, size_t len);
static jwt_rc_t jwt_token_json(json_t **json, int *ctl, unsigned char *dst,
    const unsigned char *src, size_t len, const char *what,
    const char **reason);
static jwt_rc_t jwt_token_parse_header(jwt_token_t *tok, int *ctl,
    unsigned char *scratch, const unsigned char *p, size_t len,
    const char **reason);
static int jwt_header_memo_get(jwt_header_memo_t *memo, jwt_token_t *tok,
    const unsigned char *seg, size_t len);
static jwt_rc_t jwt_token_header(jwt_token_t *tok, const char **reason);
static jwt_rc_t jwt_claim_date(json_t *payload, const char *name,
    int64_t *value, const char **reason);
static jwt_rc_t jwt_claims_aud(json_t *aud, const jwt_claims_policy_t *pol,
    const char **reason);


/* byte classes of a compact serialisation: base64url letters 1, '.' 2 */
static const unsigned char  jwt_token_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0,     /* - . */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,     /* 0-9 */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* A-O */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,     /* P-Z _ */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* a-o */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,     /* p-z */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};


jwt_rc_t
jwt_token_parse(jwt_token_t *tok, const unsigned char *p, size_t len,
    size_t max_len, unsigned char *scratch, const char **reason)
{
    return jwt_token_parse_memo(tok, p, len, max_len, scratch, NULL, reason);
}


/*
 * The alphabet is not checked on its own before the segments are read:
 * each segment is either decoded, and the decoder takes nothing but
 * base64url, or byte-identical to a memoised header.  Only a token that
 * fails is scanned, so that any byte outside the alphabet is reported as
 * such whatever else is wrong with it.
 */

jwt_rc_t
jwt_token_parse_memo(jwt_token_t *tok, const unsigned char *p, size_t len,
    size_t max_len, unsigned char *scratch, jwt_header_memo_t *memo,
    const char **reason)
{
    jwt_rc_t  rc;

    rc = jwt_token_segments(tok, p, len, max_len, scratch, memo, reason);

    if (rc != JWT_OK && rc != JWT_ERR_NOMEM && len != 0 && len <= max_len
        && !jwt_token_alphabet(p, len))
    {
        *reason = "invalid character in token";
        return JWT_ERR_FORMAT;
    }

    return rc;
}


static jwt_rc_t
jwt_token_segments(jwt_token_t *tok, const unsigned char *p, size_t len,
    size_t max_len, unsigned char *scratch, jwt_header_memo_t *memo,
    const char **reason)
{
    int             header_ctl, payload_ctl;
    long            n;
    size_t          dots[2];
    jwt_rc_t        rc;
    unsigned char  *sig;

    memset(tok, 0, sizeof(jwt_token_t));
    header_ctl = 0;

    rc = jwt_token_split(p, len, max_len, dots, reason);
    if (rc != JWT_OK) {
        return rc;
    }

    tok->raw.data = p;
    tok->raw.len = len;
    tok->signing_len = dots[1];

    /* header: byte-identical to one memoised, or decoded and checked */

    if (memo == NULL || !jwt_header_memo_get(memo, tok, p, dots[0])) {
        rc = jwt_token_parse_header(tok, &header_ctl, scratch, p, dots[0],
                                    reason);
        if (rc != JWT_OK) {
            return rc;
        }
    }

    /* payload */

    rc = jwt_token_json(&tok->payload, &payload_ctl, scratch + dots[0],
                        p + dots[0] + 1, dots[1] - dots[0] - 1, "payload",
                        reason);
    if (rc != JWT_OK) {
        goto failed;
    }

    if (!json_is_object(tok->payload)) {
        *reason = "token payload is not a JSON object";
        rc = JWT_ERR_PAYLOAD;
        goto failed;
    }

    /* found while parsing, reported once both segments are valid JSON */

    if (header_ctl) {
        *reason = "control character or deep nesting in token header";
        rc = JWT_ERR_HEADER;
        goto failed;
    }

    if (payload_ctl) {
        *reason = "control character or deep nesting in token";
        rc = JWT_ERR_PAYLOAD;
        goto failed;
    }

    {
        json_t  *iss;

        iss = json_object_get(tok->payload, "iss");

        if (iss != NULL) {
            if (!json_is_string(iss)) {
                *reason = "iss is not a string";
                rc = JWT_ERR_PAYLOAD;
                goto failed;
            }

            tok->iss.data = (const unsigned char *) json_string_value(iss);
            tok->iss.len = json_string_length(iss);
        }
    }

    /* signature: the rest of scratch is large enough, see split */

    sig = scratch + dots[1];
    n = jwt_b64url_decode(sig, p + dots[1] + 1, len - dots[1] - 1);
    if (n <= 0) {
        *reason = "token signature is not base64url";
        rc = JWT_ERR_FORMAT;
        goto failed;
    }

    tok->sig.data = sig;
    tok->sig.len = (size_t) n;

    return JWT_OK;

failed:

    jwt_token_release(tok);

    return rc;
}


static jwt_rc_t
jwt_token_parse_header(jwt_token_t *tok, int *ctl, unsigned char *scratch,
    const unsigned char *p, size_t len, const char **reason)
{
    jwt_rc_t  rc;

    rc = jwt_token_json(&tok->header, ctl, scratch, p, len, "header", reason);
    if (rc != JWT_OK) {
        return rc;
    }

    if (!json_is_object(tok->header)) {
        *reason = "token header is not a JSON object";
        rc = JWT_ERR_HEADER;
        goto failed;
    }

    rc = jwt_token_header(tok, reason);
    if (rc != JWT_OK) {
        goto failed;
    }

    return JWT_OK;

failed:

    json_decref(tok->header);
    tok->header = NULL;
    tok->kid.data = NULL;
    tok->kid.len = 0;

    return rc;
}


/* a memoised header of exactly these bytes: its reference, alg and kid */

static int
jwt_header_memo_get(jwt_header_memo_t *memo, jwt_token_t *tok,
    const unsigned char *seg, size_t len)
{
    size_t                    i;
    jwt_header_memo_entry_t  *e;

    for (i = 0; i < JWT_HEADER_MEMO_SIZE; i++) {
        e = &memo->entry[i];

        if (e->len == len && e->header != NULL
            && memcmp(e->seg, seg, len) == 0)
        {
            tok->header = json_incref(e->header);
            tok->alg = e->alg;
            tok->kid = e->kid;
            tok->memo_hit = 1;
            return 1;
        }
    }

    return 0;
}


jwt_rc_t
jwt_header_memo_add(jwt_header_memo_t *memo, const jwt_token_t *tok)
{
    size_t                    len;
    json_t                   *copy, *kid;
    const unsigned char      *dot;
    jwt_header_memo_entry_t  *e;

    if (tok->memo_hit || tok->header == NULL) {
        return JWT_OK;
    }

    dot = memchr(tok->raw.data, '.', tok->raw.len);
    len = dot ? (size_t) (dot - tok->raw.data) : JWT_HEADER_MEMO_SEG + 1;

    if (len == 0 || len > JWT_HEADER_MEMO_SEG) {
        return JWT_OK;
    }

    copy = json_deep_copy(tok->header);
    if (copy == NULL) {
        return JWT_ERR_NOMEM;
    }

    e = &memo->entry[memo->next];
    memo->next = (memo->next + 1) % JWT_HEADER_MEMO_SIZE;

    json_decref(e->header);

    memcpy(e->seg, tok->raw.data, len);
    e->len = len;
    e->header = copy;
    e->alg = tok->alg;

    /* the kid of the copy: the token's points into its own header */

    kid = json_object_get(copy, "kid");

    e->kid.data = json_is_string(kid)
                  ? (const unsigned char *) json_string_value(kid) : NULL;
    e->kid.len = json_is_string(kid) ? json_string_length(kid) : 0;

    return JWT_OK;
}


void
jwt_header_memo_free(jwt_header_memo_t *memo)
{
    size_t  i;

    for (i = 0; i < JWT_HEADER_MEMO_SIZE; i++) {
        json_decref(memo->entry[i].header);
        memo->entry[i].header = NULL;
        memo->entry[i].len = 0;
    }
}


void
jwt_token_release(jwt_token_t *tok)
{
    /* iss and kid point into the JSON */

    tok->iss.data = NULL;
    tok->iss.len = 0;
    tok->kid.data = NULL;
    tok->kid.len = 0;

    if (tok->header) {
        json_decref(tok->header);
        tok->header = NULL;
    }

    if (tok->payload) {
        json_decref(tok->payload);
        tok->payload = NULL;
    }
}


/*
 * The dots (found with memchr) and non-empty segments, after the size.
 * Nothing is allocated and nothing is decoded before this succeeds.
 */

static jwt_rc_t
jwt_token_split(const unsigned char *p, size_t len, size_t max_len,
    size_t dots[2], const char **reason)
{
    size_t                n;
    const unsigned char  *dot, *end;

    if (len == 0) {
        *reason = "empty token";
        return JWT_ERR_FORMAT;
    }

    if (len > max_len) {
        *reason = "token too large";
        return JWT_ERR_FORMAT;
    }

    n = 0;
    end = p + len;
    dot = memchr(p, '.', len);

    while (dot != NULL) {
        if (n < 2) {
            dots[n] = dot - p;
        }

        n++;
        dot = memchr(dot + 1, '.', end - dot - 1);
    }

    if (n == 4) {
        *reason = "JWE tokens are not supported";
        return JWT_ERR_UNSUPPORTED;
    }

    if (n != 2) {
        *reason = "token does not have three segments";
        return JWT_ERR_FORMAT;
    }

    if (dots[0] == 0 || dots[1] == dots[0] + 1 || dots[1] == len - 1) {
        *reason = "empty token segment";
        return JWT_ERR_FORMAT;
    }

    return JWT_OK;
}


/*
 * Decodes one segment into dst and parses it.  The decoded size of a
 * segment is at most its encoded size, so the three segments together
 * fit in len bytes of scratch.
 */

static jwt_rc_t
jwt_token_json(json_t **json, int *ctl, unsigned char *dst,
    const unsigned char *src, size_t len, const char *what,
    const char **reason)
{
    long           n;
    jwt_json_rc_t  rc;

    n = jwt_b64url_decode(dst, src, len);
    if (n <= 0) {
        *reason = (what[0] == 'h') ? "token header is not base64url"
                                   : "token payload is not base64url";
        return JWT_ERR_FORMAT;
    }

    rc = jwt_json_parse(json, dst, (size_t) n);

    *ctl = (rc == JWT_JSON_CTL);

    if (rc == JWT_JSON_OK || rc == JWT_JSON_CTL) {
        return JWT_OK;
    }

    if (rc == JWT_JSON_NOMEM) {
        *reason = "out of memory";
        return JWT_ERR_NOMEM;
    }

    if (what[0] == 'h') {
        *reason = "token header is not valid JSON";
        return JWT_ERR_HEADER;
    }

    *reason = "token payload is not valid JSON";
    return JWT_ERR_PAYLOAD;
}


static jwt_rc_t
jwt_token_header(jwt_token_t *tok, const char **reason)
{
    json_t      *alg, *kid, *cty;
    const char  *s;

    if (json_object_get(tok->header, "crit") != NULL) {
        *reason = "crit header parameter is not supported";
        return JWT_ERR_UNSUPPORTED;
    }

    if (json_object_get(tok->header, "enc") != NULL) {
        *reason = "JWE tokens are not supported";
        return JWT_ERR_UNSUPPORTED;
    }

    cty = json_object_get(tok->header, "cty");

    if (cty != NULL) {
        if (!json_is_string(cty)) {
            *reason = "cty is not a string";
            return JWT_ERR_HEADER;
        }

        s = json_string_value(cty);

        if (strcasecmp(s, "JWT") == 0 || strcasecmp(s, "application/jwt") == 0)
        {
            *reason = "nested JWT (cty) is not supported";
            return JWT_ERR_UNSUPPORTED;
        }
    }

    alg = json_object_get(tok->header, "alg");

    if (alg == NULL || !json_is_string(alg)) {
        *reason = "alg is missing or not a string";
        return JWT_ERR_ALG;
    }

    s = json_string_value(alg);

    tok->alg = jwt_alg_by_name((const unsigned char *) s,
                               json_string_length(alg));

    if (tok->alg == JWT_ALG_UNKNOWN) {
        *reason = (strcasecmp(s, "none") == 0) ? "alg none is not allowed"
                                               : "alg is not supported";
        return JWT_ERR_ALG;
    }

    kid = json_object_get(tok->header, "kid");

    if (kid != NULL) {
        if (!json_is_string(kid)) {
            *reason = "kid is not a string";
            return JWT_ERR_HEADER;
        }

        tok->kid.data = (const unsigned char *) json_string_value(kid);
        tok->kid.len = json_string_length(kid);
    }

    return JWT_OK;
}


jwt_rc_t
jwt_claims_check(jwt_token_t *tok, const jwt_claims_policy_t *pol,
    const char **reason)
{
    json_t    *v;
    int64_t    exp, nbf, iat, leeway;
    jwt_rc_t   rc;

    leeway = pol->leeway;

    if (leeway < 0 || leeway > JWT_LEEWAY_MAX) {
        *reason = "leeway out of range";
        return JWT_ERR_INTERNAL;
    }

    /* exp is required; exp == now is expired */

    rc = jwt_claim_date(tok->payload, "exp", &exp, reason);
    if (rc != JWT_OK) {
        return rc;
    }

    if (exp < 0) {
        *reason = "exp claim missing";
        return JWT_ERR_CLAIMS;
    }

    tok->exp = exp;

    /* both sides are bounded, so neither sum can overflow */

    if (pol->now >= exp + leeway) {
        *reason = "token expired";
        return JWT_ERR_EXPIRED;
    }

    rc = jwt_claim_date(tok->payload, "nbf", &nbf, reason);
    if (rc != JWT_OK) {
        return rc;
    }

    if (nbf >= 0 && nbf > pol->now + leeway) {
        *reason = "nbf is in the future";
        return JWT_ERR_NOT_YET_VALID;
    }

    rc = jwt_claim_date(tok->payload, "iat", &iat, reason);
    if (rc != JWT_OK) {
        return rc;
    }

    if (iat >= 0 && iat > pol->now + leeway) {
        *reason = "iat is in the future";
        return JWT_ERR_NOT_YET_VALID;
    }

    if (pol->naudiences) {
        rc = jwt_claims_aud(json_object_get(tok->payload, "aud"), pol, reason);
        if (rc != JWT_OK) {
            return rc;
        }
    }

    if (pol->token_type.data) {
        v = json_object_get(tok->payload, "token_type");

        if (v == NULL) {
            *reason = "token_type claim missing";
            return JWT_ERR_TOKEN_TYPE;
        }

        if (!json_is_string(v)
            || json_string_length(v) != pol->token_type.len
            || memcmp(json_string_value(v), pol->token_type.data,
                      pol->token_type.len) != 0)
        {
            *reason = "token_type does not match";
            return JWT_ERR_TOKEN_TYPE;
        }
    }

    return JWT_OK;
}


/*
 * A NumericDate: an integer or a real in [0, JWT_NUMERIC_DATE_MAX],
 * fractions truncated.  *value is -1 when the claim is absent.
 */

static jwt_rc_t
jwt_claim_date(json_t *payload, const char *name, int64_t *value,
    const char **reason)
{
    double      d;
    json_t     *v;
    json_int_t  i;

    *value = -1;

    v = json_object_get(payload, name);
    if (v == NULL) {
        return JWT_OK;
    }

    if (json_is_integer(v)) {
        i = json_integer_value(v);

        if (i < 0 || i > JWT_NUMERIC_DATE_MAX) {
            goto range;
        }

        *value = (int64_t) i;
        return JWT_OK;
    }

    if (json_is_real(v)) {
        d = json_real_value(v);

        if (!(d >= 0.0 && d <= (double) JWT_NUMERIC_DATE_MAX)) {
            goto range;
        }

        /* d >= 0: the cast truncates like floor() */
        *value = (int64_t) d;
        return JWT_OK;
    }

    *reason = (name[0] == 'e') ? "exp is not a number"
              : (name[0] == 'n') ? "nbf is not a number"
              : "iat is not a number";

    return JWT_ERR_CLAIMS;

range:

    *reason = (name[0] == 'e') ? "exp out of range"
              : (name[0] == 'n') ? "nbf out of range"
              : "iat out of range";

    return JWT_ERR_CLAIMS;
}


static jwt_rc_t
jwt_claims_aud(json_t *aud, const jwt_claims_policy_t *pol,
    const char **reason)
{
    size_t       i, j, n, len;
    json_t      *v;
    const char  *s;

    if (aud == NULL) {
        *reason = "aud claim missing";
        return JWT_ERR_AUDIENCE;
    }

    if (json_is_string(aud)) {
        n = 1;

    } else if (json_is_array(aud) && json_array_size(aud) > 0) {
        n = json_array_size(aud);

    } else {
        *reason = "aud is neither a string nor a non-empty array";
        return JWT_ERR_AUDIENCE;
    }

    for (i = 0; i < n; i++) {
        v = json_is_string(aud) ? aud : json_array_get(aud, i);

        if (!json_is_string(v)) {
            *reason = "aud array holds a non-string";
            return JWT_ERR_AUDIENCE;
        }

        s = json_string_value(v);
        len = json_string_length(v);

        for (j = 0; j < pol->naudiences; j++) {
            if (pol->audiences[j].len == len
                && memcmp(pol->audiences[j].data, s, len) == 0)
            {
                return JWT_OK;
            }
        }
    }

    *reason = "aud does not match";
    return JWT_ERR_AUDIENCE;
}


/* whether every byte is a base64url letter or a dot */

static int
jwt_token_alphabet(const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (jwt_token_class[p[i]] == 0) {
            return 0;
        }
    }

    return 1;
}
