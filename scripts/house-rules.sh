# The house rules of the published crates, checked by scripts/test (which
# sources this file and provides `missing`, `note` and `log_dir`). Each check
# is a function returning non-zero on a breach; scripts/test runs them as
# steps.

# The crates we publish; testkit, examples and benches are workspace support.
published=(ddi-client desired-state twin-model registry-sync dfu-protocol fleet-update-ffi)
# Pinned so that a new release of a tool cannot turn CI red on its own.
cargo_hack_version=0.6.46
cargo_deny_version=0.20.2

# cargo install NAME VERSION, unless that version is already there.
install_cargo_tool() {
    local name=$1 version=$2 sub=${1#cargo-}
    if cargo "$sub" --version 2>/dev/null | grep -qF "$version"; then
        return
    fi
    note "installing $name $version from crates.io"
    cargo install --locked --quiet --version "$version" "$name" >"$log_dir/install-$name.log" 2>&1 \
        || missing "$name could not be installed (see $log_dir/install-$name.log)"
}

# rust-version must be a toolchain CI builds with: the one installed here.
check_rust_version() {
    local declared installed
    declared=$(sed -nE 's/^rust-version = "([0-9]+\.[0-9]+)".*/\1/p' Cargo.toml)
    installed=$(rustc --version | sed -nE 's/^rustc ([0-9]+\.[0-9]+)\..*/\1/p')
    printf 'rust-version %s, toolchain %s\n' "$declared" "$installed"
    if [[ -z $declared || $declared != "$installed" ]]; then
        printf 'error: the workspace declares rust-version %s but CI builds with %s\n' \
            "${declared:-(none)}" "$installed" >&2
        return 1
    fi
}

# The crates keep their own copy of open_enum! so each stays usable alone;
# the copies must not drift apart.
check_open_enum_copies() {
    local reference=ddi-client/src/model/open_enum.rs copy bad=0
    for copy in twin-model/src/open_enum.rs desired-state/src/model/open_enum.rs; do
        if ! cmp -s "$reference" "$copy"; then
            printf 'error: %s differs from %s\n' "$copy" "$reference" >&2
            bad=1
        fi
    done
    return $bad
}

# Every published crate builds with no features and with each feature alone;
# dfu-protocol's no_std features also build for the embedded target. Only
# the libraries are checked, so (with resolver 3) dev-dependencies add no
# features and need not be stripped.
check_each_feature() {
    local args=() c
    for c in "${published[@]}"; do args+=(-p "$c"); done
    cargo hack check --each-feature --locked "${args[@]}" || return 1
    cargo hack check --each-feature --locked -p dfu-protocol \
        --target thumbv7em-none-eabihf --exclude-features std,sim,tokio-codec
}

# The models-only builds pull in no HTTP stack, runtime or MQTT client.
check_layering() {
    local c heavy bad=0
    for c in ddi-client desired-state twin-model; do
        heavy=$(cargo tree -e normal --no-default-features -p "$c" --locked --prefix none \
            --format '{p}' | grep -oE '^(reqwest|hyper|tokio|rumqttc|rustls) ' | sort -u | tr -d ' ' | xargs)
        if [[ -n $heavy ]]; then
            printf 'error: %s without default features depends on %s\n' "$c" "$heavy" >&2
            bad=1
        else
            printf '%s without default features: no reqwest, hyper, tokio, rumqttc or rustls\n' "$c"
        fi
    done
    return $bad
}

# Docs as docs.rs builds them (--cfg docsrs labels feature-gated items; the
# doc_cfg attribute needs RUSTC_BOOTSTRAP on a stable toolchain), warnings
# denied.
check_docs() {
    local args=() c
    for c in "${published[@]}"; do args+=(-p "$c"); done
    RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="--cfg docsrs -D warnings" \
        cargo doc --no-deps --all-features --locked "${args[@]}"
}

# Licenses, duplicate major versions and sources (deny.toml).
check_deny() {
    cargo deny --locked --log-level error check licenses bans sources
}

# The published crates package and build from their packages alone.
check_package() {
    local args=() c
    for c in "${published[@]}"; do args+=(-p "$c"); done
    cargo package --locked --allow-dirty "${args[@]}"
}
