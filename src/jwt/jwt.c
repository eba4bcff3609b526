
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include <string.h>

#include "jwt.h"


typedef struct {
    const char  *name;
    size_t       len;
    size_t       hmac_size;
} jwt_alg_desc_t;


static const jwt_alg_desc_t  jwt_algs[JWT_ALG_MAX] = {
    { "", 0, 0 },
    { "HS256", 5, 32 },
    { "HS384", 5, 48 },
    { "HS512", 5, 64 },
    { "RS256", 5, 0 },
    { "RS384", 5, 0 },
    { "RS512", 5, 0 },
    { "PS256", 5, 0 },
    { "PS384", 5, 0 },
    { "PS512", 5, 0 },
    { "ES256", 5, 0 },
    { "ES384", 5, 0 },
    { "ES512", 5, 0 },
    { "EdDSA", 5, 0 },
    { "Ed25519", 7, 0 },
    { "Ed448", 5, 0 }
};


static const char  *jwt_rc_texts[] = {
    "OK",
    "Malformed token",
    "Malformed token header",
    "Malformed token claims",
    "Algorithm not allowed",
    "Unsupported token type",
    "Issuer not trusted",
    "No matching key",
    "Bad signature",
    "Token expired",
    "Token not yet valid",
    "Invalid claims",
    "Audience mismatch",
    "Wrong token type",
    "Out of memory",
    "Internal error"
};


jwt_alg_t
jwt_alg_by_name(const unsigned char *name, size_t len)
{
    int  i;

    for (i = 1; i < JWT_ALG_MAX; i++) {
        if (jwt_algs[i].len == len && memcmp(jwt_algs[i].name, name, len) == 0)
        {
            return (jwt_alg_t) i;
        }
    }

    return JWT_ALG_UNKNOWN;
}


const char *
jwt_alg_name(jwt_alg_t alg)
{
    if (alg <= JWT_ALG_UNKNOWN || alg >= JWT_ALG_MAX) {
        return "unknown";
    }

    return jwt_algs[alg].name;
}


unsigned
jwt_algs_parse(const unsigned char *list, size_t len)
{
    size_t               n;
    unsigned             mask;
    jwt_alg_t            alg;
    const unsigned char  *p, *last, *comma;

    mask = 0;
    p = list;
    last = list + len;

    while (p < last) {
        comma = memchr(p, ',', last - p);
        n = (comma ? comma : last) - p;

        alg = jwt_alg_by_name(p, n);
        if (alg == JWT_ALG_UNKNOWN) {
            return 0;
        }

        mask |= JWT_ALG_BIT(alg);

        if (comma == NULL) {
            break;
        }

        p = comma + 1;

        if (p == last) {
            return 0;
        }
    }

    return mask;
}


size_t
jwt_alg_hmac_size(jwt_alg_t alg)
{
    if (alg <= JWT_ALG_UNKNOWN || alg >= JWT_ALG_MAX) {
        return 0;
    }

    return jwt_algs[alg].hmac_size;
}


const char *
jwt_rc_text(jwt_rc_t rc)
{
    if ((size_t) rc >= sizeof(jwt_rc_texts) / sizeof(jwt_rc_texts[0])) {
        return "Internal error";
    }

    return jwt_rc_texts[rc];
}
