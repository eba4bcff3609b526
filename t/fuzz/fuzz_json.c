
/*
 * Copyright (C) ngx_http_auth_bearer authors
 */


/*
 * libFuzzer target: jwt_json_parse(), the parser of a token's header and
 * claims, against the reference it replaced (json_loadb() with
 * JSON_REJECT_DUPLICATES and the control-character walk,
 * t/unit/json_ref.h).  Any disagreement, in the result or in the value,
 * aborts.
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt_json.h"
#include "../unit/json_ref.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jwt_json_rc_t  ours, ref;

    if (json_ref_compare(data, size, &ours, &ref) != 0) {
        fprintf(stderr, "fuzz_json: ours %d, reference %d\n", (int) ours,
                (int) ref);
        abort();
    }

    return 0;
}
