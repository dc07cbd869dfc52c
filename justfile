# beamgram's tasks. `just` alone lists them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes
help:
    @just --list --unsorted

# One-time set-up, safe to repeat: the WebAssembly target plugins build for
setup:
    @rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2

# Format every crate
fmt:
    cargo fmt --all

# Formatting and clippy, warnings as errors
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --examples -- -D warnings

# Build the plugins (wasm32-wasip2): first-party ones into plugins/dist, test ones for the tests
plugins: setup
    cd plugins && cargo build --target wasm32-wasip2 --release --quiet --target-dir target
    mkdir -p plugins/target/test-wasm plugins/dist
    cp plugins/target/wasm32-wasip2/release/test_*.wasm plugins/target/test-wasm/
    # A second build of the hello test plugin that answers "v2", for the hot-swap tests.
    cd plugins && HELLO_VARIANT=2 cargo build --target wasm32-wasip2 --release --quiet --target-dir target -p test-hello
    cp plugins/target/wasm32-wasip2/release/test_hello.wasm plugins/target/test-wasm/test_hello_v2.wasm
    cd plugins && cargo build --target wasm32-wasip2 --release --quiet --target-dir target -p test-hello
    # The hostile plugin's impostor builds, for the trust-boundary tests.
    for v in admin greedy overlap; do (cd plugins && MALLORY_VARIANT=$v cargo build --target wasm32-wasip2 --release --quiet --target-dir target -p test-mallory) && cp plugins/target/wasm32-wasip2/release/test_mallory.wasm plugins/target/test-wasm/test_mallory_$v.wasm; done
    cd plugins && cargo build --target wasm32-wasip2 --release --quiet --target-dir target -p test-mallory
    cp plugins/target/wasm32-wasip2/release/test_mallory.wasm plugins/target/test-wasm/
    # plugins/dist is what the bot loads by default: exactly the first-party plugins, and the
    # manifest of their hashes (first-party grants go to these builds only, not to their names).
    rm -f plugins/dist/*.wasm plugins/dist/first-party.sha256
    for f in plugins/target/wasm32-wasip2/release/*.wasm; do case "$(basename "$f")" in test_*) ;; *) cp "$f" plugins/dist/ ;; esac; done
    cd plugins/dist && for f in *.wasm; do n="${f%.wasm}"; echo "$(sha256sum "$f" | cut -d' ' -f1)  ${n//_/-}"; done > first-party.sha256

# Build everything and run every test (unit and black-box)
test: setup plugins check-tools
    cargo test --workspace --no-fail-fast
    # The first-party plugins' own unit tests (formatting, link parsing), natively.
    cd plugins && cargo test --quiet -p file-info -p batch

# Say which real clients the black-box tests drive are missing (on CI, a missing one fails)
check-tools:
    #!/usr/bin/env bash
    missing=()
    export PATH="$PATH:/usr/sbin"
    for t in curl:curl ffmpeg:ffmpeg ffprobe:ffmpeg aria2c:aria2 chromium:chromium chromedriver:chromium-driver nginx:nginx-light; do
        command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t%%:*} (Debian package ${t#*:})")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "************************************************************************"
        echo "* Real-client tests will be SKIPPED; these tools are missing:"
        printf '*   %s\n' "${missing[@]}"
        echo "* Install them (apt-get install curl ffmpeg aria2 chromium chromium-driver nginx-light)"
        echo "************************************************************************"
        if [ "${CI:-}" = "true" ]; then echo "CI=true: missing tools are a failure"; exit 1; fi
    fi

# Start the simulator and the bot on built-in defaults; a simulated user sends a sample video
demo: setup plugins
    cargo run --release --quiet -- demo

# Start only the Telegram simulator with its console (extra flags pass through)
sim *ARGS: setup
    cargo run --release --quiet -- sim {{ARGS}}

# A self-contained release folder, dist/: a static Linux binary (musl) with its debug info split
# off into beamgram.debug, the first-party plugins, an example configuration. Needs musl-gcc
# (Debian: musl-tools). The Dockerfile's final stage is exactly this folder.
dist: setup plugins
    #!/usr/bin/env bash
    set -euo pipefail
    rustup target list --installed | grep -qx x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl
    command -v musl-gcc >/dev/null || { echo "musl-gcc is missing: apt-get install musl-tools"; exit 1; }
    cargo build --release --locked --target x86_64-unknown-linux-musl -p beamgram-cli
    built="${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-musl/release/beamgram"
    rm -rf dist && mkdir -p dist/plugins
    # The line tables go to beamgram.debug (gdb and backtrace tools find it by the debuglink);
    # the binary itself keeps only what it runs with.
    objcopy --only-keep-debug "$built" dist/beamgram.debug
    objcopy --strip-all --add-gnu-debuglink=dist/beamgram.debug "$built" dist/beamgram
    cp plugins/dist/*.wasm plugins/dist/first-party.sha256 dist/plugins/
    cp beamgram.example.toml dist/
    echo "dist/: $(du -h dist/beamgram | cut -f1) binary, $(du -h dist/beamgram.debug | cut -f1) debug info, $(ls dist/plugins/*.wasm | wc -l) plugins"

# Measure performance and print the figures BENCHMARKS.md records
bench: setup plugins
    cargo run --release --quiet -p beamgram --example bench
