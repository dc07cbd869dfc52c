//! Putting plugins where a test's host loads them: test builds (`plugins/target/test-wasm`) and
//! the first-party builds with their manifest (`plugins/dist`), all made by `just plugins`.

use std::path::{Path, PathBuf};

use beamgram::config::Config;

/// A test plugin build: `test_hello`, `test_mallory_admin`, …
pub fn wasm(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/target/test-wasm").join(format!("{name}.wasm"));
    assert!(p.exists(), "{} is missing: build the test plugins with `just plugins` (just test does)", p.display());
    p
}

/// A first-party build in plugins/dist (`file-info` is `file_info.wasm`).
pub fn dist(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/dist")
        .join(format!("{}.wasm", name.replace('-', "_")));
    assert!(p.exists(), "{} is missing: build the plugins with `just plugins` (just test does)", p.display());
    p
}

/// Puts a plugin file in place the documented way: written beside, then renamed in.
pub fn deploy(dir: &Path, from: &Path, as_name: &str) {
    std::fs::create_dir_all(dir).expect("plugin dir");
    let tmp = dir.join(format!(".{as_name}.tmp"));
    std::fs::copy(from, &tmp).expect("copy");
    std::fs::rename(&tmp, dir.join(as_name)).expect("rename");
}

/// First-party plugins in the host's plugin folder, with the manifest that gives them their
/// default grants.
pub fn with_first_party(c: &mut Config, names: &[&str]) {
    first_party_into(&c.plugins.dir, names);
}

/// First-party plugins (`file-info` as `file-info.wasm`) and their manifest in `dir`.
pub fn first_party_into(dir: &Path, names: &[&str]) {
    std::fs::create_dir_all(dir).expect("plugin dir");
    for n in names {
        std::fs::copy(dist(n), dir.join(format!("{n}.wasm"))).expect("copy plugin");
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/dist/first-party.sha256");
    std::fs::copy(manifest, dir.join("first-party.sha256")).expect("copy the first-party manifest");
}
