
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#ifndef _JWT_B64URL_H_INCLUDED_
#define _JWT_B64URL_H_INCLUDED_


#include "jwt.h"


/* upper bound of the decoded size of len base64url characters */
#define jwt_b64url_decoded_max(len)  ((len) / 4 * 3 + 2)


/*
 * Strict RFC 7515 base64url: no padding, nothing outside [A-Za-z0-9_-],
 * no length of 1 mod 4, and the unused bits of the last character must be
 * zero, so that one byte string has exactly one encoding.  Returns the
 * decoded length, or -1.  dst must hold jwt_b64url_decoded_max(len) bytes.
 */
long jwt_b64url_decode(unsigned char *dst, const unsigned char *src,
    size_t len);

/* dst must hold (len * 4 + 2) / 3 bytes; returns the encoded length */
size_t jwt_b64url_encode(unsigned char *dst, const unsigned char *src,
    size_t len);


#endif /* _JWT_B64URL_H_INCLUDED_ */
