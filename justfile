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
    cargo clippy --workspace --all-targets -- -D warnings

# Build everything and run every test (unit and black-box)
test: setup
    cargo test --workspace --no-fail-fast

# Start the simulator and the bot on built-in defaults; a simulated user sends a sample video
demo: setup
    cargo run --release --quiet -- demo

# Start only the Telegram simulator with its console (extra flags pass through)
sim *ARGS: setup
    cargo run --release --quiet -- sim {{ARGS}}

# Measure performance and print the figures BENCHMARKS.md records
bench: setup
    cargo run --release --quiet --example bench
