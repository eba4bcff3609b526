
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


/*
 * Unit tests of jwt_jwk.c: key loading (RFC 7517, RFC 7518 section 6,
 * RFC 8037), key choice and signature verification (RFC 7515, RFC 7518
 * section 3, RFC 8037, RFC 9864), and the "Algorithm and key choice",
 * "Signature bytes" and "Keys" sections of ATTACKS.md.
 *
 * The RFC vectors are the documents' own bytes; each was checked with
 * Crypt::JWT (libcrypt-jwt-perl) before it was put here.  The "generated"
 * vectors were made with openssl genpkey and signed with Crypt::JWT or the
 * openssl CLI, and checked the same way.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "jwt.h"
#include "jwt_b64url.h"
#include "jwt_jwk.h"


#define SIG_MAX    1100
#define JSON_MAX   4096
#define SKIPS_MAX  16


#define ALG(a)     JWT_ALG_BIT(JWT_ALG_ ## a)

#define ALGS_RSA                                                             \
    (ALG(RS256) | ALG(RS384) | ALG(RS512) | ALG(PS256) | ALG(PS384)          \
     | ALG(PS512))


/* RFC 7515 A.1.1: the HMAC key */
static const char  rfc7515_a1_jwk[] =
    "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1q"
    "S0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\"}";

/* RFC 7515 A.1: HS256 */
static const char  rfc7515_a1_jws[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjE"
    "zMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ"
    "4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/* RFC 7515 A.2.1: the RSA key, public members */
static const char  rfc7515_a2_jwk[] =
    "{\"kty\":\"RSA\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k"
    "0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W"
    "_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYU"
    "sLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I"
    "5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FR"
    "WyuXpoQ\",\"e\":\"AQAB\"}";

/* RFC 7515 A.2: RS256 */
static const char  rfc7515_a2_jws[] =
    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh"
    "0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB"
    "__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9"
    "uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARN"
    "PvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZES"
    "c6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVm"
    "tVrBp0igcN_IoypGlUPQGe77Rw";

/* RFC 7515 A.3.1: the P-256 key, public members */
static const char  rfc7515_a3_jwk[] =
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e"
    "8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";

/* RFC 7515 A.3: ES256 */
static const char  rfc7515_a3_jws[] =
    "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh"
    "0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6"
    "-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

/* RFC 7515 A.4.1: the P-521 key, public members */
static const char  rfc7515_a4_jwk[] =
    "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AekpBQ8ST8a8VcfVOTNl353vSrDCLL"
    "JXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk\",\"y\":\"ADS"
    "mRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9"
    "ubmf63e3kyMj2\"}";

/* RFC 7515 A.4: ES512 over "Payload" */
static const char  rfc7515_a4_jws[] =
    "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi"
    "70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZC"
    "PEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn";

/* RFC 8037 A.2: the Ed25519 public key */
static const char  rfc8037_a4_jwk[] =
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvP"
    "apiMlrwIaaPcHURo\"}";

/* RFC 8037 A.4: EdDSA (Ed25519) */
static const char  rfc8037_a4_jws[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0J"
    "zlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

/* RFC 7520 3.3: the RSA key, public members */
static const char  rfc7520_rsa_jwk[] =
    "{\"kty\":\"RSA\",\"kid\":\"bilbo.baggins@hobbiton.example\",\"use\":\"si"
    "g\",\"n\":\"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2"
    "jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcE"
    "e6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNL"
    "YD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKw"
    "uCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw\",\"e"
    "\":\"AQAB\"}";

/* RFC 7520 4.1: RS256 */
static const char  rfc7520_4_1_jws[] =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"
    ".SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9"
    "vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXI"
    "gZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9"
    "mZiB0by4.MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZ"
    "opdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfW"
    "Ra-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFx"
    "nt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI"
    "-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg";

/* RFC 7520 4.2: PS384 */
static const char  rfc7520_4_2_jws[] =
    "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"
    ".SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9"
    "vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXI"
    "gZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9"
    "mZiB0by4.cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2Ip"
    "N6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXUvdvWXzg-UD8"
    "biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRXe8P_ijQ7p8Vdz0TTrxUeT"
    "3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64"
    "QQSUmFAAjVKPbByi7xho0uTOcbH510a6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw";

/* RFC 7520 3.1: the P-521 key, public members */
static const char  rfc7520_ec_jwk[] =
    "{\"kty\":\"EC\",\"kid\":\"bilbo.baggins@hobbiton.example\",\"use\":\"sig"
    "\",\"crv\":\"P-521\",\"x\":\"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZ"
    "x6sYl_oJXu9A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt\",\"y\":\"AdymlHvOiLxXkEha"
    "yXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVySsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"
    "\"}";

/* RFC 7520 4.3: ES512 */
static const char  rfc7520_4_3_jws[] =
    "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9"
    ".SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9"
    "vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXI"
    "gZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9"
    "mZiB0by4.AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvbu"
    "9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kvAD890jl8e2p"
    "uQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2";

/* RFC 7520 3.5: the HMAC key */
static const char  rfc7520_oct_jwk[] =
    "{\"kty\":\"oct\",\"kid\":\"018c0ae5-4d9b-471b-bfd6-eef314bc7037\",\"use\""
    ":\"sig\",\"alg\":\"HS256\",\"k\":\"hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6"
    "mxCcYg\"}";

/* RFC 7520 4.4: HS256 */
static const char  rfc7520_4_4_jws[] =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJj"
    "NzAzNyJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHl"
    "vdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWV"
    "wIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN"
    "3ZXB0IG9mZiB0by4.s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0";

/* generated 2048-bit RSA key (openssl genpkey), public members */
static const char  gen_rsa_jwk[] =
    "{\"kty\":\"RSA\",\"kid\":\"gen-rsa\",\"n\":\"5Yw3yGMKQ_SIIGICiq0iZGPHfv3"
    "jwMurNzw2D6Gs8VqumWUmyfGX0F-XCRygHDHCnImxnINTnxWRq3H8fRp_5xcu9AxvbYNSGJN"
    "WQSxwA3bhePAUTHnie8ipB7dipHFDVTQHWi_UxMFRUZ1h5XnhcUfGOEvi29JKlw8QEfn8HtI"
    "yBkKSaf38B2X73v5Q6yo1UP3pdHRxKh150XtqEd0eXsEmZPj9NQaMGFtiWZs6763SqO5950B"
    "XHS91kdgYYZxqFEo8FQtpP7C-1pt_TAXdJ7jra3q3VfEAVMm58l6ffdJYlXuXqWfrXBPwTbG"
    "FL9Y9Tluqm3PrIH7IxIAp2HJYew\",\"e\":\"AQAB\"}";

/* RS384 by Crypt::JWT */
static const char  gen_rs384_jws[] =
    "eyJhbGciOiJSUzM4NCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjo"
    "iYWxpY2UifQ.4Faz19BTdSUZMkVZoJycMx6NmcHijHWxXYi5vNWhNtwThhOOGdPqs7u5za35"
    "SgyfYveVGyY-8NdhrgiIwGZv3iF-lEv-JGerSolIHyyd9I4pireEo6_GmwVrm3NVP_8aQseI"
    "vgE54LWA4TgpsTBhZGUh3PebZgYURqCYqpBElymg4D3WRSpkBC1HPblyiWWJchl0OLgFt87R"
    "RhUkoTady8mDTVPhqa_yVC6tDMj1MTGJQ_jFykJrBXYuO8u5vvzP6fPfuPSPsDAGmx7qtgGC"
    "b_kWDeJbapQVNqduR77uoLcSJRIyzfeUSUIlz8sfip9e4H3vRW1vzuWw6bJ-elx06A";

/* RS512 by Crypt::JWT */
static const char  gen_rs512_jws[] =
    "eyJhbGciOiJSUzUxMiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjo"
    "iYWxpY2UifQ.yV92k4cAp9jbPUU0-s4m1KcHRHfb92_KxBcbOibhMxIa7kIiR2kTtEwSjNiv"
    "7gDa2-vQ7RB9TBAQZ06SXywPiRaIBkbxCvFhgNEMiS0N3_0O2xpLMsZbfZVgWJX8AuPfJNX2"
    "H3NCoJ3KzK_Xop0Q_Cuvd91BPFVFVww46DvkaTW5H-CBQQMgajyACO0o_-2bzyCBJe-Z440C"
    "Vh4ucGz1FggK_No2UtCm6yfBb6QrqAfsJEQA5o_sMGykjdosjC9r99GX2g0yrxzn-80wdqDb"
    "GVCUxmWqru6NRO2CXOF1ONmx0pcfvCpyD2d0Tkh4xx9_lA7t7d3mz9ZVI_8ftOdImw";

/* PS256 by Crypt::JWT */
static const char  gen_ps256_jws[] =
    "eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjo"
    "iYWxpY2UifQ.t7KCMLqtbe_biaqgkc7dNaVwNtlYAiJ-e4ogcLy4jSPqyIk0bJ3lX8QzBWMR"
    "PsVReL0gtxMBC_Xl59BLrsYYoz9WWxrbSEZkMa7JVWhOx_Ierfvs4chhgAatOvH1OVPsCStK"
    "j7a5GgpnstM3q7wXXZuRmTIX76gUJY7GO59mkoexJ-Sw5hhFT5mwqTL9s0dxc8lnr4tHWz7i"
    "Af9DcBm-zgjuuBPMKP69jyOrqRfI0EoRcbiIb0RWc2pcfcmu8VyuBKKCKtIXKweDaZHPEnTz"
    "2fULRWAIIT-QKpg_prIY_-Q9UJ_Hcoil5YAqNcGbhWJb9CU_ZoluvGTU4MDwYeJVQw";

/* PS384 by Crypt::JWT */
static const char  gen_ps384_jws[] =
    "eyJhbGciOiJQUzM4NCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjo"
    "iYWxpY2UifQ.l3ZbAAMeI-pAi873B72naH3lpckBoi2-4TDsRBn4t8zmoAVZjd6kFMS3ak8m"
    "Fxmb6DSk5Z8Jvsw8WH2Znyb2JMAb77zvvZDSP1Xad_RCoquviONKALyOZVX6lblzesI4Zfqr"
    "g3zaHPkY_mAj0QON50ijfvHoBzMEjXSi2ILZC1TiWbzQMc41y_vM2gwjJI6F4jlt5Q69mIe7"
    "y6D7LzTV-YskouEZmTr1BiAVlNXso2k5i-W2AoLd465bk6J9z1RKbP_BdAkIwdV6TWX6YLsl"
    "JV1nF_kMDmCUtrg4-VjxvIdb4dZ6v2kpsIds4Pg3COde1o_vaUtikBmR_LlHqDgI-w";

/* PS512 by Crypt::JWT */
static const char  gen_ps512_jws[] =
    "eyJhbGciOiJQUzUxMiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjo"
    "iYWxpY2UifQ.TFkVA3Uh7mHVSiNt9yj-hcg3-HBd5983vUeQ_Hu2UK6Mt4ALMzvLwLvb9KfX"
    "Zbq8jx9d3fV0TYti4v393Ea4ZCP24MM-4RjQ9z6CYjR9q3CdrfcYhKbZjVy8fbsn1hh_7bdN"
    "TDIlhppsNiGLR-eBFIujISXf2wkh42HWyXEX4yMjCZY2vLIhWrxtVzSn_RfaNQzvFCdUGvTp"
    "QP44_CeWS3UdTsP7LsxK720Bl3mM0Idk2hKuNnAlieroeOn0OfCtFq8yAdWZdLQ0qYleeKvI"
    "xE8u2lN8iO1AYadYW3DRyPxxUx20-5MFC5UY-11Ci_kAz4GIa18SsHXxGJY-oTwDfQ";

/* PS256 by openssl dgst with rsa_pss_saltlen:20 */
static const char  gen_ps256_salt20_jws[] =
    "eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjo"
    "iYWxpY2UifQ.fEsZOVz_9ez7sW2QKbB9iED1bazRtI1pYpplLdmrj7uM-DDeRWkzpv1nIlJr"
    "zLj_B2sCaU2zE7YcjLoxhU_MCjzcoS-1cL3aI0XtaFkf-kz_PvC1mOi_SwQz3EeJ8YSPW34L"
    "AKpU_T-h73lRXLYtp3KCepE-iYC2sTiv6bmmr5UXy-YqbUR8En_dMpTC3JnGF8bVsQMGSZFS"
    "_sCS3jF2QJHNG2VbE4oM1KszCt9WcjNldHGZn0pvdx_s4dHn-cePlwSHW0CKxir3KYoIz-Y0"
    "uzCGgxV-B-fSOAwGAgmMQ5Ur94vk1m4h7ual2o9biGs5P5eGGEl8gKF3aytgp5ujjw";

/* PS256 by openssl dgst with rsa_mgf1_md:sha1 */
static const char  gen_ps256_mgf1_sha1_jws[] =
    "eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjo"
    "iYWxpY2UifQ.QsTpTUSwlX313_iIoE8l8WmFZvWntc2vg1n84mLhakAgCMnGXAWyr5n2_MVi"
    "huz4nT61bJfWxZgfDZf91rIzdESMFP9wlP1DFWLuBiqm6upAww5wIPdGnH8gx35K3w9Tr8X0"
    "wyiPTm96W95SY8-FgGV3No37XcfN0LhkSBc0dPXyZr03GgXsJDIe8WfUxJlTZmPSQNpabj2f"
    "Hx7055YAG5KAymtOBfJJhzJYBuLiZZNiCSyKdnZsm7NF8PxIWFnHb8201iGtGfbl3JvWd48b"
    "zfLk-zduxFWoK3O9uR5bRJTOxyJLOvmNKWM643gVq0fzOMxqEzBzs6TUX8Jo_Xq4-g";

/* PS256 by openssl dgst with rsa_pss_saltlen:32 */
static const char  gen_ps256_openssl_jws[] =
    "eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjo"
    "iYWxpY2UifQ.UL3lsdcf7WeW-qKMLl9wZGIuhoId6wU0yqkoUMNwKZxnEtoezksNy4AvVqbA"
    "EbeoIqtn1AOANxfkfLQ1K1cJDCtTsKivXYoHvcz8V_WG1R2xHa9LkyUX6gPvBDLHTtOXHq0r"
    "1niZIwCeTKjtXY_rabSis4lj_eVdfpHk2jgZOLo2KCd0g4VQDgqLm0W9G3oUZUkWOCNQZ25s"
    "6VKdYrMZo6aD3OK7_kGAXKtigHTF1T7mS5tQMOVWrdftYzTgTbUpGbiapL6g0gfiUQdW9mRF"
    "STFpUp9Mkl6SB-fsL2tvyAxSGN4BCoEDL4IH8MglyZlHdGURj5HTdlxSXDTZOAeXtw";

/* the modulus of a generated 1024-bit RSA key */
static const char  gen_rsa1024_n[] =
    "3nZFRQh_7WtaCOdZbWrljJbylWAqeLj2KsDbhmjtTkqns2OKmCCCUHOs4SAO_jj5HBV9Tqig"
    "UxbGYR4gRPSu_b3yXZyXbW0o9g-d4oHXL_xgzA5FojtgmogpSRb3UIsn0PFs8MGR5_R2pSx9"
    "QI3AfOcnBwonmGget-ZjXQKTUgs";

/* generated P-384 key */
static const char  gen_p384_jwk[] =
    "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"wr4KZfzipQG43yS3gdgJtNFVcICSCT"
    "t3JMdN6WPYCKhbmao5Vw7119YJnYC3nBMW\",\"y\":\"Dvxl6rnaeZRsj1t6aK6VloOQ5NP"
    "_gC-NbvzIaWsRX2z8_ivK_j3cYGvh9s8FkpEM\"}";

/* ES384 by Crypt::JWT */
static const char  gen_es384_jws[] =
    "eyJhbGciOiJFUzM4NCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjo"
    "iYWxpY2UifQ.RJmKTxjlAhv4JYRhFSNH1MTtvetucoYXM43-NwjsFMGVK5wWoZhhraO6PVoz"
    "8BMaAgs9DawzaH_5tbhpJ5L_6rATCiGsfwcWaXNigkHF36H4tm-TXXf2BKH9iq1kJsqn";

/* generated P-256 key (the key of cert_p256_pem) */
static const char  gen_p256_jwk[] =
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"Zx8QOisOX9igyPlXIAO9WdpNwDi9s4"
    "7r2MTeW3EjrH0\",\"y\":\"-ZL_Io2z9aRVa1ydKyP4zgRr3HJOlwJefnj5Dlap8p0\"}";

/* ES256 by Crypt::JWT */
static const char  gen_es256_jws[] =
    "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjo"
    "iYWxpY2UifQ.XVMtgaSlWt1qdWEnUIsSzXUGySj0gCTwOHh9BwhL7bHaXVwIJnptSs3OWF9m"
    "7H9qh8PwWsj7dEIDNWyitvwXMA";

/* generated Ed25519 key */
static const char  gen_ed25519_jwk[] =
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"WGsn6mvssDuu8JznkB-rhK-wZbL"
    "mhYRYCM5l4SLf2V0\"}";

/* EdDSA by Crypt::JWT */
static const char  gen_eddsa_jws[] =
    "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjo"
    "iYWxpY2UifQ.3KwruZw3_l_9yvUnroFLxTtMDY9bWJ7GbPtmUA5QVgzRDBvzq-oJDBOtHo5y"
    "8UWQt7s7iJn47uT9jf8X_02jDw";

/* generated Ed448 key */
static const char  gen_ed448_jwk[] =
    "{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"mN-vibt7GPv2eHLiZwkm9eHPxJrwV"
    "yn10FZEOAmW_7g-1RWY3hJwl-xFX4CxbtZSwOLL5SoNiZaA\"}";

/* Ed448 (RFC 9864) by openssl pkeyutl -rawin */
static const char  gen_ed448_jws[] =
    "eyJhbGciOiJFZDQ0OCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjo"
    "iYWxpY2UifQ.FE5Z1EuYANQKIAF3L-6KXpin-n18fUfqMTfopsU9lI1-3FRdhdGKw5UUI6c5"
    "OE_VZshxw4r2mJwAisjS0DBhgA1jQfR07xyPAa3KVxyUw61N7C_Vobv7EvATNb_7YAuuDw8S"
    "fu3npaQwZef7sBBSPQQA";

/* RS256 by Crypt::JWT whose signature starts with a zero octet */
static const char  gen_rs256_lz_jws[] =
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSIsIm4iOjExNn0.ALovlQI-LLkj_DIV2CF"
    "nMEYIgD4D1Xe9pG10FJv3PS-MQIq1iCPhUZj6YdHP-_pWgAnbe61SXXM73_sMrHgq6-7T5MY"
    "BHSjdhbvJ2hgTaHv7He0s6c3z70d6ic87xCUanNp8qYh-qX6f-JIcgEfKJ4ytjtqmBA3_y0Q"
    "Xo8WW3jT_OEUawwRtZgrz8S8zhCIfT2sUNj23LtPLybrJPCq4VG6Ojh6WLWVtP-9SvlLidVp"
    "X9ua-zf7ogUOXHf5o9ozutDQtE2HcBha84cX81PgXwkgOTURVCS_WrjBEKKTE0nznXm6FXu9"
    "4UGgpLrFIMneEIRgzHmn8EeXQchT3I5Lslg";

/* the public key of gen_rsa_jwk */
static const char  pem_rsa2048[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA5Yw3yGMKQ/SIIGICiq0i\n"
    "ZGPHfv3jwMurNzw2D6Gs8VqumWUmyfGX0F+XCRygHDHCnImxnINTnxWRq3H8fRp/\n"
    "5xcu9AxvbYNSGJNWQSxwA3bhePAUTHnie8ipB7dipHFDVTQHWi/UxMFRUZ1h5Xnh\n"
    "cUfGOEvi29JKlw8QEfn8HtIyBkKSaf38B2X73v5Q6yo1UP3pdHRxKh150XtqEd0e\n"
    "XsEmZPj9NQaMGFtiWZs6763SqO5950BXHS91kdgYYZxqFEo8FQtpP7C+1pt/TAXd\n"
    "J7jra3q3VfEAVMm58l6ffdJYlXuXqWfrXBPwTbGFL9Y9Tluqm3PrIH7IxIAp2HJY\n"
    "ewIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

/* a 1024-bit RSA public key */
static const char  pem_rsa1024[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDedkVFCH/ta1oI51ltauWMlvKV\n"
    "YCp4uPYqwNuGaO1OSqezY4qYIIJQc6zhIA7+OPkcFX1OqKBTFsZhHiBE9K79vfJd\n"
    "nJdtbSj2D53igdcv/GDMDkWiO2CaiClJFvdQiyfQ8WzwwZHn9HalLH1AjcB85ycH\n"
    "CieYaB635mNdApNSCwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

/* an id-RSASSA-PSS public key */
static const char  pem_rsa_pss[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIDALBgkqhkiG9w0BAQoDggEPADCCAQoCggEBALjJWlDo+ne/raUZsPjaqKXC\n"
    "dXuT8OdZLHkMD/y1v6HIhi6l8Dg775v3hW/od7XOiBd4f29/qjeMc4GYNL5l+7yD\n"
    "UDpoHuGNzd679rOiuniKzJCABNzvk6uxT6fQk6NydKtqYHObqlTaCLtLCM1n0z49\n"
    "t6X8I7yXT4vlry50jnsIyTA2jfiNaCMouRtDWjxkgo8ZIDEzJoR/aE0xGk9s5GDn\n"
    "JFMCMMbRF3+59Wdmk8Glfco6F98lP8nuUr3/AgI2KD4aO2paRSnglXA/dRlFB+Ks\n"
    "aYIsH6GhzHUSUGqsayraOfKtnIchyeDUAlZabWwh71ygut7JC4SZedXBnrlDb1cC\n"
    "AwEAAQ==\n"
    "-----END PUBLIC KEY-----\n";

/* the public key of gen_ed25519_jwk */
static const char  pem_ed25519[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAWGsn6mvssDuu8JznkB+rhK+wZbLmhYRYCM5l4SLf2V0=\n"
    "-----END PUBLIC KEY-----\n";

/* the public key of gen_ed448_jwk */
static const char  pem_ed448[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MEMwBQYDK2VxAzoAmN+vibt7GPv2eHLiZwkm9eHPxJrwVyn10FZEOAmW/7g+1RWY\n"
    "3hJwl+xFX4CxbtZSwOLL5SoNiZaA\n"
    "-----END PUBLIC KEY-----\n";

/* the public key of gen_p384_jwk */
static const char  pem_p384[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEwr4KZfzipQG43yS3gdgJtNFVcICSCTt3\n"
    "JMdN6WPYCKhbmao5Vw7119YJnYC3nBMWDvxl6rnaeZRsj1t6aK6VloOQ5NP/gC+N\n"
    "bvzIaWsRX2z8/ivK/j3cYGvh9s8FkpEM\n"
    "-----END PUBLIC KEY-----\n";

/* gen_p256_jwk with explicit curve parameters */
static const char  pem_p256_explicit[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBSzCCAQMGByqGSM49AgEwgfcCAQEwLAYHKoZIzj0BAQIhAP////8AAAABAAAA\n"
    "AAAAAAAAAAAA////////////////MFsEIP////8AAAABAAAAAAAAAAAAAAAA////\n"
    "///////////8BCBaxjXYqjqT57PrvVV2mIa8ZR0GsMxTsPY7zjw+J9JgSwMVAMSd\n"
    "NgiG5wSTamZ44ROdJreBn36QBEEEaxfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5\n"
    "RdiYwpZP40Li/hp/m47n60p8D54WK84zV2sxXs7LtkBoN79R9QIhAP////8AAAAA\n"
    "//////////+85vqtpxeehPO5ysL8YyVRAgEBA0IABGcfEDorDl/YoMj5VyADvVna\n"
    "TcA4vbOO69jE3ltxI6x9+ZL/Io2z9aRVa1ydKyP4zgRr3HJOlwJefnj5Dlap8p0=\n"
    "-----END PUBLIC KEY-----\n";

/* explicit P-256 parameters with generator 2G (CVE-2020-0601 style) */
static const char  pem_p256_curveball[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBSzCCAQMGByqGSM49AgEwgfcCAQEwLAYHKoZIzj0BAQIhAP////8AAAABAAAA\n"
    "AAAAAAAAAAAA////////////////MFsEIP////8AAAABAAAAAAAAAAAAAAAA////\n"
    "///////////8BCBaxjXYqjqT57PrvVV2mIa8ZR0GsMxTsPY7zjw+J9JgSwMVAMSd\n"
    "NgiG5wSTamZ44ROdJreBn36QBEEEfPJ7GI0DT36KUjgDBLUaw8CJaeJ38hs1pgtI\n"
    "/EdmmXgHd1UQ247QQCk9msafdDDbun2t5jzpgimeBLedInhz0QIhAP////8AAAAA\n"
    "//////////+85vqtpxeehPO5ysL8YyVRAgEBA0IABGcfEDorDl/YoMj5VyADvVna\n"
    "TcA4vbOO69jE3ltxI6x9+ZL/Io2z9aRVa1ydKyP4zgRr3HJOlwJefnj5Dlap8p0=\n"
    "-----END PUBLIC KEY-----\n";

/* a self-signed certificate for gen_p256_jwk */
static const char  cert_p256_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdjCCARugAwIBAgIUU4+V0CZUr5p0wrcptiACerH016AwCgYIKoZIzj0EAwIw\n"
    "DzENMAsGA1UEAwwEdGVzdDAgFw0yNjExMjMwMDA3NThaGA8yMTI2MTAzMDAwMDc1\n"
    "OFowDzENMAsGA1UEAwwEdGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGcf\n"
    "EDorDl/YoMj5VyADvVnaTcA4vbOO69jE3ltxI6x9+ZL/Io2z9aRVa1ydKyP4zgRr\n"
    "3HJOlwJefnj5Dlap8p2jUzBRMB0GA1UdDgQWBBRl1FzKoTslN0CdJsmX/0x2z6mx\n"
    "3jAfBgNVHSMEGDAWgBRl1FzKoTslN0CdJsmX/0x2z6mx3jAPBgNVHRMBAf8EBTAD\n"
    "AQH/MAoGCCqGSM49BAMCA0kAMEYCIQD3qOdG0as+e6H0sYFAd62/p0otkhNedPTb\n"
    "nr8cw5s55AIhALeHSxIavHEVz1mYE3fmPGjtac7nEKhVeORRst8Pzxjw\n"
    "-----END CERTIFICATE-----\n";

#define BILBO  "bilbo.baggins@hobbiton.example"


typedef struct {
    const char  *name;
    const char  *jwk;
    unsigned     flags;
    jwt_alg_t    alg;
    const char  *kid;          /* the token's kid; NULL: none */
    const char  *jws;
} vector_t;


typedef struct {
    size_t       n;
    size_t       index[SKIPS_MAX];
    const char  *reason[SKIPS_MAX];
    char         kid[SKIPS_MAX][64];
} skips_t;


typedef struct {
    const char     *in;
    size_t          inlen;
    size_t          siglen;
    unsigned char   sig[SIG_MAX];
} jws_t;


static const vector_t  vectors[] = {
    { "RFC 7515 A.1", rfc7515_a1_jwk, JWT_KEYS_ALLOW_OCT, JWT_ALG_HS256,
      NULL, rfc7515_a1_jws },
    { "RFC 7515 A.2", rfc7515_a2_jwk, 0, JWT_ALG_RS256, NULL,
      rfc7515_a2_jws },
    { "RFC 7515 A.3", rfc7515_a3_jwk, 0, JWT_ALG_ES256, NULL,
      rfc7515_a3_jws },
    { "RFC 7515 A.4", rfc7515_a4_jwk, 0, JWT_ALG_ES512, NULL,
      rfc7515_a4_jws },
    { "RFC 8037 A.4", rfc8037_a4_jwk, 0, JWT_ALG_EDDSA, NULL,
      rfc8037_a4_jws },
    { "RFC 7520 4.1", rfc7520_rsa_jwk, 0, JWT_ALG_RS256, BILBO,
      rfc7520_4_1_jws },
    { "RFC 7520 4.2", rfc7520_rsa_jwk, 0, JWT_ALG_PS384, BILBO,
      rfc7520_4_2_jws },
    { "RFC 7520 4.3", rfc7520_ec_jwk, 0, JWT_ALG_ES512, BILBO,
      rfc7520_4_3_jws },
    { "RFC 7520 4.4", rfc7520_oct_jwk, JWT_KEYS_ALLOW_OCT, JWT_ALG_HS256,
      "018c0ae5-4d9b-471b-bfd6-eef314bc7037", rfc7520_4_4_jws },
    { "gen RS256", gen_rsa_jwk, 0, JWT_ALG_RS256, "gen-rsa",
      gen_rs256_lz_jws },
    { "gen RS384", gen_rsa_jwk, 0, JWT_ALG_RS384, NULL, gen_rs384_jws },
    { "gen RS512", gen_rsa_jwk, 0, JWT_ALG_RS512, NULL, gen_rs512_jws },
    { "gen PS256", gen_rsa_jwk, 0, JWT_ALG_PS256, NULL, gen_ps256_jws },
    { "gen PS384", gen_rsa_jwk, 0, JWT_ALG_PS384, NULL, gen_ps384_jws },
    { "gen PS512", gen_rsa_jwk, 0, JWT_ALG_PS512, NULL, gen_ps512_jws },
    { "gen PS256 openssl", gen_rsa_jwk, 0, JWT_ALG_PS256, NULL,
      gen_ps256_openssl_jws },
    { "gen ES256", gen_p256_jwk, 0, JWT_ALG_ES256, NULL, gen_es256_jws },
    { "gen ES384", gen_p384_jwk, 0, JWT_ALG_ES384, NULL, gen_es384_jws },
    { "gen EdDSA", gen_ed25519_jwk, 0, JWT_ALG_EDDSA, NULL, gen_eddsa_jws },
    { "gen Ed448", gen_ed448_jwk, 0, JWT_ALG_ED448, NULL, gen_ed448_jws }
};

#define NVECTORS  (sizeof(vectors) / sizeof(vectors[0]))


/* helpers */


static void
skip_record(void *data, size_t index, jwt_str_t kid, const char *reason)
{
    skips_t  *sk = data;

    assert_non_null(reason);
    assert_non_null(kid.data);
    assert_true(sk->n < SKIPS_MAX);

    sk->index[sk->n] = index;
    sk->reason[sk->n] = reason;
    snprintf(sk->kid[sk->n], sizeof(sk->kid[0]), "%.*s", (int) kid.len,
             kid.data);
    sk->n++;
}


static jwt_rc_t
add_jwks(jwt_keyset_t *ks, const char *json, unsigned flags, skips_t *sk,
    const char **reason)
{
    *reason = NULL;

    if (sk != NULL) {
        memset(sk, 0, sizeof(skips_t));
    }

    return jwt_keyset_add_jwks(ks, (const unsigned char *) json,
                               strlen(json), flags,
                               sk ? skip_record : NULL, sk, reason);
}


/* a JWK Set or a JWK that must load */

static void
load_ok(jwt_keyset_t *ks, const char *json, unsigned flags)
{
    jwt_rc_t     rc;
    const char  *reason;

    rc = add_jwks(ks, json, flags, NULL, &reason);

    if (rc != JWT_OK) {
        fail_msg("JWKS refused: %s", reason ? reason : "(no reason)");
    }
}


/* one JWK that loads alone into a fresh keyset; returns its algs */

static unsigned
load_one(const char *jwk, unsigned flags)
{
    unsigned      algs;
    jwt_keyset_t  ks;

    jwt_keyset_init(&ks);
    load_ok(&ks, jwk, flags);
    assert_int_equal(ks.nkeys, 1);

    algs = ks.keys[0].algs;

    jwt_keyset_free(&ks);

    return algs;
}


/* one JWK that must be skipped: the reason the loader gives */

static const char *
load_skipped(const char *jwk, unsigned flags)
{
    char          json[JSON_MAX];
    skips_t       sk;
    jwt_rc_t      rc;
    const char   *reason;
    jwt_keyset_t  ks;

    assert_true((size_t) snprintf(json, sizeof(json), "{\"keys\":[%s]}", jwk)
                < sizeof(json));

    jwt_keyset_init(&ks);

    rc = add_jwks(&ks, json, flags, &sk, &reason);

    assert_int_equal(rc, JWT_ERR_FORMAT);
    assert_string_equal(reason, "no usable key");
    assert_int_equal(ks.nkeys, 0);
    assert_int_equal(sk.n, 1);
    assert_int_equal(sk.index[0], 0);

    jwt_keyset_free(&ks);

    return sk.reason[0];
}


/* jwk with extra members put in front: jwk_with(buf, "\"d\":\"AQAB\"", jwk) */

static const char *
jwk_with(char *buf, const char *extra, const char *jwk)
{
    assert_true(jwk[0] == '{');
    assert_true((size_t) snprintf(buf, JSON_MAX, "{%s,%s", extra, jwk + 1)
                < JSON_MAX);

    return buf;
}


static const char *
jwk_printf(char *buf, const char *fmt, ...)
{
    int      n;
    va_list  args;

    va_start(args, fmt);
    n = vsnprintf(buf, JSON_MAX, fmt, args);
    va_end(args);

    assert_true(n > 0 && n < JSON_MAX);

    return buf;
}


/* the string value of "name" in a flat JSON object of ours */

static void
member(char *dst, size_t size, const char *json, const char *name)
{
    char         pat[32];
    size_t       n;
    const char  *p, *q;

    snprintf(pat, sizeof(pat), "\"%s\":\"", name);

    p = strstr(json, pat);
    assert_non_null(p);

    p += strlen(pat);
    q = strchr(p, '"');
    assert_non_null(q);

    n = q - p;
    assert_true(n < size);

    memcpy(dst, p, n);
    dst[n] = '\0';
}


static size_t
b64_decode(unsigned char *dst, const char *src)
{
    long  n;

    n = jwt_b64url_decode(dst, (const unsigned char *) src, strlen(src));
    assert_true(n >= 0);

    return (size_t) n;
}


static char *
b64_encode(char *dst, const unsigned char *src, size_t len)
{
    dst[jwt_b64url_encode((unsigned char *) dst, src, len)] = '\0';

    return dst;
}


static void
jws_split(jws_t *j, const char *jws)
{
    const char  *dot;

    dot = strrchr(jws, '.');
    assert_non_null(dot);

    assert_true(jwt_b64url_decoded_max(strlen(dot + 1)) <= SIG_MAX);

    j->in = jws;
    j->inlen = dot - jws;
    j->siglen = b64_decode(j->sig, dot + 1);
}


static jwt_rc_t
verify_r(const jwt_key_t *key, jwt_alg_t alg, const void *in, size_t inlen,
    const unsigned char *sig, size_t siglen, const char **reason)
{
    jwt_rc_t  rc;

    ERR_clear_error();

    *reason = NULL;
    rc = jwt_verify_signature(key, alg, in, inlen, sig, siglen, reason);

    if (rc != JWT_OK) {
        assert_non_null(*reason);

        /* ATTACKS.md: the OpenSSL error queue is cleared on failure */
        assert_int_equal(ERR_peek_error(), 0);
    }

    return rc;
}


static jwt_rc_t
verify(const jwt_key_t *key, jwt_alg_t alg, const void *in, size_t inlen,
    const unsigned char *sig, size_t siglen)
{
    const char  *reason;

    return verify_r(key, alg, in, inlen, sig, siglen, &reason);
}


static jwt_rc_t
verify_jws(const jwt_key_t *key, jwt_alg_t alg, const char *jws)
{
    jws_t  j;

    jws_split(&j, jws);

    return verify(key, alg, j.in, j.inlen, j.sig, j.siglen);
}


static const vector_t *
vector(const char *name)
{
    size_t  i;

    for (i = 0; i < NVECTORS; i++) {
        if (strcmp(vectors[i].name, name) == 0) {
            return &vectors[i];
        }
    }

    fail_msg("no vector \"%s\"", name);

    return NULL;
}


/* loads the vector's key into ks and finds it as a token would */

static const jwt_key_t *
vector_key(jwt_keyset_t *ks, const vector_t *v)
{
    const char       *reason;
    const jwt_key_t  *key;

    jwt_keyset_init(ks);
    load_ok(ks, v->jwk, v->flags);

    key = jwt_keyset_find(ks, v->alg, (const unsigned char *) v->kid,
                          v->kid ? strlen(v->kid) : 0, &reason);
    if (key == NULL) {
        fail_msg("%s: no key: %s", v->name, reason);
    }

    return key;
}


static const jwt_key_t *
check_vector(jwt_keyset_t *ks, const char *name)
{
    const vector_t   *v;
    const jwt_key_t  *key;

    v = vector(name);
    key = vector_key(ks, v);

    if (verify_jws(key, v->alg, v->jws) != JWT_OK) {
        fail_msg("%s does not verify", v->name);
    }

    return key;
}


/* RFC vectors */


/* RFC 7515 A.1: HS256, the key as an oct JWK and as a configured secret */

static void
test_rfc7515_a1_hs256(void **state)
{
    char              k64[128];
    size_t            len;
    jwt_keyset_t      ks;
    const jwt_key_t  *key;
    unsigned char     k[128];

    (void) state;

    key = check_vector(&ks, "RFC 7515 A.1");
    assert_int_equal(key->kty, JWT_KTY_OCT);
    assert_int_equal(key->algs, JWT_ALGS_HS);
    assert_null(key->kid);
    jwt_keyset_free(&ks);

    member(k64, sizeof(k64), rfc7515_a1_jwk, "k");
    len = b64_decode(k, k64);
    assert_int_equal(len, 64);

    jwt_keyset_init(&ks);
    assert_int_equal(jwt_keyset_add_secret(&ks, k, len, JWT_ALGS_HS),
                     JWT_OK);

    /* the secret is copied */
    memset(k, 0, sizeof(k));

    key = jwt_keyset_find(&ks, JWT_ALG_HS256, NULL, 0, NULL);
    assert_non_null(key);
    assert_int_equal(verify_jws(key, JWT_ALG_HS256, rfc7515_a1_jws), JWT_OK);

    jwt_keyset_free(&ks);
}


/* RFC 7515 A.2: RS256 with the example key's public members n and e */

static void
test_rfc7515_a2_rs256(void **state)
{
    jwt_keyset_t      ks;
    const jwt_key_t  *key;

    (void) state;

    key = check_vector(&ks, "RFC 7515 A.2");
    assert_int_equal(key->kty, JWT_KTY_RSA);
    assert_int_equal(key->algs, ALGS_RSA);
    assert_int_equal(EVP_PKEY_get_bits(key->pkey), 2048);

    jwt_keyset_free(&ks);
}


/* RFC 7515 A.3: ES256 */

static void
test_rfc7515_a3_es256(void **state)
{
    jwt_keyset_t      ks;
    const jwt_key_t  *key;

    (void) state;

    key = check_vector(&ks, "RFC 7515 A.3");
    assert_int_equal(key->kty, JWT_KTY_EC);
    assert_int_equal(key->algs, ALG(ES256));

    jwt_keyset_free(&ks);
}


/* RFC 7515 A.4: ES512 (P-521, 66-octet coordinates and halves) */

static void
test_rfc7515_a4_es512(void **state)
{
    jwt_keyset_t      ks;
    const jwt_key_t  *key;

    (void) state;

    key = check_vector(&ks, "RFC 7515 A.4");
    assert_int_equal(key->kty, JWT_KTY_EC);
    assert_int_equal(key->algs, ALG(ES512));

    jwt_keyset_free(&ks);
}


/* RFC 8037 A.4: EdDSA with Ed25519; RFC 9864 names the curve in Ed25519 */

static void
test_rfc8037_a4_ed25519(void **state)
{
    jws_t             j;
    jwt_keyset_t      ks;
    const jwt_key_t  *key;

    (void) state;

    key = check_vector(&ks, "RFC 8037 A.4");
    assert_int_equal(key->kty, JWT_KTY_OKP);
    assert_int_equal(key->algs, ALG(EDDSA) | ALG(ED25519));

    jws_split(&j, rfc8037_a4_jws);

    assert_int_equal(verify(key, JWT_ALG_ED25519, j.in, j.inlen, j.sig,
                            j.siglen),
                     JWT_OK);
    assert_int_equal(verify(key, JWT_ALG_ED448, j.in, j.inlen, j.sig,
                            j.siglen),
                     JWT_ERR_NO_KEY);

    jwt_keyset_free(&ks);
}


/* RFC 7520 4.1: RS256, the key found by its kid */

static void
test_rfc7520_4_1_rs256(void **state)
{
    jwt_keyset_t      ks;
    const jwt_key_t  *key;

    (void) state;

    key = check_vector(&ks, "RFC 7520 4.1");
    assert_int_equal(key->kid_len, strlen(BILBO));
    assert_memory_equal(key->kid, BILBO, strlen(BILBO));

    jwt_keyset_free(&ks);
}


/* RFC 7520 4.2: PS384 (MGF1 with SHA-384, 48-octet salt) */

static void
test_rfc7520_4_2_ps384(void **state)
{
    jwt_keyset_t  ks;

    (void) state;

    check_vector(&ks, "RFC 7520 4.2");
    jwt_keyset_free(&ks);
}


/* RFC 7520 4.3: ES512 */

static void
test_rfc7520_4_3_es512(void **state)
{
    jwt_keyset_t  ks;

    (void) state;

    check_vector(&ks, "RFC 7520 4.3");
    jwt_keyset_free(&ks);
}


/* RFC 7520 4.4: HS256 with a key whose JWK says "alg":"HS256" */

static void
test_rfc7520_4_4_hs256(void **state)
{
    jwt_keyset_t      ks;
    const jwt_key_t  *key;

    (void) state;

    key = check_vector(&ks, "RFC 7520 4.4");
    assert_int_equal(key->algs, ALG(HS256));
    assert_int_equal(key->secret_len, 32);

    jwt_keyset_free(&ks);
}


/* the other algorithms: RS384/512, PS256/384/512, ES256/384, Ed448 */

static void
test_generated_vectors(void **state)
{
    size_t        i, n;
    jwt_keyset_t  ks;

    (void) state;

    n = 0;

    for (i = 0; i < NVECTORS; i++) {
        if (strncmp(vectors[i].name, "gen ", 4) == 0) {
            check_vector(&ks, vectors[i].name);
            jwt_keyset_free(&ks);
            n++;
        }
    }

    assert_int_equal(n, 11);
}


/* ATTACKS.md "Signature bytes" */


/* every single-byte change of a valid signature or signing input fails */

static void
test_sig_every_byte_changed(void **state)
{
    size_t             i, k, d;
    jws_t              j;
    jwt_keyset_t       ks;
    const vector_t    *v;
    const jwt_key_t   *key;
    unsigned char      in[JSON_MAX];

    static const unsigned char  deltas[] = { 0x01, 0x80, 0xff };

    (void) state;

    for (i = 0; i < NVECTORS; i++) {
        v = &vectors[i];
        key = vector_key(&ks, v);

        jws_split(&j, v->jws);

        for (k = 0; k < j.siglen; k++) {
            for (d = 0; d < sizeof(deltas); d++) {
                j.sig[k] ^= deltas[d];

                if (verify(key, v->alg, j.in, j.inlen, j.sig, j.siglen)
                    != JWT_ERR_SIGNATURE)
                {
                    fail_msg("%s: signature byte %zu ^ 0x%02x accepted",
                             v->name, k, deltas[d]);
                }

                j.sig[k] ^= deltas[d];
            }
        }

        assert_true(j.inlen <= sizeof(in));
        memcpy(in, j.in, j.inlen);

        for (k = 0; k < j.inlen; k++) {
            in[k] ^= 0x01;

            if (verify(key, v->alg, in, j.inlen, j.sig, j.siglen)
                != JWT_ERR_SIGNATURE)
            {
                fail_msg("%s: signing input byte %zu changed, accepted",
                         v->name, k);
            }

            in[k] ^= 0x01;
        }

        assert_int_equal(verify(key, v->alg, in, j.inlen, j.sig, j.siglen),
                         JWT_OK);

        jwt_keyset_free(&ks);
    }
}


/* truncated, extended, zero-prefixed and empty signatures */

static void
test_sig_length(void **state)
{
    size_t            i;
    jws_t             j;
    jwt_keyset_t      ks;
    const char       *reason;
    const vector_t   *v;
    const jwt_key_t  *key;
    unsigned char     sig[SIG_MAX + 1];

    (void) state;

    for (i = 0; i < NVECTORS; i++) {
        v = &vectors[i];
        key = vector_key(&ks, v);

        jws_split(&j, v->jws);

        /* truncated */
        assert_int_equal(verify_r(key, v->alg, j.in, j.inlen, j.sig,
                                  j.siglen - 1, &reason),
                         JWT_ERR_SIGNATURE);
        assert_string_equal(reason, "signature length is wrong");

        /* a zero octet appended */
        j.sig[j.siglen] = 0;
        assert_int_equal(verify_r(key, v->alg, j.in, j.inlen, j.sig,
                                  j.siglen + 1, &reason),
                         JWT_ERR_SIGNATURE);
        assert_string_equal(reason, "signature length is wrong");

        /* a zero octet prepended */
        sig[0] = 0;
        memcpy(sig + 1, j.sig, j.siglen);
        assert_int_equal(verify_r(key, v->alg, j.in, j.inlen, sig,
                                  j.siglen + 1, &reason),
                         JWT_ERR_SIGNATURE);
        assert_string_equal(reason, "signature length is wrong");

        /* empty */
        assert_int_equal(verify_r(key, v->alg, j.in, j.inlen, j.sig, 0,
                                  &reason),
                         JWT_ERR_SIGNATURE);
        assert_string_equal(reason, "signature length is wrong");

        jwt_keyset_free(&ks);
    }
}


/* ECDSA: the DER form OpenSSL itself produces is not a JWS signature */

static void
test_es_der_refused(void **state)
{
    int               len;
    size_t            i, n;
    jws_t             j;
    BIGNUM           *r, *s;
    ECDSA_SIG        *es;
    jwt_keyset_t      ks;
    const char       *reason;
    const vector_t   *v;
    unsigned char    *p;
    const jwt_key_t  *key;
    unsigned char     der[256];

    static const char  *names[] = {
        "RFC 7515 A.3", "RFC 7515 A.4", "gen ES384"
    };

    (void) state;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        v = vector(names[i]);
        key = vector_key(&ks, v);
        jws_split(&j, v->jws);

        n = j.siglen / 2;
        r = BN_bin2bn(j.sig, (int) n, NULL);
        s = BN_bin2bn(j.sig + n, (int) n, NULL);
        es = ECDSA_SIG_new();
        assert_non_null(r);
        assert_non_null(s);
        assert_non_null(es);
        assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);

        p = der;
        len = i2d_ECDSA_SIG(es, &p);
        ECDSA_SIG_free(es);
        assert_true(len > 0);

        assert_int_equal(verify_r(key, v->alg, j.in, j.inlen, der,
                                  (size_t) len, &reason),
                         JWT_ERR_SIGNATURE);
        assert_string_equal(reason, "signature length is wrong");

        jwt_keyset_free(&ks);
    }
}


/* ECDSA: r = s = 0, r or s zero, r or s equal to the order, r + order */

static void
test_es_zero_and_order(void **state)
{
    int                i, nid;
    size_t             n;
    jws_t              j;
    EC_GROUP          *group;
    jwt_keyset_t       ks;
    const BIGNUM      *order;
    const vector_t    *v;
    const jwt_key_t   *key;
    unsigned char      sig[SIG_MAX], ord[66];
    BIGNUM            *r;

    static const char  *names[] = { "RFC 7515 A.3", "RFC 7515 A.4" };

    (void) state;

    for (i = 0; i < 2; i++) {
        v = vector(names[i]);
        nid = (i == 0) ? NID_X9_62_prime256v1 : NID_secp521r1;

        key = vector_key(&ks, v);
        jws_split(&j, v->jws);
        n = j.siglen / 2;

        group = EC_GROUP_new_by_curve_name(nid);
        assert_non_null(group);
        order = EC_GROUP_get0_order(group);
        assert_int_equal(BN_bn2binpad(order, ord, (int) n), (int) n);

        /* r = s = 0 */
        memset(sig, 0, 2 * n);
        assert_int_equal(verify(key, v->alg, j.in, j.inlen, sig, 2 * n),
                         JWT_ERR_SIGNATURE);

        /* r = 0 */
        memcpy(sig, j.sig, 2 * n);
        memset(sig, 0, n);
        assert_int_equal(verify(key, v->alg, j.in, j.inlen, sig, 2 * n),
                         JWT_ERR_SIGNATURE);

        /* s = 0 */
        memcpy(sig, j.sig, 2 * n);
        memset(sig + n, 0, n);
        assert_int_equal(verify(key, v->alg, j.in, j.inlen, sig, 2 * n),
                         JWT_ERR_SIGNATURE);

        /* r = order */
        memcpy(sig, j.sig, 2 * n);
        memcpy(sig, ord, n);
        assert_int_equal(verify(key, v->alg, j.in, j.inlen, sig, 2 * n),
                         JWT_ERR_SIGNATURE);

        /* s = order */
        memcpy(sig, j.sig, 2 * n);
        memcpy(sig + n, ord, n);
        assert_int_equal(verify(key, v->alg, j.in, j.inlen, sig, 2 * n),
                         JWT_ERR_SIGNATURE);

        /* r + order, the same r modulo the order (fits in P-521 halves) */
        if (i == 1) {
            r = BN_bin2bn(j.sig, (int) n, NULL);
            assert_non_null(r);
            assert_int_equal(BN_add(r, r, order), 1);
            assert_true(BN_num_bytes(r) <= (int) n);

            memcpy(sig, j.sig, 2 * n);
            assert_int_equal(BN_bn2binpad(r, sig, (int) n), (int) n);
            BN_free(r);

            assert_int_equal(verify(key, v->alg, j.in, j.inlen, sig, 2 * n),
                             JWT_ERR_SIGNATURE);
        }

        /* halves zero-padded by one octet each */
        sig[0] = 0;
        memcpy(sig + 1, j.sig, n);
        sig[n + 1] = 0;
        memcpy(sig + n + 2, j.sig + n, n);
        assert_int_equal(verify(key, v->alg, j.in, j.inlen, sig, 2 * n + 2),
                         JWT_ERR_SIGNATURE);

        EC_GROUP_free(group);
        jwt_keyset_free(&ks);
    }
}


/* RSA: a leading zero octet belongs to the signature; 0, 1, n-1, n */

static void
test_rsa_sig_bytes(void **state)
{
    int               len;
    jws_t             j;
    BIGNUM           *n, *x;
    jwt_keyset_t      ks;
    const char       *reason;
    const jwt_key_t  *key;
    unsigned char     sig[SIG_MAX];

    (void) state;

    key = vector_key(&ks, vector("gen RS256"));
    jws_split(&j, gen_rs256_lz_jws);

    assert_int_equal(j.siglen, 256);
    assert_int_equal(j.sig[0], 0);
    assert_int_equal(verify(key, JWT_ALG_RS256, j.in, j.inlen, j.sig, 256),
                     JWT_OK);

    /* leading zero stripped: the same number, the wrong length */
    assert_int_equal(verify_r(key, JWT_ALG_RS256, j.in, j.inlen, j.sig + 1,
                              255, &reason),
                     JWT_ERR_SIGNATURE);
    assert_string_equal(reason, "signature length is wrong");

    /* another zero prepended */
    sig[0] = 0;
    memcpy(sig + 1, j.sig, 256);
    assert_int_equal(verify_r(key, JWT_ALG_RS256, j.in, j.inlen, sig, 257,
                              &reason),
                     JWT_ERR_SIGNATURE);
    assert_string_equal(reason, "signature length is wrong");

    /* 0, 1, n - 1, n, n + 1 and 2^2048 - 1 as signatures */

    n = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(key->pkey, "n", &n), 1);
    x = BN_new();
    assert_non_null(x);

    memset(sig, 0, 256);
    assert_int_equal(verify(key, JWT_ALG_RS256, j.in, j.inlen, sig, 256),
                     JWT_ERR_SIGNATURE);

    sig[255] = 1;
    assert_int_equal(verify(key, JWT_ALG_RS256, j.in, j.inlen, sig, 256),
                     JWT_ERR_SIGNATURE);
    assert_int_equal(verify(key, JWT_ALG_PS256, j.in, j.inlen, sig, 256),
                     JWT_ERR_SIGNATURE);

    assert_non_null(BN_copy(x, n));
    assert_int_equal(BN_sub_word(x, 1), 1);
    len = BN_bn2binpad(x, sig, 256);
    assert_int_equal(len, 256);
    assert_int_equal(verify(key, JWT_ALG_RS256, j.in, j.inlen, sig, 256),
                     JWT_ERR_SIGNATURE);

    assert_int_equal(BN_bn2binpad(n, sig, 256), 256);
    assert_int_equal(verify(key, JWT_ALG_RS256, j.in, j.inlen, sig, 256),
                     JWT_ERR_SIGNATURE);
    assert_int_equal(verify(key, JWT_ALG_PS256, j.in, j.inlen, sig, 256),
                     JWT_ERR_SIGNATURE);

    assert_non_null(BN_copy(x, n));
    assert_int_equal(BN_add_word(x, 1), 1);
    assert_int_equal(BN_bn2binpad(x, sig, 256), 256);
    assert_int_equal(verify(key, JWT_ALG_RS256, j.in, j.inlen, sig, 256),
                     JWT_ERR_SIGNATURE);

    memset(sig, 0xff, 256);
    assert_int_equal(verify(key, JWT_ALG_RS256, j.in, j.inlen, sig, 256),
                     JWT_ERR_SIGNATURE);

    BN_free(x);
    BN_free(n);
    jwt_keyset_free(&ks);
}


/* RSA-PSS: salt other than the hash length, MGF1 with another hash */

static void
test_pss_salt_and_mgf1(void **state)
{
    jwt_keyset_t      ks;
    const jwt_key_t  *key;

    (void) state;

    key = vector_key(&ks, vector("gen PS256"));

    assert_int_equal(verify_jws(key, JWT_ALG_PS256, gen_ps256_openssl_jws),
                     JWT_OK);
    assert_int_equal(verify_jws(key, JWT_ALG_PS256, gen_ps256_salt20_jws),
                     JWT_ERR_SIGNATURE);
    assert_int_equal(verify_jws(key, JWT_ALG_PS256, gen_ps256_mgf1_sha1_jws),
                     JWT_ERR_SIGNATURE);

    /* the same signature under another PS hash */
    assert_int_equal(verify_jws(key, JWT_ALG_PS384, gen_ps256_jws),
                     JWT_ERR_SIGNATURE);
    assert_int_equal(verify_jws(key, JWT_ALG_PS512, gen_ps256_jws),
                     JWT_ERR_SIGNATURE);

    jwt_keyset_free(&ks);
}


/* EdDSA: non-canonical S (S + L), curve and alg name mismatches */

static void
test_eddsa_sig(void **state)
{
    int               i;
    jws_t             j;
    unsigned          c;
    jwt_keyset_t      ks;
    const jwt_key_t  *key;

    /* the order L of the Ed25519 base point, little-endian */
    static const unsigned char  L[32] = {
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
        0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10
    };

    (void) state;

    key = vector_key(&ks, vector("RFC 8037 A.4"));
    jws_split(&j, rfc8037_a4_jws);

    c = 0;

    for (i = 0; i < 32; i++) {
        c += j.sig[32 + i] + L[i];
        j.sig[32 + i] = (unsigned char) c;
        c >>= 8;
    }

    assert_int_equal(c, 0);
    assert_int_equal(verify(key, JWT_ALG_EDDSA, j.in, j.inlen, j.sig,
                            j.siglen),
                     JWT_ERR_SIGNATURE);

    jwt_keyset_free(&ks);

    /* an Ed448 key verifies EdDSA and Ed448, never Ed25519 */

    key = vector_key(&ks, vector("gen Ed448"));
    assert_int_equal(key->algs, ALG(EDDSA) | ALG(ED448));

    assert_int_equal(verify_jws(key, JWT_ALG_EDDSA, gen_ed448_jws), JWT_OK);
    assert_int_equal(verify_jws(key, JWT_ALG_ED25519, gen_ed448_jws),
                     JWT_ERR_NO_KEY);
    assert_null(jwt_keyset_find(&ks, JWT_ALG_ED25519, NULL, 0, NULL));

    jwt_keyset_free(&ks);
}


/* HMAC: truncated or extended tags, another HS hash */

static void
test_hmac_tag(void **state)
{
    jws_t             j;
    jwt_keyset_t      ks;
    const char       *reason;
    const jwt_key_t  *key;

    (void) state;

    key = vector_key(&ks, vector("RFC 7515 A.1"));
    jws_split(&j, rfc7515_a1_jws);

    assert_int_equal(verify_r(key, JWT_ALG_HS256, j.in, j.inlen, j.sig, 16,
                              &reason),
                     JWT_ERR_SIGNATURE);
    assert_string_equal(reason, "signature length is wrong");

    assert_int_equal(verify_r(key, JWT_ALG_HS384, j.in, j.inlen, j.sig, 32,
                              &reason),
                     JWT_ERR_SIGNATURE);
    assert_string_equal(reason, "signature length is wrong");

    j.sig[31] ^= 1;
    assert_int_equal(verify_r(key, JWT_ALG_HS256, j.in, j.inlen, j.sig, 32,
                              &reason),
                     JWT_ERR_SIGNATURE);
    assert_string_equal(reason, "signature mismatch");

    jwt_keyset_free(&ks);
}


/* ATTACKS.md "Algorithm and key choice" */


/* a PS token against an RS key and the reverse */

static void
test_ps_rs_confusion(void **state)
{
    char              buf[JSON_MAX];
    jwt_keyset_t      ks;
    const char       *reason;
    const jwt_key_t  *key;

    (void) state;

    /* a key restricted to RS256 */

    jwt_keyset_init(&ks);
    load_ok(&ks, jwk_with(buf, "\"alg\":\"RS256\"", gen_rsa_jwk), 0);
    key = &ks.keys[0];
    assert_int_equal(key->algs, ALG(RS256));

    assert_null(jwt_keyset_find(&ks, JWT_ALG_PS256, NULL, 0, &reason));
    assert_string_equal(reason, "no key for alg");
    assert_null(jwt_keyset_find(&ks, JWT_ALG_PS256,
                                (const unsigned char *) "gen-rsa", 7,
                                &reason));
    assert_string_equal(reason, "key does not fit alg");

    assert_int_equal(verify_jws(key, JWT_ALG_PS256, gen_ps256_jws),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_jws(key, JWT_ALG_RS256, gen_rs256_lz_jws),
                     JWT_OK);
    jwt_keyset_free(&ks);

    /* a key restricted to PS256 */

    jwt_keyset_init(&ks);
    load_ok(&ks, jwk_with(buf, "\"alg\":\"PS256\"", gen_rsa_jwk), 0);
    key = &ks.keys[0];
    assert_int_equal(key->algs, ALG(PS256));

    assert_null(jwt_keyset_find(&ks, JWT_ALG_RS256, NULL, 0, &reason));
    assert_int_equal(verify_jws(key, JWT_ALG_RS256, gen_rs256_lz_jws),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_jws(key, JWT_ALG_PS256, gen_ps256_jws), JWT_OK);
    jwt_keyset_free(&ks);

    /* an unrestricted key: the padding follows the alg */

    key = vector_key(&ks, vector("gen PS256"));
    assert_int_equal(verify_jws(key, JWT_ALG_RS256, gen_ps256_jws),
                     JWT_ERR_SIGNATURE);
    assert_int_equal(verify_jws(key, JWT_ALG_PS256, gen_rs256_lz_jws),
                     JWT_ERR_SIGNATURE);
    jwt_keyset_free(&ks);
}


/* HS/RS confusion: an HS256 token keyed with the issuer's public key */

static void
test_hs_rs_confusion(void **state)
{
    char              in[256], h[64], buf[JSON_MAX];
    size_t            inlen;
    jwt_keyset_t      ks;
    const char       *reason;
    unsigned int      len;
    const jwt_key_t  *key;
    unsigned char     mac[EVP_MAX_MD_SIZE];

    static const char  hdr[] = "{\"alg\":\"HS256\"}";

    (void) state;

    b64_encode(h, (const unsigned char *) hdr, strlen(hdr));
    inlen = (size_t) snprintf(in, sizeof(in), "%s.e30", h);

    assert_non_null(HMAC(EVP_sha256(), pem_rsa2048, (int) strlen(pem_rsa2048),
                         (const unsigned char *) in, inlen, mac, &len));

    key = vector_key(&ks, vector("gen RS256"));

    assert_null(jwt_keyset_find(&ks, JWT_ALG_HS256, NULL, 0, &reason));
    assert_string_equal(reason, "no key for alg");
    assert_null(jwt_keyset_find(&ks, JWT_ALG_HS256,
                                (const unsigned char *) "gen-rsa", 7,
                                &reason));
    assert_string_equal(reason, "key does not fit alg");

    assert_int_equal(verify_r(key, JWT_ALG_HS256, in, inlen, mac, len,
                              &reason),
                     JWT_ERR_NO_KEY);
    assert_string_equal(reason, "key does not fit alg");

    /* and an RSA key can not be given an HS alg in its JWK */
    assert_string_equal(load_skipped(jwk_with(buf, "\"alg\":\"HS256\"",
                                              rfc7515_a2_jwk), 0),
                        "alg does not fit key");

    jwt_keyset_free(&ks);
}


/* verify_signature refuses algs a key was not loaded for, and bad input */

static void
test_verify_key_alg(void **state)
{
    jwt_keyset_t      ks;
    const char       *reason;
    const jwt_key_t  *key;

    (void) state;

    key = vector_key(&ks, vector("RFC 7515 A.3"));

    assert_int_equal(verify_jws(key, JWT_ALG_ES384, rfc7515_a3_jws),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_jws(key, JWT_ALG_RS256, rfc7515_a3_jws),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_jws(key, JWT_ALG_EDDSA, rfc7515_a3_jws),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_jws(key, JWT_ALG_UNKNOWN, rfc7515_a3_jws),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_jws(key, JWT_ALG_MAX, rfc7515_a3_jws),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_r(NULL, JWT_ALG_ES256, "x", 1,
                              (const unsigned char *) "x", 1, &reason),
                     JWT_ERR_NO_KEY);

    jwt_keyset_free(&ks);
}


/* a key struct whose algs were widened still verifies only its own kind */

static void
test_verify_forged_algs(void **state)
{
    jwt_key_t         forged;
    jwt_keyset_t      ks;
    const char       *reason;
    const jwt_key_t  *key;

    (void) state;

    key = vector_key(&ks, vector("gen Ed448"));
    forged = *key;
    forged.algs = ~0u;

    assert_int_equal(verify_jws(&forged, JWT_ALG_ED25519, gen_ed448_jws),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_jws(&forged, JWT_ALG_ES256, gen_ed448_jws),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_jws(&forged, JWT_ALG_HS256, gen_ed448_jws),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_jws(&forged, JWT_ALG_ED448, gen_ed448_jws),
                     JWT_OK);
    jwt_keyset_free(&ks);

    key = vector_key(&ks, vector("RFC 7515 A.3"));
    forged = *key;
    forged.algs = ~0u;

    assert_int_equal(verify_r(&forged, JWT_ALG_ES512, "x", 1,
                              (const unsigned char *) "x", 1, &reason),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_jws(&forged, JWT_ALG_RS256, rfc7515_a3_jws),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_jws(&forged, JWT_ALG_ES256, rfc7515_a3_jws),
                     JWT_OK);
    jwt_keyset_free(&ks);

    key = vector_key(&ks, vector("RFC 7515 A.1"));
    forged = *key;
    forged.algs = ~0u;

    assert_int_equal(verify_jws(&forged, JWT_ALG_RS256, rfc7515_a1_jws),
                     JWT_ERR_NO_KEY);
    assert_int_equal(verify_jws(&forged, JWT_ALG_EDDSA, rfc7515_a1_jws),
                     JWT_ERR_NO_KEY);
    jwt_keyset_free(&ks);
}


/* ATTACKS.md "Keys" */


/* RSA under 2048 bits, counted in bits: zero octets in front do not count */

static void
test_rsa_short_modulus(void **state)
{
    char            buf[JSON_MAX], n64[1024];
    size_t          len;
    const char     *reason;
    jwt_keyset_t    ks;
    unsigned char   n[512];

    (void) state;

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}",
                            gen_rsa1024_n), 0),
                        "RSA key is shorter than 2048 bits");

    memset(n, 0, 128);
    len = b64_decode(n + 128, gen_rsa1024_n);
    assert_int_equal(len, 128);
    b64_encode(n64, n, 256);

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}",
                            n64), 0),
                        "RSA key is shorter than 2048 bits");

    jwt_keyset_init(&ks);
    assert_int_equal(jwt_keyset_add_pem(&ks,
                         (const unsigned char *) pem_rsa1024,
                         strlen(pem_rsa1024), &reason),
                     JWT_ERR_FORMAT);
    assert_string_equal(reason, "RSA key is shorter than 2048 bits");
    assert_int_equal(ks.nkeys, 0);
    jwt_keyset_free(&ks);
}


/* absurdly large RSA and an even modulus */

static void
test_rsa_long_or_even_modulus(void **state)
{
    char            buf[JSON_MAX], n64[1500];
    size_t          len;
    unsigned char   n[1100];

    (void) state;

    memset(n, 0xff, 1025);
    b64_encode(n64, n, 1025);

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}",
                            n64), 0),
                        "RSA key is longer than 8192 bits");

    member(n64, sizeof(n64), gen_rsa_jwk, "n");
    len = b64_decode(n, n64);
    n[len - 1] &= 0xfe;
    b64_encode(n64, n, len);

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}",
                            n64), 0),
                        "RSA modulus is even");
}


/* RSA exponent 1, even, 0, or over 64 bits */

static void
test_rsa_exponent(void **state)
{
    char     buf[JSON_MAX], n64[1024];
    size_t   i;

    static const struct {
        const char  *e;
        const char  *reason;
    } bad[] = {
        { "AQ", "RSA exponent is 1 or even" },                 /* 1 */
        { "Ag", "RSA exponent is 1 or even" },                 /* 2 */
        { "AQAA", "RSA exponent is 1 or even" },               /* 65536 */
        { "AA", "RSA exponent is 1 or even" },                 /* 0 */
        { "AQAAAAAAAAAB", "RSA exponent is too large" },       /* 2^64 + 1 */
        { "AQAB=", "RSA e is missing or malformed" },
        { "", "RSA e is missing or malformed" }
    };

    (void) state;

    member(n64, sizeof(n64), gen_rsa_jwk, "n");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_string_equal(load_skipped(jwk_printf(buf,
                                "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}",
                                n64, bad[i].e), 0),
                            bad[i].reason);
    }

    /* 3 and 2^64 - 1 are odd and small enough */

    assert_int_equal(load_one(jwk_printf(buf,
                         "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"Aw\"}", n64),
                         0),
                     ALGS_RSA);
    assert_int_equal(load_one(jwk_printf(buf,
                         "{\"kty\":\"RSA\",\"n\":\"%s\","
                         "\"e\":\"__________8\"}", n64), 0),
                     ALGS_RSA);
}


/* EC point not on the curve */

static void
test_ec_off_curve(void **state)
{
    char            buf[JSON_MAX], x64[128], y64[128], zero64[128];
    size_t          len;
    unsigned char   y[128], zero[66];

    (void) state;

    member(x64, sizeof(x64), rfc7515_a3_jwk, "x");
    member(y64, sizeof(y64), rfc7515_a3_jwk, "y");

    len = b64_decode(y, y64);
    assert_int_equal(len, 32);
    y[31] ^= 0x01;
    b64_encode(y64, y, len);

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"crv\":\"P-256\","
                            "\"x\":\"%s\",\"y\":\"%s\"}", x64, y64), 0),
                        "EC point is not on the curve");

    memset(zero, 0, sizeof(zero));
    b64_encode(zero64, zero, 32);

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"crv\":\"P-256\","
                            "\"x\":\"%s\",\"y\":\"%s\"}", zero64, zero64), 0),
                        "EC point is not on the curve");

    /* A.4's P-521 point named as P-384 or P-256 */

    member(x64, sizeof(x64), rfc7515_a4_jwk, "x");
    member(y64, sizeof(y64), rfc7515_a4_jwk, "y");

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"crv\":\"P-384\","
                            "\"x\":\"%s\",\"y\":\"%s\"}", x64, y64), 0),
                        "EC coordinate length does not fit crv");
}


/* EC coordinates must be exactly the field size (RFC 7518 6.2.1.2) */

static void
test_ec_coordinate_length(void **state)
{
    char            buf[JSON_MAX], x64[128], y64[128], s64[128];
    size_t          len;
    unsigned char   x[128];

    (void) state;

    member(x64, sizeof(x64), rfc7515_a3_jwk, "x");
    member(y64, sizeof(y64), rfc7515_a3_jwk, "y");

    /* 31 octets */
    len = b64_decode(x + 1, x64);
    assert_int_equal(len, 32);
    b64_encode(s64, x + 2, 31);

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"crv\":\"P-256\","
                            "\"x\":\"%s\",\"y\":\"%s\"}", s64, y64), 0),
                        "EC coordinate length does not fit crv");

    /* 33 octets: the right value with a zero in front */
    x[0] = 0;
    b64_encode(s64, x, 33);

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"crv\":\"P-256\","
                            "\"x\":\"%s\",\"y\":\"%s\"}", s64, y64), 0),
                        "EC coordinate length does not fit crv");

    /* P-521 with 65-octet x: A.4's x starts with 0x01, not 0x00 */
    member(x64, sizeof(x64), rfc7515_a4_jwk, "x");
    member(y64, sizeof(y64), rfc7515_a4_jwk, "y");
    len = b64_decode(x, x64);
    assert_int_equal(len, 66);
    b64_encode(s64, x + 1, 65);

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"crv\":\"P-521\","
                            "\"x\":\"%s\",\"y\":\"%s\"}", s64, y64), 0),
                        "EC coordinate length does not fit crv");
}


/* missing and mistyped EC members, unsupported curves */

static void
test_ec_members(void **state)
{
    char  buf[JSON_MAX], x64[128], y64[128];

    (void) state;

    member(x64, sizeof(x64), rfc7515_a3_jwk, "x");
    member(y64, sizeof(y64), rfc7515_a3_jwk, "y");

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"crv\":\"P-256\","
                            "\"x\":\"%s\"}", x64), 0),
                        "EC y is missing or malformed");

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"crv\":\"P-256\","
                            "\"x\":5,\"y\":\"%s\"}", y64), 0),
                        "EC x is missing or malformed");

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                            x64, y64), 0),
                        "EC crv is missing or not a string");

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"crv\":\"secp256k1\","
                            "\"x\":\"%s\",\"y\":\"%s\"}", x64, y64), 0),
                        "unsupported EC crv");

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"crv\":\"p-256\","
                            "\"x\":\"%s\",\"y\":\"%s\"}", x64, y64), 0),
                        "unsupported EC crv");

    /* an ES alg of another curve */
    assert_string_equal(load_skipped(jwk_with(buf, "\"alg\":\"ES384\"",
                                              rfc7515_a3_jwk), 0),
                        "alg does not fit key");
}


/* OKP: x length per curve, X25519 is not a signature curve */

static void
test_okp_members(void **state)
{
    char            buf[JSON_MAX], x64[128];
    unsigned char   x[128];

    (void) state;

    member(x64, sizeof(x64), rfc8037_a4_jwk, "x");
    assert_int_equal(b64_decode(x, x64), 32);

    b64_encode(x64, x, 31);
    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
                            "\"x\":\"%s\"}", x64), 0),
                        "OKP x length does not fit crv");

    x[32] = 0;
    b64_encode(x64, x, 33);
    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
                            "\"x\":\"%s\"}", x64), 0),
                        "OKP x length does not fit crv");

    b64_encode(x64, x, 32);
    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"OKP\",\"crv\":\"Ed448\","
                            "\"x\":\"%s\"}", x64), 0),
                        "OKP x length does not fit crv");

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"OKP\",\"crv\":\"X25519\","
                            "\"x\":\"%s\"}", x64), 0),
                        "unsupported OKP crv");

    /* fully-specified names restrict the key (RFC 9864) */
    assert_int_equal(load_one(jwk_with(buf, "\"alg\":\"EdDSA\"",
                                       rfc8037_a4_jwk), 0),
                     ALG(EDDSA));
    assert_int_equal(load_one(jwk_with(buf, "\"alg\":\"Ed25519\"",
                                       rfc8037_a4_jwk), 0),
                     ALG(ED25519));
    assert_string_equal(load_skipped(jwk_with(buf, "\"alg\":\"Ed448\"",
                                              rfc8037_a4_jwk), 0),
                        "alg does not fit key");
    assert_int_equal(load_one(gen_ed448_jwk, 0), ALG(EDDSA) | ALG(ED448));
}


/* oct keys: only with JWT_KEYS_ALLOW_OCT, and long enough for the alg */

static void
test_oct_keys(void **state)
{
    char            buf[JSON_MAX], k64[128];
    unsigned char   k[64];

    (void) state;

    assert_string_equal(load_skipped(rfc7515_a1_jwk, 0),
                        "symmetric key not allowed here");
    assert_string_equal(load_skipped(rfc7520_oct_jwk, 0),
                        "symmetric key not allowed here");

    memset(k, 0x5a, sizeof(k));

    b64_encode(k64, k, 31);
    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"oct\",\"k\":\"%s\"}", k64),
                            JWT_KEYS_ALLOW_OCT),
                        "symmetric key is shorter than 32 bytes");

    b64_encode(k64, k, 32);
    assert_int_equal(load_one(jwk_printf(buf, "{\"kty\":\"oct\",\"k\":\"%s\"}",
                                         k64), JWT_KEYS_ALLOW_OCT),
                     ALG(HS256));

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"oct\",\"alg\":\"HS512\","
                            "\"k\":\"%s\"}", k64), JWT_KEYS_ALLOW_OCT),
                        "alg does not fit key");

    b64_encode(k64, k, 48);
    assert_int_equal(load_one(jwk_printf(buf, "{\"kty\":\"oct\",\"k\":\"%s\"}",
                                         k64), JWT_KEYS_ALLOW_OCT),
                     ALG(HS256) | ALG(HS384));

    assert_string_equal(load_skipped("{\"kty\":\"oct\"}", JWT_KEYS_ALLOW_OCT),
                        "oct k is missing or malformed");
    assert_string_equal(load_skipped("{\"kty\":\"oct\",\"k\":\"\"}",
                                     JWT_KEYS_ALLOW_OCT),
                        "oct k is missing or malformed");
}


/* private members in a JWKS: the key is skipped */

static void
test_private_members(void **state)
{
    char     buf[JSON_MAX];
    size_t   i;

    static const char  *members[] = {
        "\"d\":\"AQAB\"", "\"p\":\"AQAB\"", "\"q\":\"AQAB\"",
        "\"dp\":\"AQAB\"", "\"dq\":\"AQAB\"", "\"qi\":\"AQAB\"",
        "\"oth\":[]", "\"k\":\"AQAB\""
    };

    (void) state;

    for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        assert_string_equal(load_skipped(jwk_with(buf, members[i],
                                                  rfc7515_a2_jwk), 0),
                            "private key material in JWKS");
    }

    assert_string_equal(load_skipped(jwk_with(buf, "\"d\":\"AQAB\"",
                                              rfc7515_a3_jwk), 0),
                        "private key material in JWKS");
    assert_string_equal(load_skipped(jwk_with(buf, "\"d\":\"AQAB\"",
                                              rfc8037_a4_jwk), 0),
                        "private key material in JWKS");
    assert_string_equal(load_skipped(jwk_with(buf, "\"d\":\"AQAB\"",
                                              rfc7515_a1_jwk),
                                     JWT_KEYS_ALLOW_OCT),
                        "private key material in JWKS");
}


/* "use", "key_ops" and "alg" of a JWK (RFC 7517 4.2 to 4.4) */

static void
test_use_key_ops_alg(void **state)
{
    char  buf[JSON_MAX];

    (void) state;

    assert_string_equal(load_skipped(jwk_with(buf, "\"use\":\"enc\"",
                                              rfc7515_a2_jwk), 0),
                        "use is not sig");
    assert_string_equal(load_skipped(jwk_with(buf, "\"use\":1",
                                              rfc7515_a2_jwk), 0),
                        "use is not sig");
    assert_int_equal(load_one(jwk_with(buf, "\"use\":\"sig\"",
                                       rfc7515_a2_jwk), 0),
                     ALGS_RSA);

    assert_string_equal(load_skipped(jwk_with(buf,
                            "\"key_ops\":[\"encrypt\",\"wrapKey\"]",
                            rfc7515_a2_jwk), 0),
                        "key_ops does not allow verify");
    assert_string_equal(load_skipped(jwk_with(buf, "\"key_ops\":[]",
                                              rfc7515_a2_jwk), 0),
                        "key_ops does not allow verify");
    assert_string_equal(load_skipped(jwk_with(buf, "\"key_ops\":\"verify\"",
                                              rfc7515_a2_jwk), 0),
                        "key_ops is not an array");
    assert_int_equal(load_one(jwk_with(buf,
                                  "\"key_ops\":[\"sign\",1,\"verify\"]",
                                  rfc7515_a2_jwk), 0),
                     ALGS_RSA);

    assert_string_equal(load_skipped(jwk_with(buf, "\"alg\":\"none\"",
                                              rfc7515_a2_jwk), 0),
                        "unknown alg");
    assert_string_equal(load_skipped(jwk_with(buf, "\"alg\":\"rs256\"",
                                              rfc7515_a2_jwk), 0),
                        "unknown alg");
    assert_string_equal(load_skipped(jwk_with(buf, "\"alg\":\"RSA-OAEP\"",
                                              rfc7515_a2_jwk), 0),
                        "unknown alg");
    assert_string_equal(load_skipped(jwk_with(buf, "\"alg\":256",
                                              rfc7515_a2_jwk), 0),
                        "alg is not a string");
    assert_string_equal(load_skipped(jwk_with(buf, "\"alg\":\"ES256\"",
                                              rfc7515_a2_jwk), 0),
                        "alg does not fit key");
    assert_string_equal(load_skipped(jwk_with(buf, "\"alg\":\"RS256\"",
                                              rfc7515_a3_jwk), 0),
                        "alg does not fit key");
    assert_int_equal(load_one(jwk_with(buf, "\"alg\":\"PS512\"",
                                       rfc7515_a2_jwk), 0),
                     ALG(PS512));
}


/* kty and kid members; entries that are not objects */

static void
test_kty_kid_members(void **state)
{
    char          buf[JSON_MAX];
    jwt_keyset_t  ks;

    (void) state;

    assert_string_equal(load_skipped("{\"n\":\"AQAB\",\"e\":\"AQAB\"}", 0),
                        "kty is missing or not a string");
    assert_string_equal(load_skipped("{\"kty\":1}", 0),
                        "kty is missing or not a string");
    assert_string_equal(load_skipped("{\"kty\":\"DSA\"}", 0),
                        "unsupported kty");
    assert_string_equal(load_skipped("{\"kty\":\"rsa\"}", 0),
                        "unsupported kty");
    assert_string_equal(load_skipped("42", 0), "key is not a JSON object");
    assert_string_equal(load_skipped("[]", 0), "key is not a JSON object");

    assert_string_equal(load_skipped(jwk_with(buf, "\"kid\":5",
                                              rfc7515_a2_jwk), 0),
                        "kid is not a string");
    assert_string_equal(load_skipped(jwk_with(buf, "\"kid\":null",
                                              rfc7515_a2_jwk), 0),
                        "kid is not a string");

    /* an empty kid is a kid */
    jwt_keyset_init(&ks);
    load_ok(&ks, jwk_with(buf, "\"kid\":\"\"", rfc7515_a2_jwk), 0);
    assert_int_equal(ks.nkeys, 1);
    assert_non_null(ks.keys[0].kid);
    assert_int_equal(ks.keys[0].kid_len, 0);
    jwt_keyset_free(&ks);
}


/* base64url members are decoded strictly (RFC 7515 2, RFC 7518 6) */

static void
test_b64url_strict(void **state)
{
    char     buf[JSON_MAX], n64[1024], x64[128], y64[128];
    size_t   len;

    (void) state;

    member(n64, sizeof(n64), rfc7515_a2_jwk, "n");
    len = strlen(n64);

    /* padding */
    assert_int_equal(len % 4, 2);
    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"RSA\",\"n\":\"%s==\",\"e\":\"AQAB\"}",
                            n64), 0),
                        "RSA n is missing or malformed");

    /* the base64 (not base64url) alphabet */
    n64[10] = '+';
    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}",
                            n64), 0),
                        "RSA n is missing or malformed");

    /* non-zero unused bits in the last character */
    member(x64, sizeof(x64), rfc7515_a3_jwk, "x");
    member(y64, sizeof(y64), rfc7515_a3_jwk, "y");
    len = strlen(x64);
    assert_int_equal(len, 43);
    assert_int_equal(x64[42], 'U');
    x64[42] = 'V';

    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"crv\":\"P-256\","
                            "\"x\":\"%s\",\"y\":\"%s\"}", x64, y64), 0),
                        "EC x is missing or malformed");

    /* whitespace */
    assert_string_equal(load_skipped(jwk_printf(buf,
                            "{\"kty\":\"EC\",\"crv\":\"P-256\","
                            "\"x\":\" %s\",\"y\":\"%s\"}", x64, y64), 0),
                        "EC x is missing or malformed");
}


/* JWK Set level */


/* malformed sets fail and leave the keyset as it was */

static void
test_jwks_malformed(void **state)
{
    char          buf[JSON_MAX];
    size_t        i;
    jwt_rc_t      rc;
    const char   *reason;
    jwt_keyset_t  ks;

    static const struct {
        const char  *json;
        const char  *reason;
    } bad[] = {
        { "", "JWKS is not valid JSON" },
        { "{", "JWKS is not valid JSON" },
        { "{\"keys\":[]} x", "JWKS is not valid JSON" },
        { "{\"keys\":[],\"keys\":[]}", "JWKS is not valid JSON" },
        { "[]", "JWKS is not a JSON object" },
        { "\"keys\"", "JWKS is not valid JSON" },
        { "{}", "neither a JWK Set nor a JWK" },
        { "{\"keys\":{}}", "JWKS \"keys\" is not an array" },
        { "{\"keys\":\"x\"}", "JWKS \"keys\" is not an array" },
        { "{\"keys\":null}", "JWKS \"keys\" is not an array" },
        { "{\"keys\":[]}", "JWKS \"keys\" is empty" }
    };

    (void) state;

    jwt_keyset_init(&ks);
    assert_int_equal(jwt_keyset_add_secret(&ks,
                         (const unsigned char *) "0123456789abcdef"
                         "0123456789abcdef", 32, JWT_ALGS_HS),
                     JWT_OK);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rc = add_jwks(&ks, bad[i].json, 0, NULL, &reason);
        assert_int_equal(rc, JWT_ERR_FORMAT);
        assert_string_equal(reason, bad[i].reason);
        assert_int_equal(ks.nkeys, 1);
    }

    /* duplicate member names inside a key */
    jwk_printf(buf, "{\"keys\":[{\"kty\":\"EC\",%s]}", rfc7515_a2_jwk + 1);
    assert_int_equal(add_jwks(&ks, buf, 0, NULL, &reason), JWT_ERR_FORMAT);
    assert_string_equal(reason, "JWKS is not valid JSON");

    /* NUL in the middle of the text */
    assert_int_equal(jwt_keyset_add_jwks(&ks,
                         (const unsigned char *) "{\"keys\":[]}\0", 12, 0,
                         NULL, NULL, &reason),
                     JWT_ERR_FORMAT);
    assert_int_equal(ks.nkeys, 1);

    jwt_keyset_free(&ks);
}


/* duplicate kids fail the whole call, and nothing it added stays */

static void
test_jwks_duplicate_kid(void **state)
{
    char          buf[JSON_MAX], a[JSON_MAX], b[JSON_MAX];
    jwt_rc_t      rc;
    const char   *reason;
    jwt_keyset_t  ks;

    (void) state;

    jwt_keyset_init(&ks);

    jwk_with(a, "\"kid\":\"same\"", rfc7515_a2_jwk);
    jwk_with(b, "\"kid\":\"same\"", rfc7515_a3_jwk);
    jwk_printf(buf, "{\"keys\":[%s,%s]}", a, b);

    rc = add_jwks(&ks, buf, 0, NULL, &reason);
    assert_int_equal(rc, JWT_ERR_FORMAT);
    assert_string_equal(reason, "duplicate kid");
    assert_int_equal(ks.nkeys, 0);

    /* "same" once is fine; then a second call bringing "same" again fails */
    load_ok(&ks, a, 0);
    assert_int_equal(ks.nkeys, 1);

    jwk_printf(buf, "{\"keys\":[%s,%s]}", rfc8037_a4_jwk, b);
    rc = add_jwks(&ks, buf, 0, NULL, &reason);
    assert_int_equal(rc, JWT_ERR_FORMAT);
    assert_string_equal(reason, "duplicate kid");
    assert_int_equal(ks.nkeys, 1);

    /* two empty kids are duplicates too; two absent kids are not */
    jwk_with(a, "\"kid\":\"\"", rfc7515_a3_jwk);
    jwk_with(b, "\"kid\":\"\"", rfc8037_a4_jwk);
    jwk_printf(buf, "{\"keys\":[%s,%s]}", a, b);
    rc = add_jwks(&ks, buf, 0, NULL, &reason);
    assert_int_equal(rc, JWT_ERR_FORMAT);
    assert_string_equal(reason, "duplicate kid");

    jwk_printf(buf, "{\"keys\":[%s,%s]}", rfc7515_a3_jwk, rfc8037_a4_jwk);
    load_ok(&ks, buf, 0);
    assert_int_equal(ks.nkeys, 3);

    jwt_keyset_free(&ks);
}


/*
 * JWT_KEYS_UNIQUE_KID (key files): an entry skipped as unusable still
 * counts, so a set whose two entries share a kid is refused; without the
 * flag (fetched sets) the usable one loads
 */

static void
test_jwks_duplicate_kid_skipped(void **state)
{
    char          buf[JSON_MAX], a[JSON_MAX], b[JSON_MAX];
    const char   *reason;
    jwt_keyset_t  ks;

    (void) state;

    jwt_keyset_init(&ks);

    jwk_with(a, "\"kid\":\"same\"", rfc7515_a2_jwk);
    jwk_with(b, "\"kid\":\"same\",\"use\":\"enc\"", rfc7515_a3_jwk);
    jwk_printf(buf, "{\"keys\":[%s,%s]}", a, b);

    assert_int_equal(add_jwks(&ks, buf, JWT_KEYS_UNIQUE_KID, NULL, &reason),
                     JWT_ERR_FORMAT);
    assert_string_equal(reason, "duplicate kid");
    assert_int_equal(ks.nkeys, 0);

    assert_int_equal(add_jwks(&ks, buf, 0, NULL, &reason), JWT_OK);
    assert_int_equal(ks.nkeys, 1);

    jwt_keyset_free(&ks);
}


/* a set with no usable key fails; every entry is reported */

static void
test_jwks_no_usable_key(void **state)
{
    char          buf[JSON_MAX], k[JSON_MAX];
    skips_t       sk;
    jwt_rc_t      rc;
    const char   *reason;
    jwt_keyset_t  ks;

    (void) state;

    jwk_printf(buf, "{\"keys\":[%s,%s,%s]}", rfc7515_a1_jwk,
               jwk_printf(k, "{\"kty\":\"RSA\",\"kid\":\"small\",\"n\":\"%s\","
                          "\"e\":\"AQAB\"}", gen_rsa1024_n),
               "{\"kty\":\"EC\"}");

    jwt_keyset_init(&ks);

    rc = add_jwks(&ks, buf, 0, &sk, &reason);
    assert_int_equal(rc, JWT_ERR_FORMAT);
    assert_string_equal(reason, "no usable key");
    assert_int_equal(ks.nkeys, 0);

    assert_int_equal(sk.n, 3);
    assert_int_equal(sk.index[0], 0);
    assert_string_equal(sk.reason[0], "symmetric key not allowed here");
    assert_int_equal(sk.index[1], 1);
    assert_string_equal(sk.kid[1], "small");
    assert_string_equal(sk.reason[1], "RSA key is shorter than 2048 bits");
    assert_int_equal(sk.index[2], 2);
    assert_string_equal(sk.kid[2], "");
    assert_string_equal(sk.reason[2], "EC crv is missing or not a string");

    jwt_keyset_free(&ks);
}


/* garbage mixed with good keys: the good ones load, the rest is reported */

static void
test_jwks_garbage_mixed(void **state)
{
    char          buf[JSON_MAX], r[JSON_MAX], e[JSON_MAX];
    skips_t       sk;
    jwt_rc_t      rc;
    const char   *reason;
    jwt_keyset_t  ks;

    (void) state;

    jwk_with(r, "\"kid\":\"r\"", rfc7515_a2_jwk);
    jwk_with(e, "\"kid\":\"e\"", rfc7515_a3_jwk);

    jwk_printf(buf, "{\"keys\":[42,\"str\",null,{\"kty\":\"EC\",\"crv\":1},"
               "%s,%s,%s,[],{\"kty\":\"RSA\",\"kid\":\"bad\",\"n\":\"AQAB\","
               "\"e\":\"AQAB\"}],\"extra\":true}", r, rfc7515_a1_jwk, e);

    jwt_keyset_init(&ks);

    rc = add_jwks(&ks, buf, 0, &sk, &reason);
    assert_int_equal(rc, JWT_OK);
    assert_int_equal(ks.nkeys, 2);

    assert_memory_equal(ks.keys[0].kid, "r", 1);
    assert_int_equal(ks.keys[0].kty, JWT_KTY_RSA);
    assert_memory_equal(ks.keys[1].kid, "e", 1);
    assert_int_equal(ks.keys[1].kty, JWT_KTY_EC);

    assert_int_equal(sk.n, 7);
    assert_int_equal(sk.index[0], 0);
    assert_int_equal(sk.index[1], 1);
    assert_int_equal(sk.index[2], 2);
    assert_int_equal(sk.index[3], 3);
    assert_int_equal(sk.index[4], 5);
    assert_string_equal(sk.reason[4], "symmetric key not allowed here");
    assert_int_equal(sk.index[5], 7);
    assert_int_equal(sk.index[6], 8);
    assert_string_equal(sk.kid[6], "bad");
    assert_string_equal(sk.reason[6], "RSA key is shorter than 2048 bits");

    /* the good keys work */
    assert_int_equal(verify_jws(jwt_keyset_find(&ks, JWT_ALG_ES256,
                                    (const unsigned char *) "e", 1, NULL),
                                JWT_ALG_ES256, rfc7515_a3_jws),
                     JWT_OK);

    jwt_keyset_free(&ks);
}


/* a bare JWK is a set of one */

static void
test_jwks_single_jwk(void **state)
{
    jwt_keyset_t  ks;

    (void) state;

    jwt_keyset_init(&ks);
    load_ok(&ks, rfc7515_a2_jwk, 0);
    load_ok(&ks, rfc7520_ec_jwk, 0);
    assert_int_equal(ks.nkeys, 2);
    jwt_keyset_free(&ks);

    /* freeing twice and freeing an empty set are harmless */
    jwt_keyset_free(&ks);
    assert_int_equal(ks.nkeys, 0);
    assert_null(ks.keys);
}


/* many keys: the array grows, lookups stay exact */

static void
test_jwks_many_keys(void **state)
{
    char          kid[16];
    char         *buf, *p;
    size_t        i, size;
    jwt_keyset_t  ks;

    (void) state;

    size = 100 * (strlen(rfc8037_a4_jwk) + 32) + 32;
    buf = malloc(size);
    assert_non_null(buf);

    p = buf + sprintf(buf, "{\"keys\":[");

    for (i = 0; i < 100; i++) {
        p += sprintf(p, "%s{\"kid\":\"k%zu\",%s", i ? "," : "", i,
                     rfc8037_a4_jwk + 1);
    }

    sprintf(p, "]}");

    jwt_keyset_init(&ks);
    load_ok(&ks, buf, 0);
    assert_int_equal(ks.nkeys, 100);
    free(buf);

    snprintf(kid, sizeof(kid), "k%d", 57);
    assert_ptr_equal(jwt_keyset_find(&ks, JWT_ALG_EDDSA,
                                     (const unsigned char *) kid,
                                     strlen(kid), NULL),
                     &ks.keys[57]);

    /* a hundred keys fit and the token has no kid: no trying them all */
    assert_null(jwt_keyset_find(&ks, JWT_ALG_EDDSA, NULL, 0, NULL));

    jwt_keyset_free(&ks);
}


/* key lookup */


static void
test_find(void **state)
{
    char              buf[JSON_MAX], a[JSON_MAX], b[JSON_MAX];
    jwt_keyset_t      ks;
    const char       *reason;
    const jwt_key_t  *key;

    (void) state;

    /* gen_rsa_jwk has the kid "gen-rsa": the same key as "k1" */
    member(b, sizeof(b), gen_rsa_jwk, "n");
    jwk_printf(a, "{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"%s\","
               "\"e\":\"AQAB\"}", b);
    jwk_with(b, "\"kid\":\"k2\"", rfc7515_a3_jwk);
    jwk_printf(buf, "{\"keys\":[%s,%s,%s,%s]}", a, b, rfc8037_a4_jwk,
               rfc7515_a2_jwk);

    jwt_keyset_init(&ks);
    load_ok(&ks, buf, 0);
    assert_int_equal(ks.nkeys, 4);

    /* by kid: exact bytes */
    key = jwt_keyset_find(&ks, JWT_ALG_RS256, (const unsigned char *) "k1", 2,
                          &reason);
    assert_ptr_equal(key, &ks.keys[0]);

    key = jwt_keyset_find(&ks, JWT_ALG_ES256, (const unsigned char *) "k2", 2,
                          &reason);
    assert_ptr_equal(key, &ks.keys[1]);

    assert_null(jwt_keyset_find(&ks, JWT_ALG_RS256,
                                (const unsigned char *) "k", 1, &reason));
    assert_string_equal(reason, "no key with this kid");
    assert_null(jwt_keyset_find(&ks, JWT_ALG_RS256,
                                (const unsigned char *) "k1 ", 3, &reason));
    assert_null(jwt_keyset_find(&ks, JWT_ALG_RS256,
                                (const unsigned char *) "K1", 2, &reason));
    assert_null(jwt_keyset_find(&ks, JWT_ALG_RS256,
                                (const unsigned char *) "k1\0x", 4, &reason));
    assert_string_equal(reason, "no key with this kid");

    /* the kid's key must fit the alg: no falling back to another key */
    assert_null(jwt_keyset_find(&ks, JWT_ALG_ES256,
                                (const unsigned char *) "k1", 2, &reason));
    assert_string_equal(reason, "key does not fit alg");

    /* keys without a kid never match a token with one, even an empty one */
    assert_null(jwt_keyset_find(&ks, JWT_ALG_EDDSA,
                                (const unsigned char *) "", 0, &reason));
    assert_string_equal(reason, "no key with this kid");

    /* without a kid: exactly one key may fit */
    assert_ptr_equal(jwt_keyset_find(&ks, JWT_ALG_EDDSA, NULL, 0, &reason),
                     &ks.keys[2]);
    assert_ptr_equal(jwt_keyset_find(&ks, JWT_ALG_ES256, NULL, 0, &reason),
                     &ks.keys[1]);

    assert_null(jwt_keyset_find(&ks, JWT_ALG_RS256, NULL, 0, &reason));
    assert_string_equal(reason, "token has no kid and several keys fit");

    assert_null(jwt_keyset_find(&ks, JWT_ALG_ES384, NULL, 0, &reason));
    assert_string_equal(reason, "no key for alg");

    assert_null(jwt_keyset_find(&ks, JWT_ALG_HS256, NULL, 0, &reason));
    assert_string_equal(reason, "no key for alg");

    assert_null(jwt_keyset_find(&ks, JWT_ALG_UNKNOWN, NULL, 0, &reason));
    assert_null(jwt_keyset_find(&ks, JWT_ALG_MAX, NULL, 0, &reason));

    jwt_keyset_free(&ks);

    /* an empty set */
    assert_null(jwt_keyset_find(&ks, JWT_ALG_RS256, NULL, 0, &reason));
    assert_string_equal(reason, "no key for alg");
}


/* PEM */


/* SPKI and certificates, several in one text */

static void
test_pem_bundle(void **state)
{
    char          *pem;
    size_t         size;
    jwt_rc_t       rc;
    const char    *reason;
    jwt_keyset_t   ks;

    (void) state;

    size = strlen(pem_rsa2048) + strlen(pem_ed25519) + strlen(pem_ed448)
           + strlen(pem_p384) + strlen(cert_p256_pem) + 64;
    pem = malloc(size);
    assert_non_null(pem);

    snprintf(pem, size, "%s%s%s\nsome text between blocks\n%s%s", pem_rsa2048,
             pem_ed25519, pem_ed448, pem_p384, cert_p256_pem);

    jwt_keyset_init(&ks);

    rc = jwt_keyset_add_pem(&ks, (const unsigned char *) pem, strlen(pem),
                            &reason);
    free(pem);

    assert_int_equal(rc, JWT_OK);
    assert_int_equal(ks.nkeys, 5);

    assert_int_equal(ks.keys[0].kty, JWT_KTY_RSA);
    assert_int_equal(ks.keys[0].algs, ALGS_RSA);
    assert_null(ks.keys[0].kid);
    assert_int_equal(ks.keys[1].kty, JWT_KTY_OKP);
    assert_int_equal(ks.keys[1].algs, ALG(EDDSA) | ALG(ED25519));
    assert_int_equal(ks.keys[2].kty, JWT_KTY_OKP);
    assert_int_equal(ks.keys[2].algs, ALG(EDDSA) | ALG(ED448));
    assert_int_equal(ks.keys[3].kty, JWT_KTY_EC);
    assert_int_equal(ks.keys[3].algs, ALG(ES384));
    assert_int_equal(ks.keys[4].kty, JWT_KTY_EC);
    assert_int_equal(ks.keys[4].algs, ALG(ES256));

    assert_int_equal(verify_jws(&ks.keys[0], JWT_ALG_RS384, gen_rs384_jws),
                     JWT_OK);
    assert_int_equal(verify_jws(&ks.keys[0], JWT_ALG_PS512, gen_ps512_jws),
                     JWT_OK);
    assert_int_equal(verify_jws(&ks.keys[1], JWT_ALG_EDDSA, gen_eddsa_jws),
                     JWT_OK);
    assert_int_equal(verify_jws(&ks.keys[2], JWT_ALG_ED448, gen_ed448_jws),
                     JWT_OK);
    assert_int_equal(verify_jws(&ks.keys[3], JWT_ALG_ES384, gen_es384_jws),
                     JWT_OK);
    assert_int_equal(verify_jws(&ks.keys[4], JWT_ALG_ES256, gen_es256_jws),
                     JWT_OK);

    /* PEM keys have no kid: a kid'd token finds none of them */
    assert_null(jwt_keyset_find(&ks, JWT_ALG_ES256,
                                (const unsigned char *) "x", 1, &reason));

    jwt_keyset_free(&ks);
}


/* unusable PEM fails the whole call and leaves the keyset as it was */

static void
test_pem_refused(void **state)
{
    char          buf[JSON_MAX];
    size_t        i;
    jwt_rc_t      rc;
    const char   *reason;
    jwt_keyset_t  ks;

    static const struct {
        const char  *pem;
        const char  *reason;
    } bad[] = {
        { pem_rsa1024, "RSA key is shorter than 2048 bits" },
        { pem_rsa_pss, "unsupported key type" },
        { "", "no PEM public key or certificate found" },
        { "not PEM at all", "no PEM public key or certificate found" },
        { "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
          "PEM block is neither a public key nor a certificate" },
        { "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n"
          "-----END RSA PUBLIC KEY-----\n",
          "PEM block is neither a public key nor a certificate" },
        { "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
          "malformed PEM public key" },
        { "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
          "malformed PEM certificate" },
        { "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2Vw\n", "malformed PEM" },
        { "-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\n"
          "DEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n"
          "AAAA\n-----END PUBLIC KEY-----\n", "PEM block has headers" }
    };

    (void) state;

    jwt_keyset_init(&ks);
    load_ok(&ks, rfc7515_a2_jwk, 0);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rc = jwt_keyset_add_pem(&ks, (const unsigned char *) bad[i].pem,
                                strlen(bad[i].pem), &reason);
        assert_int_equal(rc, JWT_ERR_FORMAT);
        assert_string_equal(reason, bad[i].reason);
        assert_int_equal(ks.nkeys, 1);
        assert_int_equal(ERR_peek_error(), 0);
    }

    /* explicit parameters of no named curve (another generator) */
    rc = jwt_keyset_add_pem(&ks, (const unsigned char *) pem_p256_curveball,
                            strlen(pem_p256_curveball), &reason);
    assert_int_equal(rc, JWT_ERR_FORMAT);
    assert_string_equal(reason, "EC key has no named curve");
    assert_int_equal(ks.nkeys, 1);

    /* explicit parameters of P-256: OpenSSL 3 names the curve, or we refuse */
    rc = jwt_keyset_add_pem(&ks, (const unsigned char *) pem_p256_explicit,
                            strlen(pem_p256_explicit), &reason);
    if (rc == JWT_OK) {
        assert_int_equal(ks.nkeys, 2);
        assert_int_equal(ks.keys[1].algs, ALG(ES256));
        assert_int_equal(verify_jws(&ks.keys[1], JWT_ALG_ES256,
                                    gen_es256_jws),
                         JWT_OK);
        jwt_keyset_free(&ks);
        load_ok(&ks, rfc7515_a2_jwk, 0);

    } else {
        assert_int_equal(rc, JWT_ERR_FORMAT);
        assert_int_equal(ks.nkeys, 1);
    }

    /* a good key followed by a bad one: the good one is rolled back */
    jwk_printf(buf, "%s%s", pem_rsa2048, pem_rsa1024);
    rc = jwt_keyset_add_pem(&ks, (const unsigned char *) buf, strlen(buf),
                            &reason);
    assert_int_equal(rc, JWT_ERR_FORMAT);
    assert_int_equal(ks.nkeys, 1);

    jwt_keyset_free(&ks);
}


/* shared secrets */


static void
test_add_secret(void **state)
{
    jwt_keyset_t   ks;
    unsigned char  s[64];

    (void) state;

    memset(s, 0xa5, sizeof(s));
    jwt_keyset_init(&ks);

    assert_int_equal(jwt_keyset_add_secret(&ks, s, 32, JWT_ALGS_HS), JWT_OK);
    assert_int_equal(ks.keys[0].algs, ALG(HS256));
    assert_int_equal(ks.keys[0].kty, JWT_KTY_OCT);
    assert_null(ks.keys[0].kid);
    assert_null(ks.keys[0].pkey);

    assert_int_equal(jwt_keyset_add_secret(&ks, s, 48, JWT_ALGS_HS), JWT_OK);
    assert_int_equal(ks.keys[1].algs, ALG(HS256) | ALG(HS384));

    assert_int_equal(jwt_keyset_add_secret(&ks, s, 64, JWT_ALGS_HS), JWT_OK);
    assert_int_equal(ks.keys[2].algs, JWT_ALGS_HS);

    assert_int_equal(jwt_keyset_add_secret(&ks, s, 64, ALG(HS512)), JWT_OK);
    assert_int_equal(ks.keys[3].algs, ALG(HS512));

    /* non-HS algs are never given to a secret */
    assert_int_equal(jwt_keyset_add_secret(&ks, s, 64, ALGS_RSA | ALG(HS384)),
                     JWT_OK);
    assert_int_equal(ks.keys[4].algs, ALG(HS384));

    assert_int_equal(jwt_keyset_add_secret(&ks, s, 31, JWT_ALGS_HS),
                     JWT_ERR_ALG);
    assert_int_equal(jwt_keyset_add_secret(&ks, s, 64, ALGS_RSA),
                     JWT_ERR_ALG);
    assert_int_equal(ks.nkeys, 5);

    /* several secrets and no kid: refused rather than tried in turn */
    assert_null(jwt_keyset_find(&ks, JWT_ALG_HS256, NULL, 0, NULL));

    jwt_keyset_free(&ks);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_rfc7515_a1_hs256),
        cmocka_unit_test(test_rfc7515_a2_rs256),
        cmocka_unit_test(test_rfc7515_a3_es256),
        cmocka_unit_test(test_rfc7515_a4_es512),
        cmocka_unit_test(test_rfc8037_a4_ed25519),
        cmocka_unit_test(test_rfc7520_4_1_rs256),
        cmocka_unit_test(test_rfc7520_4_2_ps384),
        cmocka_unit_test(test_rfc7520_4_3_es512),
        cmocka_unit_test(test_rfc7520_4_4_hs256),
        cmocka_unit_test(test_generated_vectors),
        cmocka_unit_test(test_sig_every_byte_changed),
        cmocka_unit_test(test_sig_length),
        cmocka_unit_test(test_es_der_refused),
        cmocka_unit_test(test_es_zero_and_order),
        cmocka_unit_test(test_rsa_sig_bytes),
        cmocka_unit_test(test_pss_salt_and_mgf1),
        cmocka_unit_test(test_eddsa_sig),
        cmocka_unit_test(test_hmac_tag),
        cmocka_unit_test(test_ps_rs_confusion),
        cmocka_unit_test(test_hs_rs_confusion),
        cmocka_unit_test(test_verify_key_alg),
        cmocka_unit_test(test_verify_forged_algs),
        cmocka_unit_test(test_rsa_short_modulus),
        cmocka_unit_test(test_rsa_long_or_even_modulus),
        cmocka_unit_test(test_rsa_exponent),
        cmocka_unit_test(test_ec_off_curve),
        cmocka_unit_test(test_ec_coordinate_length),
        cmocka_unit_test(test_ec_members),
        cmocka_unit_test(test_okp_members),
        cmocka_unit_test(test_oct_keys),
        cmocka_unit_test(test_private_members),
        cmocka_unit_test(test_use_key_ops_alg),
        cmocka_unit_test(test_kty_kid_members),
        cmocka_unit_test(test_b64url_strict),
        cmocka_unit_test(test_jwks_malformed),
        cmocka_unit_test(test_jwks_duplicate_kid),
        cmocka_unit_test(test_jwks_duplicate_kid_skipped),
        cmocka_unit_test(test_jwks_no_usable_key),
        cmocka_unit_test(test_jwks_garbage_mixed),
        cmocka_unit_test(test_jwks_single_jwk),
        cmocka_unit_test(test_jwks_many_keys),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_pem_bundle),
        cmocka_unit_test(test_pem_refused),
        cmocka_unit_test(test_add_secret)
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
