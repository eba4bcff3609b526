#!/bin/bash
# Which file of src/ uses which others' functions and data, read from the
# built objects (make module first): one line "a.o -> b.o: symbols" per
# pair, then "no cycle" or the cycle found.  The module descriptor
# (ngx_http_auth_bearer_module, defined in the module file and used by
# every file to reach its configuration, as in any nginx module of
# several files) is left out.
#
#   scripts/callgraph.sh [objs dir]    (default build/nginx/objs/addon)

set -euo pipefail

dir=${1:-build/nginx/objs/addon}
objs=$(find "$dir" -name 'ngx_http_auth_bearer*.o' | sort)

[ -n "$objs" ] || { echo "no objects under $dir: make module" >&2; exit 2; }

declare -A def

for o in $objs; do
    for s in $(nm --defined-only -g "$o" | awk '{print $3}'); do
        def[$s]=$(basename "$o")
    done
done

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

for o in $objs; do
    a=$(basename "$o")
    for s in $(nm -u "$o" | awk '{print $2}'); do
        b=${def[$s]:-}
        if [ -n "$b" ] && [ "$b" != "$a" ] \
           && [ "$s" != ngx_http_auth_bearer_module ]
        then
            echo "$a $b $s"
        fi
    done
done | sort > "$edges"

awk '{ k = $1 " -> " $2; e[k] = e[k] " " $3 }
     END { for (k in e) print k ":" e[k] }' "$edges" | sort

# a cycle: tsort reports one on stderr
if awk '{print $1, $2}' "$edges" | sort -u | tsort >/dev/null 2>"$edges.err"
then
    echo "no cycle"
else
    cat "$edges.err"
    rm -f "$edges.err"
    exit 1
fi
rm -f "$edges.err"
