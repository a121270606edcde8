#!/usr/bin/env bash
# Builds CPython 3.13 (or its free-threaded build) for execsim's live runs, from Debian's
# package archive only: the source package `python3.13` of Debian 13 (trixie), fetched with
# `apt-get source` through an apt state of its own (its own sources list, package lists and
# cache under the build cache), so the system's apt configuration and packages stay as they
# are. Then `./configure [--disable-gil] --prefix=<cache>/<name>`, `make -j2`,
# `make install`: about 3 minutes of two cores here.
#
# Usage:
#   scripts/build-cpython.sh 3.13                  # prints the interpreter's path when done
#   scripts/build-cpython.sh 3.13 --free-threaded  # the same with --disable-gil (3.13t)
# Then, for example:
#   cargo run --release -- live --backend cpython --python "$(scripts/build-cpython.sh 3.13)" scenarios/lesson-thread.toml
#
# Idempotent: a second call finds the installed interpreter and only prints its path. The
# cache is $EXECSIM_CPYTHON_CACHE, by default ~/.cache/execsim/cpython. Nothing is downloaded
# from anywhere but Debian's archive (deb.debian.org, the address the system's apt uses).
set -euo pipefail

version="${1:-}"
flavour=""
case "${2:-}" in
  "") ;;
  --free-threaded) flavour="t" ;;
  *) echo "build-cpython.sh: unknown option '${2}' (expected --free-threaded)" >&2; exit 2 ;;
esac
case "$version" in
  3.13) ;;
  *) echo "build-cpython.sh: version must be 3.13 (the one Debian 13 packages), got '${version}'" >&2; exit 2 ;;
esac

cache="${EXECSIM_CPYTHON_CACHE:-$HOME/.cache/execsim/cpython}"
name="python${version}${flavour}"
prefix="$cache/$name"
exe="$prefix/bin/python${version}${flavour}"
if [ -x "$exe" ] && "$exe" -c 'import sys' 2>/dev/null; then
  echo "$exe"
  exit 0
fi

log() { echo "build-cpython.sh: $*" >&2; }
apt_dir="$cache/apt"
src_dir="$cache/src"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$src_dir"
cat > "$apt_dir/sources.list" <<'EOF'
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
EOF
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir"
  -o "Dir::Cache::archives=$apt_dir/archives"
  -o "APT::Get::List-Cleanup=0"
)

tree="$(find "$src_dir" -maxdepth 1 -type d -name "python${version}-*" | sort | tail -n 1)"
if [ -z "$tree" ]; then
  log "fetching the source package python${version} of Debian trixie"
  apt-get "${apt_opts[@]}" update >&2
  (cd "$src_dir" && apt-get "${apt_opts[@]}" source "python${version}" >&2)
  tree="$(find "$src_dir" -maxdepth 1 -type d -name "python${version}-*" | sort | tail -n 1)"
  [ -n "$tree" ] || { log "apt-get source left no python${version}-* tree in $src_dir"; exit 1; }
fi

# Each build in a folder of its own, so the two flavours never share objects.
build="$cache/build-$name"
rm -rf "$build"
mkdir -p "$build"
log "configuring $name from $tree"
configure=("$tree/configure" "--prefix=$prefix" "--without-ensurepip")
[ -n "$flavour" ] && configure+=("--disable-gil")
(cd "$build" && "${configure[@]}" > configure.log 2>&1) || { log "configure failed: $build/configure.log"; exit 1; }
log "building (make -j2)"
(cd "$build" && make -j2 > make.log 2>&1) || { log "make failed: $build/make.log"; exit 1; }
(cd "$build" && make install > install.log 2>&1) || { log "make install failed: $build/install.log"; exit 1; }
"$exe" -c 'import sys, sysconfig; print(sys.version, "GIL disabled" if sysconfig.get_config_var("Py_GIL_DISABLED") else "GIL", file=sys.stderr)'
echo "$exe"
