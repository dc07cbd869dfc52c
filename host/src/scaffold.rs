//! `beamgram plugin new NAME`: a plugin crate that builds and loads as it is. It carries its own
//! copy of the SDK and the WIT it was made with, so it builds anywhere with
//! `cargo build --target wasm32-wasip2 --release` — no checkout of beamgram needed.

use std::path::{Path, PathBuf};

const SDK_LIB: &str = include_str!("../../plugins/sdk/src/lib.rs");
const SDK_BUILD: &str = include_str!("../../plugins/sdk/src/build.rs");
const HUMAN: &str = include_str!("../../plugins/human/src/lib.rs");
const WIT: &str = include_str!("../../wit/beamgram-plugin-0.2.1/plugin.wit");

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("'{0}' is not a plugin name: use lowercase letters, digits and '-', starting with a letter")]
    BadName(String),
    #[error("{0} already exists; pick another name or folder")]
    Exists(PathBuf),
    #[error("writing {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

fn valid(name: &str) -> bool {
    name.len() <= 40
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Creates `dir/name` and returns it.
pub fn new_plugin(name: &str, dir: &Path) -> Result<PathBuf, ScaffoldError> {
    if !valid(name) {
        return Err(ScaffoldError::BadName(name.into()));
    }
    let root = dir.join(name);
    if root.exists() {
        return Err(ScaffoldError::Exists(root));
    }
    let command = name.split('-').next().unwrap_or(name).replace('-', "_");
    let ident: String = name.split('-').map(|w| w[..1].to_ascii_uppercase() + &w[1..]).collect();
    let files: Vec<(PathBuf, String)> = vec![
        (root.join("Cargo.toml"), cargo_toml(name)),
        (root.join("src/lib.rs"), lib_rs(name, &ident, &command)),
        (root.join("README.md"), readme(name, &command)),
        (root.join(".gitignore"), "/target\n".into()),
        (root.join("beamgram-plugin/Cargo.toml"), SDK_CARGO.into()),
        (root.join("beamgram-plugin/src/lib.rs"), SDK_LIB.replace("../../wit/beamgram-plugin-0.2.1", "wit")),
        (root.join("beamgram-plugin/src/build.rs"), SDK_BUILD.into()),
        (root.join("beamgram-human/Cargo.toml"), HUMAN_CARGO.into()),
        (root.join("beamgram-human/src/lib.rs"), HUMAN.into()),
        (root.join("beamgram-plugin/wit/plugin.wit"), WIT.into()),
    ];
    for (path, text) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| ScaffoldError::Write { path: parent.into(), source })?;
        }
        std::fs::write(&path, text).map_err(|source| ScaffoldError::Write { path: path.clone(), source })?;
    }
    Ok(root)
}

const SDK_CARGO: &str = r#"[package]
name = "beamgram-plugin"
version = "0.2.1"
edition = "2024"
rust-version = "1.95"
description = "The beamgram plugin SDK (a copy made by `beamgram plugin new`)"

[dependencies]
wit-bindgen = "0.61"
beamgram-human = { path = "../beamgram-human" }
"#;

const HUMAN_CARGO: &str = r#"[package]
name = "beamgram-human"
version = "0.1.0"
edition = "2024"
rust-version = "1.95"
description = "Sizes and durations as people read them (a copy made by `beamgram plugin new`)"
"#;

fn cargo_toml(name: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
rust-version = "1.95"

[lib]
crate-type = ["cdylib"]

[dependencies]
beamgram-plugin = {{ path = "beamgram-plugin" }}

# Its own workspace: the plugin builds on its own wherever it is.
[workspace]
members = [".", "beamgram-plugin", "beamgram-human"]

# Small components: ~100 KB instead of ~3 MB.
[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
strip = true
panic = "abort"
"#
    )
}

fn lib_rs(name: &str, ident: &str, command: &str) -> String {
    format!(
        r#"//! The {name} plugin for beamgram.

use beamgram_plugin::prelude::*;

struct {ident};

impl Plugin for {ident} {{
    fn info() -> PluginInfo {{
        PluginInfo::new("{name}", env!("CARGO_PKG_VERSION")).command("{command}", "Say hello from {name}")
    }}

    fn on_command(c: Command) -> Outcome {{
        let who = if c.raw_args.is_empty() {{ "there".to_string() }} else {{ c.raw_args }};
        Ok(vec![reply_with(format!("Hello, {{who}}!"), vec![vec![button_callback("Again", "again")]])])
    }}

    fn on_callback(_: Callback) -> Outcome {{
        Ok(vec![answer("Hello again!", false)])
    }}
}}

beamgram_plugin::register!({ident});
"#
    )
}

fn readme(name: &str, command: &str) -> String {
    let file = name.replace('-', "_");
    format!(
        r#"# {name}

A beamgram plugin. Build it:

    rustup target add wasm32-wasip2
    cargo build --target wasm32-wasip2 --release

The plugin is `target/wasm32-wasip2/release/{file}.wasm`. Try it against the built-in Telegram
simulator, with live reload on every build:

    beamgram dev --plugins target/wasm32-wasip2/release

then type `send /{command}` in the console. To deploy, copy the `.wasm` next to the plugin folder
and rename it into place (a rename is atomic; the bot reloads it).
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_files() {
        assert!(valid("link-shortener") && valid("a1"));
        assert!(!valid("Bad") && !valid("1x") && !valid("x_y") && !valid(""));
        let dir = std::env::temp_dir().join(format!("beamgram-scaffold-{}", std::process::id()));
        let root = new_plugin("my-plugin", &dir).expect("created");
        let lib = std::fs::read_to_string(root.join("src/lib.rs")).expect("lib");
        assert!(lib.contains("struct MyPlugin;") && lib.contains(r#".command("my", "#), "{lib}");
        assert!(
            std::fs::read_to_string(root.join("beamgram-plugin/src/lib.rs")).expect("sdk").contains(r#"path: "wit""#)
        );
        assert!(matches!(new_plugin("my-plugin", &dir), Err(ScaffoldError::Exists(_))));
        let _ = std::fs::remove_dir_all(dir);
    }
}
