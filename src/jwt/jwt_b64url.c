
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


#include "jwt_b64url.h"


/* 0..63 for the base64url alphabet, 0xff for everything else */
static const unsigned char  jwt_b64url_dec[256] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff,   62, 0xff, 0xff,
      52,   53,   54,   55,   56,   57,   58,   59,
      60,   61, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff,    0,    1,    2,    3,    4,    5,    6,
       7,    8,    9,   10,   11,   12,   13,   14,
      15,   16,   17,   18,   19,   20,   21,   22,
      23,   24,   25, 0xff, 0xff, 0xff, 0xff,   63,
    0xff,   26,   27,   28,   29,   30,   31,   32,
      33,   34,   35,   36,   37,   38,   39,   40,
      41,   42,   43,   44,   45,   46,   47,   48,
      49,   50,   51, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};


static const char  jwt_b64url_enc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


long
jwt_b64url_decode(unsigned char *dst, const unsigned char *src, size_t len)
{
    size_t          i, full;
    unsigned char  *d;
    unsigned char   a, b, c, e;

    if (len % 4 == 1) {
        return -1;
    }

    d = dst;
    full = len - len % 4;

    for (i = 0; i < full; i += 4) {
        a = jwt_b64url_dec[src[i]];
        b = jwt_b64url_dec[src[i + 1]];
        c = jwt_b64url_dec[src[i + 2]];
        e = jwt_b64url_dec[src[i + 3]];

        if ((a | b | c | e) & 0xc0) {
            return -1;
        }

        *d++ = (unsigned char) (a << 2 | b >> 4);
        *d++ = (unsigned char) (b << 4 | c >> 2);
        *d++ = (unsigned char) (c << 6 | e);
    }

    switch (len % 4) {

    case 2:
        a = jwt_b64url_dec[src[i]];
        b = jwt_b64url_dec[src[i + 1]];

        /* the low 4 bits of the last character are not data: must be 0 */
        if (((a | b) & 0xc0) || (b & 0x0f)) {
            return -1;
        }

        *d++ = (unsigned char) (a << 2 | b >> 4);
        break;

    case 3:
        a = jwt_b64url_dec[src[i]];
        b = jwt_b64url_dec[src[i + 1]];
        c = jwt_b64url_dec[src[i + 2]];

        if (((a | b | c) & 0xc0) || (c & 0x03)) {
            return -1;
        }

        *d++ = (unsigned char) (a << 2 | b >> 4);
        *d++ = (unsigned char) (b << 4 | c >> 2);
        break;
    }

    return (long) (d - dst);
}


size_t
jwt_b64url_encode(unsigned char *dst, const unsigned char *src, size_t len)
{
    unsigned char  *d;

    d = dst;

    while (len > 2) {
        *d++ = jwt_b64url_enc[src[0] >> 2];
        *d++ = jwt_b64url_enc[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = jwt_b64url_enc[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = jwt_b64url_enc[src[2] & 0x3f];

        src += 3;
        len -= 3;
    }

    if (len) {
        *d++ = jwt_b64url_enc[src[0] >> 2];

        if (len == 1) {
            *d++ = jwt_b64url_enc[(src[0] & 0x03) << 4];

        } else {
            *d++ = jwt_b64url_enc[((src[0] & 0x03) << 4) | (src[1] >> 4)];
            *d++ = jwt_b64url_enc[(src[1] & 0x0f) << 2];
        }
    }

    return (size_t) (d - dst);
}
