
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


/*
 * Unit tests of jwt_dpop.c: DPoP proofs (RFC 9449 section 4.3), the JWK
 * thumbprint (RFC 7638) and the URL normalisation of htu (RFC 3986
 * section 6), and the "Sender-constrained tokens" section of ATTACKS.md.
 *
 * The proofs were made by t/unit/mkdpop.pl with Crypt::JWT, an
 * implementation independent of this one, and the keys of t/keys; the
 * thumbprint vectors are RFC 7638 section 3.1's and RFC 9449 section
 * 6.1's own.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "jwt.h"
#include "jwt_dpop.h"


#define DPOP_NOW   1700000000
#define DPOP_HTU   "https://api.example.com/v1/items"


/*
 * made by t/unit/mkdpop.pl: iat 1700000000, htm GET,
 * htu https://api.example.com/v1/items
 */

static const char  dpop_token[] =
    "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";

static const char  dpop_jkt_p256[] =
    "0hPSnPXGmBqNtQ4G7yNVAZ-uHmFDdOePymHdszrY510";
static const char  dpop_jkt_rsa[] =
    "eg249W2zN7itVqn16J4VTXS3h7_szy9XoynCGEzOe2w";
static const char  dpop_jkt_ed25519[] =
    "7EyvCBQbgMXOv3Un9vi5sP6CsX7NkTSC5Oeje53Mp9k";

static const char  dpop_bad_ath[] =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7ImNydiI6IlAtMjU2Ii"
    "wieCI6ImEwcGZPdnMzN3ZFaEhYZmc1SzNRV2Rzb1RNUF9zd2hBVnFHQ1hBY1ZubzQiLCJr"
    "dHkiOiJFQyIsInkiOiJoUFhMWWEtZ0xXXzQ5UHE3X1BuNU1nT3JUeU1UZFFWRTN0ZUY3d3"
    "kxX2lRIn19.eyJhdGgiOiJHRFFSaFlRSk9RMkxzcEg0M0l2N014ZGxnTGZLY25wejlSRDN"
    "SZWpGekg4IiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vd"
    "jEvaXRlbXMiLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6Imp0aS0yODU2ODkwNjUifQ.gtKp"
    "iH8hfRGumdRsMxUOLvIjdtGTFPaY9TEpx_XEp8gmAT3Snqm5Uc18rirUV-k191r7Pb26j8"
    "fDrJl_P-t9Fw";

static const char  dpop_eddsa[] =
    "eyJqd2siOnsiY3J2IjoiRWQyNTUxOSIsIngiOiJZeEtnWWhReXRTTkFPY2dHZUVybUw5SE"
    "ZrRk5PemV3c0RpVkJsVmZiSVBrIiwia3R5IjoiT0tQIn0sImFsZyI6IkVkRFNBIiwidHlw"
    "IjoiZHBvcCtqd3QifQ.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWV"
    "ubUFLaFRQbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZ"
    "S5jb20vdjEvaXRlbXMiLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6Imp0aS05NTE2NTE4ODk"
    "ifQ.XfyynIdxFf0paeOAKueT5H3IsQs1U5UkwxzhHPELMVGCPLXMUTpKhEI-HSlYT-vT1c"
    "f61mnLHzoEc2pBrXckAw";

static const char  dpop_es256[] =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7IngiOiJhMHBmT3ZzMz"
    "d2RWhIWGZnNUszUVdkc29UTVBfc3doQVZxR0NYQWNWbm80IiwieSI6ImhQWExZYS1nTFdf"
    "NDlQcTdfUG41TWdPclR5TVRkUVZFM3RlRjd3eTFfaVEiLCJrdHkiOiJFQyIsImNydiI6Il"
    "AtMjU2In19.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vd"
    "jEvaXRlbXMiLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6ImUxajNWX2JLaWM4LUxBRUIifQ."
    "suMFMiByttr2ICQLIED6ZTZFLj0AIuLx_3sX_oxkjSPYWbUzeDxZb1KOCq-StDohwSlyai"
    "LMjlYFonfmFP1o6g";

static const char  dpop_hs256[] =
    "eyJqd2siOnsiayI6ImEydHJhMnRyYTJ0cmEydHJhMnRyYTJ0cmEydHJhMnRyYTJ0cmEydH"
    "JhMnMiLCJrdHkiOiJvY3QifSwidHlwIjoiZHBvcCtqd3QiLCJhbGciOiJIUzI1NiJ9.eyJ"
    "hdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFRQbmRTaXZnIiwia"
    "HRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vdjEvaXRlbXMiLCJ"
    "pYXQiOjE3MDAwMDAwMDAsImp0aSI6IngifQ.k0_xkjQH6cWqYqe_fZW0loTD2AqATYtt-_"
    "wzCxWUBEw";

static const char  dpop_htm_post[] =
    "eyJqd2siOnsia3R5IjoiRUMiLCJ5IjoiaFBYTFlhLWdMV180OVBxN19QbjVNZ09yVHlNVG"
    "RRVkUzdGVGN3d5MV9pUSIsIngiOiJhMHBmT3ZzMzd2RWhIWGZnNUszUVdkc29UTVBfc3do"
    "QVZxR0NYQWNWbm80IiwiY3J2IjoiUC0yNTYifSwiYWxnIjoiRVMyNTYiLCJ0eXAiOiJkcG"
    "9wK2p3dCJ9.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vYXBpLmV4YW1wbGUuY29tL"
    "3YxL2l0ZW1zIiwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiJqdGktNjIxNjE3MTU0In0.doT"
    "yO8rN1wg0IS8ad4NOJYpH0jhrK4zHkwc0zp8QmaOlF8Xgo1ryzU3qzQSJENCiDqStlJ7vP"
    "yOAW2RrYab-JQ";

static const char  dpop_htu_frag[] =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7ImNydiI6IlAtMjU2Ii"
    "wieCI6ImEwcGZPdnMzN3ZFaEhYZmc1SzNRV2Rzb1RNUF9zd2hBVnFHQ1hBY1ZubzQiLCJ5"
    "IjoiaFBYTFlhLWdMV180OVBxN19QbjVNZ09yVHlNVGRRVkUzdGVGN3d5MV9pUSIsImt0eS"
    "I6IkVDIn19.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vd"
    "jEvaXRlbXMjZiIsImlhdCI6MTcwMDAwMDAwMCwianRpIjoianRpLTUyOTAyODU4MCJ9.23"
    "xxKjPMx12Y0G7jL-BSouvFR6Lols4Lt4BG-jE-3fzt_kzvuZxzVCUQrLIhPL2P1_vIp3lz"
    "ffausVbSSyuulA";

static const char  dpop_htu_host[] =
    "eyJqd2siOnsiY3J2IjoiUC0yNTYiLCJ4IjoiYTBwZk92czM3dkVoSFhmZzVLM1FXZHNvVE"
    "1QX3N3aEFWcUdDWEFjVm5vNCIsImt0eSI6IkVDIiwieSI6ImhQWExZYS1nTFdfNDlQcTdf"
    "UG41TWdPclR5TVRkUVZFM3RlRjd3eTFfaVEifSwiYWxnIjoiRVMyNTYiLCJ0eXAiOiJkcG"
    "9wK2p3dCJ9.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9ldmlsLmV4YW1wbGUuY29tL"
    "3YxL2l0ZW1zIiwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiJqdGktNDAxNzc4NDIyIn0.VC_"
    "msZZ4d5i5drChYEo0yGmd01lWb8SWchdRCXogxQUuZ_8olStF8D3X9Dh0QVGj6VZoiPO0u"
    "B8-RvE0wC4Cew";

static const char  dpop_htu_norm[] =
    "eyJqd2siOnsia3R5IjoiRUMiLCJ5IjoiaFBYTFlhLWdMV180OVBxN19QbjVNZ09yVHlNVG"
    "RRVkUzdGVGN3d5MV9pUSIsIngiOiJhMHBmT3ZzMzd2RWhIWGZnNUszUVdkc29UTVBfc3do"
    "QVZxR0NYQWNWbm80IiwiY3J2IjoiUC0yNTYifSwidHlwIjoiZHBvcCtqd3QiLCJhbGciOi"
    "JFUzI1NiJ9.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiSFRUUFM6Ly9BUEkuRXhhbXBsZS5DT006N"
    "DQzL3YxLy4veC8uLi8lNjl0ZW1zIiwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiJqdGktOTc"
    "3MDUxOTM4In0.JpWvs7B2De3ON0Qe8HaWXLpqt5daMOPsibZGurGCsQqtpPthOy52EltX7"
    "TUcimUhwQ3W9gFkaagA4b1Au7Vaow";

static const char  dpop_htu_path[] =
    "eyJqd2siOnsia3R5IjoiRUMiLCJ5IjoiaFBYTFlhLWdMV180OVBxN19QbjVNZ09yVHlNVG"
    "RRVkUzdGVGN3d5MV9pUSIsIngiOiJhMHBmT3ZzMzd2RWhIWGZnNUszUVdkc29UTVBfc3do"
    "QVZxR0NYQWNWbm80IiwiY3J2IjoiUC0yNTYifSwidHlwIjoiZHBvcCtqd3QiLCJhbGciOi"
    "JFUzI1NiJ9.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vd"
    "jEvaXRlbXMvIiwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiJqdGktNDY5NDQ1MjIxIn0.2Ok"
    "RD9WzCtFlDsFUXBdcYMqYxonihV-wSaLJOLFV_2O0AurSvv0qpX_QBTCi5sNw4J-2gw8EY"
    "2eprd_cC2jNPQ";

static const char  dpop_htu_query[] =
    "eyJqd2siOnsieSI6ImhQWExZYS1nTFdfNDlQcTdfUG41TWdPclR5TVRkUVZFM3RlRjd3eT"
    "FfaVEiLCJrdHkiOiJFQyIsIngiOiJhMHBmT3ZzMzd2RWhIWGZnNUszUVdkc29UTVBfc3do"
    "QVZxR0NYQWNWbm80IiwiY3J2IjoiUC0yNTYifSwiYWxnIjoiRVMyNTYiLCJ0eXAiOiJkcG"
    "9wK2p3dCJ9.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vd"
    "jEvaXRlbXM_YT0xIiwiaWF0IjoxNzAwMDAwMDAwLCJqdGkiOiJqdGktODc1MTk1MzEyIn0"
    ".9jAjVcdcYJ8GD5hGtCiA831U2-yioezqtRyE1xeAePOoKCI14mbrc5lKos3-qLaf0EsQ6"
    "29vjN6m1gudk2j6Ig";

static const char  dpop_iat_future[] =
    "eyJqd2siOnsieCI6ImEwcGZPdnMzN3ZFaEhYZmc1SzNRV2Rzb1RNUF9zd2hBVnFHQ1hBY1"
    "ZubzQiLCJ5IjoiaFBYTFlhLWdMV180OVBxN19QbjVNZ09yVHlNVGRRVkUzdGVGN3d5MV9p"
    "USIsImt0eSI6IkVDIiwiY3J2IjoiUC0yNTYifSwidHlwIjoiZHBvcCtqd3QiLCJhbGciOi"
    "JFUzI1NiJ9.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vd"
    "jEvaXRlbXMiLCJpYXQiOjE3MDAwMDM2MDAsImp0aSI6Imp0aS05MTQ0MDc4ODMifQ.5mvQ"
    "60Vgz8YIakZID4yDGv23Xqe11LHzpuvTHZh6kdAAo4Uc1hyPnbLXTanbd2BeL5NzLh3fFW"
    "LvxEL-ESVNoA";

static const char  dpop_iat_old[] =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6ImRwb3Arand0IiwiandrIjp7Imt0eSI6IkVDIiwieS"
    "I6ImhQWExZYS1nTFdfNDlQcTdfUG41TWdPclR5TVRkUVZFM3RlRjd3eTFfaVEiLCJ4Ijoi"
    "YTBwZk92czM3dkVoSFhmZzVLM1FXZHNvVE1QX3N3aEFWcUdDWEFjVm5vNCIsImNydiI6Il"
    "AtMjU2In19.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vd"
    "jEvaXRlbXMiLCJpYXQiOjE2OTk5OTY0MDAsImp0aSI6Imp0aS0xNDQ1ODkxNTAifQ.RPnI"
    "lZeMBccAwcjVyyQGb5-y5k3yzdiufiY7znnY6C69YogCwFfMb9xCaKqJ0HGKBF3VFgSnht"
    "hRT8fTN4BTxQ";

static const char  dpop_iat_string[] =
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7ImNydiI6IlAtMjU2Ii"
    "wieSI6ImhQWExZYS1nTFdfNDlQcTdfUG41TWdPclR5TVRkUVZFM3RlRjd3eTFfaVEiLCJr"
    "dHkiOiJFQyIsIngiOiJhMHBmT3ZzMzd2RWhIWGZnNUszUVdkc29UTVBfc3doQVZxR0NYQW"
    "NWbm80In19.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vd"
    "jEvaXRlbXMiLCJpYXQiOiIxNzAwMDAwMDAwIiwianRpIjoianRpLTEwMTEwOTQ4MCJ9.rW"
    "LnPaEq54xqAuGxYx7PH8Nv8MgEbkWvLViAz62k2xbvE5HDd0UQBhuL8xFYTvf-F2LdUTXC"
    "DKaX9rcyY-MVPw";

static const char  dpop_jku[] =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6ImRwb3Arand0Iiwiamt1IjoiaHR0cHM6Ly9ldmlsLm"
    "V4YW1wbGUvandrcyIsImp3ayI6eyJ4IjoiYTBwZk92czM3dkVoSFhmZzVLM1FXZHNvVE1Q"
    "X3N3aEFWcUdDWEFjVm5vNCIsInkiOiJoUFhMWWEtZ0xXXzQ5UHE3X1BuNU1nT3JUeU1UZF"
    "FWRTN0ZUY3d3kxX2lRIiwia3R5IjoiRUMiLCJjcnYiOiJQLTI1NiJ9fQ.eyJhdGgiOiJoY"
    "ms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFRQbmRTaXZnIiwiaHRtIjoiR0V"
    "UIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vdjEvaXRlbXMiLCJpYXQiOjE3M"
    "DAwMDAwMDAsImp0aSI6Imp0aS05MDY4MDc1NTIifQ.8pvvMjDipj1aS2uhsWrJsBOc2491"
    "DBl_G_gyDLO27anN39lIFieclEneoQP6SC-9OpOoKEQJtKzbib41ZKKZDQ";

static const char  dpop_kid[] =
    "eyJqd2siOnsieCI6ImEwcGZPdnMzN3ZFaEhYZmc1SzNRV2Rzb1RNUF9zd2hBVnFHQ1hBY1"
    "ZubzQiLCJ5IjoiaFBYTFlhLWdMV180OVBxN19QbjVNZ09yVHlNVGRRVkUzdGVGN3d5MV9p"
    "USIsImt0eSI6IkVDIiwiY3J2IjoiUC0yNTYifSwia2lkIjoicDI1NiIsInR5cCI6ImRwb3"
    "Arand0IiwiYWxnIjoiRVMyNTYifQ.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0b"
    "lBrWHl0QWVubUFLaFRQbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGk"
    "uZXhhbXBsZS5jb20vdjEvaXRlbXMiLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6Imp0aS02O"
    "DgwMDY2MDAifQ.ivB1DS6EXd0Vt-XA3Z0t_PYJyJY5PbGf3WqK9pm8XOCiBphcPUtNtxfd"
    "dau_6A4_p9_fkiytKTLBuC0c85kuDw";

static const char  dpop_long_jti[] =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6ImRwb3Arand0IiwiandrIjp7ImNydiI6IlAtMjU2Ii"
    "wieCI6ImEwcGZPdnMzN3ZFaEhYZmc1SzNRV2Rzb1RNUF9zd2hBVnFHQ1hBY1ZubzQiLCJ5"
    "IjoiaFBYTFlhLWdMV180OVBxN19QbjVNZ09yVHlNVGRRVkUzdGVGN3d5MV9pUSIsImt0eS"
    "I6IkVDIn19.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vd"
    "jEvaXRlbXMiLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6Impqampqampqampqampqampqamp"
    "qampqampqampqampqampqampqampqampqampqampqampqampqampqampqampqampqampqa"
    "mpqampqampqampqampqampqampqampqampqampqampqampqampqampqampqampqampqamp"
    "qampqampqampqampqampqampqampqampqampqampqampqampqampqampqampqampqampqa"
    "mpqampqampqampqampqampqampqampqampqampqampqampqampqampqampqampqampqamp"
    "qampqampqampqampqampqampqampqampqampqIn0.Ekss_CcO9roeyM9lVA7gzrHRj8yKS"
    "ZZe0co4PPsQ9E65e2PRWnxdqIkiEeMq1CI-yhKzCovd1xUPRCv-VNR9WA";

static const char  dpop_no_ath[] =
    "eyJqd2siOnsiY3J2IjoiUC0yNTYiLCJ5IjoiaFBYTFlhLWdMV180OVBxN19QbjVNZ09yVH"
    "lNVGRRVkUzdGVGN3d5MV9pUSIsImt0eSI6IkVDIiwieCI6ImEwcGZPdnMzN3ZFaEhYZmc1"
    "SzNRV2Rzb1RNUF9zd2hBVnFHQ1hBY1ZubzQifSwidHlwIjoiZHBvcCtqd3QiLCJhbGciOi"
    "JFUzI1NiJ9.eyJodG0iOiJHRVQiLCJodHUiOiJodHRwczovL2FwaS5leGFtcGxlLmNvbS9"
    "2MS9pdGVtcyIsImlhdCI6MTcwMDAwMDAwMCwianRpIjoianRpLTUyMjA2ODAyNiJ9.oS32"
    "XCwJNv0b9pTVJYcNjXJWWs-7mGeEIyi19tpj_tn7b1EiLay3j5JWgJLRmUTLLtnoBWfXdz"
    "1UNIjiQzXgbw";

static const char  dpop_no_jti[] =
    "eyJqd2siOnsiY3J2IjoiUC0yNTYiLCJ5IjoiaFBYTFlhLWdMV180OVBxN19QbjVNZ09yVH"
    "lNVGRRVkUzdGVGN3d5MV9pUSIsImt0eSI6IkVDIiwieCI6ImEwcGZPdnMzN3ZFaEhYZmc1"
    "SzNRV2Rzb1RNUF9zd2hBVnFHQ1hBY1ZubzQifSwiYWxnIjoiRVMyNTYiLCJ0eXAiOiJkcG"
    "9wK2p3dCJ9.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vd"
    "jEvaXRlbXMiLCJpYXQiOjE3MDAwMDAwMDB9.F6EKKNvDWc8B58e8yliU2V9E3fe6a6mIPe"
    "-FIZzTxscmmKGTy06Au8ehfizpowYJCFnd_DyVdEhSTsHj23nYuw";

static const char  dpop_no_typ[] =
    "eyJqd2siOnsieSI6ImhQWExZYS1nTFdfNDlQcTdfUG41TWdPclR5TVRkUVZFM3RlRjd3eT"
    "FfaVEiLCJrdHkiOiJFQyIsIngiOiJhMHBmT3ZzMzd2RWhIWGZnNUszUVdkc29UTVBfc3do"
    "QVZxR0NYQWNWbm80IiwiY3J2IjoiUC0yNTYifSwiYWxnIjoiRVMyNTYifQ.eyJhdGgiOiJ"
    "oYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFRQbmRTaXZnIiwiaHRtIjoiR"
    "0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vdjEvaXRlbXMiLCJpYXQiOjE"
    "3MDAwMDAwMDAsImp0aSI6Imp0aS0xMDQ3OTgyMTgifQ.QGuA8v5QWUwjjtfyURuok8N_vZ"
    "oA39seCLNASxZuhsC5_hbyrC56kojcxyJU4I_OV2vPpDtqe9PdYG24tCH0rA";

static const char  dpop_other_key[] =
    "eyJqd2siOnsieCI6ImEwcGZPdnMzN3ZFaEhYZmc1SzNRV2Rzb1RNUF9zd2hBVnFHQ1hBY1"
    "ZubzQiLCJ5IjoiaFBYTFlhLWdMV180OVBxN19QbjVNZ09yVHlNVGRRVkUzdGVGN3d5MV9p"
    "USIsImt0eSI6IkVDIiwiY3J2IjoiUC0yNTYifSwidHlwIjoiZHBvcCtqd3QiLCJhbGciOi"
    "JFUzI1NiJ9.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFR"
    "QbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vd"
    "jEvaXRlbXMiLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6Imp0aS01NTk4NDAxMDkifQ.6oev"
    "6odPLeM4ZObO1wYzwCsTRomSPyOCtRZynLz0R16j0gXykASJRElzvkFs97oogs3QuFG-MD"
    "iifBi7eGqu9A";

static const char  dpop_private[] =
    "eyJqd2siOnsieSI6ImhQWExZYS1nTFdfNDlQcTdfUG41TWdPclR5TVRkUVZFM3RlRjd3eT"
    "FfaVEiLCJrdHkiOiJFQyIsIngiOiJhMHBmT3ZzMzd2RWhIWGZnNUszUVdkc29UTVBfc3do"
    "QVZxR0NYQWNWbm80IiwiZCI6Imh4U2VMRUN3T0NSNkZ4YXJMd1QzLTI0WWs2cUExamFqTi"
    "05bGpqVXV2SnMiLCJjcnYiOiJQLTI1NiJ9LCJhbGciOiJFUzI1NiIsInR5cCI6ImRwb3Ar"
    "and0In0.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFRQbm"
    "RTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vdjEv"
    "aXRlbXMiLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6Imp0aS03MjI4NjM0NzQifQ.zUn4zZe"
    "w3_8e3GID__XEcGCxGemVuLAYjsmlYicae7Oy7H1ZCvTBnQMAfpbtbZz7HqXsHA6CEGYHE"
    "akicDOj7g";

static const char  dpop_ps256[] =
    "eyJqd2siOnsiZSI6IkFRQUIiLCJrdHkiOiJSU0EiLCJuIjoiczhqT29zTThWaV9oU2xheF"
    "phY2lURTltUXhFZ2FwUnlydkVPMTdjcWctb0xPcWpicG5xMDNBWWNwdS15WktvYXlDc2pZ"
    "Y3lkSHRyTXVmVjhIT2dQRXh4ZDQwVGVtWWdvSnU1aDY1VzdfaktuN0p5WV9pd1hGbGZ2Z2"
    "tBNkU0OV9UOGZkZFJGUi1mbjlsMnJjcjg4eFdBVXNwbDlNc3paSXZoS01leDBJZ2xpLWs5"
    "NXllazlVZ3JUWlp0Z1BYV0VYRlNvVTZKVldwRnVUa0lNS00zclBlaElIWTYyaGlCenJqZX"
    "dBNVotZkNBY29RZVMtNmJ0VEZuQ1dtZnFfaUdlNHVTajl3cGFqZ2oyOGZNODlpNVg0dW9y"
    "bk5OX0pLdk14SHpBTGZJdF9XMER3T0JudVBnSF9YQndwaVA1MHVybkNJQzdzeTQ1YWRreF"
    "85NjlTOXJFZG1RIn0sImFsZyI6IlBTMjU2IiwidHlwIjoiZHBvcCtqd3QifQ.eyJhdGgiO"
    "iJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFRQbmRTaXZnIiwiaHRtIjo"
    "iR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vdjEvaXRlbXMiLCJpYXQiO"
    "jE3MDAwMDAwMDAsImp0aSI6Imp0aS05NTY0NDcwNTUifQ.U0Sy5yFWI9v2enJ-hVANUYO8"
    "ti59-pGsfk5iQRFLpLO8KkQWGFfGCL1OspGpyBTjpmEnbK5u9lytHu71Vqcw4e_MVZchGB"
    "C-8fxFoQS3plWDID-pmvG3GprZZ0Vk1Q2nL2TthMcEFfKrvOTDF_Q8_CCeK8am2Z7ryEhf"
    "C3M0lM17Pr8tPbAWcdCCOmZwPSw3LckaXq4hQPz0f_v3IlR0ZxDEZd5rynHj-TWclxp39b"
    "qLelscRzCIHE08otU1dRPF7rj5lwOXYGfRMFqpM2FpOfsihxMd6yEpaS5i3ztu9w04P0XL"
    "SppZEH0YrOQp4LQEwYttXerUsHElNlZMmBbbmg";

static const char  dpop_rs256[] =
    "eyJqd2siOnsia3R5IjoiUlNBIiwibiI6InM4ak9vc004VmlfaFNsYXhaYWNpVEU5bVF4RW"
    "dhcFJ5cnZFTzE3Y3FnLW9MT3FqYnBucTAzQVljcHUteVpLb2F5Q3NqWWN5ZEh0ck11ZlY4"
    "SE9nUEV4eGQ0MFRlbVlnb0p1NWg2NVc3X2pLbjdKeVlfaXdYRmxmdmdrQTZFNDlfVDhmZG"
    "RSRlItZm45bDJyY3I4OHhXQVVzcGw5TXN6Wkl2aEtNZXgwSWdsaS1rOTV5ZWs5VWdyVFpa"
    "dGdQWFdFWEZTb1U2SlZXcEZ1VGtJTUtNM3JQZWhJSFk2MmhpQnpyamV3QTVaLWZDQWNvUW"
    "VTLTZidFRGbkNXbWZxX2lHZTR1U2o5d3BhamdqMjhmTTg5aTVYNHVvcm5OTl9KS3ZNeEh6"
    "QUxmSXRfVzBEd09CbnVQZ0hfWEJ3cGlQNTB1cm5DSUM3c3k0NWFka3hfOTY5UzlyRWRtUS"
    "IsImUiOiJBUUFCIn0sImFsZyI6IlJTMjU2IiwidHlwIjoiZHBvcCtqd3QifQ.eyJhdGgiO"
    "iJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFRQbmRTaXZnIiwiaHRtIjo"
    "iR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vdjEvaXRlbXMiLCJpYXQiO"
    "jE3MDAwMDAwMDAsImp0aSI6Imp0aS02MTAzNjU5MDYifQ.hTtUJ00eV_HzFZVVFFQdFaJG"
    "AfpSqh7UdFtmSgv2EbuL0yvAMlpGgxiUptTwOXSxfV72IzWlGKHgcN0FB792ut7p7Yo-XW"
    "eTCzq_0u6GIVADo44BO5eogZOLHecYKRz7kbmP7GHTFyomsRAIJkGpY_otXqimEKxz6Mdy"
    "hU6VhnItR8ArpjpgEBFpxD2KO1D2d7KnuBp-oGy3DnIJI4z3e1q405_xl3OLmjwlPNCvyF"
    "wRkv4uOzywuxCY-Rw4kSFKaYODW6Fb1Kfko-JS2bqhsrOwjYR-EegjHkQpfuy20gI_povO"
    "z0tLDZ5Ve6XHvU1qMa1mxrZGAsTiYW6f7Jw8RA";

static const char  dpop_typ_jwt[] =
    "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImp3ayI6eyJrdHkiOiJFQyIsInkiOiJoUF"
    "hMWWEtZ0xXXzQ5UHE3X1BuNU1nT3JUeU1UZFFWRTN0ZUY3d3kxX2lRIiwieCI6ImEwcGZP"
    "dnMzN3ZFaEhYZmc1SzNRV2Rzb1RNUF9zd2hBVnFHQ1hBY1ZubzQiLCJjcnYiOiJQLTI1Ni"
    "J9fQ.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg0blBrWHl0QWVubUFLaFRQbmRTa"
    "XZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hcGkuZXhhbXBsZS5jb20vdjEvaXR"
    "lbXMiLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6Imp0aS05MTQwODMwNTEifQ.iPTYRDAgmT"
    "5L5xRyZlik6bdqlV3JFJ7eVOP4QqhfEpgZEp7PVSI9jWrrNWNmn1kGj-veu4SOYqGHe3sW"
    "cI9kVA";

static const char  dpop_x5c[] =
    "eyJqd2siOnsieCI6ImEwcGZPdnMzN3ZFaEhYZmc1SzNRV2Rzb1RNUF9zd2hBVnFHQ1hBY1"
    "ZubzQiLCJ5IjoiaFBYTFlhLWdMV180OVBxN19QbjVNZ09yVHlNVGRRVkUzdGVGN3d5MV9p"
    "USIsImt0eSI6IkVDIiwiY3J2IjoiUC0yNTYifSwiYWxnIjoiRVMyNTYiLCJ4NWMiOlsiTU"
    "lJQiJdLCJ0eXAiOiJkcG9wK2p3dCJ9.eyJhdGgiOiJoYms1R0QxbnY5Q0RoTnhVOGRQMWg"
    "0blBrWHl0QWVubUFLaFRQbmRTaXZnIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9hc"
    "GkuZXhhbXBsZS5jb20vdjEvaXRlbXMiLCJpYXQiOjE3MDAwMDAwMDAsImp0aSI6Imp0aS0"
    "yNDE5MjA4MzkifQ.q6hB4lLse6uq4sm7PELL9P7wVyqK09J75l_tWLLxkSUG4WYkS-pa56"
    "N8bRlWzrmCkzcFMeeOk-hz1xuiPciQfg";


/* RFC 7638 section 3.1 */
static const char  rfc7638_jwk[] =
    "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM7"
    "8LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs"
    "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
    "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrd"
    "kt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCu"
    "r-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\","
    "\"kid\":\"2011-04-29\"}";

static const char  rfc7638_jkt[] =
    "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/* RFC 9449 section 4.1's jwk and section 6.1's jkt */
static const char  rfc9449_jwk[] =
    "{\"kty\":\"EC\",\"x\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\","
    "\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\",\"crv\":\"P-256\"}";

static const char  rfc9449_jkt[] =
    "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";


static void
policy(jwt_dpop_policy_t *pol)
{
    memset(pol, 0, sizeof(jwt_dpop_policy_t));

    pol->now = DPOP_NOW;
    pol->window = 60;
    pol->leeway = 5;
    pol->algs = JWT_DPOP_ALGS_DEFAULT;
    pol->htm.data = (const unsigned char *) "GET";
    pol->htm.len = 3;
    pol->htu.data = (const unsigned char *) DPOP_HTU;
    pol->htu.len = sizeof(DPOP_HTU) - 1;
    pol->token.data = (const unsigned char *) dpop_token;
    pol->token.len = sizeof(dpop_token) - 1;
}


static jwt_dpop_rc_t
verify(const char *proof, const jwt_dpop_policy_t *pol, const char **reason,
    jwt_dpop_proof_t *out)
{
    size_t             len;
    jwt_dpop_rc_t      rc;
    unsigned char     *scratch;
    jwt_dpop_proof_t   p;

    len = strlen(proof);
    scratch = malloc(len + 1);
    assert_non_null(scratch);

    *reason = NULL;

    rc = jwt_dpop_verify(&p, (const unsigned char *) proof, len, scratch, pol,
                         reason);

    if (rc != JWT_DPOP_OK) {
        assert_non_null(*reason);
        assert_null(p.tok.header);
        assert_null(p.key.pkey);
    }

    if (rc == JWT_DPOP_OK && pol->cache == NULL) {
        assert_non_null(p.key.pkey);
    }

    if (rc == JWT_DPOP_OK && out != NULL) {
        *out = p;

    } else if (rc == JWT_DPOP_OK) {
        jwt_dpop_release(&p);
    }

    free(scratch);

    return rc;
}


static void
expect(const char *proof, jwt_dpop_rc_t want, const char *why)
{
    const char         *reason;
    jwt_dpop_policy_t   pol;

    policy(&pol);

    assert_int_equal(verify(proof, &pol, &reason, NULL), want);

    if (why != NULL) {
        assert_non_null(strstr(reason, why));
    }
}


/* RFC 9449 4.3: proofs of each default alg verify; jkt is the key's */

static void
test_valid(void **state)
{
    const char         *reason;
    jwt_dpop_proof_t    p;
    jwt_dpop_policy_t   pol;

    (void) state;

    policy(&pol);

    assert_int_equal(verify(dpop_es256, &pol, &reason, &p), JWT_DPOP_OK);
    assert_memory_equal(p.jkt, dpop_jkt_p256, JWT_DPOP_JKT_LEN);
    assert_int_equal(p.jti.len, 16);
    assert_memory_equal(p.jti.data, "e1j3V_bKic8-LAEB", 16);
    assert_true(p.iat == DPOP_NOW);
    jwt_dpop_release(&p);

    assert_int_equal(verify(dpop_rs256, &pol, &reason, &p), JWT_DPOP_OK);
    assert_memory_equal(p.jkt, dpop_jkt_rsa, JWT_DPOP_JKT_LEN);
    jwt_dpop_release(&p);

    assert_int_equal(verify(dpop_ps256, &pol, &reason, NULL), JWT_DPOP_OK);

    assert_int_equal(verify(dpop_eddsa, &pol, &reason, &p), JWT_DPOP_OK);
    assert_memory_equal(p.jkt, dpop_jkt_ed25519, JWT_DPOP_JKT_LEN);
    jwt_dpop_release(&p);

    /* the token's cnf.jkt: the same key passes, another fails */

    pol.jkt.data = (const unsigned char *) dpop_jkt_p256;
    pol.jkt.len = JWT_DPOP_JKT_LEN;
    assert_int_equal(verify(dpop_es256, &pol, &reason, NULL), JWT_DPOP_OK);

    pol.jkt.data = (const unsigned char *) dpop_jkt_rsa;
    assert_int_equal(verify(dpop_es256, &pol, &reason, NULL), JWT_DPOP_JKT);

    pol.jkt.len = JWT_DPOP_JKT_LEN - 1;
    assert_int_equal(verify(dpop_es256, &pol, &reason, NULL), JWT_DPOP_JKT);
}


/* 4.3 items 4 and 5: typ dpop+jwt, an asymmetric alg of the list */

static void
test_typ_alg(void **state)
{
    const char         *reason;
    jwt_dpop_policy_t   pol;

    (void) state;

    expect(dpop_typ_jwt, JWT_DPOP_MALFORMED, "typ");
    expect(dpop_no_typ, JWT_DPOP_MALFORMED, "typ");
    expect(dpop_hs256, JWT_DPOP_ALG, "symmetric");

    /* alg none: "eyJhbGciOiJub25lIn0" is {"alg":"none"} */

    expect("eyJhbGciOiJub25lIiwidHlwIjoiZHBvcCtqd3QifQ.eyJqdGkiOiJ4In0.c2ln",
           JWT_DPOP_ALG, NULL);

    policy(&pol);
    pol.algs = JWT_ALG_BIT(JWT_ALG_ES256);
    assert_int_equal(verify(dpop_rs256, &pol, &reason, NULL), JWT_DPOP_ALG);
    assert_int_equal(verify(dpop_es256, &pol, &reason, NULL), JWT_DPOP_OK);
}


/* 4.3 item 6: a public jwk, the only key the proof names */

static void
test_jwk(void **state)
{
    (void) state;

    expect(dpop_private, JWT_DPOP_JWK, "private");
    expect(dpop_kid, JWT_DPOP_JWK, "besides its jwk");
    expect(dpop_x5c, JWT_DPOP_JWK, "besides its jwk");
    expect(dpop_jku, JWT_DPOP_JWK, "besides its jwk");
}


/* 4.3 item 7: signed by its own jwk */

static void
test_signature(void **state)
{
    char  *p;

    (void) state;

    expect(dpop_other_key, JWT_DPOP_SIGNATURE, NULL);

    p = strdup(dpop_es256);
    assert_non_null(p);
    p[strlen(p) - 5] = (p[strlen(p) - 5] == 'A') ? 'B' : 'A';
    expect(p, JWT_DPOP_SIGNATURE, NULL);
    free(p);
}


/* 4.3 items 8 to 11, and ath */

static void
test_claims(void **state)
{
    (void) state;

    expect(dpop_htm_post, JWT_DPOP_HTM, "htm");
    expect(dpop_htu_host, JWT_DPOP_HTU, "another URL");
    expect(dpop_htu_query, JWT_DPOP_HTU, "query");
    expect(dpop_htu_frag, JWT_DPOP_HTU, "query");
    expect(dpop_htu_path, JWT_DPOP_HTU, "another URL");
    expect(dpop_htu_norm, JWT_DPOP_OK, NULL);
    expect(dpop_iat_old, JWT_DPOP_IAT, "too old");
    expect(dpop_iat_future, JWT_DPOP_IAT, "future");
    expect(dpop_iat_string, JWT_DPOP_MALFORMED, "iat");
    expect(dpop_no_ath, JWT_DPOP_ATH, "missing");
    expect(dpop_bad_ath, JWT_DPOP_ATH, "hash");
    expect(dpop_no_jti, JWT_DPOP_MALFORMED, "jti");
    expect(dpop_long_jti, JWT_DPOP_MALFORMED, "jti");
}


/*
 * The key cache: a second proof with the same header takes the cached
 * key; what depends on the policy is still checked, and so is the
 * signature and every claim
 */

static void
test_cache(void **state)
{
    char               *bad;
    const char         *reason;
    jwt_dpop_proof_t    p;
    jwt_dpop_cache_t   *cache;
    jwt_dpop_policy_t   pol;

    (void) state;

    cache = calloc(1, sizeof(jwt_dpop_cache_t));
    assert_non_null(cache);

    policy(&pol);
    pol.cache = cache;

    assert_int_equal(verify(dpop_es256, &pol, &reason, &p), JWT_DPOP_OK);
    jwt_dpop_release(&p);
    assert_int_equal(cache->entry[0].len, strchr(dpop_es256, '.')
                                          - dpop_es256);

    /* a hit: the same jkt, the key in the cache */

    assert_int_equal(verify(dpop_es256, &pol, &reason, &p), JWT_DPOP_OK);
    assert_memory_equal(p.jkt, dpop_jkt_p256, JWT_DPOP_JKT_LEN);
    assert_null(p.key.pkey);
    jwt_dpop_release(&p);
    assert_int_equal(cache->entry[1].len, 0);

    /* the same header: claims, signature and policy still checked */

    assert_int_equal(verify(dpop_htm_post, &pol, &reason, NULL),
                     JWT_DPOP_HTM);

    bad = strdup(dpop_es256);
    assert_non_null(bad);
    bad[strlen(bad) - 5] = (bad[strlen(bad) - 5] == 'A') ? 'B' : 'A';
    assert_int_equal(verify(bad, &pol, &reason, NULL), JWT_DPOP_SIGNATURE);
    free(bad);

    pol.jkt.data = (const unsigned char *) dpop_jkt_rsa;
    pol.jkt.len = JWT_DPOP_JKT_LEN;
    assert_int_equal(verify(dpop_es256, &pol, &reason, NULL), JWT_DPOP_JKT);

    pol.jkt.data = NULL;
    pol.algs = JWT_ALG_BIT(JWT_ALG_RS256);
    assert_int_equal(verify(dpop_es256, &pol, &reason, NULL), JWT_DPOP_ALG);

    /* a refused proof is never cached */

    policy(&pol);
    pol.cache = cache;
    assert_int_equal(verify(dpop_other_key, &pol, &reason, NULL),
                     JWT_DPOP_SIGNATURE);
    assert_int_equal(cache->entry[1].len, 0);

    /* RS256 and EdDSA keys, cached too */

    assert_int_equal(verify(dpop_rs256, &pol, &reason, NULL), JWT_DPOP_OK);
    assert_int_equal(verify(dpop_rs256, &pol, &reason, NULL), JWT_DPOP_OK);
    assert_int_equal(verify(dpop_eddsa, &pol, &reason, NULL), JWT_DPOP_OK);
    assert_int_equal(verify(dpop_eddsa, &pol, &reason, NULL), JWT_DPOP_OK);
    assert_int_equal(cache->next, 3);

    jwt_dpop_cache_free(cache);
    free(cache);
}


/* the window: iat up to window + leeway old, leeway ahead */

static void
test_window(void **state)
{
    const char         *reason;
    jwt_dpop_policy_t   pol;

    (void) state;

    policy(&pol);

    pol.now = DPOP_NOW + 65;
    assert_int_equal(verify(dpop_es256, &pol, &reason, NULL), JWT_DPOP_OK);

    pol.now = DPOP_NOW + 66;
    assert_int_equal(verify(dpop_es256, &pol, &reason, NULL), JWT_DPOP_IAT);

    pol.now = DPOP_NOW - 5;
    assert_int_equal(verify(dpop_es256, &pol, &reason, NULL), JWT_DPOP_OK);

    pol.now = DPOP_NOW - 6;
    assert_int_equal(verify(dpop_es256, &pol, &reason, NULL), JWT_DPOP_IAT);
}


/* the framing and the size cap come before anything is decoded */

static void
test_framing(void **state)
{
    char  *big;

    (void) state;

    expect("", JWT_DPOP_MALFORMED, NULL);
    expect("a.b", JWT_DPOP_MALFORMED, NULL);
    expect("a b.c.d", JWT_DPOP_MALFORMED, NULL);

    big = malloc(JWT_DPOP_MAX_SIZE + 2);
    assert_non_null(big);
    memset(big, 'A', JWT_DPOP_MAX_SIZE + 1);
    big[10] = '.';
    big[20] = '.';
    big[JWT_DPOP_MAX_SIZE + 1] = '\0';
    expect(big, JWT_DPOP_MALFORMED, "too large");
    free(big);
}


static void
thumbprint(const char *json, const char *want, jwt_rc_t rc)
{
    json_t         *jwk;
    const char     *reason;
    unsigned char   out[JWT_DPOP_JKT_LEN];

    jwk = json_loads(json, 0, NULL);
    assert_non_null(jwk);

    reason = NULL;
    assert_int_equal(jwt_jwk_thumbprint(jwk, out, &reason), rc);

    if (rc == JWT_OK) {
        assert_memory_equal(out, want, JWT_DPOP_JKT_LEN);

    } else {
        assert_non_null(reason);
    }

    json_decref(jwk);
}


/* RFC 7638 3.1 and RFC 9449 6.1; members other than required ignored */

static void
test_thumbprint(void **state)
{
    (void) state;

    thumbprint(rfc7638_jwk, rfc7638_jkt, JWT_OK);
    thumbprint(rfc9449_jwk, rfc9449_jkt, JWT_OK);
    thumbprint("{\"kty\":\"oct\",\"k\":\"AAAA\"}", NULL, JWT_ERR_FORMAT);
    thumbprint("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\"}", NULL,
               JWT_ERR_FORMAT);
    thumbprint("{\"crv\":\"P-256\"}", NULL, JWT_ERR_FORMAT);
}


static void
url(const char *in, const char *want)
{
    long            n;
    size_t          len;
    unsigned char  *out;

    len = strlen(in);
    out = malloc(jwt_dpop_url_max(len));
    assert_non_null(out);

    n = jwt_dpop_url_normalize(out, (const unsigned char *) in, len);

    if (want == NULL) {
        assert_int_equal(n, -1);

    } else {
        assert_int_equal(n, (long) strlen(want));
        assert_memory_equal(out, want, (size_t) n);
    }

    free(out);
}


/* RFC 3986 6.2.2 (case, percent-encoding, dot segments) and 6.2.3 */

static void
test_url(void **state)
{
    (void) state;

    url("https://api.example.com/v1/items",
        "https://api.example.com/v1/items");
    url("HTTPS://API.Example.COM/v1/items",
        "https://api.example.com/v1/items");
    url("https://api.example.com:443/x", "https://api.example.com/x");
    url("http://api.example.com:80/x", "http://api.example.com/x");
    url("http://api.example.com:443/x", "http://api.example.com:443/x");
    url("https://h:08443/x", "https://h:8443/x");
    url("https://h:/x", "https://h/x");
    url("https://h", "https://h/");
    url("https://h?q=1", "https://h/");
    url("https://h/a?q=1#f", "https://h/a");
    url("https://h/a/./b/../c", "https://h/a/c");
    url("https://h/a/b/..", "https://h/a/");
    url("https://h/../../a", "https://h/a");
    url("https://h/a/.", "https://h/a/");
    url("https://h/%7euser/%2fa%2Fb", "https://h/~user/%2Fa%2Fb");
    url("https://h/%41%2e%2E/b", "https://h/A../b");
    url("https://h/%2E%2E/b", "https://h/b");
    url("https://h/a b/\xc3\xa9", "https://h/a%20b/%C3%A9");
    url("https://[::1]:443/x", "https://[::1]/x");
    url("https://[::1]/x", "https://[::1]/x");

    url("ftp://h/x", NULL);
    url("https://", NULL);
    url("https://:443/x", NULL);
    url("https://user@h/x", NULL);
    url("https://h:99999/x", NULL);
    url("https://h:8a/x", NULL);
    url("https://h/%zz", NULL);
    url("https://h/%4", NULL);
    url("https://[::1/x", NULL);
    url("/v1/items", NULL);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_typ_alg),
        cmocka_unit_test(test_jwk),
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_framing),
        cmocka_unit_test(test_thumbprint),
        cmocka_unit_test(test_url)
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
