
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


/*
 * Unit tests of jwt_json_parse(): a table of edge cases with the result
 * each must have, every one also compared with the reference (jansson's
 * json_loadb() and the control-character walk, t/unit/json_ref.h), and a
 * seeded random mutation of valid texts compared the same way.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <cmocka.h>

#include "jwt_json.h"
#include "json_ref.h"


#define MUTATIONS  200000


typedef struct {
    const char     *text;
    size_t          len;          /* 0: strlen(text) */
    jwt_json_rc_t   rc;
} json_case_t;


static const json_case_t  json_cases[] = {
    { "{}", 0, JWT_JSON_OK },
    { " \t\r\n[ ]\n ", 0, JWT_JSON_OK },
    { "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}", 0,
      JWT_JSON_OK },
    { "{\"sub\":\"al\\u00e9x\",\"x\":\"\\ud83d\\ude00\"}", 0, JWT_JSON_OK },
    { "{\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}", 0, JWT_JSON_OK },
    { "{\"n\":[0,-0,1.5,-2e10,1E+2,3e-400,9223372036854775807]}", 0,
      JWT_JSON_OK },
    { "{\"s\":\"\\\"\\\\\\/\"}", 0, JWT_JSON_OK },
    { "{\"\":1}", 0, JWT_JSON_OK },

    /* what json_loadb() refuses */

    { "", 0, JWT_JSON_INVALID },
    { "   ", 0, JWT_JSON_INVALID },
    { "\"str\"", 0, JWT_JSON_INVALID },
    { "1", 0, JWT_JSON_INVALID },
    { "null", 0, JWT_JSON_INVALID },
    { "{} x", 0, JWT_JSON_INVALID },
    { "{}{}", 0, JWT_JSON_INVALID },
    { "{\"a\":1,}", 0, JWT_JSON_INVALID },
    { "[1,]", 0, JWT_JSON_INVALID },
    { "{\"a\" 1}", 0, JWT_JSON_INVALID },
    { "{a:1}", 0, JWT_JSON_INVALID },
    { "{\"a\":1,\"a\":2}", 0, JWT_JSON_INVALID },
    { "{\"a\":1,\"\\u0061\":2}", 0, JWT_JSON_INVALID },
    { "{\"a\":01}", 0, JWT_JSON_INVALID },
    { "{\"a\":1.}", 0, JWT_JSON_INVALID },
    { "{\"a\":.5}", 0, JWT_JSON_INVALID },
    { "{\"a\":1e}", 0, JWT_JSON_INVALID },
    { "{\"a\":-}", 0, JWT_JSON_INVALID },
    { "{\"a\":+1}", 0, JWT_JSON_INVALID },
    { "{\"a\":9223372036854775808}", 0, JWT_JSON_INVALID },
    { "{\"a\":-9223372036854775809}", 0, JWT_JSON_INVALID },
    { "{\"a\":-9223372036854775808,\"b\":-0,\"c\":00}", 0,
      JWT_JSON_INVALID },
    { "{\"a\":-9223372036854775808,\"b\":-0}", 0, JWT_JSON_OK },
    { "{\"a\":1e400}", 0, JWT_JSON_INVALID },
    { "{\"a\":tru}", 0, JWT_JSON_INVALID },
    { "{\"a\":nulls}", 0, JWT_JSON_INVALID },
    { "{\"a\":True}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\\u0000\"}", 0, JWT_JSON_INVALID },
    { "{\"\\u0000\":1}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\\ud800\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\\udc00\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\\ud800\\u0041\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\\u12\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\\x41\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\x01\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\n\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\xc0\xaf\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\xe0\x80\xaf\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\xed\xa0\x80\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\xf4\x90\x80\x80\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\xff\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"\xc3\"}", 0, JWT_JSON_INVALID },
    { "{\"a\":\"abc", 0, JWT_JSON_INVALID },
    { "{\"a\":1", 0, JWT_JSON_INVALID },
    { "[1", 0, JWT_JSON_INVALID },
    { "{\"a\":[1,2}", 0, JWT_JSON_INVALID },
    { "{\"a\":1}\0", 3 + 5, JWT_JSON_INVALID },
    { "{\"a\":\"b\0\"}", 9, JWT_JSON_INVALID },

    /* valid JSON a token must not carry */

    { "{\"a\":\"\\n\"}", 0, JWT_JSON_CTL },
    { "{\"a\":\"\\t\"}", 0, JWT_JSON_CTL },
    { "{\"a\":\"x\\u001fy\"}", 0, JWT_JSON_CTL },
    { "{\"a\":\"\\u007f\"}", 0, JWT_JSON_CTL },
    { "{\"a\":\"\x7f\"}", 0, JWT_JSON_CTL },
    { "{\"a\\r\":1}", 0, JWT_JSON_CTL },
    { "{\"a\":[\"\\b\"]}", 0, JWT_JSON_CTL },
    { "{\"a\":\"\\u0080\"}", 0, JWT_JSON_OK },
    { "[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]", 0, JWT_JSON_OK },
    { "[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]", 0, JWT_JSON_CTL },
    { "[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", 0, JWT_JSON_CTL },
    { "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]", 0, JWT_JSON_OK },
};


static void
test_cases(void **state)
{
    size_t               i, len;
    jwt_json_rc_t        ours, ref;
    const json_case_t   *c;

    (void) state;

    for (i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
        c = &json_cases[i];
        len = c->len ? c->len : strlen(c->text);

        if (json_ref_compare((const unsigned char *) c->text, len, &ours,
                             &ref) != 0)
        {
            fail_msg("case %zu \"%s\": ours %d, reference %d", i, c->text,
                     (int) ours, (int) ref);
        }

        if (ours != c->rc) {
            fail_msg("case %zu \"%s\": %d, expected %d", i, c->text,
                     (int) ours, (int) c->rc);
        }
    }
}


/* jansson's limit of 2048 levels: the deepest valid text and one more */

static void
test_depth(void **state)
{
    size_t          n;
    jwt_json_rc_t   ours, ref;
    unsigned char   text[2 * 2049 + 1];

    (void) state;

    for (n = 2047; n <= 2049; n++) {
        memset(text, '[', n);
        memset(text + n, ']', n);

        assert_int_equal(json_ref_compare(text, 2 * n, &ours, &ref), 0);
        assert_int_equal(ours, n <= 2048 ? JWT_JSON_CTL : JWT_JSON_INVALID);
    }
}


/* the value is what was written: strings unescaped, numbers converted */

static void
test_values(void **state)
{
    json_t         *v;
    unsigned char   text[] = "{\"k\\u00e9y\":\"a\\\"b\\u20acc\\ud83d\\ude00\","
                             "\"i\":-42,\"r\":0.25}";

    (void) state;

    assert_int_equal(jwt_json_parse(&v, text, sizeof(text) - 1),
                     JWT_JSON_OK);

    assert_string_equal(json_string_value(json_object_get(v, "k\xc3\xa9y")),
                        "a\"b\xe2\x82\xac" "c\xf0\x9f\x98\x80");
    assert_int_equal(json_integer_value(json_object_get(v, "i")), -42);
    assert_true(json_real_value(json_object_get(v, "r")) == 0.25);

    json_decref(v);
}


/* seeded mutations of valid texts: one to four bytes changed each */

static void
test_mutations(void **state)
{
    size_t          i, j, k, len, seed_len, n;
    jwt_json_rc_t   ours, ref;
    unsigned int    rnd;
    unsigned char   text[256];

    static const char  *seeds[] = {
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}",
        "{\"sub\":\"u\\u00e9\",\"exp\":1700000000,\"aud\":[\"a\",\"b\"],"
        "\"x\":{\"y\":[1.5e3,-0,true,null]}}",
        "[\"\\ud83d\\ude00\",\"\xe2\x82\xac\",{\"\":\"\\n\"}]",
    };

    static const unsigned char  alphabet[] = "{}[]\",:\\u0123456789abcdef"
                                             "eE+-.tnrl \x7f\x01\xc3\xa9\xed"
                                             "\xf0\x80\xbf";

    (void) state;

    rnd = 12345;
    n = 0;

    for (i = 0; i < MUTATIONS; i++) {
        seed_len = strlen(seeds[i % 3]);
        memcpy(text, seeds[i % 3], seed_len);
        len = seed_len;

        rnd = rnd * 1103515245 + 12345;

        for (j = 0; j <= (rnd >> 16) % 4; j++) {
            rnd = rnd * 1103515245 + 12345;
            k = (rnd >> 8) % len;
            rnd = rnd * 1103515245 + 12345;

            switch ((rnd >> 16) % 3) {

            case 0:                                     /* replace */
                text[k] = alphabet[(rnd >> 4) % (sizeof(alphabet) - 1)];
                break;

            case 1:                                     /* delete */
                if (len > 1) {
                    memmove(text + k, text + k + 1, len - k - 1);
                    len--;
                }
                break;

            default:                                    /* insert */
                if (len < sizeof(text)) {
                    memmove(text + k + 1, text + k, len - k);
                    text[k] = alphabet[(rnd >> 4) % (sizeof(alphabet) - 1)];
                    len++;
                }
            }
        }

        if (json_ref_compare(text, len, &ours, &ref) != 0) {
            fail_msg("mutation %zu \"%.*s\": ours %d, reference %d", i,
                     (int) len, text, (int) ours, (int) ref);
        }

        n += (ours != JWT_JSON_INVALID);
    }

    /* the mutations reach past the first refusal */

    assert_true(n > MUTATIONS / 20);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_mutations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
