
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _JWT_TOKEN_H_INCLUDED_
#define _JWT_TOKEN_H_INCLUDED_


#include <jansson.h>

#include "jwt.h"


typedef struct {
    jwt_str_t        raw;          /* the token as received */
    size_t           signing_len;  /* length of "header.payload" in raw */

    json_t          *header;       /* owned: released by jwt_token_release */
    json_t          *payload;

    jwt_alg_t        alg;
    jwt_str_t        kid;          /* data is NULL when absent */
    jwt_str_t        iss;          /* data is NULL when absent */
    jwt_str_t        sig;          /* decoded signature, in scratch */

    int64_t          exp;          /* set by jwt_claims_check */

    int              memo_hit;     /* the header came from the memo */
} jwt_token_t;


/*
 * A memo of JOSE headers already parsed.  The header segment of one
 * issuer's tokens is the same bytes on every token, so decoding, parsing
 * and checking it is done once: a segment byte-identical to a memoised
 * one takes its parsed header (a reference) and its alg and kid.  Small
 * and bounded: JWT_HEADER_MEMO_SIZE segments of at most
 * JWT_HEADER_MEMO_SEG bytes, replaced in turn.
 */

#define JWT_HEADER_MEMO_SIZE    8
#define JWT_HEADER_MEMO_SEG     256

typedef struct {
    size_t           len;          /* 0: free */
    unsigned char    seg[JWT_HEADER_MEMO_SEG];
    json_t          *header;       /* a reference the memo holds */
    jwt_alg_t        alg;
    jwt_str_t        kid;          /* into header */
} jwt_header_memo_entry_t;

typedef struct {
    jwt_header_memo_entry_t  entry[JWT_HEADER_MEMO_SIZE];
    size_t                   next;
} jwt_header_memo_t;


typedef struct {
    int64_t           now;
    int64_t           leeway;          /* seconds, >= 0 */
    const jwt_str_t  *audiences;       /* any one must be in aud */
    size_t            naudiences;      /* 0: aud is not checked */
    jwt_str_t         token_type;      /* data NULL: not checked */
} jwt_claims_policy_t;


/* the largest leeway a policy may carry (one year) */
#define JWT_LEEWAY_MAX          (366 * 86400)

/* NumericDate values past 9999-12-31T23:59:59Z are refused */
#define JWT_NUMERIC_DATE_MAX    253402300799LL


/*
 * Splits and decodes a compact JWS.  Framing is checked in one linear pass
 * before anything is decoded: length in 1..max_len, the base64url alphabet
 * and exactly two dots between non-empty segments.  scratch must hold len
 * bytes; decoded segments and the signature live there.  On success the
 * header and payload are JSON objects parsed with JSON_REJECT_DUPLICATES,
 * alg is known, and no string in either contains a control character.
 * On failure *reason says why (a static string) and nothing is owned.
 */
jwt_rc_t jwt_token_parse(jwt_token_t *tok, const unsigned char *p,
    size_t len, size_t max_len, unsigned char *scratch, const char **reason);

/* the same, looking the header segment up in memo first (NULL: none) */
jwt_rc_t jwt_token_parse_memo(jwt_token_t *tok, const unsigned char *p,
    size_t len, size_t max_len, unsigned char *scratch,
    jwt_header_memo_t *memo, const char **reason);

/*
 * Memoises the header of a parsed token (one that did not come from the
 * memo), as a deep copy made with the jansson allocator in force: the
 * caller makes it a long-lived one.  JWT_ERR_NOMEM, or JWT_OK (also when
 * the segment is too long to be kept).
 */
jwt_rc_t jwt_header_memo_add(jwt_header_memo_t *memo, const jwt_token_t *tok);
void jwt_header_memo_free(jwt_header_memo_t *memo);

void jwt_token_release(jwt_token_t *tok);

/* exp (required), nbf, iat, aud and token_type against the policy */
jwt_rc_t jwt_claims_check(jwt_token_t *tok, const jwt_claims_policy_t *pol,
    const char **reason);


#endif /* _JWT_TOKEN_H_INCLUDED_ */
