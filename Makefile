# ngx_http_auth_bearer: build, test and demo on Debian.
#
#   make demo    install what is missing, build, start nginx on 127.0.0.1:8080
#   make test    install what is missing, build, run unit and nginx tests
#                (TESTS="t/010-hs256.t ..." only those; TEST_NGINX_LIB=dir
#                with that Test::Nginx lib/)
#   make matrix NGINX_SRCS="dir ..."  build and test against other nginx
#                source trees (scripts/nginx-matrix.sh; not in make test)
#   make fuzz    install clang and libFuzzer, fuzz the jwt/ core for
#                FUZZ_SECONDS (default 60) per target, all at once
#   make asan    build the module with AddressSanitizer, UBSan and the
#                debug allocator, run the Test::Nginx suite against
#                Debian's nginx with the sanitizers preloaded (make test
#                runs it too); any sanitizer report fails the run
#   make bench   install wrk, build, benchmark nginx with the module on one
#                core (BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNS; ~7 min),
#                report in bench/results/; PEER="a.so ..." with
#                PEER_CONF="bench/peers/a.conf ..." measures other JWT
#                modules too (scripts/build-peers.sh); BENCH_ONLY, BENCH_TAG
#   make deb     install dpkg-dev and lintian, build, package the module as
#                build/libnginx-mod-http-auth-bearer_<version>_<arch>.deb
#   make deb-check  (root; changes the system, so not part of make test)
#                install that package, run Debian's nginx with an auth_jwt
#                site, purge it, check /etc/nginx is as it was found
#
# Nothing outside this directory is written except by apt-get and by
# make deb-check, which restores what it changes.

SHELL      := /bin/bash
NGINX_SRC  ?= /usr/share/nginx/src
NGINX_BIN  ?= /usr/sbin/nginx
BUILD      := $(CURDIR)/build
MODULE     := $(BUILD)/ngx_http_auth_bearer_module.so
CC         ?= cc
PROVE_JOBS ?= 2

JWT_SRCS   := $(wildcard src/jwt/*.c)
JWT_HDRS   := $(wildcard src/jwt/*.h)
UNIT_SRCS  := $(wildcard t/unit/test_*.c)
UNIT_BINS  := $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
UNIT_CFLAGS := -g -O1 -Wall -Wextra -Werror -Isrc/jwt \
               $(shell pkg-config --cflags libcrypto jansson cmocka 2>/dev/null)
UNIT_LIBS  := $(shell pkg-config --libs libcrypto jansson cmocka 2>/dev/null) -lm

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_NAMES   := fuzz_token fuzz_jwks fuzz_json fuzz_dpop
FUZZ_BINS    := $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_NAMES))
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all -fno-omit-frame-pointer \
                -Wall -Wextra -Werror -Isrc/jwt \
                $(shell pkg-config --cflags libcrypto jansson 2>/dev/null)
FUZZ_LIBS    := $(shell pkg-config --libs libcrypto jansson 2>/dev/null \
                  || echo -lcrypto -ljansson)

.PHONY: all module deps unit test prove matrix demo demo-stop clean asan \
        asan-module fuzz fuzz-deps fuzz-build bench bench-deps deb deb-check

all: module

deps:
	@scripts/deps.sh

# configure once against Debian's nginx-dev (same flags as the packaged
# nginx, so the module is binary-compatible), then rebuild on each call
$(BUILD)/nginx/objs/Makefile: config
	@rm -rf $(BUILD)/nginx && mkdir -p $(BUILD)
	cp -r $(NGINX_SRC) $(BUILD)/nginx
	cd $(BUILD)/nginx && . ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --with-cc-opt='-g -O2 -fstack-protector-strong -Wformat -Werror=format-security -fPIC -D_FORTIFY_SOURCE=2' \
	        --with-ld-opt='-Wl,-z,relro -Wl,-z,now -fPIC' \
	        --add-dynamic-module=$(CURDIR) > $(BUILD)/configure.log 2>&1 \
	    || { tail -20 $(BUILD)/configure.log; exit 1; }

# the same module with the sanitizers and the debug allocator (every
# request-path block on the heap), for the suite under ASan
ASAN_BUILD  := $(BUILD)/asan
ASAN_MODULE := $(ASAN_BUILD)/ngx_http_auth_bearer_module.so
ASAN_CC_OPT := -g -O1 -fPIC -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=all \
               -DNGX_HTTP_AUTH_BEARER_DEBUG_ALLOC=1

$(ASAN_BUILD)/nginx/objs/Makefile: config
	@rm -rf $(ASAN_BUILD)/nginx && mkdir -p $(ASAN_BUILD)
	cp -r $(NGINX_SRC) $(ASAN_BUILD)/nginx
	cd $(ASAN_BUILD)/nginx && . ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --with-cc-opt='$(ASAN_CC_OPT)' \
	        --with-ld-opt='-fPIC -fsanitize=address,undefined' \
	        --add-dynamic-module=$(CURDIR) > $(ASAN_BUILD)/configure.log 2>&1 \
	    || { tail -20 $(ASAN_BUILD)/configure.log; exit 1; }

asan-module: $(ASAN_BUILD)/nginx/objs/Makefile
	@$(MAKE) -C $(ASAN_BUILD)/nginx -f objs/Makefile modules \
	    > $(ASAN_BUILD)/make.log 2>&1 \
	    || { grep -E 'error|warning' $(ASAN_BUILD)/make.log; exit 1; }
	@cp $(ASAN_BUILD)/nginx/objs/ngx_http_auth_bearer_module.so $(ASAN_MODULE)
	@echo "built $(ASAN_MODULE)"

asan: deps
	@$(MAKE) --no-print-directory asan-module
	@NGINX_BIN=$(NGINX_BIN) PROVE_JOBS=$(PROVE_JOBS) \
	    scripts/asan.sh $(ASAN_BUILD) $(ASAN_MODULE)

module: $(BUILD)/nginx/objs/Makefile
	@$(MAKE) -C $(BUILD)/nginx -f objs/Makefile modules > $(BUILD)/make.log 2>&1 \
	    || { grep -E 'error|warning' $(BUILD)/make.log; exit 1; }
	@cp $(BUILD)/nginx/objs/ngx_http_auth_bearer_module.so $(MODULE).tmp
	@mv -f $(MODULE).tmp $(MODULE)
	@echo "built $(MODULE)"

$(BUILD)/unit/%: t/unit/%.c $(wildcard t/unit/*.h) $(JWT_SRCS) $(JWT_HDRS)
	@mkdir -p $(BUILD)/unit
	$(CC) $(UNIT_CFLAGS) $(SAN_FLAGS) -o $@ $< $(JWT_SRCS) $(UNIT_LIBS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do \
	    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; \
	done

$(BUILD)/fuzz/%: t/fuzz/%.c $(wildcard t/unit/*.h) $(JWT_SRCS) $(JWT_HDRS)
	@mkdir -p $(BUILD)/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(JWT_SRCS) $(FUZZ_LIBS)

fuzz-deps:
	@scripts/deps.sh fuzz

fuzz-build: $(FUZZ_BINS)

# seeds are copied to $(BUILD)/fuzz/corpus/; t/fuzz/corpus/ is never written
fuzz: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_NAMES)

# Test::Nginx from TEST_NGINX_LIB (the lib/ of an openresty/test-nginx
# checkout) if given, else CPAN's when installed, else the harness shipped
# in t/harness; each .t file with its own server root (scripts/prove-t)
prove: module
	@if [ -n "$(TEST_NGINX_LIB)" ]; then inc="-I $(TEST_NGINX_LIB)"; \
	elif perl -MTest::Nginx::Socket -e1 2>/dev/null; then inc=; \
	else inc="-I t/harness"; fi; \
	TEST_NGINX_BINARY=$(NGINX_BIN) TEST_NGINX_MODULE=$(MODULE) \
	    scripts/prove-t $$inc -j$(PROVE_JOBS) $(TESTS)

# the module and the suites against other nginx versions: NGINX_SRCS are
# nginx source trees; see scripts/nginx-matrix.sh (not part of make test)
matrix: deps
	@scripts/deps.sh matrix
	@test -n "$(NGINX_SRCS)" || { \
	    echo "usage: make matrix NGINX_SRCS='/path/nginx-1.x.y ...'"; exit 2; }
	scripts/nginx-matrix.sh --test --jobs $(PROVE_JOBS) \
	    $(if $(TEST_NGINX_LIB),--lib $(TEST_NGINX_LIB)) $(NGINX_SRCS)

test: deps
	@$(MAKE) --no-print-directory module
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory prove
	@$(MAKE) --no-print-directory asan

bench-deps: deps
	@scripts/deps.sh bench

# bench/run.pl: nginx (1 worker) pinned to core 0, wrk to core 1; see
# bench/README.md.  Its knobs may be given as make arguments too
export PEER PEER_CONF BENCH_ONLY BENCH_TAG
bench: bench-deps
	@$(MAKE) --no-print-directory module
	@perl bench/run.pl

# packaging/deb/ and scripts/deb.sh: Depends on the installed nginx's
# nginx-abi-* and on the libraries dpkg-shlibdeps finds
deb: deps
	@scripts/deps.sh deb
	@$(MAKE) --no-print-directory module
	@scripts/deb.sh

deb-check: deb
	@scripts/deb-check.sh

demo: deps
	@$(MAKE) --no-print-directory module
	@scripts/demo.sh start

demo-stop:
	@scripts/demo.sh stop

clean:
	rm -rf $(BUILD) t/servroot*
