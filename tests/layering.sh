#!/bin/sh
# layering.sh - the core (src/) knows no curses; the screens (ui/) do no
# HTTP, crypto, storage or JSON of their own (STYLE.md, rule 1).
cd "${top_srcdir:-.}" || exit 99
n=0
fail=0
check() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1: $2"
		fail=1
	fi
}
check "src/ includes no curses header" \
	"$(grep -rlE '#include *[<"](n?curses|ncursesw/|panel\.h|menu\.h|form\.h)' src | tr '\n' ' ')"
check "ui/ includes no curl, gnutls, libsecret or yajl header" \
	"$(grep -rlE '#include *[<"](curl/|gnutls/|libsecret/|yajl/)' ui | tr '\n' ' ')"
# libcurl is loaded at run time (src/curlsym.h): its loader and the two
# files that use it are the only ones to see it.
check "GnuTLS is reached through cryptosym.h only" \
	"$(grep -rlE '#include *<gnutls/' src | grep -vE '^src/cryptosym\.h$' | tr '\n' ' ')"
check "only http.c and loop.c talk to libcurl, through curlsym.h" \
	"$(grep -rlE '#include *(<curl/|"curlsym\.h")' src | grep -vE '^src/(http\.c|loop\.c|curlsym\.[ch])$' | tr '\n' ' ')"
# Every file with translatable strings is in po/POTFILES.in, or its strings
# never reach the translators.
missing=""
for f in $(grep -l -E '\b(N?_|ngettext)\("' src/*.c src/cli/*.c ui/*.c 2>/dev/null); do
	grep -qx "$f" po/POTFILES.in || missing="$missing $f"
done
check "po/POTFILES.in lists every source with translatable strings" "$missing"
echo "1..$n"
exit $fail
