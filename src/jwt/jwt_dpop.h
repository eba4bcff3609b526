
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _JWT_DPOP_H_INCLUDED_
#define _JWT_DPOP_H_INCLUDED_


#include <jansson.h>

#include "jwt.h"
#include "jwt_token.h"
#include "jwt_jwk.h"


/*
 * DPoP proofs (RFC 9449): a compact JWS whose header carries the public
 * key that signs it, bound to one HTTP request (htm, htu), one moment
 * (iat), one access token (ath) and, through the RFC 7638 thumbprint of
 * its key, to the token's cnf.jkt.  Replay of jti is the caller's: it
 * needs memory shared across processes.
 */


/* the largest proof accepted, before anything is decoded */
#define JWT_DPOP_MAX_SIZE       4096

/* the longest jti kept for replay detection */
#define JWT_DPOP_JTI_MAX        256

/* base64url of a SHA-256 digest, without padding */
#define JWT_DPOP_JKT_LEN        43

/* the algs a proof may use: asymmetric ones only */
#define JWT_DPOP_ALGS_PK                                                     \
    (~JWT_ALGS_HS & ((1u << JWT_ALG_MAX) - 2))

/* RFC 9449 section 5 suggests these: the default allow-list */
#define JWT_DPOP_ALGS_DEFAULT                                                \
    (JWT_ALG_BIT(JWT_ALG_ES256) | JWT_ALG_BIT(JWT_ALG_PS256)                 \
     | JWT_ALG_BIT(JWT_ALG_RS256) | JWT_ALG_BIT(JWT_ALG_EDDSA))


typedef enum {
    JWT_DPOP_OK = 0,
    JWT_DPOP_MALFORMED,      /* not a JWS, a bad claim, typ, header */
    JWT_DPOP_ALG,            /* alg none, symmetric, not allowed */
    JWT_DPOP_JWK,            /* jwk missing, private, symmetric, unusable */
    JWT_DPOP_SIGNATURE,      /* not signed by its own jwk */
    JWT_DPOP_HTM,            /* another method */
    JWT_DPOP_HTU,            /* another URL */
    JWT_DPOP_IAT,            /* iat outside the window */
    JWT_DPOP_ATH,            /* ath missing or of another token */
    JWT_DPOP_JKT,            /* the key is not the token's cnf.jkt */
    JWT_DPOP_NOMEM,
    JWT_DPOP_INTERNAL
} jwt_dpop_rc_t;


/*
 * Keys of proofs already verified, per process: a client signs all its
 * proofs with one key, so the header segment of its proofs is the same
 * bytes every time.  A proof whose header segment is byte-identical to a
 * cached one takes that entry's key (imported and checked once, its
 * verification contexts ready) and thumbprint; only what depends on the
 * policy (alg allowed, cnf.jkt) is checked again.  An entry is added
 * only after a proof fully verified; JWT_DPOP_CACHE_SIZE entries of
 * header segments up to JWT_DPOP_CACHE_SEG bytes, replaced in turn.
 */

#define JWT_DPOP_CACHE_SIZE     16
#define JWT_DPOP_CACHE_SEG      1024

typedef struct {
    size_t            len;         /* 0: free */
    unsigned char     seg[JWT_DPOP_CACHE_SEG];
    jwt_alg_t         alg;
    jwt_key_t         key;
    unsigned char     jkt[JWT_DPOP_JKT_LEN];
} jwt_dpop_cache_entry_t;

typedef struct {
    jwt_dpop_cache_entry_t  entry[JWT_DPOP_CACHE_SIZE];
    size_t                  next;
} jwt_dpop_cache_t;


typedef struct {
    int64_t           now;
    int64_t           window;      /* seconds an iat may lie in the past */
    int64_t           leeway;      /* clock skew, both ways */
    unsigned          algs;        /* JWT_ALG_BIT() mask, asymmetric */
    jwt_str_t         htm;         /* the request method */
    jwt_str_t         htu;         /* the request URL, normalised here */
    jwt_str_t         token;       /* the access token, for ath */
    jwt_str_t         jkt;         /* cnf.jkt; data NULL: not compared */
    jwt_dpop_cache_t *cache;       /* NULL: none */
} jwt_dpop_policy_t;


typedef struct {
    jwt_token_t       tok;         /* header and claims */
    jwt_key_t         key;         /* from the jwk header */
    jwt_str_t         jti;         /* into tok.payload */
    int64_t           iat;
    unsigned char     jkt[JWT_DPOP_JKT_LEN];   /* the key's thumbprint */
} jwt_dpop_proof_t;


/*
 * Parses and checks a proof against the policy: RFC 9449 section 4.3,
 * items 1 to 11 but the replay of jti.  scratch must hold len bytes.  On
 * success proof owns its header, claims and key (jwt_dpop_release);
 * on failure *reason says why and nothing is owned.
 */
jwt_dpop_rc_t jwt_dpop_verify(jwt_dpop_proof_t *proof,
    const unsigned char *p, size_t len, unsigned char *scratch,
    const jwt_dpop_policy_t *pol, const char **reason);

void jwt_dpop_release(jwt_dpop_proof_t *proof);

void jwt_dpop_cache_free(jwt_dpop_cache_t *cache);

/* the HTTP message of each result */
const char *jwt_dpop_text(jwt_dpop_rc_t rc);

/*
 * The RFC 7638 SHA-256 thumbprint of a public JWK (EC, RSA, OKP), in
 * base64url: JWT_DPOP_JKT_LEN bytes at out.
 */
jwt_rc_t jwt_jwk_thumbprint(json_t *jwk, unsigned char *out,
    const char **reason);

/*
 * An http(s) URL without its query and fragment, normalised as RFC 3986
 * sections 6.2.2 and 6.2.3 say: scheme and host in lower case, default
 * port dropped, an empty path made "/", percent-encoding of unreserved
 * characters decoded and of others in upper case, bytes a URI cannot
 * carry percent-encoded, dot segments removed.  dst must hold
 * jwt_dpop_url_max(len) bytes; returns the length, or -1.
 */
#define jwt_dpop_url_max(len)  ((len) * 3 + 1)

long jwt_dpop_url_normalize(unsigned char *dst, const unsigned char *src,
    size_t len);


#endif /* _JWT_DPOP_H_INCLUDED_ */
